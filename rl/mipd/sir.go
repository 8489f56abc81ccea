package mipd

import (
	"math"
	"sort"

	"github.com/rxlab/rxlab/rl/pkpd"
)

// sirInflation scales the Laplace covariance for the SIR proposal, so the
// proposal's tails cover a skewed posterior's.
const sirInflation = 2.0

// sirResampleFraction is M/m, proposals per resampled draw.
const sirResampleFraction = 5

// sir draws nProp proposals from N(ẑ, 2·Cz), weighs them by posterior over
// proposal density, and resamples nProp/5 with replacement (systematic
// resampling), seeded and deterministic. The samples become res.Draws and
// the SIR intervals; the weighted proposals give res.EtaMean.
func (e *Estimator) sir(pb *problem, z []float64, res *Result, nProp int, seed uint64) error {
	infl := sirInflation
	if e.sirInfl > 0 {
		infl = e.sirInfl
	}
	l, err := choleskyOf(res.cz, infl)
	if err != nil {
		return err
	}
	n := len(z)
	rng := pkpd.NewRNG(seed ^ 0x736972)
	props := make([][]float64, nProp)
	half := make([]float64, nProp) // ½|ζ|², the proposal's log density up to a constant
	for d := range props {
		zeta := make([]float64, n)
		for i := range zeta {
			zeta[i] = rng.Norm()
			half[d] += zeta[i] * zeta[i] / 2
		}
		v := make([]float64, n)
		for i := range n {
			s := z[i]
			for j := 0; j <= i; j++ {
				s += l.At(i, j) * zeta[j]
			}
			v[i] = s
		}
		props[d] = v
	}
	f := make([]float64, nProp)
	pb.ofvs(props, f)
	if pb.err != nil {
		return pb.err
	}
	lw := make([]float64, nProp)
	top := math.Inf(-1)
	for d := range lw {
		lw[d] = -f[d]/2 + half[d]
		if math.IsNaN(lw[d]) {
			lw[d] = math.Inf(-1)
		}
		top = math.Max(top, lw[d])
	}
	sw, sw2 := 0.0, 0.0
	for _, v := range lw {
		w := math.Exp(v - top)
		sw += w
		sw2 += w * w
	}
	m := max(1, nProp/sirResampleFraction)
	// Systematic resampling with replacement (Rubin's SIR): sampling without
	// replacement over-represents the proposal's tails when the effective
	// sample size is below m, which biased the posterior mean of the
	// weakly informed effects in the simulation–estimation check.
	w := make([]float64, nProp)
	for d, v := range lw {
		w[d] = math.Exp(v-top) / sw
	}
	res.Draws = make([][]float64, m)
	u0 := rng.Float() / float64(m)
	cum, d := w[0], 0
	for k := range m {
		u := u0 + float64(k)/float64(m)
		for cum < u && d < nProp-1 {
			d++
			cum += w[d]
		}
		res.Draws[k] = pb.eta(props[d], make([]float64, n))
	}
	// The posterior mean is the self-normalized importance estimate over
	// every proposal (lower variance than the mean of the resample).
	res.EtaMean = map[string]float64{}
	for i, name := range res.Names {
		s := 0.0
		for d2, p := range props {
			s += w[d2] * p[i] * pb.rec.m.omega[i]
		}
		res.EtaMean[name] = s
	}
	res.SIR = &SIRSummary{Proposals: nProp, Samples: m, ESS: sw * sw / sw2}
	// Intervals are weighted quantiles over all proposals: the resample
	// repeats the heavy proposals and under-spreads when ESS < m.
	idx := make([]int, nProp)
	for i := range res.Intervals {
		for d := range idx {
			idx[d] = d
		}
		sort.Slice(idx, func(a, b int) bool { return props[idx[a]][i] < props[idx[b]][i] })
		om := pb.rec.m.omega[i]
		res.Intervals[i].SIRLow = weightedQuantile(idx, w, func(d int) float64 { return props[d][i] * om }, 0.025)
		res.Intervals[i].SIRHigh = weightedQuantile(idx, w, func(d int) float64 { return props[d][i] * om }, 0.975)
	}
	return nil
}

// weightedQuantile returns the q-quantile of the values at the sorted
// indices idx with normalized weights w (the first value whose cumulative
// weight reaches q).
func weightedQuantile(idx []int, w []float64, val func(int) float64, q float64) float64 {
	cum := 0.0
	for _, d := range idx {
		cum += w[d]
		if cum >= q {
			return val(d)
		}
	}
	return val(idx[len(idx)-1])
}

// quantile returns the q-quantile of sorted xs (linear interpolation).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	p := q * float64(len(xs)-1)
	i := int(p)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[i] + (xs[i+1]-xs[i])*(p-float64(i))
}
