package mipd

import (
	"context"
	"math"
)

// zBound bounds each standardized random effect z = η/ω: |η| ≤ 5ω.
const zBound = 5.0

// problem is one patient's objective: −2 log posterior (NONMEM-style OFV,
// constants dropped) over standardized random effects z = η/ω,
//
//	OFV(z) = Σ_obs ((ln y − ln f)/σ)² − 2 Σ_cens ln Φ((ln LOQ − ln f)/σ) + Σ z²,
//
// where f is the individual prediction and the residual error is
// log-normal (proportional) with the model's σ.
type problem struct {
	ctx   context.Context
	rec   *record
	run   *pool
	pl    *plan
	evals int
	err   error // first simulation error (context cancellation included)
	// scratch
	etas [][]float64
	out  [][]float64
}

func newProblem(ctx context.Context, rec *record, workers int) (*problem, error) {
	r, err := rec.m.newPool(workers)
	if err != nil {
		return nil, err
	}
	steps := make([]int, len(rec.obs))
	for i, o := range rec.obs {
		steps[i] = o.step
	}
	return &problem{ctx: ctx, rec: rec, run: r, pl: newPlan(rec.doses, steps)}, nil
}

// eta converts standardized z to η.
func (pb *problem) eta(z, dst []float64) []float64 {
	for k, v := range z {
		dst[k] = v * pb.rec.m.omega[k]
	}
	return dst
}

// predict returns the individual predictions at the observations for
// each z (rows of the result are reused scratch space).
func (pb *problem) predict(zs [][]float64) ([][]float64, error) {
	n, k := len(zs), len(pb.rec.m.omega)
	for len(pb.etas) < n {
		pb.etas = append(pb.etas, make([]float64, k))
		pb.out = append(pb.out, make([]float64, pb.pl.nrec))
	}
	for j, z := range zs {
		pb.eta(z, pb.etas[j])
	}
	pb.evals += n
	if err := pb.run.run(pb.ctx, pb.etas[:n], pb.pl, pb.out[:n]); err != nil {
		return nil, err
	}
	return pb.out[:n], nil
}

// ofvs evaluates the objective at each z into dst. A simulation error
// (cancellation) is kept in pb.err and the values become +Inf.
func (pb *problem) ofvs(zs [][]float64, dst []float64) {
	pred, err := pb.predict(zs)
	if err != nil {
		if pb.err == nil {
			pb.err = err
		}
		for i := range dst {
			dst[i] = math.Inf(1)
		}
		return
	}
	for j, z := range zs {
		dst[j] = pb.dataTerm(pred[j]) + priorTerm(z)
	}
}

func (pb *problem) ofv(z []float64) float64 {
	var d [1]float64
	pb.ofvs([][]float64{z}, d[:])
	return d[0]
}

func priorTerm(z []float64) float64 {
	s := 0.0
	for _, v := range z {
		s += v * v
	}
	return s
}

// dataTerm is the residual part of the OFV for predictions f.
func (pb *problem) dataTerm(f []float64) float64 {
	sig := pb.rec.m.sigma
	s := 0.0
	for i, o := range pb.rec.obs {
		if !(f[i] > 0) || math.IsInf(f[i], 0) {
			return math.Inf(1)
		}
		x := (o.logY - math.Log(f[i])) / sig
		if o.censored {
			s -= 2 * logPhi(x)
		} else {
			s += x * x
		}
	}
	return s
}

// logPhi returns ln Φ(x) for the standard normal CDF, accurate in the far
// lower tail (asymptotic series below −30, where erfc underflows).
func logPhi(x float64) float64 {
	if x > -30 {
		return math.Log(0.5 * math.Erfc(-x/math.Sqrt2))
	}
	x2 := x * x
	return -x2/2 - math.Log(-x) - 0.5*math.Log(2*math.Pi) + math.Log(1-1/x2+3/(x2*x2))
}
