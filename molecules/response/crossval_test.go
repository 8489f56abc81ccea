package response

import (
	"context"
	"math"
	"testing"
)

// TestKFoldSplits: every row is tested exactly once, and in each split the
// three parts are disjoint and cover every row.
func TestKFoldSplits(t *testing.T) {
	for _, c := range []struct{ n, k int }{{10, 2}, {101, 5}, {1000, 10}, {23, 10}} {
		splits := KFoldSplits(c.n, c.k, 7)
		if len(splits) != c.k {
			t.Fatalf("n %d k %d: %d splits", c.n, c.k, len(splits))
		}
		tested := make([]int, c.n)
		for f, sp := range splits {
			seen := make([]int, c.n)
			for _, part := range [][]int{sp.Train, sp.Val, sp.Test} {
				for _, i := range part {
					seen[i]++
				}
			}
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("n %d k %d fold %d: row %d in %d parts", c.n, c.k, f, i, s)
				}
			}
			if d := len(sp.Test) - c.n/c.k; d < 0 || d > 1 || len(sp.Val) == 0 && c.n >= 20 {
				t.Errorf("n %d k %d fold %d: %d test, %d validation rows", c.n, c.k, f, len(sp.Test), len(sp.Val))
			}
			for _, i := range sp.Test {
				tested[i]++
			}
		}
		for i, n := range tested {
			if n != 1 {
				t.Errorf("n %d k %d: row %d tested %d times", c.n, c.k, i, n)
			}
		}
	}
}

// TestCrossValidationOption: Folds scores every row once (pooled n is the
// usable rows), keeps each fold's metrics, and leaves the model itself as
// it is without folds.
func TestCrossValidationOption(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four small models")
	}
	ctx := context.Background()
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 4, Ensemble: 1, Epochs: 3, MaxRows: 300, Arch: ArchMLP}
	plain, err := Train(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	in.Folds = 3
	m, err := Train(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	cv := m.Info().CrossValidation
	if cv == nil || cv.Folds != 3 || len(cv.PerFold) != 3 || cv.Metric != "rmse" {
		t.Fatalf("cross-validation %+v", cv)
	}
	if cv.Pooled["n"] != 300 || !(cv.Pooled["rmse"] > 0) {
		t.Errorf("pooled %v, want 300 rows scored", cv.Pooled)
	}
	sum, n := 0.0, 0.0
	for _, f := range cv.PerFold {
		sum, n = sum+f["rmse"], n+f["n"]
	}
	if math.Abs(cv.Mean-sum/3) > 1e-9 || n != 300 || !(cv.SD >= 0) {
		t.Errorf("folds %v: mean %v sd %v over %v rows", cv.PerFold, cv.Mean, cv.SD, n)
	}
	if m.Info().ID != plain.Info().ID+".cv3" || m.Info().Metrics["rmse"] != plain.Info().Metrics["rmse"] {
		t.Errorf("model with folds %s rmse %v, without %s rmse %v", m.Info().ID, m.Info().Metrics["rmse"], plain.Info().ID, plain.Info().Metrics["rmse"])
	}
}
