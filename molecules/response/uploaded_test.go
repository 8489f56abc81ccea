package response

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	uploads "github.com/rxlab/rxlab/molecules/datasets"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// TestTrainUploaded trains on an uploaded dataset through the service: the
// job names the model, the model records the dataset's id and content
// hash, the recipe is the default one (unless arch says), and bad inputs
// are refused before a job starts.
func TestTrainUploaded(t *testing.T) {
	if testing.Short() {
		t.Skip("trains small models")
	}
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	ds, err := uploads.New(uploads.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DB: db, Jobs: r, Datasets: ds})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := LoadDataset("bbbp")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("smiles,p_np\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "%s,%g\n", tb.SMILES[i], tb.Y[i][0])
	}
	res, err := ds.Upload(ctx, uploads.Input{Name: "bbbp-part", SMILESColumn: "smiles", Targets: []string{"p_np"}, Task: uploads.Classification}, strings.NewReader(b.String()))
	if err != nil || res.Dataset.ID == "" {
		t.Fatalf("upload: %+v %v", res, err)
	}
	id := res.Dataset.ID
	for _, c := range []struct {
		name string
		in   TrainInput
		arch string
	}{
		{"default recipe", TrainInput{Dataset: id, Split: SplitRandom, Seed: 1, Ensemble: 2}, ArchMLP},
		{"full split, refit", TrainInput{Dataset: id, Split: SplitFull, Seed: 2, Ensemble: 1, Epochs: 3}, ArchMLP},
		{"message passing, scaffold split", TrainInput{Dataset: id, Split: SplitScaffold, Seed: 3, Ensemble: 1, Epochs: 2, MaxRows: 120, Arch: ArchMPNN}, ArchMPNN},
	} {
		t.Run(c.name, func(t *testing.T) {
			j, err := s.Train(ctx, "u", c.in)
			if err != nil {
				t.Fatal(err)
			}
			j = waitJob(t, r, j.ID)
			if j.State != jobs.Succeeded || !strings.HasPrefix(j.ResultID, id+".p_np.") {
				t.Fatalf("job %s %s %s result %q", j.State, j.Error, j.Message, j.ResultID)
			}
			m, err := s.Model(ctx, j.ResultID)
			if err != nil {
				t.Fatal(err)
			}
			info := m.Info()
			if info.Dataset != id || info.DatasetHash != res.Dataset.Hash || info.Task != Classification || info.Arch != c.arch || m.rec.DescSet != DescPhyschem || (c.arch == ArchMPNN) != (len(m.graphs) == 1) {
				t.Errorf("model %s: dataset %s hash %s task %s arch %s desc %d", info.ID, info.Dataset, info.DatasetHash, info.Task, info.Arch, m.rec.DescSet)
			}
			p, err := m.Predict(ctx, []string{"CCO"}, PredictOptions{NoAttributions: true})
			if err != nil || p[0].Value == nil || *p[0].Value < 0 || *p[0].Value > 1 {
				t.Errorf("predict: %+v %v", p, err)
			}
		})
	}
	r2, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(ctx)
	bare, err := New(Config{DB: db, Jobs: r2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Train(ctx, "u", TrainInput{Dataset: id}); !errors.Is(err, store.ErrNotImplemented) {
		t.Errorf("a service without datasets: %v, want ErrNotImplemented", err)
	}
	for _, c := range []struct {
		name string
		in   TrainInput
		want error
	}{
		{"unknown target", TrainInput{Dataset: id, Target: "logS"}, store.ErrInvalid},
		{"gdsc split", TrainInput{Dataset: id, Split: SplitCell}, store.ErrInvalid},
		{"no such dataset", TrainInput{Dataset: "D0123456789abcdef"}, store.ErrNotFound},
		{"not an id nor a built-in set", TrainInput{Dataset: "mydata.csv"}, store.ErrInvalid},
	} {
		if _, err := s.Train(ctx, "u", c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
