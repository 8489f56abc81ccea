package mpnn

import (
	"fmt"

	"github.com/rxlab/rxlab/rl/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// caps are the capacities a graph is built for.
type caps struct{ mol, atom, edge int }

func (b *batch) capMol() int { return len(b.molScale) }

// netGraph is one gorgonia expression graph of the network for a capacity:
// input nodes bound to buffers the batch loader fills, the forward pass, and
// (for training) the loss and the symbolic backward pass, compiled into an
// allocation-free schedule.
type netGraph struct {
	g   *G.ExprGraph
	b   *batch
	cap caps
	// inputs: bond input rows [f_src, f_bond], atom rows, extras, targets
	xb, xa, ext, y         []float32
	XB, XA, EXT, Y         *G.Node
	Out, Cost              *G.Node
	Params, Grads          G.Nodes
	prog                   *nn.Program
	grads                  [][]float32
	out                    []float32
	mask                   []float32 // training with Dropout: the readout's dropout mask
	extras, tasks, hidden  int
	aw                     int // atom input width: AtomDim + Config.AtomExtras
	atomIn, readoutScaling bool
}

// buildNet builds the network graph over m's parameter tensors. With train
// it adds the loss and gorgonia.Grad's backward pass.
func buildNet(m *Model, c caps, train bool) (*netGraph, error) {
	cfg := m.cfg
	H := cfg.Hidden
	b := &batch{
		src: make([]int32, c.edge), dst: make([]int32, c.edge),
		molStart: make([]int32, c.mol+1), molScale: make([]float32, c.mol),
		atomMol: make([]int32, c.atom),
	}
	rec := newRecorder(b)
	g := G.NewGraph()
	ng := &netGraph{g: g, b: b, cap: c, extras: cfg.Extras, tasks: cfg.Tasks, hidden: H}
	input := func(name string, rows, cols int) ([]float32, *G.Node) {
		d := make([]float32, rows*cols)
		return d, G.NewMatrix(g, G.Float32, G.WithShape(rows, cols), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(d))))
	}
	AW := cfg.atomWidth()
	ng.aw = AW
	ng.xb, ng.XB = input("xbond", c.edge, AW+BondDim)
	ng.xa, ng.XA = input("xatom", c.atom, AW)
	if cfg.Extras > 0 {
		ng.ext, ng.EXT = input("extra", c.mol, cfg.Extras)
	}
	ng.y, ng.Y = input("y", c.mol, cfg.Tasks)
	params := make(G.Nodes, len(m.w))
	for i, t := range m.w {
		params[i] = G.NewMatrix(g, G.Float32, G.WithShape(t.Shape()...), G.WithName(m.names[i]), G.WithValue(t))
	}
	ng.Params = params
	p := 0
	next := func() *G.Node { p++; return params[p-1] }
	// h0 = W_i·[f_v, f_vw] (pre-activation, reused at every depth)
	wi := next()
	h0, err := rec.apply(newDenseOp(rec, rowsEdge, c.edge, AW+BondDim, H, false, false, false), ng.XB, wi)
	if err != nil {
		return nil, err
	}
	h, err := rec.apply(&reluOp{base(rec, "ReLU", rowsEdge, c.edge, H)}, h0)
	if err != nil {
		return nil, err
	}
	if cfg.Depth > 1 {
		wh := next()
		for t := 1; t < cfg.Depth; t++ {
			a, err := rec.apply(newScatter(rec, true, rowsEdge, rowsAtom, c.edge, c.atom, H), h)
			if err != nil {
				return nil, err
			}
			msg, err := rec.apply(&msgOp{base(rec, "Message", rowsEdge, c.edge, H), c.atom}, a, h)
			if err != nil {
				return nil, err
			}
			if h, err = rec.apply(newDenseOp(rec, rowsEdge, c.edge, H, H, false, true, true), msg, wh, h0); err != nil {
				return nil, err
			}
		}
	}
	a, err := rec.apply(newScatter(rec, true, rowsEdge, rowsAtom, c.edge, c.atom, H), h)
	if err != nil {
		return nil, err
	}
	cat, err := rec.apply(&concatOp{base(rec, "Concat", rowsAtom, c.atom, AW+H), AW, H}, ng.XA, a)
	if err != nil {
		return nil, err
	}
	wo, bo := next(), next()
	hv, err := rec.apply(newDenseOp(rec, rowsAtom, c.atom, AW+H, H, true, false, true), cat, wo, bo)
	if err != nil {
		return nil, err
	}
	z, err := rec.apply(&readoutOp{base(rec, "Readout", rowsMol, c.mol, H), c.atom}, hv)
	if err != nil {
		return nil, err
	}
	if train && cfg.Dropout > 0 {
		ng.mask = make([]float32, c.mol*H)
		if z, err = rec.apply(&dropoutOp{base(rec, "Dropout", rowsMol, c.mol, H), ng.mask}, z); err != nil {
			return nil, err
		}
	}
	width := H
	if cfg.Extras > 0 {
		if z, err = rec.apply(&concatOp{base(rec, "Concat", rowsMol, c.mol, H+cfg.Extras), H, cfg.Extras}, z, ng.EXT); err != nil {
			return nil, err
		}
		width += cfg.Extras
	}
	for l := 0; l < cfg.FFNLayers; l++ {
		last := l == cfg.FFNLayers-1
		out := cfg.FFNHidden
		if last {
			out = cfg.Tasks
		}
		w, bb := next(), next()
		if z, err = rec.apply(newDenseOp(rec, rowsMol, c.mol, width, out, true, false, !last), z, w, bb); err != nil {
			return nil, err
		}
		width = out
	}
	ng.Out = z
	roots := G.Nodes{z}
	if train {
		var loss nn.Loss = nn.MaskedMSE{}
		if cfg.Classification {
			loss = nn.MaskedBCE{}
		}
		lo := nn.NewLossOp(rec.Recorder, loss, c.mol, cfg.Tasks, cfg.Tasks, func() int { return b.nMol })
		if ng.Cost, err = rec.apply(lo, z, ng.Y); err != nil {
			return nil, err
		}
		if ng.Grads, err = G.Grad(ng.Cost, params...); err != nil {
			return nil, fmt.Errorf("mpnn: differentiating the loss: %w", err)
		}
		roots = append(G.Nodes{ng.Cost}, ng.Grads...)
	}
	if err := ng.compile(rec, roots); err != nil {
		return nil, err
	}
	return ng, nil
}

