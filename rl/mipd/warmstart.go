package mipd

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// residuals writes the OFV's residual vector R(z) for predictions f:
// (ln y − ln f)/σ per observation (a censored one contributes
// √(−2 ln Φ((ln LOQ − ln f)/σ))), then z itself, so OFV = |R|².
func (pb *problem) residuals(f, z, dst []float64) []float64 {
	sig := pb.rec.m.sigma
	dst = dst[:0]
	for i, o := range pb.rec.obs {
		x := (o.logY - math.Log(f[i])) / sig
		if o.censored {
			x = math.Sqrt(math.Max(0, -2*logPhi(x)))
		}
		dst = append(dst, x)
	}
	return append(dst, z...)
}

// warmStart takes up to maxSteps Levenberg–Marquardt steps from z = 0 on
// the least-squares form of the OFV, with a forward-difference Jacobian
// (n + 1 simulations per step), and returns the best z found. BFGS then
// finishes from there: the Gauss–Newton steps cross the steep,
// curved valleys of the INR data in a few steps where BFGS from the
// population values needs dozens of iterations.
func (pb *problem) warmStart(maxSteps int) []float64 {
	n := len(pb.rec.m.omega)
	z := make([]float64, n)
	lambda := 1e-2
	var r0 []float64
	f0 := math.Inf(1)
	for step := 0; step < maxSteps; step++ {
		pts := make([][]float64, n+1)
		for i := range pts {
			pts[i] = append([]float64(nil), z...)
			if i > 0 {
				pts[i][i-1] += fdStep
			}
		}
		pred, err := pb.predict(pts)
		if err != nil {
			return z
		}
		r0 = pb.residuals(pred[0], z, nil)
		f0 = dot(r0, r0)
		m := len(r0)
		jac := mat.NewDense(m, n, nil)
		ri := make([]float64, 0, m)
		for i := range n {
			ri = pb.residuals(pred[i+1], pts[i+1], ri)
			for k := range m {
				jac.Set(k, i, (ri[k]-r0[k])/fdStep)
			}
		}
		moved := false
		for try := 0; try < 6 && !moved; try++ {
			delta, ok := lmStep(jac, r0, lambda)
			if !ok {
				return z
			}
			cand := make([]float64, n)
			for i := range cand {
				cand[i] = math.Max(-zBound+1e-6, math.Min(zBound-1e-6, z[i]+delta[i]))
			}
			if f := pb.ofv(cand); f < f0 {
				z, moved = cand, true
				lambda = math.Max(lambda/10, 1e-7)
				if f0-f < 1e-3 {
					return z
				}
			} else {
				lambda *= 10
			}
		}
		if !moved {
			return z
		}
	}
	return z
}

// lmStep solves (JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀr.
func lmStep(jac *mat.Dense, r []float64, lambda float64) ([]float64, bool) {
	_, n := jac.Dims()
	var jtj mat.SymDense
	jtj.SymOuterK(1, jac.T())
	a := mat.NewSymDense(n, nil)
	a.CopySym(&jtj)
	for i := range n {
		a.SetSym(i, i, jtj.At(i, i)*(1+lambda)+1e-12)
	}
	var g mat.VecDense
	g.MulVec(jac.T(), mat.NewVecDense(len(r), r))
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		return nil, false
	}
	var d mat.VecDense
	if err := ch.SolveVecTo(&d, &g); err != nil {
		return nil, false
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = -d.AtVec(i)
	}
	return out, true
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
