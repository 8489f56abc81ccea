package mpnn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/rxlab/rxlab/store/errs"
	"gorgonia.org/tensor"
)

// Aggregations of atom states into a molecule vector.
const (
	AggMean = "mean"
	AggSum  = "sum"
)

// Config sets the network shape and its training. Zero fields take the
// defaults in parentheses (Chemprop's defaults where it has one).
type Config struct {
	Hidden    int    // message and atom state width (300)
	Depth     int    // message-passing steps (3)
	FFNHidden int    // width of the FFN hidden layers (Hidden)
	FFNLayers int    // dense layers after the readout, output layer included (2)
	Agg       string // AggMean or AggSum (AggMean)
	Extras    int    // length of every Graph.Extra (0)
	Tasks     int    // outputs (1)
	// Classification trains every task as a binary label (0/1) with
	// BCE-with-logits; Predict then returns probabilities.
	Classification bool

	Epochs   int     // maximum epochs (50)
	Batch    int     // molecules per step (50)
	Patience int     // epochs without a better validation loss before stopping (Epochs: never)
	LR       float64 // peak Adam learning rate (1e-3), warmed up from LR/10 and decayed back to LR/10
	Warmup   int     // warm-up epochs (2)
	// Dropout is the probability that an element of the learned molecule
	// vector (the readout, before the extras join it) is zeroed in a
	// training step; kept elements are scaled by 1/(1−Dropout). Prediction
	// reads the vector unchanged. 0: off (Chemprop's default too; its
	// hyper-parameter search ranges over 0–0.4).
	Dropout float64 `json:",omitempty"`
	// WeightDecay is a decoupled L2 shrink of every parameter, biases
	// included, after each step (as AdamW): p ← p·(1 − lr·WeightDecay),
	// with the step's scheduled lr. 0: off.
	WeightDecay float64 `json:",omitempty"`
	// Stop, when > 0, ends training after epoch Stop of the Epochs
	// schedule: the learning rate still warms up and decays as if all
	// Epochs ran. It refits a model on more data (training plus
	// validation) for the epoch count that early stopping chose before.
	// 0: run up to Epochs.
	Stop int    `json:",omitempty"`
	Seed uint64 // weights and shuffling; the same seed gives the same model
	// AtomExtras is the number of per-atom features every graph carries
	// after the AtomDim built-in ones (WithAtomFeatures; Chemprop's atom
	// descriptors): they join the atom's row wherever it enters the
	// network. 0: none.
	AtomExtras int `json:",omitempty"`
}

// atomWidth is the width of an atom input row: AtomDim + AtomExtras.
func (c Config) atomWidth() int { return AtomDim + c.AtomExtras }

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Hidden, 300)
	def(&c.Depth, 3)
	def(&c.FFNHidden, c.Hidden)
	def(&c.FFNLayers, 2)
	def(&c.Tasks, 1)
	def(&c.Epochs, 50)
	def(&c.Batch, 50)
	def(&c.Patience, c.Epochs)
	def(&c.Warmup, 2)
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Agg == "" {
		c.Agg = AggMean
	}
	return c
}

func (c Config) validate() error {
	bad := func(f string, v any) error {
		return fmt.Errorf("mpnn: config %s = %v out of range: %w", f, v, errs.Invalid)
	}
	switch {
	case c.Hidden < 1 || c.Hidden > 4096:
		return bad("Hidden", c.Hidden)
	case c.Depth < 1 || c.Depth > 20:
		return bad("Depth", c.Depth)
	case c.FFNHidden < 1 || c.FFNHidden > 4096:
		return bad("FFNHidden", c.FFNHidden)
	case c.FFNLayers < 1 || c.FFNLayers > 8:
		return bad("FFNLayers", c.FFNLayers)
	case c.Extras < 0 || c.Extras > 1<<16:
		return bad("Extras", c.Extras)
	case c.AtomExtras < 0 || c.AtomExtras > 1024:
		return bad("AtomExtras", c.AtomExtras)
	case c.Tasks < 1 || c.Tasks > 4096:
		return bad("Tasks", c.Tasks)
	case c.Agg != AggMean && c.Agg != AggSum:
		return bad("Agg", c.Agg)
	case c.Epochs < 1 || c.Epochs > 100000:
		return bad("Epochs", c.Epochs)
	case c.Batch < 1 || c.Batch > 1<<16:
		return bad("Batch", c.Batch)
	case c.Patience < 1:
		return bad("Patience", c.Patience)
	case c.Warmup < 0:
		return bad("Warmup", c.Warmup)
	case !(c.LR > 0 && c.LR < 1):
		return bad("LR", c.LR)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return bad("Dropout", c.Dropout)
	case !(c.WeightDecay >= 0 && c.WeightDecay < 100):
		return bad("WeightDecay", c.WeightDecay)
	case c.Stop < 0 || c.Stop > c.Epochs:
		return bad("Stop", c.Stop)
	}
	return nil
}

