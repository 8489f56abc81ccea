package ppo

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/errs"
)

func smallConfig(t testing.TB, seed uint64) Config {
	t.Helper()
	pop, err := dosing.RavvazPopulation(200, 11)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Model: dosing.WarfarinHamberg, Population: pop, Seed: seed,
		Hyperparameters: Hyperparameters{Envs: 32, EpisodeSteps: 40, Hidden: []int{32, 32}, Minibatch: 256, LearningRate: 1e-3}}
}

func iterate(t testing.TB, tr *Trainer, n int) []Metrics {
	t.Helper()
	var out []Metrics
	for range n {
		m, err := tr.Iterate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m.Seconds = 0 // wall time is the one non-reproducible field
		out = append(out, m)
	}
	return out
}

func TestLearnsWarfarin(t *testing.T) {
	cfg := smallConfig(t, 3)
	cfg.Envs = 64
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ms := iterate(t, tr, 16)
	first := (ms[0].MeanReturn + ms[1].MeanReturn) / 2
	last := (ms[14].MeanReturn + ms[15].MeanReturn) / 2
	t.Logf("mean return %.2f → %.2f, time in range %.2f → %.2f", first, last, ms[0].TimeInRange, ms[15].TimeInRange)
	if !(last > first+5) {
		t.Errorf("mean return did not improve: first %.2f, last %.2f", first, last)
	}
	if !(ms[15].TimeInRange > ms[0].TimeInRange) {
		t.Errorf("time in range did not improve: %.3f → %.3f", ms[0].TimeInRange, ms[15].TimeInRange)
	}
	for _, m := range ms {
		if math.IsNaN(m.PolicyLoss) || math.IsNaN(m.ValueLoss) || !(m.Entropy > 0) {
			t.Fatalf("bad losses: %+v", m)
		}
	}
	if got := ms[15].EnvSteps; got != 16*64*40 {
		t.Errorf("EnvSteps = %d, want %d", got, 16*64*40)
	}
}

func TestSameSeedSameMetrics(t *testing.T) {
	run := func(seed uint64) []Metrics {
		tr, err := New(smallConfig(t, seed))
		if err != nil {
			t.Fatal(err)
		}
		return iterate(t, tr, 3)
	}
	a, b, c := run(5), run(5), run(6)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("iteration %d differs with the same seed:\n%+v\n%+v", i+1, a[i], b[i])
		}
	}
	if a[2] == c[2] {
		t.Error("a different seed gave identical metrics")
	}
}

func TestCheckpointResumeMatchesUninterrupted(t *testing.T) {
	cfg := smallConfig(t, 9)
	whole, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := iterate(t, whole, 4)

	part, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := iterate(t, part, 2)
	ck, err := part.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := Restore(cfg, ck)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Iteration() != 2 || resumed.EnvSteps() != part.EnvSteps() {
		t.Fatalf("restored iteration %d steps %d, want 2 and %d", resumed.Iteration(), resumed.EnvSteps(), part.EnvSteps())
	}
	got = append(got, iterate(t, resumed, 2)...)
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("iteration %d: resumed run differs:\nwant %+v\ngot  %+v", i+1, want[i], got[i])
		}
	}
	a, _ := whole.MarshalBinary()
	b, _ := resumed.MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Error("final training state differs between the resumed and the uninterrupted run")
	}
}

func TestCheckpointRejectsBadInput(t *testing.T) {
	cfg := smallConfig(t, 1)
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := tr.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Seed = 2
	otherTr, err := New(other)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tr   *Trainer
		data []byte
	}{
		{"empty", tr, nil},
		{"bad magic", tr, []byte("not a checkpoint at all")},
		{"truncated", tr, ck[:len(ck)/2]},
		{"trailing bytes", tr, append(append([]byte(nil), ck...), 1, 2, 3)},
		{"other configuration", otherTr, ck},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := c.tr.MarshalBinary()
			if err := c.tr.UnmarshalBinary(c.data); !errors.Is(err, errs.Invalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			after, _ := c.tr.MarshalBinary()
			if !bytes.Equal(before, after) {
				t.Error("a failed restore changed the trainer")
			}
		})
	}
}

