package nn

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMaskedLosses checks the masked losses against their definitions on
// hand-made batches: NaN targets add nothing and get a zero gradient, the
// mean is over labelled outputs, and an all-unlabelled batch is 0 with a
// zero gradient.
func TestMaskedLosses(t *testing.T) {
	nan := float32(math.NaN())
	softplus := func(x float64) float64 { return math.Log1p(math.Exp(x)) }
	cases := []struct {
		name       string
		loss       Loss
		pred, y    []float32
		want       float64
		wantGrad   []float64
		batch, wid int
	}{
		{"mse all labelled", MaskedMSE{}, []float32{1, 2, 3, 4}, []float32{0, 2, 5, 4}, (1 + 0 + 4 + 0) / 4.0,
			[]float64{2 * 1 / 4.0, 0, 2 * -2 / 4.0, 0}, 2, 2},
		{"mse one missing", MaskedMSE{}, []float32{1, 2, 3, 4}, []float32{0, nan, 5, 4}, (1 + 4 + 0) / 3.0,
			[]float64{2.0 / 3, 0, -4.0 / 3, 0}, 2, 2},
		{"mse none labelled", MaskedMSE{}, []float32{1, 2}, []float32{nan, nan}, 0, []float64{0, 0}, 1, 2},
		{"bce one missing", MaskedBCE{}, []float32{0, 2, -1}, []float32{1, nan, 0}, (softplus(0) + softplus(-1)) / 2,
			[]float64{(0.5 - 1) / 2, 0, (1 / (1 + math.E)) / 2}, 3, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			grad := []float32{9, 9, 9, 9}[:len(c.pred)]
			got := c.loss.Eval(c.pred, c.y, c.batch, c.wid, grad)
			if math.Abs(float64(got)-c.want) > 1e-6 {
				t.Errorf("loss %v, want %v", got, c.want)
			}
			for i := range grad {
				if math.Abs(float64(grad[i])-c.wantGrad[i]) > 1e-6 {
					t.Errorf("grad[%d] %v, want %v", i, grad[i], c.wantGrad[i])
				}
			}
			if w, err := c.loss.AuxWidth(c.wid); err != nil || w != c.wid {
				t.Errorf("AuxWidth(%d) = %d, %v", c.wid, w, err)
			}
		})
	}
}

// TestLossOpLiveRows runs NewLossOp on a graph built for 4 rows with 2 live
// ones through Program and gorgonia's TapeMachine: the loss and gradient
// cover the live rows only, and the executor skips the separate loss step.
func TestLossOpLiveRows(t *testing.T) {
	for _, loss := range []Loss{MaskedMSE{}, MaskedBCE{}} {
		g := G.NewGraph()
		rec := NewRecorder()
		pred := []float32{0.5, -1, 2, 0.25, 7, 7, 7, 7}
		y := []float32{1, float32(math.NaN()), 0, 1, 3, 3, 3, 3}
		node := func(name string, d []float32) *G.Node {
			return G.NewMatrix(g, G.Float32, G.WithShape(4, 2), G.WithName(name),
				G.WithValue(tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(d))))
		}
		p, yn := node("p", pred), node("y", y)
		cost, err := rec.Apply(NewLossOp(rec, loss, 4, 2, 2, func() int { return 2 }), p, yn)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := G.Grad(cost, p)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := Compile(g, rec, append(G.Nodes{cost}, grads...))
		if err != nil {
			t.Fatal(err)
		}
		if len(prog.steps) != 1 {
			t.Errorf("%s: %d steps, want the fused gradient step only", loss.Name(), len(prog.steps))
		}
		got := prog.Run()
		wantGrad := make([]float32, 4)
		want := loss.Eval(pred[:4], y[:4], 2, 2, wantGrad)
		if got != want || prog.Loss() != want {
			t.Errorf("%s: Program loss %v, Eval over the live rows %v", loss.Name(), got, want)
		}
		buf := prog.Buffer(grads[0])
		for i, w := range wantGrad {
			if buf[i] != w {
				t.Errorf("%s: grad[%d] %v, want %v", loss.Name(), i, buf[i], w)
			}
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		tv, _ := ValueData(cost.Value())
		if tv[0] != want {
			t.Errorf("%s: TapeMachine loss %v, want %v", loss.Name(), tv[0], want)
		}
		vm.Close()
	}
}