// Model is a trained D-MPNN. Its weights live in gorgonia tensors bound to
// every graph built for it. After Train or Load it is read-only, and
// Predict and AtomContributions are safe for concurrent use (each call
// takes its own compiled forward graph from a pool).
type Model struct {
	cfg    Config
	w      []*tensor.Dense
	params [][]float32
	names  []string
	// yMean, ySD undo the target standardisation (regression).
	yMean, ySD []float64
	info       TrainInfo
	pool       sync.Pool // *netGraph, forward only
}

// TrainInfo summarises a training run.
type TrainInfo struct {
	Epochs    int       // epochs run
	BestEpoch int       // 1-based epoch whose weights were kept
	ValLoss   []float64 // validation loss (standardised units) per epoch
}

// newModel allocates the parameters of cfg (already defaulted and valid)
// with Glorot-normal weights drawn from seed and zero biases.
func newModel(cfg Config) *Model {
	m := &Model{cfg: cfg}
	for _, s := range paramShapes(cfg) {
		d := make([]float32, s.rows*s.cols)
		m.w = append(m.w, tensor.New(tensor.WithShape(s.rows, s.cols), tensor.WithBacking(d)))
		m.params = append(m.params, d)
		m.names = append(m.names, s.name)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6d706e6e))
	for i, t := range m.w {
		sh := t.Shape()
		if sh[0] == 1 { // bias
			continue
		}
		sd := math.Sqrt(2 / float64(sh[0]+sh[1]))
		for j := range m.params[i] {
			m.params[i][j] = float32(rng.NormFloat64() * sd)
		}
	}
	m.yMean, m.ySD = make([]float64, cfg.Tasks), make([]float64, cfg.Tasks)
	for t := range m.ySD {
		m.ySD[t] = 1
	}
	return m
}

type paramShape struct {
	name       string
	rows, cols int
}

// paramShapes lists the weight tensors of cfg in graph order.
func paramShapes(cfg Config) []paramShape {
	var out []paramShape
	H := cfg.Hidden
	add := func(name string, rows, cols int) { out = append(out, paramShape{name, rows, cols}) }
	add("W_i", cfg.atomWidth()+BondDim, H)
	if cfg.Depth > 1 {
		add("W_h", H, H)
	}
	add("W_o", cfg.atomWidth()+H, H)
	add("b_o", 1, H)
	in := H + cfg.Extras
	for l := 0; l < cfg.FFNLayers; l++ {
		out := cfg.FFNHidden
		if l == cfg.FFNLayers-1 {
			out = cfg.Tasks
		}
		add(fmt.Sprintf("W_ffn%d", l), in, out)
		add(fmt.Sprintf("b_ffn%d", l), 1, out)
		in = out
	}
	return out
}

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Info returns what training did (zero for a loaded model).
func (m *Model) Info() TrainInfo { return m.info }

// NumParams returns the number of trainable weights.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += len(p)
	}
	return n
}

func checkData(gs []Graph, ys [][]float64, extras, atomExtras, tasks int, what string) error {
	if len(ys) != len(gs) {
		return fmt.Errorf("mpnn: %s: %d graphs but %d target rows: %w", what, len(gs), len(ys), errs.Invalid)
	}
	for i := range gs {
		if err := gs[i].validate(i, extras, atomExtras); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if len(ys[i]) != tasks {
			return fmt.Errorf("mpnn: %s row %d has %d targets, want %d: %w", what, i, len(ys[i]), tasks, errs.Invalid)
		}
		for t, v := range ys[i] {
			if math.IsInf(v, 0) {
				return fmt.Errorf("mpnn: %s row %d task %d: infinite target: %w", what, i, t, errs.Invalid)
			}
		}
	}
	return nil
}

