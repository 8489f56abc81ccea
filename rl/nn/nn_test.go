package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
	G "gorgonia.org/gorgonia"
)

func randData(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

// ppoAux builds PPO aux rows: random actions, old log-probs near the
// current policy's, standardised advantages and returns.
func ppoAux(r *rand.Rand, m *MLP, x []float32, batch, actions int) []float32 {
	out := make([]float32, batch*m.OutputWidth())
	if err := m.Forward(x, batch, out); err != nil {
		panic(err)
	}
	aux := make([]float32, batch*PPOAuxWidth)
	w := m.OutputWidth()
	for i := 0; i < batch; i++ {
		z := out[i*w : i*w+actions]
		var se float64
		for _, v := range z {
			se += math.Exp(float64(v))
		}
		a := r.IntN(actions)
		lp := float64(z[a]) - math.Log(se)
		aux[i*4] = float32(a)
		aux[i*4+1] = float32(lp + 0.3*r.NormFloat64()) // some samples fall outside the clip range
		aux[i*4+2] = float32(r.NormFloat64())
		aux[i*4+3] = float32(r.NormFloat64())
	}
	return aux
}

type workload struct {
	name  string
	sizes []int
	acts  []Activation
	loss  Loss
}

func workloads() []workload {
	ppo := PPO{Actions: 7, Clip: 0.2, ValueCoef: 0.5, EntropyCoef: 0.01}
	return []workload{
		{"tanh-mse", []int{16, 64, 64, 8}, []Activation{Tanh, Tanh, Identity}, MSE{}},
		{"relu-mse", []int{16, 64, 64, 8}, []Activation{ReLU, ReLU, Identity}, MSE{}},
		{"identity-mse", []int{16, 32, 8}, []Activation{Identity, Identity}, MSE{}},
		{"tanh-ppo", []int{16, 64, 64, 8}, []Activation{Tanh, Tanh, Identity}, ppo},
		{"odd-sizes-mse", []int{5, 13, 3}, []Activation{Tanh, ReLU}, MSE{}},
	}
}

func makeBatch(r *rand.Rand, m *MLP, loss Loss, batch int) (x, aux []float32) {
	x = randData(r, batch*m.InputWidth(), 1)
	switch l := loss.(type) {
	case PPO:
		aux = ppoAux(r, m, x, batch, l.Actions)
	default:
		aux = randData(r, batch*m.OutputWidth(), 0.5)
	}
	return x, aux
}

// TestMatchesPlainGorgonia trains the same weights with the fast core and
// with stock gorgonia ops + AdamSolver for 100 steps and requires the loss
// trajectories to agree within 1e-5 relative.
func TestMatchesPlainGorgonia(t *testing.T) {
	const steps, batch = 100, 64
	for _, wl := range workloads() {
		t.Run(wl.name, func(t *testing.T) {
			m, err := New(Config{Sizes: wl.sizes, Activations: wl.acts, Seed: 7, Adam: AdamConfig{LR: 1e-3}})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(11, 12))
			// a fixed pool of 4 minibatches, cycled
			var xs, auxs [][]float32
			for i := 0; i < 4; i++ {
				x, aux := makeBatch(r, m, wl.loss, batch)
				xs, auxs = append(xs, x), append(auxs, aux)
			}
			plain, err := NewPlainTrainer(m, wl.loss, batch)
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			fast, err := NewTrainer(m, wl.loss)
			if err != nil {
				t.Fatal(err)
			}
			var worst float64
			for s := 0; s < steps; s++ {
				lf, err := fast.Step(xs[s%4], auxs[s%4])
				if err != nil {
					t.Fatal(err)
				}
				lp, err := plain.Step(xs[s%4], auxs[s%4])
				if err != nil {
					t.Fatal(err)
				}
				rel := math.Abs(float64(lf-lp)) / math.Max(math.Abs(float64(lp)), 1e-12)
				worst = max(worst, rel)
				if rel > 1e-5 {
					t.Fatalf("step %d: fast loss %.8g, plain gorgonia %.8g (rel %.2e)", s, lf, lp, rel)
				}
			}
			t.Logf("worst relative loss difference over %d steps: %.2e", steps, worst)
		})
	}
}

