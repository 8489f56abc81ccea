package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rxlab/rxlab/rl/nn/kernels"
	"github.com/rxlab/rxlab/store/errs"
	"gorgonia.org/tensor"
)

// MLP is a multi-layer perceptron whose weights live in gorgonia tensors
// shared by every training graph built for it (one per batch size) and read
// directly by the forward-only path. It also owns the Adam moments, so all
// trainers of one network continue one optimisation.
//
// An MLP and its trainers are not safe for concurrent use: give each
// goroutine its own network (Clone) as gorgonia requires one graph per
// goroutine.
type MLP struct {
	cfg  Config
	adam AdamConfig
	// w[l] is Sizes[l]×Sizes[l+1], b[l] is 1×Sizes[l+1].
	w, b []*tensor.Dense
	// params lists the backing slices in the order W0, b0, W1, b1, ...;
	// moments m and v are parallel to it.
	params, m, v [][]float32
	step         int
	// fwd holds two ping-pong activation buffers for Forward.
	fwd [2][]float32
}

// New builds an MLP with Glorot-uniform weights drawn from cfg.Seed and
// zero biases.
func New(cfg Config) (*MLP, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Sizes = append([]int(nil), cfg.Sizes...)
	cfg.Activations = append([]Activation(nil), cfg.Activations...)
	m := &MLP{cfg: cfg, adam: cfg.Adam.withDefaults()}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed_0f_6e7a1))
	for l := 0; l+1 < len(cfg.Sizes); l++ {
		in, out := cfg.Sizes[l], cfg.Sizes[l+1]
		wd := make([]float32, in*out)
		lim := math.Sqrt(6 / float64(in+out))
		for i := range wd {
			wd[i] = float32((2*rng.Float64() - 1) * lim)
		}
		bd := make([]float32, out)
		m.w = append(m.w, tensor.New(tensor.WithShape(in, out), tensor.WithBacking(wd)))
		m.b = append(m.b, tensor.New(tensor.WithShape(1, out), tensor.WithBacking(bd)))
		m.params = append(m.params, wd, bd)
	}
	for _, p := range m.params {
		m.m = append(m.m, make([]float32, len(p)))
		m.v = append(m.v, make([]float32, len(p)))
	}
	return m, nil
}

// Config returns a copy of the network's configuration.
func (m *MLP) Config() Config {
	c := m.cfg
	c.Sizes = append([]int(nil), c.Sizes...)
	c.Activations = append([]Activation(nil), c.Activations...)
	return c
}

// Layers returns the number of dense layers.
func (m *MLP) Layers() int { return len(m.w) }

// InputWidth returns the width of an input row.
func (m *MLP) InputWidth() int { return m.cfg.Sizes[0] }

// OutputWidth returns the width of an output row.
func (m *MLP) OutputWidth() int { return m.cfg.Sizes[len(m.cfg.Sizes)-1] }

// Weights returns layer l's weight (in×out, row-major) and bias slices. They
// alias the live parameters: writes change the network.
func (m *MLP) Weights(l int) (w, b []float32, err error) {
	if l < 0 || l >= len(m.w) {
		return nil, nil, fmt.Errorf("nn: layer %d out of range [0,%d): %w", l, len(m.w), errs.Invalid)
	}
	return m.params[2*l], m.params[2*l+1], nil
}

// Steps returns how many optimizer steps the network has taken.
func (m *MLP) Steps() int { return m.step }

// Clone returns an independent deep copy (weights, moments, step count).
func (m *MLP) Clone() *MLP {
	c, _ := New(m.cfg) // the config was validated when m was built
	c.CopyFrom(m)
	return c
}

// CopyFrom copies weights, Adam moments and step count from src, which
// must have the same layer sizes (as for syncing actors with a learner).
func (m *MLP) CopyFrom(src *MLP) error {
	if len(src.params) != len(m.params) {
		return fmt.Errorf("nn: CopyFrom: %d parameter tensors, want %d: %w", len(src.params), len(m.params), errs.Invalid)
	}
	for i := range m.params {
		if len(src.params[i]) != len(m.params[i]) {
			return fmt.Errorf("nn: CopyFrom: tensor %d has %d values, want %d: %w", i, len(src.params[i]), len(m.params[i]), errs.Invalid)
		}
	}
	for i := range m.params {
		copy(m.params[i], src.params[i])
		copy(m.m[i], src.m[i])
		copy(m.v[i], src.v[i])
	}
	m.step = src.step
	return nil
}

// Forward computes the network output for batch rows of x (batch×InputWidth)
// into out (batch×OutputWidth), reading the current weights directly: no
// graph and no gorgonia machine. It allocates only when batch exceeds every
// batch seen before (scratch growth).
func (m *MLP) Forward(x []float32, batch int, out []float32) error {
	in, ow := m.InputWidth(), m.OutputWidth()
	if batch < 1 || len(x) < batch*in || len(out) < batch*ow {
		return fmt.Errorf("nn: Forward: batch %d needs x of %d and out of %d floats, got %d and %d: %w",
			batch, batch*in, batch*ow, len(x), len(out), errs.Invalid)
	}
	widest := 0
	for _, s := range m.cfg.Sizes[1 : len(m.cfg.Sizes)-1] {
		widest = max(widest, s)
	}
	if need := batch * widest; len(m.fwd[0]) < need {
		m.fwd[0], m.fwd[1] = make([]float32, need), make([]float32, need)
	}
	cur := x
	for l := range m.w {
		w, b := m.params[2*l], m.params[2*l+1]
		li, lo := m.cfg.Sizes[l], m.cfg.Sizes[l+1]
		dst := out
		if l+1 < len(m.w) {
			dst = m.fwd[l&1]
		}
		for r := 0; r < batch; r++ {
			copy(dst[r*lo:(r+1)*lo], b)
		}
		kernels.GemmNN(batch, lo, li, cur, li, w, lo, dst, lo, true)
		applyAct(m.cfg.Activations[l], dst[:batch*lo])
		cur = dst
	}
	return nil
}

// SetLR changes Adam's learning rate for the following steps (a schedule).
func (m *MLP) SetLR(lr float64) error {
	if !(lr > 0) {
		return fmt.Errorf("nn: learning rate %v, want > 0: %w", lr, errs.Invalid)
	}
	m.adam.LR = lr
	return nil
}

// adamStep applies one in-place Adam update with the given gradients,
// parallel to m.params.
func (m *MLP) adamStep(grads [][]float32) {
	m.step++
	a := m.adam
	s := kernels.AdamStep{
		Beta1: float32(a.Beta1), Beta2: float32(a.Beta2), Eps: float32(a.Eps), LR: float32(a.LR),
		Corr1: 1 / float32(1-math.Pow(a.Beta1, float64(m.step))),
		Corr2: 1 / float32(1-math.Pow(a.Beta2, float64(m.step))),
	}
	for i, p := range m.params {
		kernels.Adam(s, p, grads[i], m.m[i], m.v[i])
	}
}
