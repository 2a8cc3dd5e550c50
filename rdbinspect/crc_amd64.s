#include "textflag.h"

// func foldCLMUL(p []byte, init uint64, k *[2]uint64, out *[2]uint64)
TEXT ·foldCLMUL(SB), NOSPLIT, $0-48
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ init+24(FP), AX
	MOVQ k+32(FP), DX
	MOVQ out+40(FP), DI
	MOVOU (DX), X3
	MOVOU (SI), X0
	MOVQ AX, X1
	PXOR X1, X0
	ADDQ $16, SI
	SUBQ $16, CX

loop:
	CMPQ CX, $16
	JB done
	MOVOU X0, X1
	PCLMULQDQ $0x00, X3, X0
	PCLMULQDQ $0x11, X3, X1
	PXOR X1, X0
	MOVOU (SI), X2
	PXOR X2, X0
	ADDQ $16, SI
	SUBQ $16, CX
	JMP loop

done:
	MOVOU X0, (DI)
	RET
