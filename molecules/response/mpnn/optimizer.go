package mpnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rxlab/rxlab/rl/nn/kernels"
	"github.com/rxlab/rxlab/store/errs"
)

// setTargetScale records each regression task's training mean and SD
// (missing targets skipped), or checks that classification targets are 0,
// 1 or missing.
func (m *Model) setTargetScale(yTrain, yVal [][]float64) error {
	cfg := m.cfg
	if cfg.Classification {
		for i, y := range append(slices.Clip(yTrain), yVal...) {
			for t, v := range y {
				if !math.IsNaN(v) && v != 0 && v != 1 {
					return fmt.Errorf("mpnn: classification target row %d task %d is %v, want 0 or 1: %w", i, t, v, errs.Invalid)
				}
			}
		}
		return nil
	}
	for t := 0; t < cfg.Tasks; t++ {
		var s, s2 float64
		n := 0
		for _, y := range yTrain {
			if v := y[t]; !math.IsNaN(v) {
				s += v
				s2 += v * v
				n++
			}
		}
		if n == 0 {
			continue
		}
		mean := s / float64(n)
		m.yMean[t] = mean
		if sd := math.Sqrt(max(s2/float64(n)-mean*mean, 0)); sd > 1e-9 {
			m.ySD[t] = sd
		}
	}
	return nil
}

// scale standardises targets with the model's means and SDs.
func (m *Model) scale(ys [][]float64) [][]float64 {
	out := make([][]float64, len(ys))
	for i, y := range ys {
		out[i] = make([]float64, m.cfg.Tasks)
		for t, v := range y {
			out[i][t] = (v - m.yMean[t]) / m.ySD[t]
		}
	}
	return out
}

// anyLabelled reports whether any target in ys is present.
func anyLabelled(ys [][]float64) bool {
	for _, y := range ys {
		for _, v := range y {
			if !math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}

// batchCaps is the capacity of a training batch of bs graphs: the bs
// largest graphs' atoms and edges.
func batchCaps(train []Graph, bs int) caps {
	atoms, edges := make([]int, len(train)), make([]int, len(train))
	for i := range train {
		atoms[i], edges[i] = train[i].Atoms, len(train[i].Src)
	}
	slices.Sort(atoms)
	slices.Sort(edges)
	c := caps{mol: bs}
	for k := 0; k < bs; k++ {
		c.atom += atoms[len(atoms)-1-k]
		c.edge += edges[len(edges)-1-k]
	}
	c.edge = max(c.edge, 2)
	return c
}

// optimizer is Train's Adam with linear warm-up then exponential decay
// from LR to LR/10, decoupled weight decay, and the dropout masks of the
// readout (a random stream of its own, so shuffles do not depend on it).
type optimizer struct {
	cfg           Config
	mom, vel      [][]float32
	drop          *rand.Rand
	keep          float32
	warm, steps   int
	lo, hi, gamma float64
}

func newOptimizer(m *Model, cfg Config, rows, bs int) *optimizer {
	o := &optimizer{cfg: cfg, drop: rand.New(rand.NewPCG(cfg.Seed, 0x64726f70)), keep: float32(1 / (1 - cfg.Dropout))}
	o.mom, o.vel = make([][]float32, len(m.params)), make([][]float32, len(m.params))
	for i, p := range m.params {
		o.mom[i], o.vel[i] = make([]float32, len(p)), make([]float32, len(p))
	}
	perEpoch := (rows + bs - 1) / bs
	total := cfg.Epochs * perEpoch
	o.warm = min(cfg.Warmup*perEpoch, total)
	o.lo, o.hi, o.gamma = cfg.LR/10, cfg.LR, 1.0
	if total > o.warm {
		o.gamma = math.Pow(o.lo/o.hi, 1/float64(total-o.warm))
	}
	return o
}

// dropout draws the readout's dropout mask for a batch of n molecules.
func (o *optimizer) dropout(ng *netGraph, n int) {
	if ng.mask == nil {
		return
	}
	for i := range ng.mask[:n*o.cfg.Hidden] {
		ng.mask[i] = o.keep
		if o.drop.Float64() < o.cfg.Dropout {
			ng.mask[i] = 0
		}
	}
}

// step applies one Adam update with the schedule's learning rate.
func (o *optimizer) step(params, grads [][]float32) {
	lr := o.hi
	if o.steps < o.warm {
		lr = o.lo + (o.hi-o.lo)*float64(o.steps)/float64(o.warm)
	} else {
		lr = o.hi * math.Pow(o.gamma, float64(o.steps-o.warm))
	}
	o.steps++
	as := kernels.AdamStep{
		Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LR: float32(lr),
		Corr1: 1 / float32(1-math.Pow(0.9, float64(o.steps))),
		Corr2: 1 / float32(1-math.Pow(0.999, float64(o.steps))),
	}
	for i, p := range params {
		kernels.Adam(as, p, grads[i], o.mom[i], o.vel[i])
	}
	if o.cfg.WeightDecay > 0 {
		shrink := float32(1 - lr*o.cfg.WeightDecay)
		for _, p := range params {
			for j := range p {
				p[j] *= shrink
			}
		}
	}
}
