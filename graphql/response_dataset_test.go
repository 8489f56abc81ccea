package graphql

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/datasets"
	"github.com/rxlab/rxlab/molecules/response"
)

// newDatasetTrainServer serves uploaded datasets and the response models
// that train on them, over one store.
func newDatasetTrainServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerWith(t, func(ts *testServer) []Domain {
		ds, err := datasets.New(datasets.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := response.New(response.Config{DB: ts.db, Jobs: ts.jobs, Datasets: ds})
		if err != nil {
			t.Fatal(err)
		}
		return []Domain{&Response{Service: svc}, &Datasets{Store: ds}}
	})
}

// esolCSV is 500 ESOL rows as a chemist's file: two targets (logS, and a
// second assay measured for every other molecule) and three SMILES that
// do not parse, on lines 11, 201 and 402.
func esolCSV(t *testing.T) string {
	tb, err := response.LoadDataset("esol")
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int]string{9: "C1CC", 199: "c1cccc1", 400: "CC(C)(C)(C)(C)C"}
	var b strings.Builder
	b.WriteString("compound,smiles,solubility,assay2\n")
	for i := 0; i < 500; i++ {
		s := tb.SMILES[i]
		if x, ok := bad[i]; ok {
			s = x
		}
		second := ""
		if i%2 == 0 {
			second = fmt.Sprintf("%.3f", -0.5*tb.Y[i][0]+1)
		}
		fmt.Fprintf(&b, "c%d,%s,%.4f,%s\n", i, s, tb.Y[i][0], second)
	}
	return b.String()
}

// TestTrainOnUploadedDataset is issue 25's acceptance through the API: a
// 500-row CSV with 3 bad SMILES uploads with three positioned errors and
// 497 rows; models train on it (random and scaffold splits, one and two
// targets, with cross-validation), record its hash, name themselves in
// the finished job, and predict; another chemist cannot train on it. The
// pooled cross-validation n is the task average of labelled rows: 497
// for the first target, 249 for the second (373).
func TestTrainOnUploadedDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("trains small models")
	}
	ts := newDatasetTrainServer(t)
	chemist := ts.token(auth.Chemist)
	r := ts.query(chemist, `mutation($in: DatasetInput!) { uploadDataset(input: $in) { accepted rejected committed errors { line column location message } dataset { id hash rows } } }`,
		map[string]any{"in": map[string]any{"name": "esol-mine", "csv": esolCSV(t), "targets": []string{"solubility", "assay2"}, "task": "REGRESSION"}})
	if r.code() != "" {
		t.Fatalf("upload: %+v", r.Errors)
	}
	up := r.Data["uploadDataset"].(map[string]any)
	errs := up["errors"].([]any)
	if up["accepted"] != 497.0 || up["rejected"] != 3.0 || up["committed"] != true || len(errs) != 3 {
		t.Fatalf("upload %v", up)
	}
	for i, line := range []float64{11, 201, 402} {
		if e := errs[i].(map[string]any); e["line"] != line || e["column"] == nil {
			t.Errorf("error %d: %v, want line %v with a column", i, e, line)
		}
	}
	ds := up["dataset"].(map[string]any)
	id, hash := ds["id"].(string), ds["hash"].(string)

	train := `mutation($in: TrainModelInput!) { trainResponseModel(input: $in) { id } }`
	for _, c := range []struct {
		name   string
		input  map[string]any
		tasks  int
		folds  int
		wantID string
	}{
		{"random split, first target", map[string]any{"split": "random", "ensemble": 2, "epochs": 25}, 1, 0, id + ".solubility.random.s1.e2.ep25"},
		{"scaffold split, both targets, 3 folds", map[string]any{"split": "scaffold", "ensemble": 1, "epochs": 25, "target": "all", "folds": 3}, 2, 3, id + ".all.scaffold.s1.e1.ep25.cv3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]any{"dataset": id, "arch": "mlp"}
			for k, v := range c.input {
				in[k] = v
			}
			r := ts.query(chemist, train, map[string]any{"in": in})
			if r.code() != "" {
				t.Fatalf("train: %+v", r.Errors)
			}
			j := waitJobAPI(t, ts, r.Data["trainResponseModel"].(map[string]any)["id"].(string), 3*time.Minute)
			if j["state"] != "SUCCEEDED" || j["result"] != c.wantID {
				t.Fatalf("job %v, want SUCCEEDED with result %s", j, c.wantID)
			}
			r = ts.query(chemist, `{ responseModels { id dataset datasetHash tasks metrics crossValidation history { epoch } } }`, nil)
			var m map[string]any
			for _, x := range r.Data["responseModels"].([]any) {
				if x.(map[string]any)["id"] == c.wantID {
					m = x.(map[string]any)
				}
			}
			if m == nil || m["dataset"] != id || m["datasetHash"] != hash || len(m["tasks"].([]any)) != c.tasks || len(m["history"].([]any)) == 0 {
				t.Fatalf("model %v (%+v)", m, r.Errors)
			}
			if rmse, _ := m["metrics"].(map[string]any)["rmse"].(float64); !(rmse > 0 && rmse < 2) {
				t.Errorf("test rmse %v", m["metrics"])
			}
			cv, _ := m["crossValidation"].(map[string]any)
			if c.folds > 0 && (cv == nil || len(cv["perFold"].([]any)) != c.folds || cv["pooled"].(map[string]any)["n"] != 373.0) {
				t.Errorf("cross-validation %v", m["crossValidation"])
			}
			if c.folds == 0 && cv != nil {
				t.Errorf("cross-validation %v without folds", cv)
			}
			r = ts.query(chemist, `query($m: ID!) { predict(model: $m, smiles: ["CCO", "c1ccccc1O", "C1CC"]) { value values error } }`, map[string]any{"m": c.wantID})
			if r.code() != "" {
				t.Fatalf("predict: %+v", r.Errors)
			}
			ps := r.Data["predict"].([]any)
			for i, x := range ps[:2] {
				p := x.(map[string]any)
				v, ok := p["value"].(float64)
				if !ok || math.IsNaN(v) || v < -12 || v > 4 || (c.tasks > 1 && len(p["values"].([]any)) != c.tasks) {
					t.Errorf("prediction %d: %v", i, p)
				}
			}
			if ps[2].(map[string]any)["error"] == nil {
				t.Errorf("bad SMILES predicted: %v", ps[2])
			}
		})
	}
	// Another chemist does not see the dataset, so cannot train on it;
	// an id that names no dataset is not found either.
	for _, c := range []struct{ name, token, dataset string }{
		{"another chemist", ts.token(auth.Chemist), id},
		{"no such dataset", chemist, "D0123456789abcdef"},
	} {
		r := ts.query(c.token, train, map[string]any{"in": map[string]any{"dataset": c.dataset}})
		if r.code() != CodeNotFound {
			t.Errorf("%s: code %q (%+v)", c.name, r.code(), r.Errors)
		}
	}
}
