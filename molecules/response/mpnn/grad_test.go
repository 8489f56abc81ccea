package mpnn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/rl/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dotOp is a test loss: Σ out·w over the live rows of out, so ∂/∂out = w.
type dotOp struct {
	opBase
	rows rowKind
	cols int
}

func (o *dotOp) Arity() int                       { return 2 }
func (o *dotOp) Type() hm.Type                    { return hm.NewFnType(matF32, matF32, scaF32) }
func (o *dotOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *dotOp) Run(out []float32, ins [][]float32, _ []float32) {
	n := o.rec.b.rows(o.rows, 0) * o.cols
	var s float64
	for i, v := range ins[0][:n] {
		s += float64(v) * float64(ins[1][i])
	}
	out[0] = float32(s)
}
func (o *dotOp) DiffWRT(int) []bool { return []bool{true, false} }
func (o *dotOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := o.rec.apply(&scaleOp{base(o.rec, "Scale", o.rows, inputs[1].Shape()[0], o.cols)}, inputs[1], grad)
	return G.Nodes{d, nil}, err
}

// scaleOp is out = x·s for a scalar s.
type scaleOp struct{ opBase }

func (o *scaleOp) Arity() int                       { return 2 }
func (o *scaleOp) Type() hm.Type                    { return hm.NewFnType(matF32, scaF32, matF32) }
func (o *scaleOp) Do(v ...G.Value) (G.Value, error) { return nn.DoWith(o, v...) }
func (o *scaleOp) Run(out []float32, ins [][]float32, _ []float32) {
	n := o.live() * o.cols()
	for i, v := range ins[0][:n] {
		out[i] = v * ins[1][0]
	}
}

// posRevOp is a deliberately wrong adjoint of the message's −h[e^1] term
// (it forgets the minus sign), injected to show the checks catch it.
type posRevOp struct{ negRevOp }

func (o *posRevOp) Run(out []float32, ins [][]float32, s []float32) {
	o.negRevOp.Run(out, ins, s)
	n := o.live() * o.cols()
	for i := range out[:n] {
		out[i] = -out[i]
	}
}

// injectWrongRev swaps every NegRev step of a compiled graph for posRevOp.
func injectWrongRev(t *testing.T, ng *netGraph) {
	t.Helper()
	n := 0
	ng.prog.Replace(func(op nn.KernelOp) nn.KernelOp {
		if o, ok := op.(*negRevOp); ok {
			n++
			return &posRevOp{*o}
		}
		return nil
	})
	if n == 0 {
		t.Fatal("no NegRev step to corrupt")
	}
}

// testBatch is a batch of two molecules: a 4-atom chain with a branch
// (3 bonds) and a triangle (3 bonds), 6 bonds, 12 directed edges.
func testBatch() *batch {
	type pair struct{ a, b int32 }
	bonds := []pair{{0, 1}, {1, 2}, {1, 3}, {4, 5}, {5, 6}, {6, 4}}
	b := &batch{nMol: 2, nAtom: 7, nEdge: 12,
		molStart: []int32{0, 4, 7}, molScale: []float32{0.25, 1.0 / 3}, atomMol: []int32{0, 0, 0, 0, 1, 1, 1}}
	for _, p := range bonds {
		b.src = append(b.src, p.a, p.b)
		b.dst = append(b.dst, p.b, p.a)
	}
	// capacity one row larger than live everywhere, to test that padding is ignored
	b.src = append(b.src, 0, 0)
	b.dst = append(b.dst, 0, 0)
	b.molScale = append(b.molScale, 0)
	b.atomMol = append(b.atomMol, 0)
	return b
}

// inSpec is an op input for the op-level check.
type inSpec struct {
	kind       rowKind
	rows, cols int
}

