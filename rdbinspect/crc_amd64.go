package rdbinspect

import "golang.org/x/sys/cpu"

// useCLMUL selects carry-less multiplication folding for the checksum:
// PCLMULQDQ folds 16 bytes per step, several times faster than the
// slicing-by-8 tables of hash/crc64.
var useCLMUL = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE2

// foldCLMUL folds p (len a multiple of 16, at least 64) into one 16-byte
// value with the same CRC, starting from the register value init. k holds
// the fold constants; the result is written to out. Implemented in
// crc_amd64.s.
//
//go:noescape
func foldCLMUL(p []byte, init uint64, k *[4]uint64, out *[2]uint64)
