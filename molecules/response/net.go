package response

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/rl/nn/kernels"
	"github.com/rxlab/rxlab/store"
)

// netConfig are the hyper-parameters of one ensemble member.
type netConfig struct {
	Hidden   []int   `json:"hidden"`
	Epochs   int     `json:"epochs"`
	Patience int     `json:"patience"`
	Batch    int     `json:"batch"`
	LR       float64 `json:"lr"`
	// WeightDecay is an L2 shrink applied to the weights after each step
	// (decoupled, as AdamW): w ← w·(1 − LR·WeightDecay).
	WeightDecay float64 `json:"weightDecay"`
	// ZeroOutput starts the output layer at zero, so the untrained network
	// predicts exactly the offset it is trained around (GDSC: the per-drug
	// mean), and that starting point is the first early-stopping candidate.
	ZeroOutput bool `json:"zeroOutput,omitempty"`
	// EvalsPerEpoch is how often per epoch early stopping looks at the
	// validation loss (0 or 1: once, after the epoch).
	EvalsPerEpoch int `json:"evalsPerEpoch,omitempty"`
}

// rows is a training or evaluation set as the trainer sees it: dense input
// rows filled on demand (so wide pair sets need not be materialised),
// standardised targets and masks.
type rows struct {
	n, width, out int
	fill          func(i int, dst []float32)
	// y returns the targets of row i (NaN = unlabelled) in model units.
	y func(i int, dst []float64)
}

func (r rows) batch(idx []int, x, aux []float32) {
	yb := make([]float64, r.out)
	for k, i := range idx {
		r.fill(i, x[k*r.width:(k+1)*r.width])
		r.y(i, yb)
		a := aux[k*2*r.out : (k+1)*2*r.out]
		for j, v := range yb {
			if math.IsNaN(v) {
				a[j], a[r.out+j] = 0, 0
			} else {
				a[j], a[r.out+j] = float32(v), 1
			}
		}
	}
}

// lossFor returns the training loss of a task.
func lossFor(task string) nn.Loss {
	if task == Classification {
		return maskedBCE{}
	}
	return maskedMSE{}
}