// forward64 evaluates the network in float64 for the gradient check.
func forward64(sizes []int, acts []Activation, params [][]float64, x []float64, batch int) []float64 {
	cur := x
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		w, b := params[2*l], params[2*l+1]
		nxt := make([]float64, batch*out)
		for i := 0; i < batch; i++ {
			for j := 0; j < out; j++ {
				s := b[j]
				for p := 0; p < in; p++ {
					s += cur[i*in+p] * w[p*out+j]
				}
				switch acts[l] {
				case Tanh:
					s = math.Tanh(s)
				case ReLU:
					s = math.Max(s, 0)
				}
				nxt[i*out+j] = s
			}
		}
		cur = nxt
	}
	return cur
}

func loss64(l Loss, pred []float64, aux []float32, batch, width int) float64 {
	switch l := l.(type) {
	case MSE:
		var s float64
		for i, p := range pred {
			d := p - float64(aux[i])
			s += d * d
		}
		return s / float64(len(pred))
	case PPO:
		k := l.Actions
		var pol, val, ent float64
		for i := 0; i < batch; i++ {
			z := pred[i*width : i*width+width]
			a := aux[i*4 : i*4+4]
			var se float64
			for _, v := range z[:k] {
				se += math.Exp(v)
			}
			lse := math.Log(se)
			for _, v := range z[:k] {
				ent -= math.Exp(v-lse) * (v - lse)
			}
			r := math.Exp(z[int(a[0])] - lse - float64(a[1]))
			adv := float64(a[2])
			clip := math.Min(math.Max(r, 1-float64(l.Clip)), 1+float64(l.Clip))
			pol -= math.Min(r*adv, clip*adv)
			d := z[k] - float64(a[3])
			val += d * d
		}
		b := float64(batch)
		return pol/b + float64(l.ValueCoef)*val/b - float64(l.EntropyCoef)*ent/b
	}
	panic("no float64 reference for loss " + l.Name())
}

// TestGradientsMatchFiniteDifferences compares the core's analytic
// gradients with central differences of a float64 reference network.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	const batch = 8
	for _, wl := range workloads() {
		t.Run(wl.name, func(t *testing.T) {
			m, err := New(Config{Sizes: wl.sizes, Activations: wl.acts, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 6))
			for _, p := range m.params { // non-zero biases exercise their path
				for i := range p {
					p[i] += float32(0.05 * r.NormFloat64())
				}
			}
			x, aux := makeBatch(r, m, wl.loss, batch)
			tr, err := NewTrainer(m, wl.loss)
			if err != nil {
				t.Fatal(err)
			}
			_, grads, err := tr.LossAndGrad(x, aux)
			if err != nil {
				t.Fatal(err)
			}
			p64 := make([][]float64, len(m.params))
			for i, p := range m.params {
				p64[i] = make([]float64, len(p))
				for j, v := range p {
					p64[i][j] = float64(v)
				}
			}
			x64 := make([]float64, len(x))
			for i, v := range x {
				x64[i] = float64(v)
			}
			f := func() float64 {
				return loss64(wl.loss, forward64(wl.sizes, wl.acts, p64, x64, batch), aux, batch, m.OutputWidth())
			}
			const h = 1e-6
			var worst float64
			for pi := range p64 {
				for j := 0; j < len(p64[pi]); j += 1 + len(p64[pi])/40 {
					orig := p64[pi][j]
					p64[pi][j] = orig + h
					fp := f()
					p64[pi][j] = orig - h
					fm := f()
					p64[pi][j] = orig
					num := (fp - fm) / (2 * h)
					got := float64(grads[pi][j])
					diff := math.Abs(got - num)
					worst = max(worst, diff/(1e-3+math.Abs(num)))
					if diff > 2e-3*math.Abs(num)+2e-5 {
						t.Errorf("param %d[%d]: analytic %.6g, finite difference %.6g", pi, j, got, num)
					}
				}
			}
			t.Logf("worst scaled gradient error %.2e", worst)
		})
	}
}

