package response

import (
	"context"
	"errors"
	"testing"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/store"
)

// TestPretrain trains a small message-passing ensemble with and without
// encoders pretrained on Lipophilicity (the experiment of RESULTS.md's
// sixth ESOL round): pretraining is deterministic and changes the model,
// and a classification set is refused as a pretraining set.
func TestPretrain(t *testing.T) {
	if testing.Short() {
		t.Skip("pretrains on 3,780 Lipophilicity molecules")
	}
	ctx := context.Background()
	small := mpnn.Config{Hidden: 16, Depth: 2, Epochs: 2, Batch: 64}
	on := true
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 4, Ensemble: 2, Epochs: 2, MaxRows: 120, Arch: ArchMPNN, graph: &small, refit: &on}
	plain, err := Train(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	in.pretrain, in.pretrainEpochs = "lipo", 1
	var pre [2]*Model
	for i := range pre {
		if pre[i], err = Train(ctx, in, nil); err != nil {
			t.Fatal(err)
		}
	}
	smiles := []string{"CCO", "c1ccccc1Cl", "OCC(O)CO"}
	pp, _ := plain.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	p0, _ := pre[0].Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	p1, _ := pre[1].Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	for i := range smiles {
		if *p0[i].Value != *p1[i].Value {
			t.Errorf("%s: the same input gave %v and %v", smiles[i], *p0[i].Value, *p1[i].Value)
		}
		if *pp[i].Value == *p0[i].Value {
			t.Errorf("%s: pretraining did not change the prediction", smiles[i])
		}
	}
	in.pretrain = "bbbp"
	if _, err := Train(ctx, in, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("pretraining on a classification set: err = %v, want ErrInvalid", err)
	}
}
