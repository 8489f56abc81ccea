package nn

import (
	"fmt"

	"github.com/rxlab/rxlab/store/errs"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// PlainTrainer trains a copy of an MLP the textbook gorgonia way: stock ops
// (Mul, BroadcastAdd, Tanh/Rectify, and the loss written in gorgonia
// expressions), symbolic gradients, a TapeMachine with Reset each step, and
// gorgonia's AdamSolver. It is the reference the fast core is tested and
// benchmarked against, not a production path.
type PlainTrainer struct {
	batch, in, out int
	loss           Loss
	g              *G.ExprGraph
	vm             G.VM
	solver         *G.AdamSolver
	model          []G.ValueGrad
	params         G.Nodes
	cost           *G.Node
	costVal        G.Value
	x, y           []float32
	// PPO inputs
	onehot, old, adv, ret []float32
}

// NewPlainTrainer builds the stock-gorgonia graph for batch rows. The
// weights start as a copy of m's (m itself is not modified). loss must be
// MSE or PPO.
func NewPlainTrainer(m *MLP, loss Loss, batch int) (*PlainTrainer, error) {
	if batch < 1 || batch > MaxBatch {
		return nil, fmt.Errorf("nn: plain trainer: batch %d outside 1..%d: %w", batch, MaxBatch, errs.Invalid)
	}
	if _, err := loss.AuxWidth(m.OutputWidth()); err != nil {
		return nil, err
	}
	p := &PlainTrainer{batch: batch, in: m.InputWidth(), out: m.OutputWidth(), loss: loss}
	g := G.NewGraph()
	p.g = g
	var h *G.Node
	var err error
	if p.x, h, p.params, err = plainNet(g, m, batch); err != nil {
		return nil, err
	}
	switch l := loss.(type) {
	case MSE:
		p.y = make([]float32, batch*p.out)
		y := G.NewMatrix(g, G.Float32, G.WithShape(batch, p.out), G.WithName("y"),
			G.WithValue(tensor.New(tensor.WithShape(batch, p.out), tensor.WithBacking(p.y))))
		p.cost, err = plainMSE(h, y)
	case PPO:
		p.cost, err = p.plainPPO(g, h, l)
	default:
		return nil, fmt.Errorf("nn: plain trainer has no gorgonia expression for loss %s: %w", loss.Name(), errs.NotImplemented)
	}
	if err != nil {
		return nil, fmt.Errorf("nn: plain %s loss: %w", loss.Name(), err)
	}
	if _, err = G.Grad(p.cost, p.params...); err != nil {
		return nil, fmt.Errorf("nn: plain gradients: %w", err)
	}
	G.Read(p.cost, &p.costVal)
	p.vm = G.NewTapeMachine(g, G.BindDualValues(p.params...))
	a := m.adam
	p.solver = G.NewAdamSolver(G.WithLearnRate(a.LR), G.WithBeta1(a.Beta1), G.WithBeta2(a.Beta2), G.WithEps(a.Eps))
	p.model = G.NodesToValueGrads(p.params)
	return p, nil
}

// plainNet builds the network from stock ops on a copy of m's weights.
func plainNet(g *G.ExprGraph, m *MLP, batch int) (xData []float32, out *G.Node, params G.Nodes, err error) {
	in := m.InputWidth()
	xData = make([]float32, batch*in)
	x := G.NewMatrix(g, G.Float32, G.WithShape(batch, in), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(batch, in), tensor.WithBacking(xData))))
	h := x
	for l := range m.w {
		li, lo := m.cfg.Sizes[l], m.cfg.Sizes[l+1]
		wd := append([]float32(nil), m.params[2*l]...)
		bd := append([]float32(nil), m.params[2*l+1]...)
		w := G.NewMatrix(g, G.Float32, G.WithShape(li, lo), G.WithName(fmt.Sprintf("W%d", l)),
			G.WithValue(tensor.New(tensor.WithShape(li, lo), tensor.WithBacking(wd))))
		b := G.NewMatrix(g, G.Float32, G.WithShape(1, lo), G.WithName(fmt.Sprintf("b%d", l)),
			G.WithValue(tensor.New(tensor.WithShape(1, lo), tensor.WithBacking(bd))))
		params = append(params, w, b)
		if h, err = G.Mul(h, w); err != nil {
			return nil, nil, nil, fmt.Errorf("nn: plain layer %d: %w", l, err)
		}
		if h, err = G.BroadcastAdd(h, b, nil, []byte{0}); err != nil {
			return nil, nil, nil, fmt.Errorf("nn: plain layer %d: %w", l, err)
		}
		switch m.cfg.Activations[l] {
		case Tanh:
			h, err = G.Tanh(h)
		case ReLU:
			h, err = G.Rectify(h)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("nn: plain layer %d: %w", l, err)
		}
	}
	return xData, h, params, nil
}

