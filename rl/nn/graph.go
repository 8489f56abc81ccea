package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"strings"

	"github.com/chewxy/hm"
	"github.com/rxlab/rxlab/rl/nn/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The graph-op machinery shared by this package's MLP trainer and the
// message-passing network of molecules/response/mpnn: an op base, a recorder
// of each node's ordered inputs, a compiled allocation-free executor, and
// the loss ops (loss.go holds the losses themselves).
//
// An op is a gorgonia Op with a float32 kernel (KernelOp). Forward ops also
// implement symbolic differentiation (gorgonia.SDOp), so gorgonia.Grad
// builds the backward graph out of backward ops. Every op runs under
// gorgonia's TapeMachine through Do (DoWith) and under Program through Run.

// KernelOp is what the executor needs from an op: compute out from ins,
// using scratch (at least ScratchLen floats) for temporaries, into an output
// of OutShape.
type KernelOp interface {
	G.Op
	Run(out []float32, ins [][]float32, scratch []float32)
	ScratchLen() int
	OutShape() tensor.Shape
}

// Recorder remembers the ordered inputs of every node built from a
// KernelOp, because gorgonia does not export a node's children in order.
// One Recorder serves one expression graph.
type Recorder struct {
	children map[*G.Node]G.Nodes
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{children: make(map[*G.Node]G.Nodes)} }

// Apply adds a node computing op over children to their graph and records
// the children in order.
func (r *Recorder) Apply(op KernelOp, children ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("nn: building %v: %w", op, err)
	}
	r.children[n] = append(G.Nodes(nil), children...)
	return n, nil
}

// OpBase carries the gorgonia boilerplate shared by kernel ops: the op's
// name and output shape. Embed it and add Arity, Type, Do and Run.
type OpBase struct {
	// Name names the op in gorgonia's graph and in errors.
	Name string
	// Shape is the output shape (tensor.ScalarShape() for a scalar).
	Shape tensor.Shape
}

// ReturnsPtr implements gorgonia.Op: ops return fresh values.
func (o *OpBase) ReturnsPtr() bool { return false }

// CallsExtern implements gorgonia.Op.
func (o *OpBase) CallsExtern() bool { return false }

// OverwritesInput implements gorgonia.Op: no op overwrites an input.
func (o *OpBase) OverwritesInput() int { return -1 }

// String implements gorgonia.Op.
func (o *OpBase) String() string { return o.Name }

// WriteHash implements gorgonia.Op; every op instance hashes differently.
func (o *OpBase) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "rxlab.nn.%s%v/%p", o.Name, o.Shape, o)
}

// Hashcode implements gorgonia.Op.
func (o *OpBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// InferShape implements gorgonia.Op: the shape is fixed at construction.
func (o *OpBase) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.Shape.Clone(), nil }

// OutShape implements KernelOp.
func (o *OpBase) OutShape() tensor.Shape { return o.Shape }

// ScratchLen implements KernelOp: no scratch unless an op overrides it.
func (o *OpBase) ScratchLen() int { return 0 }

// ValueData returns the float32 backing of a gorgonia value (a float32
// tensor or scalar).
func ValueData(v G.Value) ([]float32, error) {
	switch t := v.(type) {
	case *tensor.Dense:
		d, ok := t.Data().([]float32)
		if !ok {
			return nil, fmt.Errorf("nn: expected float32 tensor, got %v", t.Dtype())
		}
		return d, nil
	case *G.F32:
		return []float32{float32(*t)}, nil
	default:
		return nil, fmt.Errorf("nn: unsupported value type %T", v)
	}
}

