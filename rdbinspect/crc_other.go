//go:build !amd64

package rdbinspect

const useCLMUL = false

var useVPCLMUL = false

func foldCLMUL(p []byte, init uint64, k *[4]uint64, out *[2]uint64) {
	panic("unreachable")
}

func foldVPCLMUL(p []byte, init uint64, k *[6]uint64, out *[2]uint64) {
	panic("unreachable")
}
