package molecules

import "math/bits"

// scanChunk is how many rows one kernel call counts before the caller
// turns the counts into similarities: 512 counts (2 KiB) stay in L1 while
// the rows stream past.
const scanChunk = 512

// scanKernel selects the kernel a scan counts with.
type scanKernel uint8

const (
	// kernelAuto is the best the CPU runs: AVX-512 VPOPCNTDQ for rows of a
	// multiple of 512 bits, else AVX2 for a multiple of 256, else Go.
	kernelAuto scanKernel = iota
	// kernelAVX2 skips AVX-512 (tests and benchmarks of the AVX2 path).
	kernelAVX2
	// kernelGo is the portable math/bits kernel.
	kernelGo
)

// andCounts fills out[:len(words)/len(q)] with popcount(q AND row) for the
// rows of len(q) words stored back to back in words, with the kernel k
// selects; every kernel gives the same counts.
func andCounts(q, words []uint64, out []uint32, k scanKernel) {
	if andCountsAsm(q, words, out, k) {
		return
	}
	andCountsGo(q, words, out)
}

// andCountsGo is the portable kernel: andCount per row.
func andCountsGo(q, words []uint64, out []uint32) {
	nw := len(q)
	n := len(words) / nw
	out = out[:n]
	if nw == 32 {
		for j := range out {
			out[j] = uint32(andCount32(q, words[j*32:j*32+32]))
		}
		return
	}
	for j := range out {
		out[j] = uint32(andCount(q, words[j*nw:j*nw+nw]))
	}
}

// tanimotoFromCounts is |a∧b| / (|a|+|b|-|a∧b|), 1 when the union is empty;
// tot is |a|+|b|. Every scan path divides here so they agree to the bit.
func tanimotoFromCounts(common, tot int) float64 {
	if d := tot - common; d > 0 {
		return float64(common) / float64(d)
	}
	return 1
}

// andCount32 is andCount for 2048-bit fingerprints, fully unrolled by eight.
func andCount32(a, b []uint64) int {
	a = a[:32]
	b = b[:32]
	n0, n1, n2, n3 := 0, 0, 0, 0
	for i := 0; i < 32; i += 8 {
		n0 += bits.OnesCount64(a[i]&b[i]) + bits.OnesCount64(a[i+4]&b[i+4])
		n1 += bits.OnesCount64(a[i+1]&b[i+1]) + bits.OnesCount64(a[i+5]&b[i+5])
		n2 += bits.OnesCount64(a[i+2]&b[i+2]) + bits.OnesCount64(a[i+6]&b[i+6])
		n3 += bits.OnesCount64(a[i+3]&b[i+3]) + bits.OnesCount64(a[i+7]&b[i+7])
	}
	return n0 + n1 + n2 + n3
}

// andCount is popcount(a AND b), unrolled by four words.
func andCount(a, b []uint64) int {
	if len(a) == 32 {
		return andCount32(a, b)
	}
	n := 0
	i := 0
	b = b[:len(a)]
	for ; i+4 <= len(a); i += 4 {
		n += bits.OnesCount64(a[i]&b[i]) + bits.OnesCount64(a[i+1]&b[i+1]) +
			bits.OnesCount64(a[i+2]&b[i+2]) + bits.OnesCount64(a[i+3]&b[i+3])
	}
	for ; i < len(a); i++ {
		n += bits.OnesCount64(a[i] & b[i])
	}
	return n
}

// appendSims appends to dst the Tanimoto similarity of q to each row of
// words (rows of len(q) words, all with the same popcount, so tot is
// |q| plus that count), counting scanChunk rows per kernel call.
func appendSims(dst []float64, q, words []uint64, tot int, k scanKernel) []float64 {
	var counts [scanChunk]uint32
	step := scanChunk * len(q)
	for off := 0; off < len(words); off += step {
		end := min(off+step, len(words))
		n := (end - off) / len(q)
		andCounts(q, words[off:end], counts[:n], k)
		if k == kernelAuto {
			var ok bool
			if dst, ok = simsFromCountsAsm(dst, counts[:n], tot); ok {
				continue
			}
		}
		for _, c := range counts[:n] {
			dst = append(dst, tanimotoFromCounts(int(c), tot))
		}
	}
	return dst
}
