package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/rxlab/rxlab/rl/nn/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The training core's gorgonia Ops. Each is a shape-specialised float32
// operation with a fast kernel. Forward ops also implement symbolic
// differentiation (gorgonia.SDOp), so gorgonia.Grad builds the backward graph
// out of the backward ops below. Every op runs under gorgonia's own
// TapeMachine through Do, and under the core's allocation-free executor
// (plan.go) through run.

// kernelOp is what the executor needs from an op: compute out from ins,
// using scratch (at least scratchLen floats) for temporaries.
type kernelOp interface {
	G.Op
	run(out []float32, ins [][]float32, scratch []float32)
	scratchLen() int
	outShape() tensor.Shape
}

var (
	matF32 hm.Type = G.TensorType{Dims: 2, Of: G.Float32}
	scaF32 hm.Type = G.Float32
)

// recorder remembers the inputs of every node built from a core op, because
// gorgonia does not export a node's children in order.
type recorder struct {
	children map[*G.Node]G.Nodes
}

func (r *recorder) apply(op kernelOp, children ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("nn: building %v: %w", op, err)
	}
	r.children[n] = append(G.Nodes(nil), children...)
	return n, nil
}

// opBase carries the boilerplate shared by all core ops.
type opBase struct {
	name  string
	shape tensor.Shape
	rec   *recorder
}

func (o *opBase) ReturnsPtr() bool     { return false }
func (o *opBase) CallsExtern() bool    { return false }
func (o *opBase) OverwritesInput() int { return -1 }
func (o *opBase) String() string       { return o.name }
func (o *opBase) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "rxlab.nn.%s%v/%p", o.name, o.shape, o)
}
func (o *opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o *opBase) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.shape.Clone(), nil }
func (o *opBase) outShape() tensor.Shape                         { return o.shape }
func (o *opBase) scratchLen() int                                { return 0 }

// valueData returns the float32 backing of a gorgonia value.
func valueData(v G.Value) ([]float32, error) {
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

// doWith runs a kernel op the way gorgonia's machines expect: fresh output.
func doWith(op kernelOp, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("nn: %v expects %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	ins := make([][]float32, len(inputs))
	for i, v := range inputs {
		d, err := valueData(v)
		if err != nil {
			return nil, fmt.Errorf("nn: %v input %d: %w", op, i, err)
		}
		ins[i] = d
	}
	scratch := make([]float32, op.scratchLen())
	sh := op.outShape()
	if sh.IsScalar() {
		out := make([]float32, 1)
		op.run(out, ins, scratch)
		return G.NewF32(out[0]), nil
	}
	out := tensor.New(tensor.WithShape(sh...), tensor.Of(tensor.Float32))
	op.run(out.Data().([]float32), ins, scratch)
	return out, nil
}

// denseOp is the fused layer y = act(x·W + b), x batch×in, W in×out, b 1×out.
type denseOp struct {
	opBase
	batch, in, out int
	act            Activation
}

func newDenseOp(rec *recorder, batch, in, out int, act Activation) *denseOp {
	return &denseOp{opBase{fmt.Sprintf("Dense%s", act), tensor.Shape{batch, out}, rec}, batch, in, out, act}
}

func (o *denseOp) Arity() int    { return 3 }
func (o *denseOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, matF32, matF32) }
func (o *denseOp) Do(v ...G.Value) (G.Value, error) {
	return doWith(o, v...)
}

func (o *denseOp) run(y []float32, ins [][]float32, _ []float32) {
	x, w, b := ins[0], ins[1], ins[2]
	for i := 0; i < o.batch; i++ {
		copy(y[i*o.out:(i+1)*o.out], b[:o.out])
	}
	kernels.GemmNN(o.batch, o.out, o.in, x, o.in, w, o.out, y, o.out, true)
	applyAct(o.act, y[:o.batch*o.out])
}

func applyAct(a Activation, y []float32) {
	switch a {
	case Tanh:
		kernels.Tanh(y)
	case ReLU:
		kernels.ReLU(y)
	}
}

func (o *denseOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (o *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: %v: SymDiff needs 3 inputs, got %d", o, len(inputs))
	}
	x, w := inputs[0], inputs[1]
	dz := grad
	var err error
	if o.act != Identity {
		if dz, err = o.rec.apply(newActGradOp(o.rec, o.act, o.batch, o.out), output, grad); err != nil {
			return nil, err
		}
	}
	dx, err := o.rec.apply(newMatMulNTOp(o.rec, o.batch, o.in, o.out), dz, w)
	if err != nil {
		return nil, err
	}
	dw, err := o.rec.apply(newMatMulTNOp(o.rec, o.in, o.out, o.batch), x, dz)
	if err != nil {
		return nil, err
	}
	db, err := o.rec.apply(newColSumOp(o.rec, o.batch, o.out), dz)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// maskOp multiplies its input element-wise by a mask the trainer redraws
// every step (dropout; entries are 0 or 1/(1−p)). Its backward is the same
// product applied to the gradient.
type maskOp struct {
	opBase
	mask []float32 // shape-sized, owned by the Graph
}

func (o *maskOp) Arity() int                       { return 1 }
func (o *maskOp) Type() hm.Type                    { return hm.NewFnType(matF32, matF32) }
func (o *maskOp) Do(v ...G.Value) (G.Value, error) { return doWith(o, v...) }
func (o *maskOp) run(y []float32, ins [][]float32, _ []float32) {
	for i, v := range ins[0][:len(o.mask)] {
		y[i] = v * o.mask[i]
	}
}
func (o *maskOp) DiffWRT(int) []bool { return []bool{true} }
func (o *maskOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(&maskOp{opBase{"DropoutGrad", o.shape, o.rec}, o.mask}, grad)
	return G.Nodes{d}, err
}

// actGradOp computes dz = dy·act'(z) from the activation output y and dy.
type actGradOp struct {
	opBase
	act Activation
}

func newActGradOp(rec *recorder, act Activation, rows, cols int) *actGradOp {
	return &actGradOp{opBase{fmt.Sprintf("%sGrad", act), tensor.Shape{rows, cols}, rec}, act}
}

func (o *actGradOp) Arity() int    { return 2 }
func (o *actGradOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, matF32) }
func (o *actGradOp) Do(v ...G.Value) (G.Value, error) {
	return doWith(o, v...)
}
func (o *actGradOp) run(dz []float32, ins [][]float32, _ []float32) {
	n := o.shape.TotalSize()
	switch o.act {
	case Tanh:
		kernels.TanhGrad(dz[:n], ins[0], ins[1])
	case ReLU:
		kernels.ReLUGrad(dz[:n], ins[0], ins[1])
	default:
		copy(dz[:n], ins[1])
	}
}

// matMulNTOp computes C = A·Bᵀ with A m×k and B n×k (the input gradient).
type matMulNTOp struct {
	opBase
	m, n, k int
}

func newMatMulNTOp(rec *recorder, m, n, k int) *matMulNTOp {
	return &matMulNTOp{opBase{"MatMulNT", tensor.Shape{m, n}, rec}, m, n, k}
}

func (o *matMulNTOp) Arity() int      { return 2 }
func (o *matMulNTOp) Type() hm.Type   { return hm.NewFnType(matF32, matF32, matF32) }
func (o *matMulNTOp) scratchLen() int { return o.n * o.k }
func (o *matMulNTOp) Do(v ...G.Value) (G.Value, error) {
	return doWith(o, v...)
}
func (o *matMulNTOp) run(c []float32, ins [][]float32, scratch []float32) {
	kernels.GemmNT(o.m, o.n, o.k, ins[0], o.k, ins[1], o.k, c, o.n, false, scratch)
}

// matMulTNOp computes C = Aᵀ·B with A k×m and B k×n (the weight gradient).
type matMulTNOp struct {
	opBase
	m, n, k int
}

func newMatMulTNOp(rec *recorder, m, n, k int) *matMulTNOp {
	return &matMulTNOp{opBase{"MatMulTN", tensor.Shape{m, n}, rec}, m, n, k}
}

func (o *matMulTNOp) Arity() int    { return 2 }
func (o *matMulTNOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, matF32) }
func (o *matMulTNOp) Do(v ...G.Value) (G.Value, error) {
	return doWith(o, v...)
}
func (o *matMulTNOp) run(c []float32, ins [][]float32, _ []float32) {
	kernels.GemmTN(o.m, o.n, o.k, ins[0], o.m, ins[1], o.n, c, o.n, false)
}

