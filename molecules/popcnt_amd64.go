//go:build !purego

package molecules

import "golang.org/x/sys/cpu"

// hasVPOPCNT reports whether the AVX-512 VPOPCNTDQ scan kernels can run
// (AVX-512F for the 512-bit loads and logic, VL for the 256-bit
// conversions, VPOPCNTDQ for the counts). It
// is set once from CPUID and only read afterwards.
var hasVPOPCNT = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VPOPCNTDQ

// andCountsVPOPCNT32 writes popcount(q AND row j) to out[j] for n rows of
// 32 words stored back to back at rows.
//
//go:noescape
func andCountsVPOPCNT32(q *uint64, rows *uint64, n int, out *uint32)

// andCountsVPOPCNT is andCountsVPOPCNT32 for rows of nw words, nw a
// positive multiple of 8.
//
//go:noescape
func andCountsVPOPCNT(q *uint64, nw int, rows *uint64, n int, out *uint32)

// andCountsAsm fills out[:n] with the AND counts of q against the first n
// rows of words using the VPOPCNTDQ kernels, and reports false (leaving
// out untouched) when the CPU or the row width does not allow them.
func andCountsAsm(q, words []uint64, out []uint32) bool {
	nw := len(q)
	if !hasVPOPCNT || nw == 0 || nw%8 != 0 {
		return false
	}
	n := len(words) / nw
	if n == 0 {
		return true
	}
	if len(out) < n {
		panic("molecules: andCountsAsm output too short")
	}
	if nw == 32 {
		andCountsVPOPCNT32(&q[0], &words[0], n, &out[0])
	} else {
		andCountsVPOPCNT(&q[0], nw, &words[0], n, &out[0])
	}
	return true
}

// simsFromCountsAVX512 writes counts[j] / (tot - counts[j]) (1 where that
// is 0/0) to out[j] for j < n, n a multiple of 8.
//
//go:noescape
func simsFromCountsAVX512(counts *uint32, n int, tot int, out *float64)

// simsFromCountsAsm appends to dst the similarity of each count against
// tot with the AVX-512 kernel, or reports false when the CPU lacks it.
func simsFromCountsAsm(dst []float64, counts []uint32, tot int) ([]float64, bool) {
	if !hasVPOPCNT {
		return dst, false
	}
	n := len(counts) &^ 7
	start := len(dst)
	dst = append(dst, make([]float64, len(counts))...)
	if n > 0 {
		simsFromCountsAVX512(&counts[0], n, tot, &dst[start])
	}
	for j := n; j < len(counts); j++ {
		dst[start+j] = tanimotoFromCounts(int(counts[j]), tot)
	}
	return dst, true
}
