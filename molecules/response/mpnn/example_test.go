package mpnn_test

import (
	"context"
	"fmt"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

// Train a tiny model on a handful of molecules (the target is the heavy atom
// count), predict one, and explain the prediction atom by atom.
func ExampleTrain() {
	var gs []mpnn.Graph
	var ys [][]float64
	for _, s := range []string{"C", "CC", "CCC", "CCCC", "CCCCC", "CCO", "CCCO", "OCCO", "c1ccccc1", "Cc1ccccc1"} {
		m, _ := molecules.Parse(s)
		gs = append(gs, mpnn.GraphOf(m, nil))
		ys = append(ys, []float64{float64(m.NumAtoms())})
	}
	model, err := mpnn.Train(context.Background(), mpnn.Config{Hidden: 16, Depth: 2, Epochs: 200, Batch: 5, Agg: mpnn.AggSum, Seed: 1}, gs, nil, ys, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := molecules.Parse("OCCCO") // 5 heavy atoms, not in the training set
	g := mpnn.GraphOf(m, nil)
	out := [][]float64{{0}}
	if err := model.Predict([]mpnn.Graph{g}, out); err != nil {
		fmt.Println(err)
		return
	}
	contrib, _ := model.AtomContributions(g)
	fmt.Printf("between 3 and 7: %v, %d contributions\n", out[0][0] > 3 && out[0][0] < 7, len(contrib))
	// Output: between 3 and 7: true, 5 contributions
}
