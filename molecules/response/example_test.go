package response_test

import (
	"context"
	"fmt"

	"github.com/rxlab/rxlab/molecules/response"
)

func ExampleROCAUC() {
	fmt.Println(response.ROCAUC([]float64{0.1, 0.4, 0.35, 0.8}, []float64{0, 0, 1, 1}))
	// Output: 0.75
}

func ExampleSummarize() {
	preds := []response.PatientPrediction{
		{PatientID: "P2", Value: -1.5}, {PatientID: "P7", Value: 0.2}, {PatientID: "P1", Value: 2.0},
	}
	s := response.Summarize(preds, 1)
	fmt.Printf("%d patients, mean %.2f, median %.2f, most sensitive %s\n", s.Patients, s.Mean, s.Quantiles[2], s.Top[0].PatientID)
	// Output: 3 patients, mean 0.23, median 0.20, most sensitive P2
}

// Train a small solubility model (an MLP ensemble: ESOL's default adds
// message-passing members, which take minutes) and predict two molecules,
// one of them malformed: the bad item carries its error, the other is
// predicted.
func ExampleTrain() {
	m, err := response.Train(context.Background(), response.TrainInput{
		Dataset: "esol", Split: response.SplitRandom, Seed: 1, Ensemble: 2, Epochs: 5, MaxRows: 300, Arch: response.ArchMLP}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	preds, _ := m.Predict(context.Background(), []string{"c1ccccc1O", "C1CC"}, response.PredictOptions{})
	fmt.Println(m.Info().ID, m.Info().Task, m.Info().Unit)
	fmt.Println(preds[0].Value != nil, len(preds[0].AtomContributions), preds[1].Error != "")
	// Output:
	// esol.logS.random.s1.e2.ep5.n300 regression log10(mol/L)
	// true 7 true
}
