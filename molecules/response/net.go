package response

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/rxlab/rxlab/molecules"
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
	// InputDropout is the probability that a training row's fingerprint
	// count (rows.counts leading columns) is zeroed in a step; the kept
	// counts are scaled by 1/(1−p) (inverted dropout), so prediction reads
	// the counts unchanged. 0: off.
	InputDropout float64 `json:"inputDropout,omitempty"`
	// LRFinal, when > 0, decays the learning rate exponentially from LR
	// to LR·LRFinal over the whole epoch budget (by step, so a refit for
	// a member's early-stopped epochs follows the same schedule). The
	// decoupled weight decay keeps LR's shrink. 0: a constant LR.
	LRFinal float64 `json:"lrFinal,omitempty"`
}

// rows is a training or evaluation set as the trainer sees it: dense input
// rows filled on demand (so wide pair sets need not be materialised),
// standardised targets and masks.
type rows struct {
	n, width, out int
	// counts is how many leading columns hold fingerprint counts (the ones
	// InputDropout may zero).
	counts int
	fill   func(i int, dst []float32)
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

// memberFit is what early stopping found for one member: its best
// validation loss and when it was reached, in epochs of its training rows
// (fractional when the validation loss is checked within epochs).
type memberFit struct {
	loss   float64
	epochs float64
	// history is the member's loss per epoch run (NaN where not measured).
	history []epochLoss
}

// epochLoss is one member's losses over one epoch, in model units (the
// masked loss of standardised targets): train is the mean of the epoch's
// step losses (with dropout, as trained), val the validation loss checked
// at its end (NaN without validation rows).
type epochLoss struct{ train, val float64 }

// lossLog accumulates a member's per-epoch losses as it trains.
type lossLog struct {
	hist    []epochLoss
	sum     float64
	n       int
	lastVal float64
}

func newLossLog() *lossLog { return &lossLog{lastVal: math.NaN()} }

func (l *lossLog) step(loss float32) { l.sum, l.n = l.sum+float64(loss), l.n+1 }
func (l *lossLog) val(v float64)     { l.lastVal = v }

// end closes the epoch (a partial one when early stopping ends it inside).
func (l *lossLog) end() {
	if l.n == 0 && math.IsNaN(l.lastVal) {
		return
	}
	tr := math.NaN()
	if l.n > 0 {
		tr = l.sum / float64(l.n)
	}
	l.hist = append(l.hist, epochLoss{train: tr, val: l.lastVal})
	l.sum, l.n, l.lastVal = 0, 0, math.NaN()
}

// trainMember trains one MLP on tr with early stopping on val and returns
// the weights of the best validation check. With stopAt > 0 it instead
// trains for stopAt epochs of tr without validation (val is not read) and
// returns the final weights: the refit of a member on more rows for the
// epochs early stopping chose before. progress is called after every epoch
// with the fraction of the epoch budget done.
func trainMember(ctx context.Context, tr, val rows, cfg netConfig, task string, seed uint64, stopAt float64, progress func(frac float64)) (*nn.MLP, memberFit, error) {
	t, err := newMemberTrainer(tr, val, cfg, task, seed, stopAt)
	if err != nil {
		return nil, memberFit{}, err
	}
	epochs := cfg.Epochs
	if t.refit {
		epochs = (t.stopStep + t.steps - 1) / t.steps
	}
	for ep := 0; ep < epochs; ep++ {
		stop, err := t.epoch(ctx)
		if err != nil {
			return nil, memberFit{}, err
		}
		if stop {
			return t.best, t.fit(), nil
		}
		if progress != nil {
			progress(float64(ep+1) / float64(epochs))
		}
		if t.refit {
			t.losses.end()
			continue
		}
		if stop, err = t.check(); err != nil {
			return nil, memberFit{}, err
		}
		if stop {
			break
		}
		t.losses.end()
	}
	if t.refit {
		return t.m, memberFit{loss: math.NaN(), epochs: float64(t.done) / float64(t.steps), history: t.losses.hist}, nil
	}
	return t.best, t.fit(), nil
}

// memberTrainer is one member's training state.
type memberTrainer struct {
	m, best  *nn.MLP
	trn      *nn.Trainer
	tr, val  rows
	cfg      netConfig
	task     string
	rng      *rand.Rand
	perm     []int
	x, aux   []float32
	bs       int
	steps    int // per epoch
	refit    bool
	stopStep int // a refit's last step: stopAt epochs of tr, at least one
	evalAt   int // steps between validation checks within an epoch
	shrink   float32
	done     int // steps taken
	bestLoss float64
	bestStep int
	since    int // checks since the best
	losses   *lossLog
}

func newMemberTrainer(tr, val rows, cfg netConfig, task string, seed uint64, stopAt float64) (*memberTrainer, error) {
	sizes := append([]int{tr.width}, cfg.Hidden...)
	sizes = append(sizes, tr.out)
	acts := make([]nn.Activation, len(sizes)-1)
	for i := range acts {
		acts[i] = nn.ReLU
	}
	acts[len(acts)-1] = nn.Identity
	m, err := nn.New(nn.Config{Sizes: sizes, Activations: acts, Seed: seed, Adam: nn.AdamConfig{LR: cfg.LR}})
	if err != nil {
		return nil, err
	}
	trn, err := nn.NewTrainer(m, lossFor(task))
	if err != nil {
		return nil, err
	}
	t := &memberTrainer{m: m, trn: trn, tr: tr, val: val, cfg: cfg, task: task, rng: rand.New(rand.NewPCG(seed, 0x5eed)),
		perm: make([]int, tr.n), bs: min(cfg.Batch, tr.n), refit: stopAt > 0, bestLoss: math.Inf(1), losses: newLossLog(),
		shrink: float32(1 - cfg.LR*cfg.WeightDecay)}
	for i := range t.perm {
		t.perm[i] = i
	}
	t.x, t.aux = make([]float32, t.bs*tr.width), make([]float32, t.bs*2*tr.out)
	if cfg.ZeroOutput {
		w, b, _ := m.Weights(m.Layers() - 1)
		clear(w)
		clear(b)
	}
	t.steps = tr.n / t.bs
	t.stopStep = max(1, int(math.Round(stopAt*float64(t.steps))))
	if !t.refit {
		t.best = m.Clone()
	}
	if cfg.ZeroOutput && !t.refit {
		if t.bestLoss, err = evalLoss(m, val, task); err != nil {
			return nil, err
		}
	}
	t.evalAt = t.steps + 1
	if cfg.EvalsPerEpoch > 1 {
		t.evalAt = max(1, t.steps/cfg.EvalsPerEpoch)
	}
	return t, nil
}

// fit is what early stopping found.
func (t *memberTrainer) fit() memberFit {
	t.losses.end()
	return memberFit{loss: t.bestLoss, epochs: float64(t.bestStep) / float64(t.steps), history: t.losses.hist}
}

// check evaluates the validation loss, keeps the best weights and says
// whether patience ran out.
func (t *memberTrainer) check() (bool, error) {
	vl, err := evalLoss(t.m, t.val, t.task)
	if err != nil {
		return false, err
	}
	t.losses.val(vl)
	if vl < t.bestLoss {
		t.bestLoss, t.bestStep, t.since = vl, t.done, 0
		return false, t.best.CopyFrom(t.m)
	}
	t.since++
	return t.since >= t.cfg.Patience*max(1, t.cfg.EvalsPerEpoch), nil
}

// epoch runs one shuffled pass over the training rows (dropping the ragged
// tail, reshuffled next epoch), checking validation within it when asked;
// it says whether patience ran out inside the epoch.
func (t *memberTrainer) epoch(ctx context.Context) (bool, error) {
	t.rng.Shuffle(len(t.perm), func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
	for st, s := 0, 0; s+t.bs <= t.tr.n; st, s = st+1, s+t.bs {
		if t.refit && t.done == t.stopStep {
			break
		}
		if !t.refit && st > 0 && st%t.evalAt == 0 && st+t.evalAt <= t.steps {
			stop, err := t.check()
			if err != nil || stop {
				return stop, err
			}
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if err := t.step(t.perm[s : s+t.bs]); err != nil {
			return false, err
		}
	}
	return false, nil
}

// step takes one optimiser step on the rows idx: inverted dropout of the
// fingerprint counts, the decayed learning rate, Adam, then the decoupled
// weight decay.
func (t *memberTrainer) step(idx []int) error {
	cfg := t.cfg
	t.tr.batch(idx, t.x, t.aux)
	if cfg.InputDropout > 0 {
		dropCounts(t.x, t.bs, t.tr.width, 0, t.tr.counts, cfg.InputDropout, t.rng)
	}
	if cfg.LRFinal > 0 {
		total := float64(cfg.Epochs * t.steps)
		if err := t.m.SetLR(cfg.LR * math.Pow(cfg.LRFinal, float64(t.done)/total)); err != nil {
			return err
		}
	}
	loss, err := t.trn.Step(t.x, t.aux)
	if err != nil {
		return err
	}
	t.losses.step(loss)
	if t.shrink < 1 {
		for l := 0; l < t.m.Layers(); l++ {
			w, _, _ := t.m.Weights(l)
			for i := range w {
				w[i] *= t.shrink
			}
		}
	}
	t.done++
	return nil
}

// dropCounts applies inverted dropout with probability p to columns
// lo…hi-1 of each of the n rows of x (width wide).
func dropCounts(x []float32, n, width, lo, hi int, p float64, rng *rand.Rand) {
	keep := float32(1 / (1 - p))
	for r := 0; r < n; r++ {
		row := x[r*width+lo : r*width+hi]
		for i, v := range row {
			if v == 0 {
				continue
			}
			if rng.Float64() < p {
				row[i] = 0
			} else {
				row[i] = v * keep
			}
		}
	}
}

// engine is the forward-only inference form of an ensemble. The first
// layers of all members are fused into one matrix whose row r holds every
// member's weights for input r side by side (member k in columns k·hidden …),
// so a fingerprint bit costs one pass over one contiguous row for the whole
// ensemble (kernels.SparseAccum) and the dense inputs one GEMM; the later
// layers run through the core's batched forward path on copies of each
// member's tail. Weights are shared between clones; scratch is not.
type engine struct {
	bits, dense, hidden, out, members int
	w0                                []float32 // (bits + dense) × members·hidden
	b0                                []float32 // members·hidden
	tails                             []*nn.MLP // per member: layers 1..L-1 (not shared between goroutines)

	// scratch, per clone
	hcat, h []float32
	idx     []int32
	val     []float32
	sims    []uint16       // nearest-training search
	feats   featArena      // the batch's featurised molecules
	mol     *molecules.Mol // the molecule being featurised (ParseInto)
}

func newEngine(members []*nn.MLP, bits int) (*engine, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("response: an ensemble needs at least one member: %w", store.ErrInvalid)
	}
	cfg := members[0].Config()
	if len(cfg.Sizes) < 3 {
		return nil, fmt.Errorf("response: a member needs at least one hidden layer: %w", store.ErrInvalid)
	}
	e := &engine{bits: bits, dense: cfg.Sizes[0] - bits, hidden: cfg.Sizes[1], out: cfg.Sizes[len(cfg.Sizes)-1], members: len(members)}
	if e.dense < 0 {
		return nil, fmt.Errorf("response: member input %d narrower than %d bits: %w", cfg.Sizes[0], bits, store.ErrInvalid)
	}
	H, MH, in := e.hidden, e.hidden*len(members), cfg.Sizes[0]
	e.w0 = make([]float32, in*MH)
	e.b0 = make([]float32, MH)
	for k, m := range members {
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
		for r := 0; r < in; r++ {
			copy(e.w0[r*MH+k*H:r*MH+(k+1)*H], w[r*H:(r+1)*H])
		}
		copy(e.b0[k*H:(k+1)*H], b)
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

// clone gives a goroutine its own tails (the weights are copied) and scratch.
func (e *engine) clone() *engine {
	c := &engine{bits: e.bits, dense: e.dense, hidden: e.hidden, out: e.out, members: e.members, w0: e.w0, b0: e.b0}
	c.tails = make([]*nn.MLP, len(e.tails))
	for i, t := range e.tails {
		c.tails[i] = t.Clone()
	}
	return c
}

// enginePool keeps the engine clones prediction goroutines use. Unlike a
// sync.Pool it is not emptied by garbage collection: a clone copies every
// member's tail weights (a megabyte or more), which a pool cleared every
// few collections made Predict redo on most calls. It holds at most one
// clone per CPU; extra ones made under a burst are dropped.
type enginePool struct {
	proto *engine
	free  chan *engine
}

func newEnginePool(proto *engine) enginePool {
	return enginePool{proto: proto, free: make(chan *engine, min(runtime.GOMAXPROCS(0), 64))}
}

// get returns a free clone, or a new one.
func (p enginePool) get() *engine {
	select {
	case e := <-p.free:
		return e
	default:
		return p.proto.clone()
	}
}

// put hands e back.
func (p enginePool) put(e *engine) {
	select {
	case p.free <- e:
	default:
	}
}

// grow returns s resized to n, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// firstLayer returns every member's first-layer pre-activation for B rows,
// B × members·hidden (member k in columns k·hidden …): b0 + dense·W0[bits:] +
// Σ count·W0[bit]. The result lives in e's scratch until the next call.
func (e *engine) firstLayer(counts [][]countFeat, dense []float32) []float32 {
	MH := e.hidden * e.members
	B := len(counts)
	e.hcat = grow(e.hcat, B*MH)
	h := e.hcat
	if e.dense > 0 {
		kernels.GemmNN(B, MH, e.dense, dense, e.dense, e.w0[e.bits*MH:], MH, h, MH, false)
	} else {
		clear(h)
	}
	for r := 0; r < B; r++ {
		hr := h[r*MH : (r+1)*MH]
		kernels.Add(hr, e.b0)
		e.idx, e.val = e.idx[:0], e.val[:0]
		for _, c := range counts[r] {
			e.idx = append(e.idx, c.Bit)
			e.val = append(e.val, c.Count)
		}
		kernels.SparseAccum(hr, e.w0[:e.bits*MH], MH, e.idx, e.val)
	}
	return h
}

// member copies member k's columns of a firstLayer result into e's
// per-member scratch (B × hidden) and returns it.
func (e *engine) member(hcat []float32, B, k int) []float32 {
	H, MH := e.hidden, e.hidden*e.members
	e.h = grow(e.h, B*H)
	for r := 0; r < B; r++ {
		copy(e.h[r*H:(r+1)*H], hcat[r*MH+k*H:r*MH+(k+1)*H])
	}
	return e.h
}

// w0Row is member k's first-layer weights for input row r.
func (e *engine) w0Row(k, r int) []float32 {
	MH := e.hidden * e.members
	return e.w0[r*MH+k*e.hidden : r*MH+(k+1)*e.hidden]
}
