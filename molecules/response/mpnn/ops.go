package mpnn

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/rl/nn/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The network's gorgonia Ops. A batch of molecules is one disjoint graph
// whose size varies from batch to batch, while a gorgonia node has a fixed
// shape; so every node is shaped for the batch capacity (rows = the most
// atoms, directed bonds or molecules a batch may hold) and the ops read the
// live counts and the connectivity from a shared batch (see batch). Rows
// past the live count are never read by any op.
//
// The op base, the recorder, the compiled executor and the masked losses
// are rl/nn's (nn.OpBase, nn.Recorder, nn.Program, nn.MaskedMSE/MaskedBCE);
// this file holds the graph ops. Every forward op implements symbolic
// differentiation (gorgonia.SDOp): gorgonia.Grad builds the backward graph
// out of the backward ops here, and sums the gradients of nodes used more
// than once with its own Add op, which nn.Program runs as an element-wise
// add. Every op runs under gorgonia's TapeMachine through Do, and under
// nn.Program through Run.

// rowKind says which live count gives an op's row count.
type rowKind uint8

const (
	rowsEdge  rowKind = iota // directed bonds
	rowsAtom                 // atoms
	rowsMol                  // molecules
	rowsFixed                // a parameter-shaped matrix: all rows
)

// batch is the live content of one batch: counts and connectivity, shared
// by every op of a graph. Atoms of a molecule are contiguous; edges are in
// reverse pairs (e, e^1).
type batch struct {
	nMol, nAtom, nEdge int
	src, dst           []int32   // per edge, batch-global atom indices
	molStart           []int32   // nMol+1 atom offsets
	molScale           []float32 // readout factor per molecule (1/n for mean)
	atomMol            []int32   // molecule of each atom
}

func (b *batch) rows(k rowKind, fixed int) int {
	switch k {
	case rowsEdge:
		return b.nEdge
	case rowsAtom:
		return b.nAtom
	case rowsMol:
		return b.nMol
	}
	return fixed
}

var (
	matF32 hm.Type = G.TensorType{Dims: 2, Of: G.Float32}
	scaF32 hm.Type = G.Float32
)

// recorder is rl/nn's Recorder plus the batch every op of the graph reads.
type recorder struct {
	*nn.Recorder
	b *batch
}

func newRecorder(b *batch) *recorder { return &recorder{nn.NewRecorder(), b} }

func (r *recorder) apply(op nn.KernelOp, children ...*G.Node) (*G.Node, error) {
	return r.Apply(op, children...)
}

// opBase is rl/nn's OpBase (shaped for the batch capacity) plus the kind of
// live count its rows follow and the recorder.
type opBase struct {
	nn.OpBase
	kind rowKind
	rec  *recorder
}

// live returns the live row count of the op's output.
func (o *opBase) live() int {
	if o.Shape.IsScalar() {
		return 1
	}
	return o.rec.b.rows(o.kind, o.Shape[0])
}

func (o *opBase) cols() int {
	if o.Shape.IsScalar() {
		return 1
	}
	return o.Shape[1]
}

func base(rec *recorder, name string, kind rowKind, rows, cols int) opBase {
	return opBase{OpBase: nn.OpBase{Name: name, Shape: tensor.Shape{rows, cols}}, kind: kind, rec: rec}
}

func fnType(arity int, out hm.Type) hm.Type {
	ts := make(hm.Types, 0, arity+1)
	for i := 0; i < arity; i++ {
		ts = append(ts, matF32)
	}
	return hm.NewFnType(append(ts, out)...)
}

// ---------------------------------------------------------------------------
// Dense layers.

// denseOp is y = act(x·W [+ b] [+ r]) over the live rows: x rows×in, W
// in×out, b 1×out, r rows×out (a residual input, D-MPNN's W_i·x term).
type denseOp struct {
	opBase
	in, out   int
	bias, res bool
	relu      bool
}

