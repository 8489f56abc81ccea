package kernels

import "fmt"

// SparseAccum adds a sparse combination of rows of w to dst:
//
//	dst[j] += Σ_k val[k] · w[idx[k]·ldw + j]   for j < len(dst)
//
// It is the first layer of a network whose input is a sparse vector
// (fingerprint counts): each non-zero selects a row of the weight matrix.
// The assembly version keeps 64 columns of dst in registers while it walks
// the rows, so dst is read and written once per 64 columns however many rows
// are summed. It panics if an index selects a row outside w (a programming
// error, not input: callers map input to indices themselves).
func SparseAccum(dst, w []float32, ldw int, idx []int32, val []float32) {
	if len(idx) != len(val) {
		panic(fmt.Sprintf("kernels: SparseAccum: %d indices, %d values", len(idx), len(val)))
	}
	if len(dst) > ldw {
		panic(fmt.Sprintf("kernels: SparseAccum: dst %d wider than row stride %d", len(dst), ldw))
	}
	rows := 0
	if ldw > 0 {
		rows = (len(w) - len(dst)) / ldw // last row r must satisfy r·ldw + len(dst) ≤ len(w)
	}
	for _, r := range idx {
		if r < 0 || int(r) > rows || len(w) < len(dst) {
			panic(fmt.Sprintf("kernels: SparseAccum: row %d outside %d×%d weights", r, len(w)/max(ldw, 1), ldw))
		}
	}
	n := 0
	if useAsm {
		if chunks := len(dst) / 64; chunks > 0 && len(idx) > 0 {
			sparseAccumAVX2(len(idx), &w[0], ldw, &idx[0], &val[0], &dst[0], chunks)
			n = chunks * 64
		}
	}
	if n == len(dst) || len(idx) == 0 {
		return
	}
	tail := dst[n:]
	for k, r := range idx {
		v := val[k]
		row := w[int(r)*ldw+n : int(r)*ldw+len(dst)]
		for j, x := range row {
			tail[j] += v * x
		}
	}
}
