package response

import (
	"context"
	"math"
	"testing"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

// TestHistoryOf averages the members' curves epoch by epoch: a member that
// stopped early drops out of the later epochs, and unmeasured losses are nil.
func TestHistoryOf(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name    string
		members [][]epochLoss
		want    []EpochLoss
	}{
		{"none", nil, nil},
		{"two members, one stops early", [][]epochLoss{{{1, 2}, {0.5, 1}}, {{3, 4}}}, []EpochLoss{
			{Arch: ArchMLP, Epoch: 1, Train: ptr(2.0), Validation: ptr(3.0), Members: 2},
			{Arch: ArchMLP, Epoch: 2, Train: ptr(0.5), Validation: ptr(1.0), Members: 1},
		}},
		{"validation only", [][]epochLoss{{{nan, 2}}}, []EpochLoss{{Arch: ArchMLP, Epoch: 1, Validation: ptr(2.0), Members: 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := historyOf(ArchMLP, c.members)
			if len(got) != len(c.want) {
				t.Fatalf("got %d epochs, want %d", len(got), len(c.want))
			}
			for i := range got {
				g, w := got[i], c.want[i]
				if g.Arch != w.Arch || g.Epoch != w.Epoch || g.Members != w.Members || !samePtr(g.Train, w.Train) || !samePtr(g.Validation, w.Validation) {
					t.Errorf("epoch %d: %+v, want %+v", i+1, g, w)
				}
			}
		})
	}
}

func samePtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-12
}

// TestTrainedHistory: a trained model records each architecture's curve;
// the MLP members' training loss falls from the first epoch, and the
// message-passing members report validation loss.
func TestTrainedHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	small := mpnn.Config{Hidden: 32, Depth: 2, Epochs: 3, Batch: 32, Agg: mpnn.AggSum}
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 2, Ensemble: 2, Epochs: 6, MaxRows: 200, Arch: ArchHybrid}
	m, err := train(context.Background(), in, options{graph: &small}, nil)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string][]EpochLoss{}
	for _, e := range m.Info().History {
		per[e.Arch] = append(per[e.Arch], e)
	}
	mlp, g := per[ArchMLP], per[ArchMPNN]
	if len(mlp) == 0 || len(mlp) > 6 || len(g) == 0 || len(g) > 6 {
		t.Fatalf("history has %d MLP and %d message-passing epochs", len(mlp), len(g))
	}
	for _, e := range mlp {
		if e.Train == nil || e.Validation == nil || !(*e.Train > 0) || !(*e.Validation > 0) || e.Members < 1 || e.Members > 2 {
			t.Errorf("MLP epoch %+v", e)
		}
	}
	if mlp[0].Members != 2 || !(*mlp[len(mlp)-1].Train < *mlp[0].Train) {
		t.Errorf("MLP curve does not start with both members or fall: first %+v, last %+v", mlp[0], mlp[len(mlp)-1])
	}
	for _, e := range g {
		if e.Train != nil || e.Validation == nil || !(*e.Validation > 0) {
			t.Errorf("message-passing epoch %+v", e)
		}
	}
}
