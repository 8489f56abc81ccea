package mipd

import "math"

// searchMap maps BFGS's search vector x to standardized random effects:
// u = P·x, z = 5·tanh(u/5), so |η| ≤ 5ω however far the search goes. P is
// the identity: a Gauss–Newton preconditioner at the population values
// (P = L⁻ᵀ) cut the iterations by half on one case but made the
// simulation–estimation fits worse (the curvature at the mode differs
// from that at η = 0), so it was dropped.
type searchMap struct {
	p [][]float64 // n×n
}

// toZ writes z for x (z may alias nothing of x).
func (s *searchMap) toZ(x, z []float64) []float64 {
	for i := range z {
		u := 0.0
		for j, v := range x {
			u += s.p[i][j] * v
		}
		z[i] = zBound * math.Tanh(u/zBound)
	}
	return z
}

// identityMap is the search in z itself (bounded by tanh).
func identityMap(n int) *searchMap {
	p := make([][]float64, n)
	for i := range p {
		p[i] = make([]float64, n)
		p[i][i] = 1
	}
	return &searchMap{p: p}
}