// colSumOp sums the rows of a rows×cols matrix into a 1×cols bias gradient.
type colSumOp struct {
	opBase
	rows, cols int
}

func newColSumOp(rec *recorder, rows, cols int) *colSumOp {
	return &colSumOp{opBase{"ColSum", tensor.Shape{1, cols}, rec}, rows, cols}
}

func (o *colSumOp) Arity() int    { return 1 }
func (o *colSumOp) Type() hm.Type { return hm.NewFnType(matF32, matF32) }
func (o *colSumOp) Do(v ...G.Value) (G.Value, error) {
	return doWith(o, v...)
}
func (o *colSumOp) run(db []float32, ins [][]float32, _ []float32) {
	kernels.ColSum(db, ins[0], o.cols, o.rows, o.cols)
}

// lossOp evaluates a Loss over the network output and the auxiliary inputs.
type lossOp struct {
	opBase
	loss         Loss
	batch, width int
	aux          int
}

func newLossOp(rec *recorder, l Loss, batch, width, aux int) *lossOp {
	return &lossOp{opBase{"Loss:" + l.Name(), tensor.ScalarShape(), rec}, l, batch, width, aux}
}

func (o *lossOp) Arity() int    { return 2 }
func (o *lossOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, scaF32) }
func (o *lossOp) Do(v ...G.Value) (G.Value, error) {
	return doWith(o, v...)
}
func (o *lossOp) run(out []float32, ins [][]float32, _ []float32) {
	out[0] = o.loss.Eval(ins[0][:o.batch*o.width], ins[1][:o.batch*o.aux], o.batch, o.width, nil)
}
func (o *lossOp) DiffWRT(int) []bool { return []bool{true, false} }
func (o *lossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: %v: SymDiff needs 2 inputs, got %d", o, len(inputs))
	}
	d, err := o.rec.apply(&lossGradOp{opBase: opBase{"LossGrad:" + o.loss.Name(), tensor.Shape{o.batch, o.width}, o.rec}, l: o}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d, nil}, nil
}

// lossGradOp computes seed·∂loss/∂pred.
type lossGradOp struct {
	opBase
	l *lossOp
	// last is the loss value computed alongside the gradient, so the
	// executor need not evaluate the loss twice.
	last float32
}

func (o *lossGradOp) Arity() int    { return 3 }
func (o *lossGradOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, scaF32, matF32) }
func (o *lossGradOp) Do(v ...G.Value) (G.Value, error) {
	return doWith(o, v...)
}
func (o *lossGradOp) run(d []float32, ins [][]float32, _ []float32) {
	n := o.l.batch * o.l.width
	o.last = o.l.loss.Eval(ins[0][:n], ins[1][:o.l.batch*o.l.aux], o.l.batch, o.l.width, d[:n])
	if s := ins[2][0]; s != 1 {
		for i := range d[:n] {
			d[i] *= s
		}
	}
}
