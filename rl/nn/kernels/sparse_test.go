package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSparseAccum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ width, ldw, rows, nnz int }{
		{0, 4, 3, 2}, {8, 8, 5, 0}, {63, 64, 9, 7}, {64, 64, 9, 7}, {65, 80, 9, 7},
		{256, 256, 2048, 50}, {1280, 1280, 300, 61}, {128, 300, 40, 40},
	} {
		w := make([]float32, tc.rows*tc.ldw)
		for i := range w {
			w[i] = rng.Float32()*2 - 1
		}
		idx := make([]int32, tc.nnz)
		val := make([]float32, tc.nnz)
		for k := range idx {
			idx[k] = int32(rng.IntN(tc.rows))
			val[k] = rng.Float32() * 3
		}
		if tc.nnz > 0 {
			idx[0] = int32(tc.rows - 1) // the last row must be reachable
		}
		dst := make([]float32, tc.width)
		want := make([]float64, tc.width)
		for j := range dst {
			dst[j] = rng.Float32()
			want[j] = float64(dst[j])
		}
		for k, r := range idx {
			for j := range want {
				want[j] += float64(val[k]) * float64(w[int(r)*tc.ldw+j])
			}
		}
		SparseAccum(dst, w, tc.ldw, idx, val)
		for j := range dst {
			if math.Abs(float64(dst[j])-want[j]) > 1e-4*(1+math.Abs(want[j])) {
				t.Fatalf("width %d ldw %d: dst[%d] = %v, want %v", tc.width, tc.ldw, j, dst[j], want[j])
			}
		}
	}
}

func TestSparseAccumOutOfRangePanics(t *testing.T) {
	w := make([]float32, 4*64)
	for _, idx := range [][]int32{{4}, {-1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("row %d: no panic", idx[0])
				}
			}()
			SparseAccum(make([]float32, 64), w, 64, idx, []float32{1})
		}()
	}
}

// BenchmarkSparseAccum is the first layer of a 5-member, 256-hidden ensemble
// over a 2048-bit count fingerprint with 50 non-zeros.
func BenchmarkSparseAccum(b *testing.B) {
	const bits, width, nnz = 2048, 5 * 256, 50
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, bits*width)
	idx := make([]int32, nnz)
	val := make([]float32, nnz)
	for k := range idx {
		idx[k] = int32(rng.IntN(bits))
		val[k] = 1
	}
	dst := make([]float32, width)
	b.ReportAllocs()
	for b.Loop() {
		SparseAccum(dst, w, width, idx, val)
	}
}

// BenchmarkSparseAccumCold is the fused first layer of a 5-member,
// 256-hidden ensemble over a 1,365-row vocabulary (7 MB of weights) as
// prediction runs it: batches of 64 molecules with 43 set bits each, drawn
// with a skewed frequency like real fingerprints, and between batches other
// work (parsing, in prediction) that evicts the caches, here a write over
// 8 MB. Only the kernel is timed.
func BenchmarkSparseAccumCold(b *testing.B) {
	const rows, width, nnz, batch = 1365, 5 * 256, 43, 64
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, rows*width)
	for i := range w {
		w[i] = rng.Float32()
	}
	zipf := rand.NewZipf(rng, 1.1, 4, rows-1)
	idx := make([][]int32, batch)
	val := make([][]float32, batch)
	for r := range idx {
		for k := 0; k < nnz; k++ {
			idx[r] = append(idx[r], int32(zipf.Uint64()))
			val[r] = append(val[r], 1)
		}
	}
	dst := make([]float32, batch*width)
	benchCold(b, batch, func() {
		for r := range idx {
			SparseAccum(dst[r*width:(r+1)*width], w, width, idx[r], val[r])
		}
	})
}