// opGraph builds cost = Σ op(inputs)·w and its gradients w.r.t. every input,
// compiled for the package executor.
func opGraph(t *testing.T, b *batch, specs []inSpec, outKind rowKind, outRows, outCols int,
	build func(rec *recorder, in G.Nodes) (*G.Node, error)) (*netGraph, [][]float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	g := G.NewGraph()
	rec := newRecorder(b)
	var nodes G.Nodes
	var data [][]float32
	for i, s := range specs {
		d := make([]float32, s.rows*s.cols)
		for j := range d {
			d[j] = float32(rng.NormFloat64())
		}
		data = append(data, d)
		nodes = append(nodes, G.NewMatrix(g, G.Float32, G.WithShape(s.rows, s.cols), G.WithName(string(rune('a'+i))),
			G.WithValue(tensor.New(tensor.WithShape(s.rows, s.cols), tensor.WithBacking(d)))))
	}
	out, err := build(rec, nodes)
	if err != nil {
		t.Fatal(err)
	}
	wd := make([]float32, outRows*outCols)
	for j := range wd {
		wd[j] = float32(rng.NormFloat64())
	}
	w := G.NewMatrix(g, G.Float32, G.WithShape(outRows, outCols), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(outRows, outCols), tensor.WithBacking(wd))))
	cost, err := rec.apply(&dotOp{opBase{OpBase: nn.OpBase{Name: "Dot", Shape: tensor.ScalarShape()}, kind: rowsFixed, rec: rec}, outKind, outCols}, out, w)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(cost, nodes...)
	if err != nil {
		t.Fatal(err)
	}
	ng := &netGraph{g: g, b: b, Out: cost, Grads: grads}
	if err := ng.compile(rec, append(G.Nodes{cost}, grads...)); err != nil {
		t.Fatal(err)
	}
	return ng, data
}

// fdError compares the analytic gradients of ng (run first) with central
// finite differences of the cost f() over the live rows of each input; it
// returns the largest |analytic − numeric| / max|numeric| over inputs.
func fdError(ng *netGraph, data [][]float32, live []int, f func() float64, eps float32) float64 {
	ng.run()
	worst := 0.0
	for i, d := range data {
		an := append([]float32(nil), ng.grads[i]...)
		var maxErr, maxNum float64
		for j := range d[:live[i]] {
			old := d[j]
			d[j] = old + eps
			ng.run()
			up := f()
			d[j] = old - eps
			ng.run()
			dn := f()
			d[j] = old
			num := (up - dn) / (2 * float64(eps))
			maxErr = max(maxErr, math.Abs(num-float64(an[j])))
			maxNum = max(maxNum, math.Abs(num))
		}
		worst = max(worst, maxErr/max(maxNum, 1e-6))
	}
	ng.run()
	return worst
}

func TestOpGradients(t *testing.T) {
	const H = 5
	b := testBatch()
	E, A, M := len(b.src), len(b.atomMol), len(b.molScale)
	cases := []struct {
		name    string
		specs   []inSpec
		outKind rowKind
		outRows int
		outCols int
		build   func(rec *recorder, in G.Nodes) (*G.Node, error)
		inject  bool
	}{
		{"gather src", []inSpec{{rowsAtom, A, H}}, rowsEdge, E, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(newGather(rec, false, rowsAtom, rowsEdge, A, E, H), in[0])
		}, false},
		{"scatter dst", []inSpec{{rowsEdge, E, H}}, rowsAtom, A, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(newScatter(rec, true, rowsEdge, rowsAtom, E, A, H), in[0])
		}, false},
		{"message", []inSpec{{rowsAtom, A, H}, {rowsEdge, E, H}}, rowsEdge, E, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(&msgOp{base(rec, "Message", rowsEdge, E, H), A}, in[0], in[1])
		}, false},
		{"message, wrong adjoint injected", []inSpec{{rowsAtom, A, H}, {rowsEdge, E, H}}, rowsEdge, E, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(&msgOp{base(rec, "Message", rowsEdge, E, H), A}, in[0], in[1])
		}, true},
		{"readout", []inSpec{{rowsAtom, A, H}}, rowsMol, M, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(&readoutOp{base(rec, "Readout", rowsMol, M, H), A}, in[0])
		}, false},
		{"concat", []inSpec{{rowsAtom, A, 3}, {rowsAtom, A, H}}, rowsAtom, A, 3 + H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(&concatOp{base(rec, "Concat", rowsAtom, A, 3+H), 3, H}, in[0], in[1])
		}, false},
		{"dense bias relu", []inSpec{{rowsAtom, A, 4}, {rowsFixed, 4, H}, {rowsFixed, 1, H}}, rowsAtom, A, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(newDenseOp(rec, rowsAtom, A, 4, H, true, false, true), in[0], in[1], in[2])
		}, false},
		{"dense residual relu", []inSpec{{rowsEdge, E, H}, {rowsFixed, H, H}, {rowsEdge, E, H}}, rowsEdge, E, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			return rec.apply(newDenseOp(rec, rowsEdge, E, H, H, false, true, true), in[0], in[1], in[2])
		}, false},
		{"two messages sharing h (gorgonia Add of gradients)", []inSpec{{rowsEdge, E, H}}, rowsEdge, E, H, func(rec *recorder, in G.Nodes) (*G.Node, error) {
			a, err := rec.apply(newScatter(rec, true, rowsEdge, rowsAtom, E, A, H), in[0])
			if err != nil {
				return nil, err
			}
			return rec.apply(&msgOp{base(rec, "Message", rowsEdge, E, H), A}, a, in[0])
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ng, data := opGraph(t, b, c.specs, c.outKind, c.outRows, c.outCols, c.build)
			if c.inject {
				injectWrongRev(t, ng)
			}
			live := make([]int, len(c.specs))
			for i, s := range c.specs {
				live[i] = b.rows(s.kind, s.rows) * s.cols
			}
			cost := ng.out
			eps := float32(1e-2) // exact for the linear graph ops
			if strings.HasPrefix(c.name, "dense") {
				eps = 1e-3 // stay off the ReLU kinks
			}
			e := fdError(ng, data, live, func() float64 { return float64(cost[0]) }, eps)
			t.Logf("max relative gradient error %.2e", e)
			if c.inject && e < 0.1 {
				t.Errorf("injected wrong adjoint not caught: error %.2e", e)
			}
			if !c.inject && e > 2e-3 {
				t.Errorf("gradient error %.2e > 2e-3", e)
			}
		})
	}
}

