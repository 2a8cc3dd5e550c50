package rdbinspect

import (
	"encoding/binary"
	"hash/crc64"
	"sync"
)

// crcPoly is CRC-64 Jones in reflected form (src/crc64.c): reflected in
// and out, initial value 0, no final xor.
const crcPoly = 0x95ac9329ac4bc9b5

var crcTable = crc64.MakeTable(crcPoly)

// CRC64Update continues a Redis CRC-64 over p. Start from 0. The standard
// library inverts before and after each update; Redis does neither, so the
// inversions are undone here.
func CRC64Update(crc uint64, p []byte) uint64 {
	if useCLMUL && len(p) >= 64 {
		return crcCLMUL(crc, p)
	}
	return crcTableUpdate(crc, p)
}

func crcTableUpdate(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, crcTable, p)
}

// crcPolyNormal is the Jones polynomial in normal (MSB-first) form.
const crcPolyNormal = 0xad93d23594c935a9

// xPowModP returns x^n mod P in normal form.
func xPowModP(n int) uint64 {
	r := uint64(1)
	for range n {
		carry := r >> 63
		r <<= 1
		if carry != 0 {
			r ^= crcPolyNormal
		}
	}
	return r
}

func rev64(v uint64) uint64 {
	var r uint64
	for range 64 {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// foldConsts multiply the two halves of a 128-bit register when folding it
// forward: the low quadword holds the higher-degree half (reflected data),
// so it takes x^(n+64) and the high quadword x^n, each divided by x because
// a carry-less product of two reflected 64-bit values lands one bit low.
// The first pair folds by 16 bytes (n = 128), the second by 64 (n = 512).
// The third pair folds by 256 bytes (n = 2048), for 512-bit registers.
var foldConsts = [6]uint64{
	rev64(xPowModP(191)), rev64(xPowModP(127)),
	rev64(xPowModP(575)), rev64(xPowModP(511)),
	rev64(xPowModP(2111)), rev64(xPowModP(2047)),
}

// crcCLMUL folds the bulk of p with PCLMULQDQ, then finishes the 16 folded
// bytes and the unaligned tail with the table.
func crcCLMUL(crc uint64, p []byte) uint64 {
	n := len(p) &^ 15
	var out [2]uint64
	if useVPCLMUL && n >= 256 {
		foldVPCLMUL(p[:n], crc, &foldConsts, &out)
	} else {
		foldCLMUL(p[:n], crc, (*[4]uint64)(foldConsts[:4]), &out)
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], out[0])
	binary.LittleEndian.PutUint64(b[8:], out[1])
	sum := crcTableUpdate(0, b[:])
	return crcTableUpdate(sum, p[n:])
}

// gf2Times multiplies the 64x64 GF(2) matrix m by vector v.
func gf2Times(m *[64]uint64, v uint64) uint64 {
	var sum uint64
	for i := 0; v != 0; i, v = i+1, v>>1 {
		if v&1 != 0 {
			sum ^= m[i]
		}
	}
	return sum
}

func gf2Square(dst, m *[64]uint64) {
	for i := range 64 {
		dst[i] = gf2Times(m, m[i])
	}
}

// CRC64Combine returns the CRC of A||B from crcA, crcB and len(B), the way
// zlib's crc32_combine does: apply the "append one zero bit" operator
// len(B)*8 times to crcA by repeated squaring. With initial value 0 and no
// final xor the CRC is linear, so no correction term is needed.
func CRC64Combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 || crcA == 0 {
		return crcA ^ crcB
	}
	// One matrix-vector product per set bit of lenB, with the operators
	// for 2^k zero bytes squared once per process: building them per call
	// (zlib's way) cost 0.2 ms a combine.
	ops := zeroBytePowers()
	for k := 0; lenB != 0; k, lenB = k+1, lenB>>1 {
		if lenB&1 != 0 {
			crcA = gf2Times(&ops[k], crcA)
		}
	}
	return crcA ^ crcB
}

// zeroBytePowers holds, at k, the operator that advances a CRC over 2^k
// zero bytes.
var zeroBytePowers = sync.OnceValue(func() *[63][64]uint64 {
	var odd, even [64]uint64
	// Operator for one zero bit in reflected form.
	odd[0] = crcPoly
	row := uint64(1)
	for i := 1; i < 64; i++ {
		odd[i] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	ops := new([63][64]uint64)
	gf2Square(&ops[0], &odd) // one zero byte
	for k := 1; k < len(ops); k++ {
		gf2Square(&ops[k], &ops[k-1])
	}
	return ops
})

// zerosOperator returns the matrix that advances a CRC over n zero bytes,
// so combining many equal-sized blocks costs one matrix-vector product each.
func zerosOperator(n int64) *[64]uint64 {
	opMu.Lock()
	defer opMu.Unlock()
	if m, ok := opCache[n]; ok {
		return m
	}
	// The product of the operators for the powers of two in n: log2(n)
	// matrix products instead of one CRC64Combine per basis vector.
	ops := zeroBytePowers()
	m := new([64]uint64)
	for i := range 64 {
		m[i] = uint64(1) << i
	}
	for k, rest := 0, n; rest > 0; k, rest = k+1, rest>>1 {
		if rest&1 != 0 {
			for i := range 64 {
				m[i] = gf2Times(&ops[k], m[i])
			}
		}
	}
	opCache[n] = m
	return m
}

var (
	opMu    sync.Mutex
	opCache = map[int64]*[64]uint64{}
)

// readChunk bounds the buffer of a one-off CRC over a range.
const readChunk = 1 << 20
