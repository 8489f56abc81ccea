//go:build !purego

package molecules

import "golang.org/x/sys/cpu"

// hasVPOPCNT reports whether the AVX-512 VPOPCNTDQ scan kernels can run
// (AVX-512F for the 512-bit loads and logic, VL for the narrower forms,
// VPOPCNTDQ for the counts); set once from CPUID and only read afterwards.
var hasVPOPCNT = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VPOPCNTDQ

// hasAVX512Conv reports whether simsFromCountsAVX512 can run (AVX-512F and
// VL); set once from CPUID and only read afterwards.
var hasAVX512Conv = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// hasAVX2 reports whether the AVX2 scan kernel can run; set once from
// CPUID and only read afterwards.
var hasAVX2 = cpu.X86.HasAVX2

// andCountsAVX2 is andCountsVPOPCNT for rows of nw words, nw a positive
// multiple of 4, with AVX2 only (VPSHUFB nibble counts).
//
//go:noescape
func andCountsAVX2(q *uint64, nw int, rows *uint64, n int, out *uint32)

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
// rows of words with the best assembly kernel k allows (kernelAuto: AVX-512
// VPOPCNTDQ, else AVX2; kernelAVX2: AVX2), and reports false (leaving out
// untouched) when the CPU or the row width allows none.
func andCountsAsm(q, words []uint64, out []uint32, k scanKernel) bool {
	nw := len(q)
	if nw == 0 {
		return false
	}
	n := len(words) / nw
	switch {
	case k == kernelAuto && hasVPOPCNT && nw%8 == 0:
		if n > 0 {
			out = out[:n]
			if nw == 32 {
				andCountsVPOPCNT32(&q[0], &words[0], n, &out[0])
			} else {
				andCountsVPOPCNT(&q[0], nw, &words[0], n, &out[0])
			}
		}
		return true
	case k != kernelGo && hasAVX2 && nw%4 == 0:
		if n > 0 {
			out = out[:n]
			andCountsAVX2(&q[0], nw, &words[0], n, &out[0])
		}
		return true
	}
	return false
}

// simsFromCountsAVX512 writes counts[j] / (tot - counts[j]) (1 where that
// is 0/0) to out[j] for j < n, n a multiple of 8.
//
//go:noescape
func simsFromCountsAVX512(counts *uint32, n int, tot int, out *float64)

// simsFromCountsAsm appends to dst the similarity of each count against
// tot with the AVX-512 kernel, or reports false when the CPU lacks it.
func simsFromCountsAsm(dst []float64, counts []uint32, tot int) ([]float64, bool) {
	if !hasAVX512Conv {
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