// TestTapeMachineRunsCoreGraph runs the core's graph under gorgonia's own
// TapeMachine and checks loss and gradients against the executor.
func TestTapeMachineRunsCoreGraph(t *testing.T) {
	m, err := New(Config{Sizes: []int{16, 32, 8}, Activations: []Activation{Tanh, Identity}, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	x, aux := makeBatch(r, m, MSE{}, 16)
	tr, _ := NewTrainer(m, MSE{})
	lossFast, grads, err := tr.LossAndGrad(x, aux)
	if err != nil {
		t.Fatal(err)
	}
	gr, _ := tr.Graph(16)
	vm := G.NewTapeMachine(gr.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	lv, _ := ValueData(gr.Cost.Value())
	if math.Abs(float64(lv[0]-lossFast)) > 1e-6 {
		t.Fatalf("TapeMachine loss %v, executor %v", lv[0], lossFast)
	}
	for i, gn := range gr.Grads {
		d, err := ValueData(gn.Value())
		if err != nil {
			t.Fatal(err)
		}
		for j := range d {
			if math.Abs(float64(d[j]-grads[i][j])) > 1e-6 {
				t.Fatalf("grad %d[%d]: TapeMachine %v, executor %v", i, j, d[j], grads[i][j])
			}
		}
	}
}

func TestStepAllocatesNothing(t *testing.T) {
	for _, wl := range workloads() {
		m, _ := New(Config{Sizes: wl.sizes, Activations: wl.acts, Seed: 1})
		tr, err := NewTrainer(m, wl.loss)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		x, aux := makeBatch(r, m, wl.loss, 32)
		if _, err := tr.Step(x, aux); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(20, func() { tr.Step(x, aux) }); a != 0 {
			t.Errorf("%s: Step allocates %v times", wl.name, a)
		}
		out := make([]float32, m.OutputWidth())
		if a := testing.AllocsPerRun(20, func() { m.Forward(x[:m.InputWidth()], 1, out) }); a != 0 {
			t.Errorf("%s: Forward allocates %v times", wl.name, a)
		}
	}
}

// TestBatchSizesShareWeights trains at two batch sizes and checks both
// graphs and Forward see the same live weights.
func TestBatchSizesShareWeights(t *testing.T) {
	m, _ := New(Config{Sizes: []int{4, 8, 2}, Activations: []Activation{Tanh, Identity}, Seed: 2})
	tr, _ := NewTrainer(m, MSE{})
	r := rand.New(rand.NewPCG(3, 3))
	x1, y1 := makeBatch(r, m, MSE{}, 3)
	x2, y2 := makeBatch(r, m, MSE{}, 5)
	for i := 0; i < 20; i++ {
		if _, err := tr.Step(x1, y1); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Step(x2, y2); err != nil {
			t.Fatal(err)
		}
	}
	if m.Steps() != 40 || len(tr.graphs) != 2 {
		t.Fatalf("steps %d graphs %d", m.Steps(), len(tr.graphs))
	}
	// The executor's output for batch 3 must equal Forward's.
	gr, _ := tr.Graph(3)
	copy(gr.xData, x1)
	gr.run()
	outBuf := gr.prog.Buffer(gr.Out)
	want := make([]float32, 3*2)
	if err := m.Forward(x1, 3, want); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if outBuf[i] != want[i] {
			t.Fatalf("output %d: graph %v, Forward %v", i, outBuf[i], want[i])
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"one size", Config{Sizes: []int{3}}},
		{"zero width", Config{Sizes: []int{3, 0}, Activations: []Activation{Tanh}}},
		{"activations", Config{Sizes: []int{3, 2}}},
		{"unknown act", Config{Sizes: []int{3, 2}, Activations: []Activation{9}}},
		{"bad beta", Config{Sizes: []int{3, 2}, Activations: []Activation{Tanh}, Adam: AdamConfig{Beta1: 1}}},
	}
	for _, c := range cases {
		if _, err := New(c.cfg); !errors.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", c.name, err)
		}
	}
	m, _ := New(Config{Sizes: []int{3, 8}, Activations: []Activation{Identity}})
	if _, err := NewTrainer(m, PPO{Actions: 3, Clip: 0.2}); !errors.Is(err, errs.Invalid) {
		t.Errorf("PPO width mismatch: %v", err)
	}
	tr, _ := NewTrainer(m, MSE{})
	for _, c := range []struct{ x, aux int }{{0, 0}, {4, 8}, {3, 7}} {
		if _, err := tr.Step(make([]float32, c.x), make([]float32, c.aux)); !errors.Is(err, errs.Invalid) {
			t.Errorf("Step(len %d, %d): %v", c.x, c.aux, err)
		}
	}
	if err := m.Forward(make([]float32, 2), 1, make([]float32, 8)); !errors.Is(err, errs.Invalid) {
		t.Errorf("Forward short x: %v", err)
	}
	if _, err := ParseActivation("sigmoid"); !errors.Is(err, errs.Invalid) {
		t.Errorf("ParseActivation: %v", err)
	}
}

func ExampleTrainer_Step() {
	m, err := New(Config{Sizes: []int{2, 16, 1}, Activations: []Activation{Tanh, Identity}, Seed: 1, Adam: AdamConfig{LR: 0.01}})
	if err != nil {
		panic(err)
	}
	tr, err := NewTrainer(m, MSE{})
	if err != nil {
		panic(err)
	}
	// learn y = x0 − x1 on four points
	x := []float32{0, 0, 1, 0, 0, 1, 1, 1}
	y := []float32{0, 1, -1, 0}
	var first, last float32
	for i := 0; i < 300; i++ {
		l, err := tr.Step(x, y)
		if err != nil {
			panic(err)
		}
		if i == 0 {
			first = l
		}
		last = l
	}
	fmt.Println(last < first/20)
	// Output: true
}

func TestPlainForwardMatchesForward(t *testing.T) {
	for _, wl := range workloads() {
		m, _ := New(Config{Sizes: wl.sizes, Activations: wl.acts, Seed: 8})
		r := rand.New(rand.NewPCG(2, 2))
		x := randData(r, 3*m.InputWidth(), 1)
		p, err := NewPlainForward(m, 3)
		if err != nil {
			t.Fatal(err)
		}
		want, got := make([]float32, 3*m.OutputWidth()), make([]float32, 3*m.OutputWidth())
		for round := 0; round < 2; round++ { // twice: the TapeMachine must be reset
			if err := p.Forward(x, want); err != nil {
				t.Fatal(err)
			}
			if err := m.Forward(x, 3, got); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Abs(float64(want[i]-got[i])) > 1e-5 {
					t.Fatalf("%s: output %d: core %v, gorgonia %v", wl.name, i, got[i], want[i])
				}
			}
		}
		p.Close()
	}
}