// Train fits a model on train, choosing the epoch with the lowest
// validation loss (masked MSE of standardised targets, or BCE) and keeping
// its weights; with Patience it stops after that many epochs without
// improvement. With no (labelled) validation graphs the last epoch is kept. Targets are
// in natural units (NaN = missing); regression targets are standardised
// inside with the training mean and SD. progress (may be nil) receives the
// fraction done after each epoch. The same config, data and seed give a
// bit-identical model.
func Train(ctx context.Context, cfg Config, train, val []Graph, yTrain, yVal [][]float64, progress func(frac float64)) (*Model, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("mpnn: no training graphs: %w", errs.Invalid)
	}
	if err := checkData(train, yTrain, cfg.Extras, cfg.AtomExtras, cfg.Tasks, "training set"); err != nil {
		return nil, err
	}
	if err := checkData(val, yVal, cfg.Extras, cfg.AtomExtras, cfg.Tasks, "validation set"); err != nil {
		return nil, err
	}
	m := newModel(cfg)
	if err := m.setTargetScale(yTrain, yVal); err != nil {
		return nil, err
	}
	ysTr, ysVa := m.scale(yTrain), m.scale(yVal)
	if !anyLabelled(yVal) { // nothing to select on: train like without validation
		val, ysVa = nil, nil
	}
	bs := min(cfg.Batch, len(train))
	ng, err := buildNet(m, batchCaps(train, bs), true)
	if err != nil {
		return nil, err
	}
	best := make([][]float32, len(m.params))
	for i, p := range m.params {
		best[i] = slices.Clone(p)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x73687566))
	opt := newOptimizer(m, cfg, len(train), bs)
	bestLoss := math.Inf(1)
	sinceBest := 0
	pred := make([]float64, len(val)*cfg.Tasks)
	order := make([]int, len(train))
	for ep := 1; ep <= cfg.Epochs; ep++ {
		for i := range order {
			order[i] = i
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for s := 0; s < len(order); s += bs {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("mpnn: training stopped: %w", err)
			}
			idx := order[s:min(s+bs, len(order))]
			ng.load(train, idx, ysTr, cfg.Agg == AggSum)
			opt.dropout(ng, len(idx))
			ng.run()
			opt.step(m.params, ng.grads)
		}
		m.info.Epochs = ep
		if len(val) == 0 {
			m.info.BestEpoch = ep
		} else {
			if err := m.predictRaw(val, pred); err != nil {
				return nil, err
			}
			l := m.lossOf(pred, ysVa)
			m.info.ValLoss = append(m.info.ValLoss, l)
			if l < bestLoss || m.info.BestEpoch == 0 {
				bestLoss, sinceBest, m.info.BestEpoch = l, 0, ep
				for i, p := range m.params {
					copy(best[i], p)
				}
			} else if sinceBest++; sinceBest >= cfg.Patience {
				break
			}
		}
		if progress != nil {
			progress(float64(ep) / float64(cfg.Epochs))
		}
		if ep == cfg.Stop {
			break
		}
	}
	if len(val) > 0 {
		for i, p := range m.params {
			copy(p, best[i])
		}
	}
	if progress != nil {
		progress(1)
	}
	return m, nil
}