// DoWith runs a kernel op the way gorgonia's machines expect, into a fresh
// output: the body of every KernelOp's Do.
func DoWith(op KernelOp, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("nn: %v expects %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	ins := make([][]float32, len(inputs))
	for i, v := range inputs {
		d, err := ValueData(v)
		if err != nil {
			return nil, fmt.Errorf("nn: %v input %d: %w", op, i, err)
		}
		ins[i] = d
	}
	scratch := make([]float32, op.ScratchLen())
	sh := op.OutShape()
	if sh.IsScalar() {
		out := make([]float32, 1)
		op.Run(out, ins, scratch)
		return G.NewF32(out[0]), nil
	}
	out := tensor.New(tensor.WithShape(sh...), tensor.Of(tensor.Float32))
	op.Run(out.Data().([]float32), ins, scratch)
	return out, nil
}

// Program is an expression graph compiled into a flat schedule: the ops the
// roots depend on in order, each with an output buffer allocated once and
// its inputs resolved to slices (bound input tensors are read in place), so
// Run allocates nothing. Gorgonia's own Add nodes, which Grad makes to sum
// the gradients of a node used more than once, run as element-wise adds.
// When the graph holds a loss and its gradient (NewLossOp), the gradient
// step also yields the loss and the separate loss step is dropped.
type Program struct {
	steps    []step
	scratch  []float32
	bufs     map[*G.Node][]float32
	lossOut  []float32
	lossGrad *lossGradOp
}

type step struct {
	op  KernelOp // nil for gorgonia's Add (sum of gradients)
	out []float32
	ins [][]float32
}

// Compile orders the nodes roots depend on (every one must come from rec,
// be a gorgonia Add, or be bound data) and builds their Program.
func Compile(g *G.ExprGraph, rec *Recorder, roots G.Nodes) (*Program, error) {
	order, err := topoOrder(g, rec, roots)
	if err != nil {
		return nil, err
	}
	p := &Program{bufs: make(map[*G.Node][]float32, len(order))}
	var scratch int
	for _, n := range order {
		ks, _ := kids(g, rec, n)
		st := step{}
		size := n.Shape().TotalSize()
		if op, ok := n.Op().(KernelOp); ok {
			st.op = op
			scratch = max(scratch, op.ScratchLen())
			size = op.OutShape().TotalSize()
		} else if len(ks) != 2 {
			return nil, fmt.Errorf("nn: Add node %v has %d inputs", n, len(ks))
		}
		st.out = make([]float32, max(size, 1))
		p.bufs[n] = st.out
		for _, k := range ks {
			if b, ok := p.bufs[k]; ok {
				st.ins = append(st.ins, b)
				continue
			}
			d, err := ValueData(k.Value())
			if err != nil {
				return nil, fmt.Errorf("nn: input %v of %v: %w", k, n, err)
			}
			st.ins = append(st.ins, d)
		}
		switch op := st.op.(type) {
		case *lossGradOp:
			p.lossGrad = op
		case *lossOp:
			p.lossOut = st.out
		}
		p.steps = append(p.steps, st)
	}
	if p.lossGrad != nil {
		kept := p.steps[:0]
		for _, st := range p.steps {
			if _, ok := st.op.(*lossOp); !ok {
				kept = append(kept, st)
			}
		}
		p.steps = kept
	}
	p.scratch = make([]float32, scratch)
	return p, nil
}

// kids returns n's ordered inputs and whether n is computed (a recorded op
// or a gorgonia Add) rather than bound data.
func kids(g *G.ExprGraph, rec *Recorder, n *G.Node) (G.Nodes, bool) {
	if k, ok := rec.children[n]; ok {
		return k, true
	}
	if n.Op() != nil && strings.HasPrefix(n.Op().String(), "+ ") {
		var out G.Nodes
		it := g.From(n.ID())
		for it.Next() {
			out = append(out, it.Node().(*G.Node))
		}
		return out, true
	}
	return nil, false
}

// topoOrder lists the computed nodes roots depend on, inputs first.
func topoOrder(g *G.ExprGraph, rec *Recorder, roots G.Nodes) ([]*G.Node, error) {
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
		if ks, ok := kids(g, rec, n); ok {
			for _, k := range ks {
				if err := visit(k); err != nil {
					return err
				}
			}
			order = append(order, n)
		} else if n.Value() == nil {
			return fmt.Errorf("nn: graph node %v (op %v) is neither a kernel op, an Add nor bound data", n, n.Op())
		}
		state[n] = 2
		return nil
	}
	for _, r := range roots {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Run executes the schedule and returns the loss: the value the loss
// gradient computed, else the loss op's output, else 0.
func (p *Program) Run() float32 {
	for i := range p.steps {
		s := &p.steps[i]
		if s.op == nil {
			copy(s.out, s.ins[0])
			kernels.Add(s.out, s.ins[1])
			continue
		}
		s.op.Run(s.out, s.ins, p.scratch)
	}
	return p.Loss()
}

// Loss is the loss of the last Run (0 if the graph has none).
func (p *Program) Loss() float32 {
	switch {
	case p.lossGrad != nil:
		return p.lossGrad.last
	case p.lossOut != nil:
		return p.lossOut[0]
	}
	return 0
}

// Buffer returns the output buffer of node n, which Run overwrites (nil
// when n was not compiled).
func (p *Program) Buffer(n *G.Node) []float32 { return p.bufs[n] }

// Replace swaps the op of every step for f's result when it is not nil;
// tests inject a faulty op with it to check that they notice.
func (p *Program) Replace(f func(KernelOp) KernelOp) {
	for i := range p.steps {
		if p.steps[i].op == nil {
			continue
		}
		if op := f(p.steps[i].op); op != nil {
			p.steps[i].op = op
		}
	}
}

// lossOp evaluates a Loss over the network output and the auxiliary inputs,
// over the live rows (rows, or all batch rows when rows is nil).
type lossOp struct {
	opBase
	loss         Loss
	batch, width int
	aux          int
	rows         func() int
}

// NewLossOp returns the op evaluating l over a prediction node (batch ×
// width) and an aux node (batch × aux floats per row) into a scalar. rows,
// when not nil, gives the live row count (≤ batch) at run time, for graphs
// built for a capacity and run on smaller batches. The op differentiates
// into a gradient op that also yields the loss, so a Program runs l once
// per step.
func NewLossOp(rec *Recorder, l Loss, batch, width, aux int, rows func() int) KernelOp {
	return &lossOp{newBase(rec, "Loss:"+l.Name(), tensor.ScalarShape()), l, batch, width, aux, rows}
}

func (o *lossOp) live() int {
	if o.rows != nil {
		return o.rows()
	}
	return o.batch
}

// Arity implements gorgonia.Op.
func (o *lossOp) Arity() int { return 2 }

// Type implements gorgonia.Op.
func (o *lossOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, scaF32) }

// Do implements gorgonia.Op.
func (o *lossOp) Do(v ...G.Value) (G.Value, error) { return DoWith(o, v...) }

// Run implements KernelOp.
func (o *lossOp) Run(out []float32, ins [][]float32, _ []float32) {
	n := o.live()
	out[0] = o.loss.Eval(ins[0][:n*o.width], ins[1][:n*o.aux], n, o.width, nil)
}

// DiffWRT implements gorgonia.SDOp: the prediction only.
func (o *lossOp) DiffWRT(int) []bool { return []bool{true, false} }

// SymDiff implements gorgonia.SDOp.
func (o *lossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: %v: SymDiff needs 2 inputs, got %d", o, len(inputs))
	}
	d, err := o.rec.Apply(&lossGradOp{opBase: newBase(o.rec, "LossGrad:"+o.loss.Name(), tensor.Shape{o.batch, o.width}), l: o}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d, nil}, nil
}

// lossGradOp computes seed·∂loss/∂pred over the live rows.
type lossGradOp struct {
	opBase
	l *lossOp
	// last is the loss value computed alongside the gradient, so the
	// executor need not evaluate the loss twice.
	last float32
}

// Arity implements gorgonia.Op.
func (o *lossGradOp) Arity() int { return 3 }

// Type implements gorgonia.Op.
func (o *lossGradOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, scaF32, matF32) }

// Do implements gorgonia.Op.
func (o *lossGradOp) Do(v ...G.Value) (G.Value, error) { return DoWith(o, v...) }

// Run implements KernelOp.
func (o *lossGradOp) Run(d []float32, ins [][]float32, _ []float32) {
	rows := o.l.live()
	n := rows * o.l.width
	o.last = o.l.loss.Eval(ins[0][:n], ins[1][:rows*o.l.aux], rows, o.l.width, d[:n])
	if s := ins[2][0]; s != 1 {
		for i := range d[:n] {
			d[i] *= s
		}
	}
}