func TestPolicyRoundTrip(t *testing.T) {
	tr, err := New(smallConfig(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	iterate(t, tr, 1)
	p, err := tr.Policy()
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	q, err := LoadPolicy(b)
	if err != nil {
		t.Fatal(err)
	}
	if q.Spec != p.Spec || q.Parameters() != p.Parameters() || p.Parameters() != tr.Parameters() {
		t.Fatalf("spec/parameters differ: %+v %d vs %+v %d", p.Spec, p.Parameters(), q.Spec, q.Parameters())
	}
	obs := make([]float32, p.Spec.ObsDim)
	mask := make([]bool, p.Spec.Actions)
	for i := range obs {
		obs[i] = float32(i%5) / 5
	}
	for i := 0; i < len(mask); i += 2 {
		mask[i] = true
	}
	pp, qp := make([]float32, p.Spec.Actions), make([]float32, p.Spec.Actions)
	a1, _ := p.Probabilities(obs, mask, pp)
	a2, _ := q.Probabilities(obs, mask, qp)
	if a1 != a2 || !mask[a1] {
		t.Errorf("actions %d and %d (mask %v)", a1, a2, mask[a1])
	}
	sum := float32(0)
	for j := range pp {
		if pp[j] != qp[j] {
			t.Fatalf("probability %d differs", j)
		}
		if !mask[j] && pp[j] != 0 {
			t.Fatalf("masked action %d has probability %g", j, pp[j])
		}
		sum += pp[j]
	}
	if math.Abs(float64(sum)-1) > 1e-5 {
		t.Errorf("probabilities sum to %g", sum)
	}
	for _, bad := range [][]byte{nil, []byte("RXPPOPL1"), b[:len(b)-7]} {
		if _, err := LoadPolicy(bad); !errors.Is(err, errs.Invalid) {
			t.Errorf("LoadPolicy(%d bytes): err = %v, want ErrInvalid", len(bad), err)
		}
	}
}

// TestPolicyLossGradient checks the masked PPO loss gradient against
// central finite differences in float64 arithmetic on the float32 loss.
func TestPolicyLossGradient(t *testing.T) {
	const k, batch = 5, 6
	l := &policyLoss{actions: k, clip: 0.2, entropyCoef: 0.05}
	rng := rand.New(rand.NewPCG(1, 2))
	pred := make([]float32, batch*k)
	for i := range pred {
		pred[i] = float32(rng.NormFloat64())
	}
	aux := make([]float32, batch*(3+k))
	for i := range batch {
		a := aux[i*(3+k) : (i+1)*(3+k)]
		for j := range k {
			a[3+j] = b2f(rng.Float64() < 0.7)
		}
		act := i % k
		a[3+act] = 1
		a[0] = float32(act)
		// old log-prob near the current one so some ratios stay unclipped
		var probs [k]float32
		lse, _ := maskedStats(pred[i*k:(i+1)*k], a[3:], probs[:])
		a[1] = pred[i*k+act] - lse + float32(0.3*rng.NormFloat64())
		a[2] = float32(rng.NormFloat64())
	}
	grad := make([]float32, len(pred))
	l.Eval(pred, aux, batch, k, grad)
	for i := range pred {
		const h = 1e-2
		orig := pred[i]
		pred[i] = orig + h
		up := l.Eval(pred, aux, batch, k, nil)
		pred[i] = orig - h
		dn := l.Eval(pred, aux, batch, k, nil)
		pred[i] = orig
		fd := (float64(up) - float64(dn)) / (2 * h)
		if math.Abs(fd-float64(grad[i])) > 2e-3+0.02*math.Abs(fd) {
			t.Errorf("∂loss/∂z[%d] = %g, finite difference %g", i, grad[i], fd)
		}
	}
}

func TestHyperparameterValidation(t *testing.T) {
	cases := []struct {
		name  string
		h     Hyperparameters
		field string
	}{
		{"envs", Hyperparameters{Envs: 5000}, "hp.envs"},
		{"gamma", Hyperparameters{Gamma: 1.5}, "hp.gamma"},
		{"clip", Hyperparameters{Clip: 1}, "hp.clip"},
		{"hidden", Hyperparameters{Hidden: []int{64, 0}}, "hp.hidden[1]"},
		{"minibatch", Hyperparameters{Minibatch: 2}, "hp.minibatch"},
		{"lr", Hyperparameters{LearningRate: -1}, "hp.learningRate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.h.WithDefaults().Validate("hp")
			if !errors.Is(err, errs.Invalid) || !bytes.Contains([]byte(err.Error()), []byte(c.field)) {
				t.Fatalf("err = %v, want ErrInvalid naming %s", err, c.field)
			}
		})
	}
	if err := Defaults().Validate("hp"); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if _, err := New(Config{Model: "nope", Population: nil}); err == nil {
		t.Fatal("unknown model accepted")
	}
}

func FuzzLoadPolicy(f *testing.F) {
	tr, err := New(smallConfig(f, 1))
	if err != nil {
		f.Fatal(err)
	}
	p, _ := tr.Policy()
	b, _ := p.MarshalBinary()
	f.Add(b)
	f.Add([]byte("RXPPOPL1\x02\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := LoadPolicy(data)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		obs := make([]float32, p.Spec.ObsDim)
		mask := make([]bool, p.Spec.Actions)
		mask[0] = true
		if _, err := p.Act(obs, mask); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzRestore(f *testing.F) {
	cfg := smallConfig(f, 1)
	tr, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	ck, _ := tr.MarshalBinary()
	f.Add(ck)
	f.Add(ck[:40])
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := tr.UnmarshalBinary(data); err != nil && !errors.Is(err, errs.Invalid) {
			t.Fatalf("error does not wrap ErrInvalid: %v", err)
		}
	})
}
