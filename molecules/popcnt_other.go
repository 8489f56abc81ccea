//go:build !amd64 || purego

package molecules

// hasVPOPCNT and hasAVX2 are false where the assembly kernels do not exist.
const (
	hasVPOPCNT = false
	hasAVX2    = false
)

// andCountsAsm reports false: only the portable kernel exists here.
func andCountsAsm(q, words []uint64, out []uint32, k scanKernel) bool { return false }

// simsFromCountsAsm reports false: only the portable conversion exists here.
func simsFromCountsAsm(dst []float64, counts []uint32, tot int) ([]float64, bool) {
	return dst, false
}