// compile builds the graph's nn.Program over roots and finds the output's
// and the gradients' buffers.
func (ng *netGraph) compile(rec *recorder, roots G.Nodes) error {
	p, err := nn.Compile(ng.g, rec.Recorder, roots)
	if err != nil {
		return fmt.Errorf("mpnn: %w", err)
	}
	ng.prog = p
	ng.out = p.Buffer(ng.Out)
	for _, gn := range ng.Grads {
		b := p.Buffer(gn)
		if b == nil {
			return fmt.Errorf("mpnn: gradient node %v was not compiled", gn)
		}
		ng.grads = append(ng.grads, b)
	}
	return nil
}

// run executes the schedule and returns the loss (0 without one).
func (ng *netGraph) run() float32 { return ng.prog.Run() }

// fits reports whether graphs gs fit the capacity.
func (c caps) fits(gs []Graph, idx []int) bool {
	if len(idx) > c.mol {
		return false
	}
	a, e := 0, 0
	for _, i := range idx {
		a += gs[i].Atoms
		e += len(gs[i].Src)
	}
	return a <= c.atom && e <= c.edge
}

// load fills the inputs with graphs gs[idx] and, when y is not nil, their
// (already scaled) targets. The caller has checked the capacity.
func (ng *netGraph) load(gs []Graph, idx []int, y [][]float64, sum bool) {
	b := ng.b
	b.nMol, b.nAtom, b.nEdge = len(idx), 0, 0
	aw := ng.aw
	fin := aw + BondDim
	for k, i := range idx {
		g := &gs[i]
		off := int32(b.nAtom)
		b.molStart[k] = off
		copy(ng.xa[b.nAtom*aw:], g.AtomF)
		for v := 0; v < g.Atoms; v++ {
			b.atomMol[b.nAtom+v] = int32(k)
		}
		for e := range g.Src {
			row := ng.xb[(b.nEdge+e)*fin : (b.nEdge+e+1)*fin]
			s := int(g.Src[e])
			copy(row[:aw], g.AtomF[s*aw:(s+1)*aw])
			copy(row[aw:], g.BondF[e*BondDim:(e+1)*BondDim])
			b.src[b.nEdge+e] = g.Src[e] + off
			b.dst[b.nEdge+e] = g.Dst[e] + off
		}
		b.nAtom += g.Atoms
		b.nEdge += len(g.Src)
		b.molScale[k] = 1
		if !sum && g.Atoms > 0 {
			b.molScale[k] = 1 / float32(g.Atoms)
		}
		if ng.extras > 0 {
			copy(ng.ext[k*ng.extras:(k+1)*ng.extras], g.Extra)
		}
		if y != nil {
			for t := 0; t < ng.tasks; t++ {
				ng.y[k*ng.tasks+t] = float32(y[i][t])
			}
		}
	}
	b.molStart[len(idx)] = int32(b.nAtom)
}
