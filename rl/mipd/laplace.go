package mipd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/rxlab/rxlab/rl/pkpd"
)

// hessStep is the finite-difference step of the Hessian in z units.
const hessStep = 5e-3

// hessian returns the OFV Hessian in z at z0 (value f0) by central second
// differences, all 2n² points simulated as one batch.
func (pb *problem) hessian(z0 []float64, f0 float64) *mat.SymDense {
	n, h := len(z0), hessStep
	var pts [][]float64
	pt := func(i, j int, si, sj float64) []float64 {
		v := append([]float64(nil), z0...)
		v[i] += si * h
		if j >= 0 {
			v[j] += sj * h
		}
		return v
	}
	for i := range n {
		pts = append(pts, pt(i, -1, 1, 0), pt(i, -1, -1, 0))
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			pts = append(pts, pt(i, j, 1, 1), pt(i, j, 1, -1), pt(i, j, -1, 1), pt(i, j, -1, -1))
		}
	}
	f := make([]float64, len(pts))
	pb.ofvs(pts, f)
	H := mat.NewSymDense(n, nil)
	for i := range n {
		H.SetSym(i, i, (f[2*i]-2*f0+f[2*i+1])/(h*h))
	}
	k := 2 * n
	for i := range n {
		for j := i + 1; j < n; j++ {
			H.SetSym(i, j, (f[k]-f[k+1]-f[k+2]+f[k+3])/(4*h*h))
			k += 4
		}
	}
	return H
}

// minPrecision floors the eigenvalues of the z-space Hessian: the prior
// alone contributes 2 (OFV ∋ z²), so a smaller eigenvalue can only come
// from a non-convex data term at the mode.
const minPrecision = 0.2

// laplace fills the posterior covariance, SDs, shrinkage ratios, η,
// parameters and Laplace intervals from the Hessian at the mode: the
// posterior covariance of z is 2·H⁻¹ (the OFV is −2 log posterior).
func (e *Estimator) laplace(pb *problem, z []float64, res *Result) error {
	m := pb.rec.m
	n := len(z)
	H := pb.hessian(z, res.Objective)
	if pb.err != nil {
		return pb.err
	}
	var eig mat.EigenSym
	if !eig.Factorize(H, true) {
		return fmt.Errorf("individualize: the Hessian at the mode could not be decomposed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	floored := false
	for i, v := range vals {
		if !(v >= minPrecision) {
			vals[i], floored = minPrecision, true
		}
	}
	if floored {
		res.Warnings = append(res.Warnings, "the objective is not convex at the mode in some direction: its Laplace variance was capped (use the SIR intervals)")
	}
	cz := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			for k := range n {
				s += vecs.At(i, k) * vecs.At(j, k) * 2 / vals[k]
			}
			cz.SetSym(i, j, s)
		}
	}
	res.cz = cz
	res.eta = pb.eta(z, make([]float64, n))
	res.Eta, res.Omega, res.PosteriorSD, res.ShrinkageRatio = map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	res.Covariance = make([][]float64, n)
	for i, name := range m.names {
		res.Covariance[i] = make([]float64, n)
		for j := range n {
			res.Covariance[i][j] = cz.At(i, j) * m.omega[i] * m.omega[j]
		}
		sdz := math.Sqrt(cz.At(i, i))
		res.Eta[name] = res.eta[i]
		res.Omega[name] = m.omega[i]
		res.PosteriorSD[name] = sdz * m.omega[i]
		res.ShrinkageRatio[name] = sdz
		res.Intervals = append(res.Intervals, Interval{Name: name, Level: 0.95,
			LaplaceLow: res.eta[i] - z975*sdz*m.omega[i], LaplaceHigh: res.eta[i] + z975*sdz*m.omega[i],
			SIRLow: math.NaN(), SIRHigh: math.NaN()})
	}
	res.Parameters = m.params(res.eta)
	res.Typical = m.params(make([]float64, n))
	return nil
}

// z975 is the standard normal 97.5 % quantile.
const z975 = 1.959963984540054

// predictions fills IPRED, PRED and residuals at the observations.
func (e *Estimator) predictions(pb *problem, z []float64, res *Result) error {
	out, err := pb.predict([][]float64{z, make([]float64, len(z))})
	if err != nil {
		return err
	}
	for i, o := range pb.rec.obs {
		p := Prediction{Hour: o.hour, Observed: o.value, Censored: o.censored, IPRED: out[0][i], PRED: out[1][i]}
		p.Residual = o.logY - math.Log(p.IPRED)
		p.IWRES = p.Residual / pb.rec.m.sigma
		res.Predictions = append(res.Predictions, p)
	}
	return nil
}

// choleskyOf returns the lower Cholesky factor of c scaled by scale.
func choleskyOf(c *mat.SymDense, scale float64) (*mat.TriDense, error) {
	n := c.SymmetricDim()
	s := mat.NewSymDense(n, nil)
	s.ScaleSym(scale, c)
	var ch mat.Cholesky
	if !ch.Factorize(s) {
		return nil, fmt.Errorf("individualize: posterior covariance is not positive definite")
	}
	var l mat.TriDense
	ch.LTo(&l)
	return &l, nil
}

// laplaceDraws draws n η vectors from the Laplace normal (seeded).
func laplaceDraws(res *Result, n int, seed uint64) ([][]float64, error) {
	l, err := choleskyOf(res.cz, 1)
	if err != nil {
		return nil, err
	}
	k := len(res.eta)
	rng := pkpd.NewRNG(seed ^ 0x6c61706c616365)
	omega := make([]float64, k)
	for i, name := range res.Names {
		omega[i] = res.Omega[name]
	}
	zeta := make([]float64, k)
	out := make([][]float64, n)
	for d := range out {
		for i := range zeta {
			zeta[i] = rng.Norm()
		}
		eta := make([]float64, k)
		for i := range k {
			s := 0.0
			for j := 0; j <= i; j++ {
				s += l.At(i, j) * zeta[j]
			}
			eta[i] = res.eta[i] + s*omega[i]
		}
		out[d] = eta
	}
	return out, nil
}