func ExampleMLP_Forward() {
	m, err := New(Config{Sizes: []int{3, 8, 2}, Activations: []Activation{ReLU, Identity}, Seed: 42})
	if err != nil {
		panic(err)
	}
	w, b, _ := m.Weights(1)
	clear(w) // make the output layer return its bias
	b[0], b[1] = 0.25, -1
	out := make([]float32, 2)
	if err := m.Forward([]float32{1, 2, 3}, 1, out); err != nil {
		panic(err)
	}
	fmt.Println(out)
	// Output: [0.25 -1]
}

// TestDropoutGradients checks the hidden-layer dropout of SetDropout: with
// the mask sequence restarted before every call, the analytic gradients
// match central finite differences of the loss through the same masks; the
// masked loss differs from the unmasked one; and p = 0 restores it.
func TestDropoutGradients(t *testing.T) {
	const batch, p, seed = 16, 0.4, 9
	sizes := []int{6, 12, 10, 2}
	acts := []Activation{ReLU, Tanh, Identity}
	m, err := New(Config{Sizes: sizes, Activations: acts, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	x, aux := makeBatch(r, m, MSE{}, batch)
	tr, err := NewTrainer(m, MSE{})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := tr.LossAndGrad(x, aux)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.SetDropout(1, seed); err == nil {
		t.Error("SetDropout(1) accepted")
	}
	lossAt := func() (float32, [][]float32) {
		t.Helper()
		if err := tr.SetDropout(p, seed); err != nil {
			t.Fatal(err)
		}
		l, g, err := tr.LossAndGrad(x, aux)
		if err != nil {
			t.Fatal(err)
		}
		return l, g
	}
	l0, g0 := lossAt()
	if l0 == plain {
		t.Fatalf("dropout did not change the loss (%v)", l0)
	}
	grads := make([][]float32, len(g0))
	for i, g := range g0 {
		grads[i] = append([]float32(nil), g...)
	}
	const h = 1e-2
	var worst float64
	for pi, prm := range m.params {
		for j := 0; j < len(prm); j += 1 + len(prm)/30 {
			orig := prm[j]
			prm[j] = orig + h
			fp, _ := lossAt()
			prm[j] = orig - h
			fm, _ := lossAt()
			prm[j] = orig
			num := float64(fp-fm) / (2 * h)
			diff := math.Abs(float64(grads[pi][j]) - num)
			worst = max(worst, diff/(1e-2+math.Abs(num)))
			if diff > 2e-2*math.Abs(num)+2e-3 {
				t.Errorf("param %d[%d]: analytic %.5g, finite difference %.5g", pi, j, grads[pi][j], num)
			}
		}
	}
	t.Logf("worst scaled gradient error with dropout %.2e", worst)
	if err := tr.SetDropout(0, seed); err != nil {
		t.Fatal(err)
	}
	if back, _, err := tr.LossAndGrad(x, aux); err != nil || back != plain {
		t.Errorf("after SetDropout(0): loss %v (err %v), want %v", back, err, plain)
	}
}

// TestSetLR checks that a learning rate set between steps governs the next
// Adam step: Adam's first step moves every weight by about LR, whatever its
// gradient's size, so a step at LR/100 moves the weights about a hundredth
// as far. Bad rates are refused.
func TestSetLR(t *testing.T) {
	move := func(lr float64) float64 {
		m, _ := New(Config{Sizes: []int{4, 8, 2}, Activations: []Activation{Tanh, Identity}, Seed: 2})
		tr, _ := NewTrainer(m, MSE{})
		x, y := makeBatch(rand.New(rand.NewPCG(3, 3)), m, MSE{}, 5)
		before, _, _ := m.Weights(0)
		before = slices.Clone(before)
		if lr > 0 {
			if err := m.SetLR(lr); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tr.Step(x, y); err != nil {
			t.Fatal(err)
		}
		after, _, _ := m.Weights(0)
		var d float64
		for i := range after {
			d = max(d, math.Abs(float64(after[i]-before[i])))
		}
		return d
	}
	full, small := move(0), move(1e-5)
	if r := small / full; r < 0.005 || r > 0.02 {
		t.Errorf("largest weight move at LR 1e-5 is %.3g of the move at 1e-3, want about 0.01", r)
	}
	m, _ := New(Config{Sizes: []int{4, 8, 2}, Activations: []Activation{Tanh, Identity}, Seed: 2})
	for _, lr := range []float64{0, -1, math.NaN()} {
		if err := m.SetLR(lr); !errors.Is(err, errs.Invalid) {
			t.Errorf("SetLR(%v): err = %v, want ErrInvalid", lr, err)
		}
	}
}