// tinyGraphs parses a few molecules for the whole-network checks.
func tinyGraphs(t testing.TB, extras int) []Graph {
	t.Helper()
	var gs []Graph
	for i, s := range []string{"CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C", "N#CC(Cl)=C"} {
		m, err := molecules.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		ex := make([]float32, extras)
		for j := range ex {
			ex[j] = float32(i-2) * 0.3 * float32(j+1)
		}
		gs = append(gs, GraphOf(m, ex))
	}
	return gs
}

func TestNetworkGradient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		inject bool
	}{
		{"regression, extras, mean", Config{Hidden: 8, Depth: 3, FFNHidden: 6, Extras: 2, Tasks: 2, Seed: 3}, false},
		{"classification, sum, depth 2", Config{Hidden: 8, Depth: 2, FFNHidden: 5, FFNLayers: 3, Tasks: 2, Classification: true, Agg: AggSum, Seed: 4}, false},
		{"wrong message adjoint injected", Config{Hidden: 8, Depth: 3, FFNHidden: 6, Extras: 2, Tasks: 2, Seed: 3}, true},
		{"readout dropout, fixed mask", Config{Hidden: 8, Depth: 3, FFNHidden: 6, Extras: 2, Tasks: 2, Seed: 3, Dropout: 0.4}, false},
		{"per-atom extras", Config{Hidden: 8, Depth: 3, FFNHidden: 6, Extras: 2, AtomExtras: 3, Tasks: 2, Seed: 4}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg.withDefaults()
			m := newModel(cfg)
			var err error
			gs := tinyGraphs(t, cfg.Extras)
			if k := cfg.AtomExtras; k > 0 {
				for i, g := range gs {
					x := make([]float32, g.Atoms*k)
					for j := range x {
						x[j] = float32((i+j)%5-2) * 0.4
					}
					if gs[i], err = WithAtomFeatures(g, x, k); err != nil {
						t.Fatal(err)
					}
				}
			}
			ys := [][]float64{{0.5, math.NaN()}, {-1, 1}, {1.2, 0}, {0, 1}, {math.NaN(), 0}}
			if cfg.Classification {
				ys = [][]float64{{1, math.NaN()}, {0, 1}, {1, 0}, {0, 1}, {math.NaN(), 0}}
			}
			ng, err := buildNet(m, caps{mol: 6, atom: 40, edge: 80}, true)
			if err != nil {
				t.Fatal(err)
			}
			ng.load(gs, []int{0, 1, 2, 3, 4}, ys, cfg.Agg == AggSum)
			if cfg.AtomExtras > 0 {
				// The extras reach the network: W_i's and W_o's extra rows
				// have gradients.
				aw := cfg.atomWidth()
				ng.run()
				var gi, go_ float64
				for r := AtomDim; r < aw; r++ {
					for c := 0; c < cfg.Hidden; c++ {
						gi += math.Abs(float64(ng.grads[0][r*cfg.Hidden+c]))
						go_ += math.Abs(float64(ng.grads[2][r*cfg.Hidden+c]))
					}
				}
				if gi == 0 || go_ == 0 {
					t.Errorf("per-atom extras: gradient mass on their W_i rows %g, W_o rows %g; want both > 0", gi, go_)
				}
			}
			if cfg.Dropout > 0 {
				if ng.mask == nil {
					t.Fatal("training graph with Dropout has no mask")
				}
				for i := range ng.mask {
					ng.mask[i] = float32(i%3) / 2 * float32(1/(1-cfg.Dropout)) // 0, ½, 1 scaled: zeros and two weights
				}
			}
			if tc.inject {
				injectWrongRev(t, ng)
			}
			live := make([]int, len(m.params))
			for i, p := range m.params {
				live[i] = len(p)
			}
			e := fdError(ng, m.params, live, func() float64 { return float64(ng.prog.Loss()) }, 1e-3)
			t.Logf("loss %.4f, max relative gradient error over %d parameters: %.2e", ng.prog.Loss(), m.NumParams(), e)
			if tc.inject && e < 0.1 {
				t.Errorf("injected wrong adjoint not caught: error %.2e", e)
			}
			if !tc.inject && e > 2e-2 {
				t.Errorf("gradient error %.2e > 2e-2", e)
			}
		})
	}
}