func newDenseOp(rec *recorder, kind rowKind, rows, in, out int, bias, res, relu bool) *denseOp {
	name := "Dense"
	if relu {
		name += "ReLU"
	}
	return &denseOp{opBase: base(rec, name, kind, rows, out), in: in, out: out, bias: bias, res: res, relu: relu}
}

func (o *denseOp) Arity() int {
	n := 2
	if o.bias {
		n++
	}
	if o.res {
		n++
	}
	return n
}
func (o *denseOp) Type() hm.Type                    { return fnType(o.Arity(), matF32) }
func (o *denseOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }

func (o *denseOp) Run(y []float32, ins [][]float32, _ []float32) {
	n := o.live()
	x, w := ins[0], ins[1]
	k := 2
	var b, r []float32
	if o.bias {
		b = ins[k]
		k++
	}
	if o.res {
		r = ins[k]
	}
	y = y[:n*o.out]
	switch {
	case r != nil:
		copy(y, r[:n*o.out])
		if b != nil {
			for i := 0; i < n; i++ {
				kernels.Add(y[i*o.out:(i+1)*o.out], b[:o.out])
			}
		}
	case b != nil:
		for i := 0; i < n; i++ {
			copy(y[i*o.out:(i+1)*o.out], b[:o.out])
		}
	}
	if n > 0 {
		kernels.GemmNN(n, o.out, o.in, x, o.in, w, o.out, y, o.out, r != nil || b != nil)
	}
	if o.relu {
		kernels.ReLU(y)
	}
}

