package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/rxlab/rxlab/store/errs"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxBatch bounds the batch size a Trainer accepts.
const MaxBatch = 1 << 20

// Trainer trains an MLP on one Loss. For each batch size it meets it builds
// (once, then caches) a gorgonia graph: fused dense ops, the loss op, and the
// backward graph from gorgonia.Grad. Step then runs that graph through an
// allocation-free executor and applies Adam in place to the MLP's weights.
type Trainer struct {
	m      *MLP
	loss   Loss
	aux    int
	graphs map[int]*Graph
	// drop is the hidden-layer dropout probability (SetDropout); dropRNG
	// draws its masks.
	drop    float64
	dropRNG *rand.Rand
}

// NewTrainer returns a trainer of m for loss.
func NewTrainer(m *MLP, loss Loss) (*Trainer, error) {
	if m == nil || loss == nil {
		return nil, fmt.Errorf("nn: NewTrainer needs a network and a loss: %w", errs.Invalid)
	}
	aux, err := loss.AuxWidth(m.OutputWidth())
	if err != nil {
		return nil, err
	}
	if aux < 0 {
		return nil, fmt.Errorf("nn: loss %s: negative aux width %d: %w", loss.Name(), aux, errs.Invalid)
	}
	return &Trainer{m: m, loss: loss, aux: aux, graphs: make(map[int]*Graph)}, nil
}

// SetDropout makes every later training step drop each hidden activation
// (the outputs of all layers but the last) with probability p: inverted
// dropout, the kept activations scaled by 1/(1−p), a fresh mask per step.
// The network's Forward is unchanged (it always uses every unit). seed
// fixes the masks: calling SetDropout again with the same arguments
// restarts the same sequence. p = 0 turns dropout off.
func (t *Trainer) SetDropout(p float64, seed uint64) error {
	if !(p >= 0 && p < 1) {
		return fmt.Errorf("nn: dropout probability %v outside [0, 1): %w", p, errs.Invalid)
	}
	if (p > 0) != (t.drop > 0) {
		clear(t.graphs) // the graphs with and without mask ops differ
	}
	t.drop, t.dropRNG = p, rand.New(rand.NewPCG(seed, 0x64726f70))
	return nil
}

// AuxWidth returns the number of aux floats per sample Step expects.
func (t *Trainer) AuxWidth() int { return t.aux }

// Graph returns the training graph for a batch size, building it on first
// use. The graph's weight nodes are bound to the MLP's tensors.
func (t *Trainer) Graph(batch int) (*Graph, error) {
	if g, ok := t.graphs[batch]; ok {
		return g, nil
	}
	if batch < 1 || batch > MaxBatch {
		return nil, fmt.Errorf("nn: batch %d outside 1..%d: %w", batch, MaxBatch, errs.Invalid)
	}
	g, err := buildGraph(t.m, t.loss, t.aux, batch, t.drop > 0)
	if err != nil {
		return nil, err
	}
	t.graphs[batch] = g
	return g, nil
}

// Step runs forward, backward and one Adam update on a batch: x holds
// batch×InputWidth floats, aux batch×AuxWidth floats, and the batch size is
// len(x)/InputWidth. It returns the loss before the update. After the first
// call for a batch size it does not allocate.
func (t *Trainer) Step(x, aux []float32) (float32, error) {
	g, err := t.prepare(x, aux)
	if err != nil {
		return 0, err
	}
	loss := g.run()
	t.m.adamStep(g.grads)
	return loss, nil
}

// LossAndGrad runs forward and backward without updating the weights and
// returns the loss; the gradients, parallel to the MLP's parameters (W0, b0,
// W1, b1, ...), stay valid until the next call on this trainer.
func (t *Trainer) LossAndGrad(x, aux []float32) (float32, [][]float32, error) {
	g, err := t.prepare(x, aux)
	if err != nil {
		return 0, nil, err
	}
	return g.run(), g.grads, nil
}

func (t *Trainer) prepare(x, aux []float32) (*Graph, error) {
	in := t.m.InputWidth()
	if len(x) == 0 || len(x)%in != 0 {
		return nil, fmt.Errorf("nn: Step: len(x) = %d is not a positive multiple of the input width %d: %w", len(x), in, errs.Invalid)
	}
	batch := len(x) / in
	if len(aux) != batch*t.aux {
		return nil, fmt.Errorf("nn: Step: len(aux) = %d, want %d (batch %d × %d): %w", len(aux), batch*t.aux, batch, t.aux, errs.Invalid)
	}
	g, err := t.Graph(batch)
	if err != nil {
		return nil, err
	}
	copy(g.xData, x)
	copy(g.auxData, aux)
	keep := float32(1 / (1 - t.drop))
	for _, mask := range g.masks {
		for i := range mask {
			mask[i] = keep
			if t.dropRNG.Float64() < t.drop {
				mask[i] = 0
			}
		}
	}
	return g, nil
}

// Graph is one batch size's training graph: a gorgonia ExprGraph plus the
// compiled allocation-free schedule that executes it.
type Graph struct {
	// G is the gorgonia expression graph (inputs, fused layers, loss and the
	// symbolic backward pass). It can also be run by gorgonia's TapeMachine.
	G *G.ExprGraph
	// X and Aux are the input nodes; Out the network output; Cost the loss;
	// Grads the gradient nodes parallel to the parameters (W0, b0, W1, ...).
	X, Aux, Out, Cost *G.Node
	Grads             G.Nodes
	// Params are the weight and bias nodes (W0, b0, W1, b1, ...).
	Params G.Nodes

	xData, auxData []float32
	steps          []step
	scratch        []float32
	grads          [][]float32
	lossOut        []float32
	lossGrad       *lossGradOp
	masks          [][]float32 // dropout masks of the hidden layers (SetDropout)
}