// TestTapeMachineAgrees runs the same training graph under gorgonia's own
// TapeMachine (its Do methods and gorgonia's Add) and compares loss and
// gradients with the package executor.
func TestTapeMachineAgrees(t *testing.T) {
	cfg := Config{Hidden: 8, Depth: 3, FFNHidden: 6, Extras: 2, Tasks: 2, Seed: 5}.withDefaults()
	m := newModel(cfg)
	gs := tinyGraphs(t, cfg.Extras)
	ys := [][]float64{{0.5, math.NaN()}, {-1, 1}, {1.2, 0}, {0, 1}, {math.NaN(), 0}}
	ng, err := buildNet(m, caps{mol: 5, atom: 40, edge: 80}, true)
	if err != nil {
		t.Fatal(err)
	}
	ng.load(gs, []int{0, 1, 2, 3, 4}, ys, false)
	loss := ng.run()
	vm := G.NewTapeMachine(ng.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gl, err := nn.ValueData(ng.Cost.Value())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(gl[0]-loss)) > 1e-5*max(1, math.Abs(float64(loss))) {
		t.Errorf("loss: TapeMachine %v, executor %v", gl[0], loss)
	}
	for i, gn := range ng.Grads {
		d, err := nn.ValueData(gn.Value())
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range ng.grads[i] {
			if math.Abs(float64(v-d[j])) > 1e-5*max(1, math.Abs(float64(v))) {
				t.Fatalf("gradient of %s[%d]: TapeMachine %v, executor %v", m.names[i], j, d[j], v)
			}
		}
	}
}

// TestStepAllocationFree checks that loading a batch and running forward and
// backward allocate nothing once the graph is built.
func TestStepAllocationFree(t *testing.T) {
	cfg := Config{Hidden: 16, Depth: 3, Extras: 2, Tasks: 2}.withDefaults()
	m := newModel(cfg)
	gs := tinyGraphs(t, cfg.Extras)
	ys := [][]float64{{0.5, math.NaN()}, {-1, 1}, {1.2, 0}, {0, 1}, {math.NaN(), 0}}
	ng, err := buildNet(m, caps{mol: 5, atom: 40, edge: 80}, true)
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{4, 2, 0, 1, 3}
	if n := testing.AllocsPerRun(20, func() {
		ng.load(gs, idx, ys, false)
		ng.run()
	}); n != 0 {
		t.Errorf("%v allocations per step", n)
	}
}
