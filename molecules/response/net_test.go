package response

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDropCounts checks the inverted dropout of training rows: only the
// chosen columns change, zeros stay zero, kept values are scaled by
// 1/(1−p), and the dropped fraction is p.
func TestDropCounts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi int
		p      float64
	}{
		{"counts, p 0.5", 0, 6, 0.5},
		{"counts, p 0.2", 0, 6, 0.2},
		{"descriptors, p 0.25", 6, 8, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n, width = 4000, 8
			x := make([]float32, n*width)
			for i := range x {
				if i%width != 3 { // column 3 is an absent bit
					x[i] = float32(i%width + 1)
				}
			}
			orig := append([]float32(nil), x...)
			dropCounts(x, n, width, tc.lo, tc.hi, tc.p, rand.New(rand.NewPCG(1, 2)))
			keep := float32(1 / (1 - tc.p))
			dropped, eligible := 0, 0
			for i, v := range x {
				c := i % width
				switch {
				case c < tc.lo || c >= tc.hi || orig[i] == 0:
					if v != orig[i] {
						t.Fatalf("element %d (column %d) changed %v → %v", i, c, orig[i], v)
					}
				case v == 0:
					dropped++
					eligible++
				default:
					eligible++
					if math.Abs(float64(v-orig[i]*keep)) > 1e-5 {
						t.Fatalf("kept element %d = %v, want %v·%v", i, v, orig[i], keep)
					}
				}
			}
			frac := float64(dropped) / float64(eligible)
			if math.Abs(frac-tc.p) > 0.02 {
				t.Errorf("dropped %.3f of %d eligible values, want %.2f", frac, eligible, tc.p)
			}
		})
	}
}

// synthRows is a small regression set: 6 inputs (the first 4 counts), a
// noisy linear target, rows from..to of a fixed seeded draw.
func synthRows(from, to int) rows {
	const width = 6
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([][]float32, to)
	y := make([]float64, to)
	for i := range x {
		x[i] = make([]float32, width)
		s := 0.0
		for j := range x[i] {
			x[i][j] = float32(rng.NormFloat64())
			s += float64(j+1) * float64(x[i][j])
		}
		y[i] = 0.1*s + 0.8*rng.NormFloat64()
	}
	return rows{n: to - from, width: width, out: 1, counts: 4,
		fill: func(i int, dst []float32) { copy(dst, x[from+i]) },
		y:    func(i int, dst []float64) { dst[0] = y[from+i] }}
}

// TestRefitReproducesEarlyStop checks the refit mode of trainMember: trained
// on the same rows for the epochs that early stopping reported, it must
// reach exactly the weights early stopping kept (same seed, same shuffles
// and dropout masks), with the validation loss checked once or several
// times per epoch, and with a decaying learning rate. It fails if the refit
// stops a step early or late, if the reported epochs are not where the best
// weights were taken, or if the refit's schedule is not the full budget's.
func TestRefitReproducesEarlyStop(t *testing.T) {
	tr, val := synthRows(0, 96), synthRows(96, 128)
	for _, tc := range []struct {
		evals   int
		lrFinal float64
	}{{1, 0}, {3, 0}, {1, 0.01}} {
		evals := tc.evals
		cfg := netConfig{Hidden: []int{32}, Epochs: 60, Patience: 4, Batch: 8, LR: 3e-2, WeightDecay: 0.1, InputDropout: 0.2, EvalsPerEpoch: evals, LRFinal: tc.lrFinal}
		best, fit, err := trainMember(context.Background(), tr, val, cfg, Regression, 5, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		steps := float64(tr.n / cfg.Batch)
		if fit.epochs <= 0 || fit.epochs >= float64(cfg.Epochs) || fit.epochs*steps != math.Round(fit.epochs*steps) {
			t.Fatalf("evals %d: best at %v epochs (%v steps): want an early stop inside the budget", evals, fit.epochs, fit.epochs*steps)
		}
		refit, rf, err := trainMember(context.Background(), tr, rows{}, cfg, Regression, 5, fit.epochs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rf.epochs != fit.epochs {
			t.Errorf("evals %d: refit ran %v epochs, want %v", evals, rf.epochs, fit.epochs)
		}
		for l := 0; l < best.Layers(); l++ {
			wa, ba, _ := best.Weights(l)
			wb, bb, _ := refit.Weights(l)
			if !slices.Equal(wa, wb) || !slices.Equal(ba, bb) {
				t.Fatalf("evals %d: layer %d differs between the early-stopped member (%v epochs) and its refit", evals, l, fit.epochs)
			}
		}
		t.Logf("evals per epoch %d, final LR factor %v: best after %v epochs, loss %.4f", evals, tc.lrFinal, fit.epochs, fit.loss)
	}
}
