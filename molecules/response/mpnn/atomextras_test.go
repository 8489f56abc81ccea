package mpnn

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store/errs"
)

// TestAtomExtras checks WithAtomFeatures' row layout and its refusals, and
// that a model reading per-atom extras trains, explains (occlusion drops
// the atom's extras with its row), survives MarshalBinary/Load and refuses
// graphs without the extras.
func TestAtomExtras(t *testing.T) {
	m, err := molecules.Parse("CC(=O)O")
	if err != nil {
		t.Fatal(err)
	}
	g := GraphOf(m, nil)
	const k = 2
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	gx, err := WithAtomFeatures(g, x, k)
	if err != nil {
		t.Fatal(err)
	}
	w := AtomDim + k
	for i := 0; i < g.Atoms; i++ {
		if !slices.Equal(gx.AtomF[i*w:i*w+AtomDim], g.AtomF[i*AtomDim:(i+1)*AtomDim]) || !slices.Equal(gx.AtomF[i*w+AtomDim:(i+1)*w], x[i*k:(i+1)*k]) {
			t.Fatalf("atom %d: row %v", i, gx.AtomF[i*w:(i+1)*w])
		}
	}
	if err := gx.validate(0, 0, k); err != nil {
		t.Error(err)
	}
	if err := g.validate(0, 0, k); !errors.Is(err, errs.Invalid) {
		t.Errorf("graph without extras for a model with %d: err = %v", k, err)
	}
	o := gx.without(1)
	if len(o.AtomF) != 3*w || !slices.Equal(o.AtomF[w+AtomDim:2*w], x[4:6]) {
		t.Errorf("without atom 1: atom rows %v", o.AtomF)
	}
	for _, bad := range []struct {
		x []float32
		k int
	}{{x[:7], k}, {x, 0}, {x, 3}} {
		if _, err := WithAtomFeatures(g, bad.x, bad.k); !errors.Is(err, errs.Invalid) {
			t.Errorf("%d values, k = %d: err = %v", len(bad.x), bad.k, err)
		}
	}
	if _, err := WithAtomFeatures(gx, x, k); !errors.Is(err, errs.Invalid) {
		t.Errorf("extras added twice: err = %v", err)
	}

	var gs []Graph
	var ys [][]float64
	for i, s := range []string{"CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCCCCC", "N#CC(Cl)=C", "OCC(O)CO"} {
		mol, err := molecules.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		xs := make([]float32, mol.NumAtoms()*k)
		for j := range xs {
			xs[j] = float32((i+j)%4) / 3
		}
		gi, err := WithAtomFeatures(GraphOf(mol, nil), xs, k)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, gi)
		ys = append(ys, []float64{float64(i) / 2})
	}
	cfg := Config{Hidden: 16, Depth: 2, AtomExtras: k, Epochs: 3, Batch: 4, Seed: 2}
	model, err := Train(context.Background(), cfg, gs, nil, ys, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.AtomContributions(gs[2])
	if err != nil || len(c) != gs[2].Atoms {
		t.Fatalf("AtomContributions: %d values, err %v", len(c), err)
	}
	b, err := model.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := make([][]float64, len(gs)), make([][]float64, len(gs))
	for i := range gs {
		p1[i], p2[i] = make([]float64, 1), make([]float64, 1)
	}
	if err := model.Predict(gs, p1); err != nil {
		t.Fatal(err)
	}
	if err := back.Predict(gs, p2); err != nil {
		t.Fatal(err)
	}
	for i := range gs {
		if p1[i][0] != p2[i][0] {
			t.Errorf("graph %d: %v before the round trip, %v after", i, p1[i][0], p2[i][0])
		}
	}
	plain := []Graph{GraphOf(m, nil)}
	if err := back.Predict(plain, p2[:1]); !errors.Is(err, errs.Invalid) {
		t.Errorf("graph without the model's atom extras: err = %v", err)
	}
}
