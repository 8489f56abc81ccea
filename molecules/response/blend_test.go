package response

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

// TestHalfSumsCombine checks the weighted mean and spread against the
// members' predictions weighted one by one, and that the even weight is
// the plain mean over all members.
func TestHalfSumsCombine(t *testing.T) {
	mlp := [][]float64{{1, 10}, {2, 12}, {4, 11}}
	graph := [][]float64{{3, 9}, {5, 13}}
	h := halfSums{nM: len(mlp), nG: len(graph), sumM: make([]float64, 2), sqM: make([]float64, 2), sumG: make([]float64, 2), sqG: make([]float64, 2)}
	for _, p := range mlp {
		for i, v := range p {
			h.sumM[i] += v
			h.sqM[i] += v * v
		}
	}
	for _, p := range graph {
		for i, v := range p {
			h.sumG[i] += v
			h.sqG[i] += v * v
		}
	}
	for _, w := range []float64{0, 0.25, 0.6, 1, 3.0 / 5} {
		mean, sd := h.combine(w)
		for i := range mean {
			var mu, v float64
			for _, p := range mlp {
				mu += w / 3 * p[i]
			}
			for _, p := range graph {
				mu += (1 - w) / 2 * p[i]
			}
			for _, p := range mlp {
				v += w / 3 * (p[i] - mu) * (p[i] - mu)
			}
			for _, p := range graph {
				v += (1 - w) / 2 * (p[i] - mu) * (p[i] - mu)
			}
			if math.Abs(mean[i]-mu) > 1e-12 || math.Abs(sd[i]-math.Sqrt(v)) > 1e-9 {
				t.Errorf("w %v row %d: mean %v sd %v, want %v %v", w, i, mean[i], sd[i], mu, math.Sqrt(v))
			}
		}
	}
	// Even weight (3 of 5 members are MLPs) = every member once.
	mean, _ := h.combine(blendWeight(nil, 3, 2))
	if want := (1.0 + 2 + 4 + 3 + 5) / 5; math.Abs(mean[0]-want) > 1e-12 {
		t.Errorf("even blend %v, want the plain mean %v", mean[0], want)
	}
}

// TestMLPWeightRecord: records from before the weight read as the even
// blend; a stored weight (0 included) survives the JSON round trip.
func TestMLPWeightRecord(t *testing.T) {
	var old modelRecord
	if err := json.Unmarshal([]byte(`{"id":"esol.logp.random.s1.e5.mlp-mpnn","arch":"mlp+mpnn","ensemble":5}`), &old); err != nil {
		t.Fatal(err)
	}
	if w := blendWeight(old.MLPWeight, 5, 5); w != 0.5 {
		t.Errorf("old hybrid record weights its MLP half %v, want 0.5", w)
	}
	for _, w := range []float64{0, 0.35, 1} {
		rec := modelRecord{MLPWeight: &w}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var back modelRecord
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := blendWeight(back.MLPWeight, 5, 5); got != w {
			t.Errorf("weight %v read back as %v", w, got)
		}
	}
	if blendWeight(nil, 5, 0) != 1 || blendWeight(nil, 0, 5) != 0 {
		t.Error("a one-kind model must give its only half the whole weight")
	}
}

// TestHybridBlendWeight trains a small hybrid and checks, for a stored MLP
// weight, that the prediction, the interval and the atom attributions are
// the halves weighted alike: mean and attributions w·MLP + (1 − w)·graph,
// the interval's spread the weighted members' spread.
func TestHybridBlendWeight(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	ctx := context.Background()
	small := mpnn.Config{Hidden: 32, Depth: 2, Epochs: 3, Batch: 32, Agg: mpnn.AggSum}
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 3, Ensemble: 2, Epochs: 3, MaxRows: 150, Arch: ArchHybrid}
	m, err := train(ctx, in, options{graph: &small}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rmseMLP", "rmseGraph"} {
		if _, ok := m.rec.Validation[k]; !ok {
			t.Errorf("validation metrics lack %s: %v", k, m.rec.Validation)
		}
	}
	mlpOnly, err := newModel(m.rec, m.members, nil)
	if err != nil {
		t.Fatal(err)
	}
	graphOnly, err := newModel(m.rec, nil, m.graphs)
	if err != nil {
		t.Fatal(err)
	}
	smiles := []string{"CCO", "c1ccccc1Cl", "CC(=O)Nc1ccc(O)cc1"}
	pm, _ := mlpOnly.Predict(ctx, smiles, PredictOptions{})
	pg, _ := graphOnly.Predict(ctx, smiles, PredictOptions{})
	for _, w := range []float64{0.5, 0.3, 1} {
		m.rec.MLPWeight = &w
		p, err := m.Predict(ctx, smiles, PredictOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range smiles {
			want := w**pm[i].Value + (1-w)**pg[i].Value
			if math.Abs(*p[i].Value-want) > 1e-6 {
				t.Errorf("w %v %s: value %v, want %v", w, smiles[i], *p[i].Value, want)
			}
			// Spread: the two halves' member spreads and their means'
			// distance, weighted (the law of total variance).
			sm := (*pm[i].High - *pm[i].Value) / (IntervalZ * m.rec.IntervalScale)
			sg := (*pg[i].High - *pg[i].Value) / (IntervalZ * m.rec.IntervalScale)
			d := *pm[i].Value - *pg[i].Value
			sd := math.Sqrt(w*sm*sm + (1-w)*sg*sg + w*(1-w)*d*d)
			if got := (*p[i].High - *p[i].Value) / (IntervalZ * m.rec.IntervalScale); math.Abs(got-sd) > 1e-6 {
				t.Errorf("w %v %s: spread %v, want %v", w, smiles[i], got, sd)
			}
			for a, c := range p[i].AtomContributions {
				want := w*pm[i].AtomContributions[a] + (1-w)*pg[i].AtomContributions[a]
				if math.Abs(c-want) > 1e-9 {
					t.Errorf("w %v %s atom %d: contribution %v, want %v", w, smiles[i], a, c, want)
				}
			}
		}
	}
}