// PlainForward runs forward passes of a copy of an MLP through a stock
// gorgonia graph and TapeMachine (RunAll + Reset per call): the baseline
// for acting without the core's forward path.
type PlainForward struct {
	vm     G.VM
	x      []float32
	outVal G.Value
	outN   int
}

// NewPlainForward builds the forward-only stock graph for batch rows.
func NewPlainForward(m *MLP, batch int) (*PlainForward, error) {
	if batch < 1 || batch > MaxBatch {
		return nil, fmt.Errorf("nn: plain forward: batch %d outside 1..%d: %w", batch, MaxBatch, errs.Invalid)
	}
	g := G.NewGraph()
	x, out, _, err := plainNet(g, m, batch)
	if err != nil {
		return nil, err
	}
	p := &PlainForward{x: x, outN: batch * m.OutputWidth()}
	G.Read(out, &p.outVal)
	p.vm = G.NewTapeMachine(g)
	return p, nil
}

// Forward computes the outputs for x into out.
func (p *PlainForward) Forward(x, out []float32) error {
	if len(x) != len(p.x) || len(out) < p.outN {
		return fmt.Errorf("nn: plain Forward: len(x) = %d want %d, len(out) = %d want %d: %w", len(x), len(p.x), len(out), p.outN, errs.Invalid)
	}
	copy(p.x, x)
	defer p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return fmt.Errorf("nn: plain forward: %w", err)
	}
	d, err := ValueData(p.outVal)
	if err != nil {
		return err
	}
	copy(out, d)
	return nil
}

// Close releases the TapeMachine.
func (p *PlainForward) Close() error { return p.vm.Close() }

func plainMSE(pred, y *G.Node) (*G.Node, error) {
	d, err := G.Sub(pred, y)
	if err != nil {
		return nil, err
	}
	if d, err = G.Square(d); err != nil {
		return nil, err
	}
	return G.Mean(d)
}

