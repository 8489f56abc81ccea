package nn

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/rxlab/rxlab/rl/nn/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The MLP trainer's gorgonia Ops. Each is a shape-specialised float32
// operation with a fast kernel, built on the shared machinery of graph.go
// (OpBase, Recorder, Program). Forward ops also implement symbolic
// differentiation (gorgonia.SDOp), so gorgonia.Grad builds the backward
// graph out of the backward ops below.

var (
	matF32 hm.Type = G.TensorType{Dims: 2, Of: G.Float32}
	scaF32 hm.Type = G.Float32
)

// opBase is OpBase plus the recorder the op's SymDiff builds backward ops
// with.
type opBase struct {
	OpBase
	rec *Recorder
}

func newBase(rec *Recorder, name string, shape tensor.Shape) opBase {
	return opBase{OpBase{Name: name, Shape: shape}, rec}
}

// denseOp is the fused layer y = act(x·W + b), x batch×in, W in×out, b 1×out.
type denseOp struct {
	opBase
	batch, in, out int
	act            Activation
}

func newDenseOp(rec *Recorder, batch, in, out int, act Activation) *denseOp {
	return &denseOp{newBase(rec, fmt.Sprintf("Dense%s", act), tensor.Shape{batch, out}), batch, in, out, act}
}

func (o *denseOp) Arity() int    { return 3 }
func (o *denseOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, matF32, matF32) }
func (o *denseOp) Do(v ...G.Value) (G.Value, error) {
	return DoWith(o, v...)
}

func (o *denseOp) Run(y []float32, ins [][]float32, _ []float32) {
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
		if dz, err = o.rec.Apply(newActGradOp(o.rec, o.act, o.batch, o.out), output, grad); err != nil {
			return nil, err
		}
	}
	dx, err := o.rec.Apply(newMatMulNTOp(o.rec, o.batch, o.in, o.out), dz, w)
	if err != nil {
		return nil, err
	}
	dw, err := o.rec.Apply(newMatMulTNOp(o.rec, o.in, o.out, o.batch), x, dz)
	if err != nil {
		return nil, err
	}
	db, err := o.rec.Apply(newColSumOp(o.rec, o.batch, o.out), dz)
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
func (o *maskOp) Do(v ...G.Value) (G.Value, error) { return DoWith(o, v...) }
func (o *maskOp) Run(y []float32, ins [][]float32, _ []float32) {
	for i, v := range ins[0][:len(o.mask)] {
		y[i] = v * o.mask[i]
	}
}
func (o *maskOp) DiffWRT(int) []bool { return []bool{true} }
func (o *maskOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.Apply(&maskOp{newBase(o.rec, "DropoutGrad", o.Shape), o.mask}, grad)
	return G.Nodes{d}, err
}

// actGradOp computes dz = dy·act'(z) from the activation output y and dy.
type actGradOp struct {
	opBase
	act Activation
}

func newActGradOp(rec *Recorder, act Activation, rows, cols int) *actGradOp {
	return &actGradOp{newBase(rec, fmt.Sprintf("%sGrad", act), tensor.Shape{rows, cols}), act}
}

func (o *actGradOp) Arity() int    { return 2 }
func (o *actGradOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, matF32) }
func (o *actGradOp) Do(v ...G.Value) (G.Value, error) {
	return DoWith(o, v...)
}
func (o *actGradOp) Run(dz []float32, ins [][]float32, _ []float32) {
	n := o.Shape.TotalSize()
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

func newMatMulNTOp(rec *Recorder, m, n, k int) *matMulNTOp {
	return &matMulNTOp{newBase(rec, "MatMulNT", tensor.Shape{m, n}), m, n, k}
}

func (o *matMulNTOp) Arity() int      { return 2 }
func (o *matMulNTOp) Type() hm.Type   { return hm.NewFnType(matF32, matF32, matF32) }
func (o *matMulNTOp) ScratchLen() int { return o.n * o.k }
func (o *matMulNTOp) Do(v ...G.Value) (G.Value, error) {
	return DoWith(o, v...)
}
func (o *matMulNTOp) Run(c []float32, ins [][]float32, scratch []float32) {
	kernels.GemmNT(o.m, o.n, o.k, ins[0], o.k, ins[1], o.k, c, o.n, false, scratch)
}

// matMulTNOp computes C = Aᵀ·B with A k×m and B k×n (the weight gradient).
type matMulTNOp struct {
	opBase
	m, n, k int
}

func newMatMulTNOp(rec *Recorder, m, n, k int) *matMulTNOp {
	return &matMulTNOp{newBase(rec, "MatMulTN", tensor.Shape{m, n}), m, n, k}
}

func (o *matMulTNOp) Arity() int    { return 2 }
func (o *matMulTNOp) Type() hm.Type { return hm.NewFnType(matF32, matF32, matF32) }
func (o *matMulTNOp) Do(v ...G.Value) (G.Value, error) {
	return DoWith(o, v...)
}
func (o *matMulTNOp) Run(c []float32, ins [][]float32, _ []float32) {
	kernels.GemmTN(o.m, o.n, o.k, ins[0], o.m, ins[1], o.n, c, o.n, false)
}

// colSumOp sums the rows of a rows×cols matrix into a 1×cols bias gradient.
type colSumOp struct {
	opBase
	rows, cols int
}

func newColSumOp(rec *Recorder, rows, cols int) *colSumOp {
	return &colSumOp{newBase(rec, "ColSum", tensor.Shape{1, cols}), rows, cols}
}

func (o *colSumOp) Arity() int    { return 1 }
func (o *colSumOp) Type() hm.Type { return hm.NewFnType(matF32, matF32) }
func (o *colSumOp) Do(v ...G.Value) (G.Value, error) {
	return DoWith(o, v...)
}
func (o *colSumOp) Run(db []float32, ins [][]float32, _ []float32) {
	kernels.ColSum(db, ins[0], o.cols, o.rows, o.cols)
}
