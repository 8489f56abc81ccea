package mpnn

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store/errs"
)

// TestTrainFrom checks fine-tuning: the encoder starts from the base's
// weights and the feed-forward layers from the seed's random ones; the same
// base, config and seed give the same model; a base of another shape is
// refused with ErrInvalid.
func TestTrainFrom(t *testing.T) {
	var gs []Graph
	var ys [][]float64
	for i, s := range []string{"CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCCCCC", "N#CC(Cl)=C", "OCC(O)CO", "c1ccc2ccccc2c1", "CC(C)(C)O"} {
		m, err := molecules.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, GraphOf(m, []float32{float32(i) / 4}))
		ys = append(ys, []float64{float64(i%3) - 1})
	}
	ctx := context.Background()
	pre := Config{Hidden: 16, Depth: 3, Epochs: 3, Batch: 4, Seed: 5}
	noExtras := make([]Graph, len(gs))
	for i, g := range gs {
		noExtras[i] = g
		noExtras[i].Extra = nil
	}
	base, err := Train(ctx, pre, noExtras, nil, ys, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fine := Config{Hidden: 16, Depth: 3, Extras: 1, Epochs: 1, Batch: 4, Seed: 9, LR: 1e-30}
	got, err := TrainFrom(ctx, base, fine, gs, nil, ys, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Train(ctx, fine, gs, nil, ys, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc := encoderParams(got.cfg)
	if enc != 4 || got.names[enc-1] != "b_o" {
		t.Fatalf("encoder = %d tensors ending at %q, want 4 ending at b_o", enc, got.names[enc-1])
	}
	// With a learning rate of 1e-30 a step moves a weight by about 1e-30:
	// the model holds its initial weights.
	near := func(a, b []float32) bool {
		for j := range a {
			if d := a[j] - b[j]; d > 1e-20 || d < -1e-20 {
				return false
			}
		}
		return true
	}
	for i := range got.params {
		fromBase := near(got.params[i], base.params[i])
		fromSeed := near(got.params[i], fresh.params[i])
		switch {
		case i < enc && !fromBase:
			t.Errorf("%s does not start from the base's weights", got.names[i])
		case i >= enc && !fromSeed:
			t.Errorf("%s does not start from the seed's random weights", got.names[i])
		}
	}
	// Determinism, and fine-tuning really trains.
	fine.LR = 1e-3
	fine.Epochs = 4
	a, err := TrainFrom(ctx, base, fine, gs, nil, ys, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainFrom(ctx, base, fine, gs, nil, ys, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.params {
		if !slices.Equal(a.params[i], b.params[i]) {
			t.Errorf("%s: the same base, config and seed gave different weights", a.names[i])
		}
	}
	if slices.Equal(a.params[0], base.params[0]) {
		t.Error("fine-tuning did not move the encoder")
	}
	for _, c := range []Config{
		{Hidden: 32, Depth: 3, Extras: 1, Epochs: 1, Seed: 1},
		{Hidden: 16, Depth: 2, Extras: 1, Epochs: 1, Seed: 1},
	} {
		if _, err := TrainFrom(ctx, base, c, gs, nil, ys, nil, nil); !errors.Is(err, errs.Invalid) {
			t.Errorf("hidden %d depth %d from a hidden 16 depth 3 base: err = %v, want ErrInvalid", c.Hidden, c.Depth, err)
		}
	}
	if _, err := TrainFrom(ctx, nil, fine, gs, nil, ys, nil, nil); !errors.Is(err, errs.Invalid) {
		t.Errorf("nil base: err = %v, want ErrInvalid", err)
	}
}
