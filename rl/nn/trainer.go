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
	prog           *Program
	grads          [][]float32
	masks          [][]float32 // dropout masks of the hidden layers (SetDropout)
}

func buildGraph(m *MLP, loss Loss, auxW, batch int, dropout bool) (*Graph, error) {
	rec := NewRecorder()
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
		if h, err = rec.Apply(newDenseOp(rec, batch, li, lo, m.cfg.Activations[l]), h, w, b); err != nil {
			return nil, err
		}
		if dropout && l < len(m.w)-1 {
			mask := make([]float32, batch*lo)
			gr.masks = append(gr.masks, mask)
			if h, err = rec.Apply(&maskOp{newBase(rec, "Dropout", tensor.Shape{batch, lo}), mask}, h); err != nil {
				return nil, err
			}
		}
	}
	gr.Out = h
	cost, err := rec.Apply(NewLossOp(rec, loss, batch, m.OutputWidth(), auxW, nil), h, gr.Aux)
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

// compile builds the graph's Program over the loss and the gradients and
// finds the gradients' buffers.
func (gr *Graph) compile(rec *Recorder) error {
	p, err := Compile(gr.G, rec, append(G.Nodes{gr.Cost}, gr.Grads...))
	if err != nil {
		return err
	}
	gr.prog = p
	for _, gn := range gr.Grads {
		b := p.Buffer(gn)
		if b == nil {
			return fmt.Errorf("nn: gradient node %v was not compiled", gn)
		}
		gr.grads = append(gr.grads, b)
	}
	return nil
}

// run executes the schedule and returns the loss.
func (gr *Graph) run() float32 { return gr.prog.Run() }