// plainPPO writes the PPO objective in stock gorgonia ops. min and max are
// (a+b∓|a−b|)/2 because gorgonia's MinBetween has no derivative.
func (p *PlainTrainer) plainPPO(g *G.ExprGraph, out *G.Node, l PPO) (*G.Node, error) {
	B, K := p.batch, l.Actions
	vec := func(name string, fill float32) (*G.Node, []float32) {
		d := make([]float32, B)
		for i := range d {
			d[i] = fill
		}
		return G.NewVector(g, G.Float32, G.WithShape(B), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(B), tensor.WithBacking(d)))), d
	}
	p.onehot = make([]float32, B*K)
	onehot := G.NewMatrix(g, G.Float32, G.WithShape(B, K), G.WithName("onehot"),
		G.WithValue(tensor.New(tensor.WithShape(B, K), tensor.WithBacking(p.onehot))))
	var old, adv, ret *G.Node
	old, p.old = vec("oldlogp", 0)
	adv, p.adv = vec("adv", 0)
	ret, p.ret = vec("ret", 0)
	lo, _ := vec("lo", 1-l.Clip)
	hi, _ := vec("hi", 1+l.Clip)
	half := G.NewConstant(float32(0.5))
	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	minN := func(a, b *G.Node) *G.Node {
		s := must(G.Add(a, b))
		d := must(G.Abs(must(G.Sub(a, b))))
		return must(G.Mul(half, must(G.Sub(s, d))))
	}
	maxN := func(a, b *G.Node) *G.Node {
		s := must(G.Add(a, b))
		d := must(G.Abs(must(G.Sub(a, b))))
		return must(G.Mul(half, must(G.Add(s, d))))
	}
	logits := must(G.Slice(out, nil, G.S(0, K)))
	value := must(G.Slice(out, nil, G.S(K)))
	lse := must(G.Log(must(G.Sum(must(G.Exp(logits)), 1))))
	logp := must(G.BroadcastSub(logits, lse, nil, []byte{1}))
	lpa := must(G.Sum(must(G.HadamardProd(logp, onehot)), 1))
	ratio := must(G.Exp(must(G.Sub(lpa, old))))
	s1 := must(G.HadamardProd(ratio, adv))
	s2 := must(G.HadamardProd(minN(maxN(ratio, lo), hi), adv))
	pol := must(G.Neg(must(G.Mean(minN(s1, s2)))))
	val := must(G.Mean(must(G.Square(must(G.Sub(value, ret))))))
	ent := must(G.Neg(must(G.Mean(must(G.Sum(must(G.HadamardProd(must(G.Exp(logp)), logp)), 1))))))
	cost := must(G.Add(pol, must(G.Mul(G.NewConstant(l.ValueCoef), val))))
	cost = must(G.Sub(cost, must(G.Mul(G.NewConstant(l.EntropyCoef), ent))))
	return cost, err
}

// Step runs one forward/backward pass on the TapeMachine and one AdamSolver
// step; x and aux are laid out as for Trainer.Step with this trainer's batch.
func (p *PlainTrainer) Step(x, aux []float32) (float32, error) {
	if len(x) != len(p.x) {
		return 0, fmt.Errorf("nn: plain Step: len(x) = %d, want %d: %w", len(x), len(p.x), errs.Invalid)
	}
	copy(p.x, x)
	switch l := p.loss.(type) {
	case MSE:
		if len(aux) != len(p.y) {
			return 0, fmt.Errorf("nn: plain Step: len(aux) = %d, want %d: %w", len(aux), len(p.y), errs.Invalid)
		}
		copy(p.y, aux)
	case PPO:
		if len(aux) != p.batch*PPOAuxWidth {
			return 0, fmt.Errorf("nn: plain Step: len(aux) = %d, want %d: %w", len(aux), p.batch*PPOAuxWidth, errs.Invalid)
		}
		clear(p.onehot)
		for i := 0; i < p.batch; i++ {
			a := aux[i*PPOAuxWidth:]
			if act := int(a[0]); act >= 0 && act < l.Actions {
				p.onehot[i*l.Actions+act] = 1
			}
			p.old[i], p.adv[i], p.ret[i] = a[1], a[2], a[3]
		}
	}
	if err := p.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("nn: plain forward/backward: %w", err)
	}
	loss, ok := p.costVal.Data().(float32)
	if !ok {
		return 0, fmt.Errorf("nn: plain loss has type %T", p.costVal.Data())
	}
	if err := p.solver.Step(p.model); err != nil {
		return 0, fmt.Errorf("nn: plain Adam: %w", err)
	}
	p.vm.Reset()
	return loss, nil
}

// Weights returns a copy of the plain graph's current parameters (W0, b0,
// W1, b1, ...).
func (p *PlainTrainer) Weights() [][]float32 {
	var out [][]float32
	for _, n := range p.params {
		d, _ := ValueData(n.Value())
		out = append(out, append([]float32(nil), d...))
	}
	return out
}

// Close releases the TapeMachine.
func (p *PlainTrainer) Close() error { return p.vm.Close() }
