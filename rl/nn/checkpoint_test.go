package nn

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

func TestCheckpointRoundTrip(t *testing.T) {
	m, _ := New(Config{Sizes: []int{6, 10, 3}, Activations: []Activation{ReLU, Identity}, Seed: 4, Adam: AdamConfig{LR: 0.003}})
	tr, _ := NewTrainer(m, MSE{})
	r := rand.New(rand.NewPCG(1, 1))
	x, y := makeBatch(r, m, MSE{}, 8)
	for i := 0; i < 5; i++ {
		tr.Step(x, y)
	}
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	// Continuing training from the checkpoint must follow the original exactly.
	tc, _ := NewTrainer(c, MSE{})
	for i := 0; i < 5; i++ {
		a, _ := tr.Step(x, y)
		b, _ := tc.Step(x, y)
		if a != b {
			t.Fatalf("step %d after restore: %v vs %v", i, a, b)
		}
	}
	var z MLP
	if err := z.UnmarshalBinary(data); err != nil || z.Steps() != 5 {
		t.Fatalf("UnmarshalBinary: %v, steps %d", err, z.Steps())
	}
	// Restoring into a network with live trainers keeps them bound to it.
	if err := m.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	c2, _ := Load(data)
	t2, _ := NewTrainer(c2, MSE{})
	a, _ := tr.Step(x, y)
	b, _ := t2.Step(x, y)
	if a != b {
		t.Fatalf("trainer after in-place restore: %v vs %v", a, b)
	}
}

func FuzzParseActivation(f *testing.F) {
	for _, s := range []string{"tanh", "ReLU", " identity ", "linear", "", "sigmoid"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseActivation(s)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error kind: %v", err)
			}
			return
		}
		if b, err := ParseActivation(a.String()); err != nil || b != a {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, a, b, err)
		}
	})
}

func FuzzLoad(f *testing.F) {
	m, _ := New(Config{Sizes: []int{3, 4, 2}, Activations: []Activation{Tanh, Identity}, Seed: 1})
	good, _ := m.MarshalBinary()
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte("RXNNMLP1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(data)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if _, err := c.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}