func (o *denseOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (o *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != o.Arity() {
		return nil, fmt.Errorf("mpnn: %v: SymDiff needs %d inputs, got %d", o, o.Arity(), len(inputs))
	}
	x, w := inputs[0], inputs[1]
	rows := o.Shape[0]
	dz := grad
	var err error
	if o.relu {
		if dz, err = o.rec.apply(&reluGradOp{base(o.rec, "ReLUGrad", o.kind, rows, o.out)}, output, grad); err != nil {
			return nil, err
		}
	}
	dx, err := o.rec.apply(&matNTOp{base(o.rec, "MatMulNT", o.kind, rows, o.in), o.out}, dz, w)
	if err != nil {
		return nil, err
	}
	dw, err := o.rec.apply(&matTNOp{base(o.rec, "MatMulTN", rowsFixed, o.in, o.out), o.kind}, x, dz)
	if err != nil {
		return nil, err
	}
	out := G.Nodes{dx, dw}
	if o.bias {
		db, err := o.rec.apply(&colSumOp{base(o.rec, "ColSum", rowsFixed, 1, o.out), o.kind}, dz)
		if err != nil {
			return nil, err
		}
		out = append(out, db)
	}
	if o.res {
		out = append(out, dz)
	}
	return out, nil
}

// reluOp is y = max(x, 0).
type reluOp struct{ opBase }

func (o *reluOp) Arity() int                       { return 1 }
func (o *reluOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *reluOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *reluOp) Run(y []float32, ins [][]float32, _ []float32) {
	n := o.live() * o.cols()
	copy(y[:n], ins[0][:n])
	kernels.ReLU(y[:n])
}
func (o *reluOp) DiffWRT(int) []bool { return []bool{true} }
func (o *reluOp) SymDiff(_ G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(&reluGradOp{base(o.rec, "ReLUGrad", o.kind, o.Shape[0], o.Shape[1])}, output, grad)
	return G.Nodes{d}, err
}

// reluGradOp is dz = dy·[y > 0] from the ReLU output y.
type reluGradOp struct{ opBase }

func (o *reluGradOp) Arity() int                       { return 2 }
func (o *reluGradOp) Type() hm.Type                    { return fnType(2, matF32) }
func (o *reluGradOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *reluGradOp) Run(dz []float32, ins [][]float32, _ []float32) {
	n := o.live() * o.cols()
	kernels.ReLUGrad(dz[:n], ins[0][:n], ins[1][:n])
}

// matNTOp is C = A·Wᵀ over the live rows of A (rows×k) with W n×k.
type matNTOp struct {
	opBase
	k int
}

func (o *matNTOp) Arity() int                       { return 2 }
func (o *matNTOp) Type() hm.Type                    { return fnType(2, matF32) }
func (o *matNTOp) ScratchLen() int                  { return o.k * o.cols() }
func (o *matNTOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *matNTOp) Run(c []float32, ins [][]float32, scratch []float32) {
	n, w := o.live(), o.cols()
	if n == 0 {
		return
	}
	kernels.GemmNT(n, w, o.k, ins[0], o.k, ins[1], o.k, c, w, false, scratch)
}

// matTNOp is C = Xᵀ·D summed over the live rows (of kind sum) of X and D:
// the weight gradient.
type matTNOp struct {
	opBase
	sum rowKind
}

func (o *matTNOp) Arity() int                       { return 2 }
func (o *matTNOp) Type() hm.Type                    { return fnType(2, matF32) }
func (o *matTNOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *matTNOp) Run(c []float32, ins [][]float32, _ []float32) {
	m, n := o.Shape[0], o.Shape[1]
	k := o.rec.b.rows(o.sum, 0)
	kernels.GemmTN(m, n, k, ins[0], m, ins[1], n, c, n, false)
}

// colSumOp sums the live rows of a matrix into a 1×cols bias gradient.
type colSumOp struct {
	opBase
	sum rowKind
}

func (o *colSumOp) Arity() int                       { return 1 }
func (o *colSumOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *colSumOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *colSumOp) Run(db []float32, ins [][]float32, _ []float32) {
	c := o.cols()
	k := o.rec.b.rows(o.sum, 0)
	if k == 0 {
		clear(db[:c])
		return
	}
	kernels.ColSum(db, ins[0], c, k, c)
}

// ---------------------------------------------------------------------------
// Graph ops.

// gatherOp copies rows: out[e] = x[idx[e]] for the live rows of the output
// (kind), reading rows of kind from. idx is the batch's src or dst.
type gatherOp struct {
	opBase
	useDst bool
	from   rowKind
	fromN  int // capacity rows of x
}

func newGather(rec *recorder, useDst bool, from, to rowKind, fromN, toN, cols int) *gatherOp {
	return &gatherOp{opBase: base(rec, "Gather", to, toN, cols), useDst: useDst, from: from, fromN: fromN}
}

func (o *gatherOp) idx() []int32 {
	if o.useDst {
		return o.rec.b.dst
	}
	return o.rec.b.src
}
func (o *gatherOp) Arity() int                       { return 1 }
func (o *gatherOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *gatherOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *gatherOp) Run(out []float32, ins [][]float32, _ []float32) {
	c, x := o.cols(), ins[0]
	for e, a := range o.idx()[:o.live()] {
		copy(out[e*c:(e+1)*c], x[int(a)*c:int(a+1)*c])
	}
}
func (o *gatherOp) DiffWRT(int) []bool { return []bool{true} }
func (o *gatherOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(newScatter(o.rec, o.useDst, o.kind, o.from, o.Shape[0], o.fromN, o.cols()), grad)
	return G.Nodes{d}, err
}

// scatterOp sums rows: out[idx[e]] += x[e] over the live rows e of x (kind
// from), into the live rows of the output (kind), which start at zero. With
// idx = dst it sums each atom's incoming messages.
type scatterOp struct {
	opBase
	useDst bool
	from   rowKind
	fromN  int
}

func newScatter(rec *recorder, useDst bool, from, to rowKind, fromN, toN, cols int) *scatterOp {
	return &scatterOp{opBase: base(rec, "ScatterSum", to, toN, cols), useDst: useDst, from: from, fromN: fromN}
}

func (o *scatterOp) idx() []int32 {
	if o.useDst {
		return o.rec.b.dst
	}
	return o.rec.b.src
}
func (o *scatterOp) Arity() int                       { return 1 }
func (o *scatterOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *scatterOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *scatterOp) Run(out []float32, ins [][]float32, _ []float32) {
	c, x := o.cols(), ins[0]
	clear(out[:o.live()*c])
	n := o.rec.b.rows(o.from, o.fromN)
	for e, a := range o.idx()[:n] {
		kernels.Add(out[int(a)*c:int(a+1)*c], x[e*c:(e+1)*c])
	}
}
func (o *scatterOp) DiffWRT(int) []bool { return []bool{true} }
func (o *scatterOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(newGather(o.rec, o.useDst, o.kind, o.from, o.Shape[0], o.fromN, o.cols()), grad)
	return G.Nodes{d}, err
}

// msgOp is the D-MPNN bond message: m[e] = a[src[e]] − h[e^1], the sum of
// the messages into e's source atom except the one coming back along e.
// Inputs: a (atoms×H), h (edges×H).
type msgOp struct {
	opBase
	atomN int
}

func (o *msgOp) Arity() int                       { return 2 }
func (o *msgOp) Type() hm.Type                    { return fnType(2, matF32) }
func (o *msgOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *msgOp) Run(out []float32, ins [][]float32, _ []float32) {
	c, a, h := o.cols(), ins[0], ins[1]
	for e, s := range o.rec.b.src[:o.live()] {
		r := e ^ 1
		dst, as, hr := out[e*c:(e+1)*c], a[int(s)*c:int(s+1)*c], h[r*c:(r+1)*c]
		for j := range dst {
			dst[j] = as[j] - hr[j]
		}
	}
}
func (o *msgOp) DiffWRT(int) []bool { return []bool{true, true} }
func (o *msgOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	da, err := o.rec.apply(newScatter(o.rec, false, rowsEdge, rowsAtom, o.Shape[0], o.atomN, o.cols()), grad)
	if err != nil {
		return nil, err
	}
	dh, err := o.rec.apply(&negRevOp{base(o.rec, "NegRev", rowsEdge, o.Shape[0], o.cols())}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, dh}, nil
}

// negRevOp is out[e] = −x[e^1]; it is its own adjoint.
type negRevOp struct{ opBase }

func (o *negRevOp) Arity() int                       { return 1 }
func (o *negRevOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *negRevOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *negRevOp) Run(out []float32, ins [][]float32, _ []float32) {
	c, x := o.cols(), ins[0]
	for e := 0; e < o.live(); e++ {
		r := e ^ 1
		dst, src := out[e*c:(e+1)*c], x[r*c:(r+1)*c]
		for j := range dst {
			dst[j] = -src[j]
		}
	}
}
func (o *negRevOp) DiffWRT(int) []bool { return []bool{true} }
func (o *negRevOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(&negRevOp{base(o.rec, "NegRev", rowsEdge, o.Shape[0], o.cols())}, grad)
	return G.Nodes{d}, err
}

// concatOp joins columns: out = [a, b] with a rows×p and b rows×q.
type concatOp struct {
	opBase
	p, q int
}

func (o *concatOp) Arity() int                       { return 2 }
func (o *concatOp) Type() hm.Type                    { return fnType(2, matF32) }
func (o *concatOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *concatOp) Run(out []float32, ins [][]float32, _ []float32) {
	w := o.p + o.q
	for i := 0; i < o.live(); i++ {
		copy(out[i*w:i*w+o.p], ins[0][i*o.p:(i+1)*o.p])
		copy(out[i*w+o.p:(i+1)*w], ins[1][i*o.q:(i+1)*o.q])
	}
}
func (o *concatOp) DiffWRT(int) []bool { return []bool{true, true} }
func (o *concatOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	rows := o.Shape[0]
	da, err := o.rec.apply(&sliceColsOp{base(o.rec, "SliceCols", o.kind, rows, o.p), 0, o.p + o.q}, grad)
	if err != nil {
		return nil, err
	}
	db, err := o.rec.apply(&sliceColsOp{base(o.rec, "SliceCols", o.kind, rows, o.q), o.p, o.p + o.q}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

// dropoutOp multiplies its input element-wise by a mask the trainer redraws
// every step (inverted dropout: entries are 0 or 1/(1−p)). Its backward is
// the same product applied to the gradient.
type dropoutOp struct {
	opBase
	mask []float32 // capacity rows × cols, owned by the netGraph
}

func (o *dropoutOp) Arity() int                       { return 1 }
func (o *dropoutOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *dropoutOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *dropoutOp) Run(y []float32, ins [][]float32, _ []float32) {
	n := o.live() * o.cols()
	for i, v := range ins[0][:n] {
		y[i] = v * o.mask[i]
	}
}
func (o *dropoutOp) DiffWRT(int) []bool { return []bool{true} }
func (o *dropoutOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(&dropoutOp{base(o.rec, "DropoutGrad", o.kind, o.Shape[0], o.Shape[1]), o.mask}, grad)
	return G.Nodes{d}, err
}

// sliceColsOp copies columns off..off+cols of a rows×width matrix (the
// backward of concatOp; it is not itself differentiated).
type sliceColsOp struct {
	opBase
	off, width int
}

func (o *sliceColsOp) Arity() int                       { return 1 }
func (o *sliceColsOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *sliceColsOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *sliceColsOp) Run(out []float32, ins [][]float32, _ []float32) {
	c := o.cols()
	for i := 0; i < o.live(); i++ {
		copy(out[i*c:(i+1)*c], ins[0][i*o.width+o.off:i*o.width+o.off+c])
	}
}

// readoutOp pools atom rows into molecule rows: out[m] = scale[m]·Σ h[v]
// over the atoms of m (scale 1/n for the mean).
type readoutOp struct {
	opBase
	atomN int
}

func (o *readoutOp) Arity() int                       { return 1 }
func (o *readoutOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *readoutOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *readoutOp) Run(out []float32, ins [][]float32, _ []float32) {
	b, c, h := o.rec.b, o.cols(), ins[0]
	for m := 0; m < b.nMol; m++ {
		dst := out[m*c : (m+1)*c]
		clear(dst)
		for v := b.molStart[m]; v < b.molStart[m+1]; v++ {
			kernels.Add(dst, h[int(v)*c:int(v+1)*c])
		}
		s := b.molScale[m]
		for j := range dst {
			dst[j] *= s
		}
	}
}
func (o *readoutOp) DiffWRT(int) []bool { return []bool{true} }
func (o *readoutOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(&spreadOp{base(o.rec, "Spread", rowsAtom, o.atomN, o.cols())}, grad)
	return G.Nodes{d}, err
}

// spreadOp is the adjoint of readoutOp: out[v] = scale[m]·dy[m] for each
// atom v of molecule m.
type spreadOp struct{ opBase }

func (o *spreadOp) Arity() int                       { return 1 }
func (o *spreadOp) Type() hm.Type                    { return fnType(1, matF32) }
func (o *spreadOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *spreadOp) Run(out []float32, ins [][]float32, _ []float32) {
	b, c, dy := o.rec.b, o.cols(), ins[0]
	for v, m := range b.atomMol[:b.nAtom] {
		s := b.molScale[m]
		dst, src := out[v*c:(v+1)*c], dy[int(m)*c:int(m+1)*c]
		for j := range dst {
			dst[j] = s * src[j]
		}
	}
}
func (o *spreadOp) DiffWRT(int) []bool { return []bool{true} }
func (o *spreadOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(&readoutOp{base(o.rec, "Readout", rowsMol, o.rec.b.capMol(), o.cols()), o.Shape[0]}, grad)
	return G.Nodes{d}, err
}
