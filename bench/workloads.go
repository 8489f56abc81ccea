package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/rxlab/rxlab/rl/nn"
)

// measurement is one timed run: operations per second and heap
// allocations per operation.
type measurement struct {
	perS   float64
	allocs float64
}

// clock reads elapsed time: process CPU time (the default, robust to other
// jobs on a shared machine) or wall time.
type clock struct {
	cpu bool
	t0  time.Time
}

func (c clock) now() time.Duration {
	if c.cpu {
		if d, ok := processCPU(); ok {
			return d
		}
	}
	return time.Since(c.t0)
}

func (c clock) String() string {
	if c.cpu {
		if _, ok := processCPU(); ok {
			return "per CPU-second of this process (getrusage)"
		}
	}
	return "per wall-clock second"
}

// timeLoop runs op repeatedly for about d of clk time (after one warm-up
// call) and returns its rate and heap allocations per call. The clock is
// read once per chunk of calls; chunks double until a chunk is at least
// d/32 long, so reading it costs nothing measurable.
func timeLoop(ctx context.Context, clk clock, d time.Duration, op func() error) (measurement, error) {
	if err := op(); err != nil {
		return measurement{}, err
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	n, chunk := 0, 1
	start := clk.now()
	wallStart := time.Now()
	for {
		c0 := clk.now()
		for i := 0; i < chunk; i++ {
			if err := op(); err != nil {
				return measurement{}, err
			}
		}
		n += chunk
		now := clk.now()
		if now-c0 < d/32 {
			chunk *= 2
		}
		// the wall-time cap keeps a starved process from running forever
		if el := now - start; el >= d || time.Since(wallStart) > 20*d || ctx.Err() != nil {
			runtime.ReadMemStats(&ms1)
			if el <= 0 {
				el = time.Since(wallStart)
			}
			return measurement{perS: float64(n) / el.Seconds(), allocs: float64(ms1.Mallocs-ms0.Mallocs) / float64(n)}, ctx.Err()
		}
	}
}

// ppoWorkload is one PPO-update shape.
type ppoWorkload struct {
	sizes []int
	batch int
}

func (w ppoWorkload) name() string {
	return fmt.Sprintf("ppo-update %s b%d", sizesName(w.sizes), w.batch)
}

func sizesName(s []int) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += "-"
		}
		out += fmt.Sprint(v)
	}
	return out
}

// flopsPerStep counts the multiply-adds (×2) of one forward+backward pass:
// X·W for every layer, Xᵀ·dY for every layer, dY·Wᵀ for all but the first.
func flopsPerStep(sizes []int, batch int) float64 {
	var f float64
	for l := 0; l+1 < len(sizes); l++ {
		mn := float64(batch * sizes[l] * sizes[l+1])
		f += 2 * mn * 2
		if l > 0 {
			f += 2 * mn
		}
	}
	return f
}

// ppoLoss is the PPO objective every implementation runs: the output layer
// is 7 logits + 1 value.
var ppoLoss = nn.PPO{Actions: 7, Clip: 0.2, ValueCoef: 0.5, EntropyCoef: 0.01}

func newNet(sizes []int) (*nn.MLP, error) {
	acts := make([]nn.Activation, len(sizes)-1)
	for i := range acts {
		acts[i] = nn.Tanh
	}
	acts[len(acts)-1] = nn.Identity
	return nn.New(nn.Config{Sizes: sizes, Activations: acts, Seed: 1, Adam: nn.AdamConfig{LR: 1e-3}})
}

// ppoBatch makes a PPO minibatch whose old log-probs are near the network's
// current policy, so the clipped and unclipped branches both occur.
func ppoBatch(m *nn.MLP, batch int) (x, aux []float32, err error) {
	r := rand.New(rand.NewPCG(1, 2))
	in, ow := m.InputWidth(), m.OutputWidth()
	x = make([]float32, batch*in)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	out := make([]float32, batch*ow)
	if err = m.Forward(x, batch, out); err != nil {
		return nil, nil, err
	}
	aux = make([]float32, batch*nn.PPOAuxWidth)
	k := ppoLoss.Actions
	for i := 0; i < batch; i++ {
		z := out[i*ow : i*ow+k]
		a := r.IntN(k)
		var se float64
		for _, v := range z {
			se += exp(float64(v))
		}
		aux[i*4] = float32(a)
		aux[i*4+1] = float32(float64(z[a]) - log(se) + 0.3*r.NormFloat64())
		aux[i*4+2] = float32(r.NormFloat64())
		aux[i*4+3] = float32(r.NormFloat64())
	}
	return x, aux, nil
}
