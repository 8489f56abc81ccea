package pkpd

import "math"

// maxExpm is the largest matrix order expm supports.
const maxExpm = 12

// expm writes exp(A) into dst for a small dense square matrix (row-major,
// n×n, n ≤ maxExpm) by scaling and squaring with a degree-18 Taylor series.
// It works in fixed-size stack arrays, so patient setup does not allocate
// (environments re-sample patients inside their step loop). It is used only
// at patient setup, for matrices whose entries are rate constants times a
// step length.
func expm(dst, a []float64, n int) {
	norm := 0.0
	for i := range n {
		row := 0.0
		for j := range n {
			row += math.Abs(a[i*n+j])
		}
		norm = math.Max(norm, row)
	}
	s := 0
	for norm > 0.5 && s < 1000 {
		norm /= 2
		s++
	}
	scale := math.Ldexp(1, -s)
	var x, term, tmp [maxExpm * maxExpm]float64
	nn := n * n
	for i := range nn {
		x[i] = a[i] * scale
		dst[i] = 0
		term[i] = 0
	}
	for i := range n {
		dst[i*n+i] = 1
		term[i*n+i] = 1
	}
	for k := 1; k <= 18; k++ {
		matmul(tmp[:nn], term[:nn], x[:nn], n)
		inv := 1 / float64(k)
		for i := range nn {
			term[i] = tmp[i] * inv
			dst[i] += term[i]
		}
	}
	for range s {
		matmul(tmp[:nn], dst[:nn], dst[:nn], n)
		copy(dst[:nn], tmp[:nn])
	}
}

func matmul(dst, a, b []float64, n int) {
	for i := range n {
		for j := range n {
			s := 0.0
			for k := range n {
				s += a[i*n+k] * b[k*n+j]
			}
			dst[i*n+j] = s
		}
	}
}
