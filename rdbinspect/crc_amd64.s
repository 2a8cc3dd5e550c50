#include "textflag.h"

// FOLD16 folds register R forward by 16 bytes with the constants in K and
// XORs in D: R = R.lo*K.lo ^ R.hi*K.hi ^ D. T is scratch.
#define FOLD(R, K, T, D) \
	MOVOU R, T; \
	PCLMULQDQ $0x00, K, R; \
	PCLMULQDQ $0x11, K, T; \
	PXOR T, R; \
	PXOR D, R

// func foldCLMUL(p []byte, init uint64, k *[4]uint64, out *[2]uint64)
//
// p's length is a multiple of 16 and at least 64. Four independent lanes
// fold 64 bytes per step (k[2], k[3]: x^575 and x^511 mod P, reflected),
// then collapse into one and fold the remaining 16-byte chunks (k[0], k[1]:
// x^191 and x^127 mod P, reflected).
TEXT ·foldCLMUL(SB), NOSPLIT, $0-48
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ init+24(FP), AX
	MOVQ k+32(FP), DX
	MOVQ out+40(FP), DI
	MOVOU (DX), X10
	MOVOU 16(DX), X11
	MOVOU (SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVQ AX, X4
	PXOR X4, X0
	ADDQ $64, SI
	SUBQ $64, CX

loop64:
	CMPQ CX, $64
	JB collapse
	MOVOU (SI), X5
	MOVOU 16(SI), X6
	MOVOU 32(SI), X7
	MOVOU 48(SI), X8
	FOLD(X0, X11, X4, X5)
	FOLD(X1, X11, X9, X6)
	FOLD(X2, X11, X12, X7)
	FOLD(X3, X11, X13, X8)
	ADDQ $64, SI
	SUBQ $64, CX
	JMP loop64

collapse:
	FOLD(X0, X10, X4, X1)
	FOLD(X0, X10, X4, X2)
	FOLD(X0, X10, X4, X3)

loop16:
	CMPQ CX, $16
	JB done
	MOVOU (SI), X5
	FOLD(X0, X10, X4, X5)
	ADDQ $16, SI
	SUBQ $16, CX
	JMP loop16

done:
	MOVOU X0, (DI)
	RET

// VFOLD is FOLD on 512-bit (or, with X registers, 128-bit) registers in
// three instructions: R = R.lo*K.lo ^ R.hi*K.hi ^ D, lane by lane. T is
// scratch; D may be memory.
#define VFOLD(R, K, T, D) \
	VPCLMULQDQ $0x00, K, R, T; \
	VPCLMULQDQ $0x11, K, R, R; \
	VPTERNLOGQ $0x96, D, T, R

// func foldVPCLMUL(p []byte, init uint64, k *[6]uint64, out *[2]uint64)
//
// The same folding on 512-bit registers: four registers of four 16-byte
// lanes fold 256 bytes per step (k[4], k[5]: x^2111 and x^2047 mod P,
// reflected), collapse into one register folding 64 bytes per step (k[2],
// k[3]), whose four lanes collapse as in foldCLMUL. p's length is a
// multiple of 16 and at least 256.
TEXT ·foldVPCLMUL(SB), NOSPLIT, $0-48
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ init+24(FP), AX
	MOVQ k+32(FP), DX
	MOVQ out+40(FP), DI
	VBROADCASTI32X4 32(DX), Z11
	VBROADCASTI32X4 16(DX), Z10
	VMOVDQU64 (SI), Z0
	VMOVDQU64 64(SI), Z1
	VMOVDQU64 128(SI), Z2
	VMOVDQU64 192(SI), Z3
	VMOVQ AX, X4
	VPXORQ Z4, Z0, Z0
	ADDQ $256, SI
	SUBQ $256, CX

loop256:
	CMPQ CX, $256
	JB reduce256
	VFOLD(Z0, Z11, Z4, (SI))
	VFOLD(Z1, Z11, Z5, 64(SI))
	VFOLD(Z2, Z11, Z6, 128(SI))
	VFOLD(Z3, Z11, Z7, 192(SI))
	ADDQ $256, SI
	SUBQ $256, CX
	JMP loop256

reduce256:
	VFOLD(Z0, Z10, Z4, Z1)
	VFOLD(Z0, Z10, Z4, Z2)
	VFOLD(Z0, Z10, Z4, Z3)

loop64z:
	CMPQ CX, $64
	JB lanes
	VFOLD(Z0, Z10, Z4, (SI))
	ADDQ $64, SI
	SUBQ $64, CX
	JMP loop64z

lanes:
	VEXTRACTI32X4 $1, Z0, X1
	VEXTRACTI32X4 $2, Z0, X2
	VEXTRACTI32X4 $3, Z0, X3
	VMOVDQU (DX), X10
	VFOLD(X0, X10, X4, X1)
	VFOLD(X0, X10, X4, X2)
	VFOLD(X0, X10, X4, X3)

loop16z:
	CMPQ CX, $16
	JB donez
	VFOLD(X0, X10, X4, (SI))
	ADDQ $16, SI
	SUBQ $16, CX
	JMP loop16z

donez:
	VMOVDQU X0, (DI)
	VZEROUPPER
	RET