// lossOf is the masked loss of raw outputs against scaled targets.
func (m *Model) lossOf(pred []float64, ys [][]float64) float64 {
	T := m.cfg.Tasks
	var s float64
	n := 0
	for i, y := range ys {
		for t, v := range y {
			if math.IsNaN(v) {
				continue
			}
			p := pred[i*T+t]
			if m.cfg.Classification {
				s += max(p, 0) - v*p + math.Log1p(math.Exp(-math.Abs(p)))
			} else {
				s += (p - v) * (p - v)
			}
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// Predicting capacity of one pooled forward graph.
const (
	predMols  = 32
	predAtoms = 32 * 32
	predEdges = 32 * 70
)

// Predict writes each graph's prediction into out[i] (length Tasks):
// regression in the targets' units, classification as probabilities.
func (m *Model) Predict(gs []Graph, out [][]float64) error {
	if len(out) != len(gs) {
		return fmt.Errorf("mpnn: Predict: %d graphs but %d output rows: %w", len(gs), len(out), errs.Invalid)
	}
	for i := range gs {
		if err := gs[i].validate(i, m.cfg.Extras, m.cfg.AtomExtras); err != nil {
			return err
		}
		if len(out[i]) != m.cfg.Tasks {
			return fmt.Errorf("mpnn: Predict: output row %d has length %d, want %d: %w", i, len(out[i]), m.cfg.Tasks, errs.Invalid)
		}
	}
	flat := make([]float64, len(gs)*m.cfg.Tasks)
	if err := m.predictRaw(gs, flat); err != nil {
		return err
	}
	T := m.cfg.Tasks
	for i := range gs {
		for t := 0; t < T; t++ {
			v := flat[i*T+t]
			if m.cfg.Classification {
				v = 1 / (1 + math.Exp(-v))
			} else {
				v = v*m.ySD[t] + m.yMean[t]
			}
			out[i][t] = v
		}
	}
	return nil
}

// predictRaw writes the network outputs (standardised units, logits) of
// already validated graphs into out (len(gs)×Tasks).
func (m *Model) predictRaw(gs []Graph, out []float64) error {
	ng, _ := m.pool.Get().(*netGraph)
	defer func() {
		if ng != nil {
			m.pool.Put(ng)
		}
	}()
	T := m.cfg.Tasks
	idx := make([]int, 0, predMols)
	flush := func() error {
		if len(idx) == 0 {
			return nil
		}
		if ng == nil || !ng.cap.fits(gs, idx) {
			c := caps{mol: predMols, atom: predAtoms, edge: predEdges}
			if ng != nil {
				c = ng.cap
			}
			for _, i := range idx { // a single oversized molecule
				c.atom = max(c.atom, gs[i].Atoms)
				c.edge = max(c.edge, len(gs[i].Src))
			}
			var err error
			if ng, err = buildNet(m, c, false); err != nil {
				return err
			}
		}
		ng.load(gs, idx, nil, m.cfg.Agg == AggSum)
		ng.run()
		for k, i := range idx {
			for t := 0; t < T; t++ {
				out[i*T+t] = float64(ng.out[k*T+t])
			}
		}
		idx = idx[:0]
		return nil
	}
	a, e := 0, 0
	for i := range gs {
		ga, ge := gs[i].Atoms, len(gs[i].Src)
		if len(idx) == predMols || (len(idx) > 0 && (a+ga > predAtoms || e+ge > predEdges)) {
			if err := flush(); err != nil {
				return err
			}
			a, e = 0, 0
		}
		idx = append(idx, i)
		a += ga
		e += ge
	}
	return flush()
}

// AtomContributions explains one prediction by occlusion: for each atom a
// and task t, element a·Tasks+t is the prediction minus the prediction for
// the graph with atom a, its features and every message through it
// removed (the readout then averages the remaining atoms). Units are those
// of Predict.
func (m *Model) AtomContributions(g Graph) ([]float64, error) {
	if err := g.validate(0, m.cfg.Extras, m.cfg.AtomExtras); err != nil {
		return nil, err
	}
	gs := make([]Graph, 0, g.Atoms+1)
	gs = append(gs, g)
	for a := 0; a < g.Atoms; a++ {
		gs = append(gs, g.without(a))
	}
	T := m.cfg.Tasks
	raw := make([]float64, len(gs)*T)
	if err := m.predictRaw(gs, raw); err != nil {
		return nil, err
	}
	conv := func(v float64, t int) float64 {
		if m.cfg.Classification {
			return 1 / (1 + math.Exp(-v))
		}
		return v*m.ySD[t] + m.yMean[t]
	}
	out := make([]float64, g.Atoms*T)
	for a := 0; a < g.Atoms; a++ {
		for t := 0; t < T; t++ {
			out[a*T+t] = conv(raw[t], t) - conv(raw[(a+1)*T+t], t)
		}
	}
	return out, nil
}
