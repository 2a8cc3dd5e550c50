package rdbinspect

import "golang.org/x/sys/cpu"

// useCLMUL selects carry-less multiplication folding for the checksum:
// PCLMULQDQ folds 16 bytes per step, several times faster than the
// slicing-by-8 tables of hash/crc64.
var useCLMUL = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE2

// useVPCLMUL selects the same folding on 512-bit registers, four times the
// bytes per instruction: the checksum is a tenth of a large file's walk.
var useVPCLMUL = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VPCLMULQDQ

// foldCLMUL folds p (len a multiple of 16, at least 64) into one 16-byte
// value with the same CRC, starting from the register value init. k holds
// the fold constants; the result is written to out. Implemented in
// crc_amd64.s.
//
//go:noescape
func foldCLMUL(p []byte, init uint64, k *[4]uint64, out *[2]uint64)

// foldVPCLMUL is foldCLMUL on 512-bit registers; p's length is a multiple
// of 16 and at least 256. Implemented in crc_amd64.s.
//
//go:noescape
func foldVPCLMUL(p []byte, init uint64, k *[6]uint64, out *[2]uint64)
