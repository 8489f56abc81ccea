//go:build !amd64 || purego

package molecules

// hasVPOPCNT is false where the AVX-512 kernels do not exist.
const hasVPOPCNT = false

// andCountsAsm reports false: only the portable kernel exists here.
func andCountsAsm(q, words []uint64, out []uint32) bool { return false }

// simsFromCountsAsm reports false: only the portable conversion exists here.
func simsFromCountsAsm(dst []float64, counts []uint32, tot int) ([]float64, bool) {
	return dst, false
}
