package response

import (
	"context"
	"math"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/descriptors"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

// TestAtomDescriptors checks the per-atom descriptors against the
// molecule-level ones they add up to: the Crippen columns sum to Crippen
// logP and MR, the area column (with the hydrogens' share) to Labute's
// ASA, and the E-state indices to the intrinsic states (the
// perturbations cancel in pairs).
func TestAtomDescriptors(t *testing.T) {
	for _, s := range []string{"CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "OCC1OC(O)C(O)C(O)C1O", "ClC(Cl)(Cl)Cl", "[NH4+].[Cl-]", "C[S+](C)[O-]"} {
		m, err := molecules.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		x := atomDescriptors(m)
		n := len(m.Atoms)
		if len(x) != n*numAtomDesc {
			t.Fatalf("%s: %d values for %d atoms", s, len(x), n)
		}
		var sum [numAtomDesc]float64
		for i := 0; i < n; i++ {
			for j := range sum {
				sum[j] += float64(x[i*numAtomDesc+j])
			}
		}
		logp, mr := molecules.Crippen(m)
		asa := make([]float64, n)
		h := descriptors.LabuteAtoms(m, asa)
		var wantASA float64
		for _, v := range asa {
			wantASA += v
		}
		s0, intr := make([]float64, n), make([]float64, n)
		descriptors.EStateIndices(m, s0, intr, make([]int32, n), make([]int32, n))
		var wantE float64
		for _, v := range intr {
			wantE += v
		}
		for _, c := range []struct {
			what      string
			got, want float64
		}{
			{"Crippen logP", sum[0], logp},
			{"Crippen MR", 10 * sum[1], mr},
			{"Labute ASA", 10*sum[2] + h, wantASA + h},
			{"E-state", 10 * sum[3], wantE},
		} {
			if math.Abs(c.got-c.want) > 1e-3*max(1, math.Abs(c.want)) {
				t.Errorf("%s: per-atom %s sums to %.4f, want %.4f", s, c.what, c.got, c.want)
			}
		}
	}
}

// TestAtomDescriptorModel trains small message-passing models with and
// without per-atom descriptors: the descriptors change the predictions,
// and a model reading them predicts the same after a round trip through
// the store (prediction rebuilds the descriptors from the SMILES).
func TestAtomDescriptorModel(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small message-passing ensembles")
	}
	ctx := context.Background()
	plain := mpnn.Config{Hidden: 32, Depth: 2, Epochs: 3, Batch: 32}
	withX := plain
	withX.AtomExtras = numAtomDesc
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 3, Ensemble: 2, Epochs: 3, MaxRows: 150, Arch: ArchMPNN}
	in.graph = &plain
	a, err := Train(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	in.graph = &withX
	b, err := Train(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.rec.Graph.AtomExtras != numAtomDesc {
		t.Fatalf("record's AtomExtras = %d", b.rec.Graph.AtomExtras)
	}
	s, _, _ := openService(t, t.TempDir())
	if err := s.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	loaded, err := s.Model(ctx, b.rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	smiles := []string{"CCO", "c1ccccc1Cl", "OCC(O)CO", "not a smiles"}
	pa, _ := a.Predict(ctx, smiles, PredictOptions{})
	pb, _ := b.Predict(ctx, smiles, PredictOptions{})
	pl, _ := loaded.Predict(ctx, smiles, PredictOptions{})
	for i := range smiles[:3] {
		if pb[i].Error != "" || pl[i].Error != "" {
			t.Fatalf("%s: errors %q, %q", smiles[i], pb[i].Error, pl[i].Error)
		}
		if *pa[i].Value == *pb[i].Value {
			t.Errorf("%s: the per-atom descriptors did not change the prediction", smiles[i])
		}
		if *pb[i].Value != *pl[i].Value || len(pb[i].AtomContributions) != len(pl[i].AtomContributions) {
			t.Errorf("%s: %v before the store, %v after", smiles[i], *pb[i].Value, *pl[i].Value)
		}
	}
	if pl[3].Error == "" {
		t.Error("a bad SMILES got no error")
	}
	bad := plain
	bad.AtomExtras = 2
	in.graph = &bad
	if _, err := Train(ctx, in, nil); err == nil {
		t.Error("AtomExtras 2 (not the descriptor count) was accepted")
	}
}