type step struct {
	op  kernelOp
	out []float32
	ins [][]float32
}

func buildGraph(m *MLP, loss Loss, auxW, batch int, dropout bool) (*Graph, error) {
	rec := &recorder{children: make(map[*G.Node]G.Nodes)}
	g := G.NewGraph()
	gr := &Graph{G: g}
	in := m.InputWidth()
	gr.xData = make([]float32, batch*in)
	gr.auxData = make([]float32, batch*auxW)
	gr.X = G.NewMatrix(g, G.Float32, G.WithShape(batch, in), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(batch, in), tensor.WithBacking(gr.xData))))
	gr.Aux = G.NewMatrix(g, G.Float32, G.WithShape(batch, max(auxW, 1)), G.WithName("aux"),
		G.WithValue(tensor.New(tensor.WithShape(batch, max(auxW, 1)), tensor.WithBacking(padAux(gr.auxData, batch)))))
	if auxW == 0 {
		gr.auxData = gr.auxData[:0]
	}
	h := gr.X
	for l := range m.w {
		li, lo := m.cfg.Sizes[l], m.cfg.Sizes[l+1]
		w := G.NewMatrix(g, G.Float32, G.WithShape(li, lo), G.WithName(fmt.Sprintf("W%d", l)), G.WithValue(m.w[l]))
		b := G.NewMatrix(g, G.Float32, G.WithShape(1, lo), G.WithName(fmt.Sprintf("b%d", l)), G.WithValue(m.b[l]))
		gr.Params = append(gr.Params, w, b)
		var err error
		if h, err = rec.apply(newDenseOp(rec, batch, li, lo, m.cfg.Activations[l]), h, w, b); err != nil {
			return nil, err
		}
		if dropout && l < len(m.w)-1 {
			mask := make([]float32, batch*lo)
			gr.masks = append(gr.masks, mask)
			if h, err = rec.apply(&maskOp{opBase{"Dropout", tensor.Shape{batch, lo}, rec}, mask}, h); err != nil {
				return nil, err
			}
		}
	}
	gr.Out = h
	cost, err := rec.apply(newLossOp(rec, loss, batch, m.OutputWidth(), auxW), h, gr.Aux)
	if err != nil {
		return nil, err
	}
	gr.Cost = cost
	if gr.Grads, err = G.Grad(cost, gr.Params...); err != nil {
		return nil, fmt.Errorf("nn: differentiating the %s loss: %w", loss.Name(), err)
	}
	if err := gr.compile(rec); err != nil {
		return nil, err
	}
	return gr, nil
}

// padAux gives a zero-width aux input a one-column backing so the graph
// still has a well-formed matrix node.
func padAux(aux []float32, batch int) []float32 {
	if len(aux) > 0 {
		return aux
	}
	return make([]float32, batch)
}

// compile orders the core ops the loss and the gradients depend on, gives
// each an output buffer once, and resolves every input to a slice.
func (gr *Graph) compile(rec *recorder) error {
	bufs := make(map[*G.Node][]float32)
	state := make(map[*G.Node]uint8) // 1 visiting, 2 done
	var order []*G.Node
	var visit func(n *G.Node) error
	visit = func(n *G.Node) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("nn: cycle at node %v", n)
		case 2:
			return nil
		}
		state[n] = 1
		if kids, ok := rec.children[n]; ok {
			for _, k := range kids {
				if err := visit(k); err != nil {
					return err
				}
			}
			order = append(order, n)
		} else if n.Value() == nil {
			return fmt.Errorf("nn: graph node %v (op %v) is neither a core op nor bound data", n, n.Op())
		}
		state[n] = 2
		return nil
	}
	roots := append(G.Nodes{gr.Cost}, gr.Grads...)
	for _, r := range roots {
		if err := visit(r); err != nil {
			return err
		}
	}
	var scratch int
	for _, n := range order {
		op := n.Op().(kernelOp)
		scratch = max(scratch, op.scratchLen())
		out := make([]float32, max(op.outShape().TotalSize(), 1))
		bufs[n] = out
		st := step{op: op, out: out}
		for _, k := range rec.children[n] {
			if b, ok := bufs[k]; ok {
				st.ins = append(st.ins, b)
				continue
			}
			d, err := valueData(k.Value())
			if err != nil {
				return fmt.Errorf("nn: input %v of %v: %w", k, n, err)
			}
			st.ins = append(st.ins, d)
		}
		if lg, ok := op.(*lossGradOp); ok {
			gr.lossGrad = lg
		}
		gr.steps = append(gr.steps, st)
	}
	if gr.lossGrad != nil {
		// the gradient op also yields the loss: drop the separate loss step
		kept := gr.steps[:0]
		for _, st := range gr.steps {
			if _, ok := st.op.(*lossOp); !ok {
				kept = append(kept, st)
			}
		}
		gr.steps = kept
	}
	gr.scratch = make([]float32, scratch)
	gr.lossOut = bufs[gr.Cost]
	for _, gn := range gr.Grads {
		b, ok := bufs[gn]
		if !ok {
			return fmt.Errorf("nn: gradient node %v was not compiled", gn)
		}
		gr.grads = append(gr.grads, b)
	}
	return nil
}

// run executes the schedule and returns the loss.
func (gr *Graph) run() float32 {
	for i := range gr.steps {
		s := &gr.steps[i]
		s.op.run(s.out, s.ins, gr.scratch)
	}
	if gr.lossGrad != nil {
		return gr.lossGrad.last
	}
	return gr.lossOut[0]
}
