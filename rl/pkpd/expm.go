package pkpd

import "math"

// expm returns exp(A) for a small dense square matrix (row-major, n×n) by
// scaling and squaring with a degree-18 Taylor series. It is used only at
// patient setup (never in the per-step hot path), for matrices of order ≤ 12
// whose entries are rate constants times a step length.
func expm(a []float64, n int) []float64 {
	norm := 0.0
	for i := range n {
		row := 0.0
		for j := range n {
			row += math.Abs(a[i*n+j])
		}
		norm = math.Max(norm, row)
	}
	s := 0
	for norm > 0.5 {
		norm /= 2
		s++
	}
	scale := math.Ldexp(1, -s)
	x := make([]float64, n*n)
	for i := range x {
		x[i] = a[i] * scale
	}
	res := identity(n)
	term := identity(n)
	tmp := make([]float64, n*n)
	for k := 1; k <= 18; k++ {
		matmul(tmp, term, x, n)
		for i := range tmp {
			term[i] = tmp[i] / float64(k)
			res[i] += term[i]
		}
	}
	for range s {
		matmul(tmp, res, res, n)
		copy(res, tmp)
	}
	return res
}

func identity(n int) []float64 {
	m := make([]float64, n*n)
	for i := range n {
		m[i*n+i] = 1
	}
	return m
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