// forwardAll runs m over every row of r and returns the raw outputs (n×out).
func forwardAll(m *nn.MLP, r rows) ([]float32, error) {
	const chunk = 256
	out := make([]float32, r.n*r.out)
	x := make([]float32, chunk*r.width)
	for s := 0; s < r.n; s += chunk {
		e := min(s+chunk, r.n)
		for i := s; i < e; i++ {
			r.fill(i, x[(i-s)*r.width:(i-s+1)*r.width])
		}
		if err := m.Forward(x[:(e-s)*r.width], e-s, out[s*r.out:e*r.out]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// evalLoss is the mean loss of m on r.
func evalLoss(m *nn.MLP, r rows, task string) (float64, error) {
	pred, err := forwardAll(m, r)
	if err != nil {
		return 0, err
	}
	aux := make([]float32, r.n*2*r.out)
	yb := make([]float64, r.out)
	for i := 0; i < r.n; i++ {
		r.y(i, yb)
		a := aux[i*2*r.out : (i+1)*2*r.out]
		for j, v := range yb {
			if !math.IsNaN(v) {
				a[j], a[r.out+j] = float32(v), 1
			}
		}
	}
	return float64(lossFor(task).Eval(pred, aux, r.n, r.out, nil)), nil
}

// trainMember trains one MLP on tr with early stopping on val and returns
// the weights of the best validation epoch. progress is called after every
// epoch with the fraction of the epoch budget done.
func trainMember(ctx context.Context, tr, val rows, cfg netConfig, task string, seed uint64, progress func(frac float64)) (*nn.MLP, float64, error) {
	sizes := append([]int{tr.width}, cfg.Hidden...)
	sizes = append(sizes, tr.out)
	acts := make([]nn.Activation, len(sizes)-1)
	for i := range acts {
		acts[i] = nn.ReLU
	}
	acts[len(acts)-1] = nn.Identity
	m, err := nn.New(nn.Config{Sizes: sizes, Activations: acts, Seed: seed, Adam: nn.AdamConfig{LR: cfg.LR}})
	if err != nil {
		return nil, 0, err
	}
	trn, err := nn.NewTrainer(m, lossFor(task))
	if err != nil {
		return nil, 0, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	perm := make([]int, tr.n)
	for i := range perm {
		perm[i] = i
	}
	bs := min(cfg.Batch, tr.n)
	x := make([]float32, bs*tr.width)
	aux := make([]float32, bs*2*tr.out)
	if cfg.ZeroOutput {
		w, b, _ := m.Weights(m.Layers() - 1)
		clear(w)
		clear(b)
	}
	best, bestLoss, since := m.Clone(), math.Inf(1), 0
	if cfg.ZeroOutput {
		if bestLoss, err = evalLoss(m, val, task); err != nil {
			return nil, 0, err
		}
	}
	steps := tr.n / bs
	evalAt := steps + 1
	if cfg.EvalsPerEpoch > 1 {
		evalAt = max(1, steps/cfg.EvalsPerEpoch)
	}
	// check evaluates the validation loss, keeps the best weights and says
	// whether patience ran out.
	check := func() (bool, error) {
		vl, err := evalLoss(m, val, task)
		if err != nil {
			return false, err
		}
		if vl < bestLoss {
			bestLoss, since = vl, 0
			return false, best.CopyFrom(m)
		}
		since++
		return since >= cfg.Patience*max(1, cfg.EvalsPerEpoch), nil
	}
	shrink := float32(1 - cfg.LR*cfg.WeightDecay)
	for ep := 0; ep < cfg.Epochs; ep++ {
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		// Drop the ragged tail so every step uses one graph (it is reshuffled next epoch).
		for st, s := 0, 0; s+bs <= tr.n; st, s = st+1, s+bs {
			if st > 0 && st%evalAt == 0 && st+evalAt <= steps {
				stop, err := check()
				if err != nil {
					return nil, 0, err
				}
				if stop {
					return best, bestLoss, nil
				}
			}
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
			tr.batch(perm[s:s+bs], x, aux)
			if _, err := trn.Step(x, aux); err != nil {
				return nil, 0, err
			}
			if shrink < 1 {
				for l := 0; l < m.Layers(); l++ {
					w, _, _ := m.Weights(l)
					for i := range w {
						w[i] *= shrink
					}
				}
			}
		}
		stop, err := check()
		if err != nil {
			return nil, 0, err
		}
		if stop {
			break
		}
		if progress != nil {
			progress(float64(ep+1) / float64(cfg.Epochs))
		}
	}
	return best, bestLoss, nil
}

// engine is the forward-only inference form of an ensemble: the first layer
// is applied sparsely (counts select rows of W0), the rest runs through the
// core's batched forward path on copies of the later layers.
type engine struct {
	bits, dense, hidden, out int
	w0, b0                   [][]float32 // per member
	// w0ln2 holds the bit rows of w0 multiplied by ln 2, the input of a bit
	// set once (ln(1+1)), so the common case is a vector add.
	w0ln2 [][]float32
	tails []*nn.MLP // per member: layers 1..L-1 (not shared between goroutines)
}

func newEngine(members []*nn.MLP, bits int) (*engine, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("response: an ensemble needs at least one member: %w", store.ErrInvalid)
	}
	cfg := members[0].Config()
	if len(cfg.Sizes) < 3 {
		return nil, fmt.Errorf("response: a member needs at least one hidden layer: %w", store.ErrInvalid)
	}
	e := &engine{bits: bits, dense: cfg.Sizes[0] - bits, hidden: cfg.Sizes[1], out: cfg.Sizes[len(cfg.Sizes)-1]}
	if e.dense < 0 {
		return nil, fmt.Errorf("response: member input %d narrower than %d bits: %w", cfg.Sizes[0], bits, store.ErrInvalid)
	}
	for _, m := range members {
		c := m.Config()
		if len(c.Sizes) != len(cfg.Sizes) {
			return nil, fmt.Errorf("response: ensemble members differ in depth: %w", store.ErrInvalid)
		}
		for i := range c.Sizes {
			if c.Sizes[i] != cfg.Sizes[i] {
				return nil, fmt.Errorf("response: ensemble members differ in layer sizes: %w", store.ErrInvalid)
			}
		}
		w, b, err := m.Weights(0)
		if err != nil {
			return nil, err
		}
		e.w0 = append(e.w0, append([]float32(nil), w...))
		sc := make([]float32, bits*e.hidden)
		for i := range sc {
			sc[i] = w[i] * ln2
		}
		e.w0ln2 = append(e.w0ln2, sc)
		e.b0 = append(e.b0, append([]float32(nil), b...))
		tail, err := nn.New(nn.Config{Sizes: c.Sizes[1:], Activations: c.Activations[1:]})
		if err != nil {
			return nil, err
		}
		for l := 1; l < m.Layers(); l++ {
			sw, sb, _ := m.Weights(l)
			dw, db, _ := tail.Weights(l - 1)
			copy(dw, sw)
			copy(db, sb)
		}
		e.tails = append(e.tails, tail)
	}
	return e, nil
}

// clone gives a goroutine its own tails (the weights are copied).
func (e *engine) clone() *engine {
	c := *e
	c.tails = make([]*nn.MLP, len(e.tails))
	for i, t := range e.tails {
		c.tails[i] = t.Clone()
	}
	return &c
}

// ln2 is ln(1 + 1) in float32: the input of a bit set once.
const ln2 = float32(math.Ln2)

// hiddenPre writes member k's first-layer pre-activation for B rows into h
// (B×hidden): b0 + dense·W0[bits:] + Σ count·W0[bit].
func (e *engine) hiddenPre(k int, counts [][]countFeat, dense []float32, h []float32) {
	H := e.hidden
	B := len(counts)
	w0 := e.w0[k]
	if e.dense > 0 {
		kernels.GemmNN(B, H, e.dense, dense, e.dense, w0[e.bits*H:], H, h, H, false)
	} else {
		clear(h[:B*H])
	}
	for r := 0; r < B; r++ {
		hr := h[r*H : (r+1)*H]
		kernels.Add(hr, e.b0[k])
		for _, c := range counts[r] {
			if c.Count == ln2 {
				kernels.Add(hr, e.w0ln2[k][int(c.Bit)*H:(int(c.Bit)+1)*H])
				continue
			}
			row := w0[int(c.Bit)*H : (int(c.Bit)+1)*H]
			if c.Count == 1 {
				kernels.Add(hr, row)
			} else {
				for j, v := range row {
					hr[j] += c.Count * v
				}
			}
		}
	}
}
