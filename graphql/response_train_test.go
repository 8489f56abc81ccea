package graphql

import (
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/molecules/response"
)

// newTrainServer serves the response models over an empty store.
func newTrainServer(t *testing.T) (*testServer, *response.Service) {
	t.Helper()
	var svc *response.Service
	ts := newTestServerWith(t, func(ts *testServer) []Domain {
		var err error
		if svc, err = response.New(response.Config{DB: ts.db, Jobs: ts.jobs}); err != nil {
			t.Fatal(err)
		}
		return []Domain{&Response{Service: svc}}
	})
	return ts, svc
}

// waitJobAPI polls job(id) until it is final and returns it.
func waitJobAPI(t *testing.T, ts *testServer, id string, d time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		r := ts.query(ts.admin, `query($id: ID!) { job(id: $id) { id state message error result progress } }`, map[string]any{"id": id})
		if r.code() != "" {
			t.Fatalf("job: %+v", r.Errors)
		}
		j := r.Data["job"].(map[string]any)
		switch j["state"] {
		case "SUCCEEDED", "FAILED", "CANCELLED":
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %v after %v", id, j["state"], d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const modelQuery = `{ responseModels { id target warnings history { arch epoch members train validation } } }`

// TestTrainThroughAPI trains a small ESOL model through trainResponseModel
// under the deprecated target name: the finished job names the model it
// made (result and message), the model's id and target say logS, its
// warnings say why, and it serves its training curve.
func TestTrainThroughAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	ts, _ := newTrainServer(t)
	for _, c := range []struct {
		name, target string
		seed         int
		wantID       string
	}{
		{"deprecated alias", "logp", 1, "esol.logS.random.s1.e1"},
		{"new name", "logS", 2, "esol.logS.random.s2.e1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ts.query(ts.admin, `mutation($t: String, $s: Int) { trainResponseModel(input: {dataset: "esol", target: $t, split: "random", seed: $s, ensemble: 1, arch: "mlp"}) { id state result } }`, map[string]any{"t": c.target, "s": c.seed})
			if r.code() != "" {
				t.Fatalf("train: %+v", r.Errors)
			}
			j := waitJobAPI(t, ts, r.Data["trainResponseModel"].(map[string]any)["id"].(string), 2*time.Minute)
			if j["state"] != "SUCCEEDED" || j["result"] != c.wantID || !strings.Contains(j["message"].(string), c.wantID) {
				t.Fatalf("job %v, want SUCCEEDED with result %s named in the message", j, c.wantID)
			}
			r = ts.query(ts.admin, modelQuery, nil)
			var m map[string]any
			for _, x := range r.Data["responseModels"].([]any) {
				if x.(map[string]any)["id"] == c.wantID {
					m = x.(map[string]any)
				}
			}
			if m == nil {
				t.Fatalf("model %s not listed: %v %+v", c.wantID, r.Data, r.Errors)
			}
			if m["id"] != c.wantID || m["target"] != "logS" || len(m["warnings"].([]any)) != 0 {
				t.Errorf("model %v", m)
			}
			h := m["history"].([]any)
			if len(h) < 2 {
				t.Fatalf("history %v", h)
			}
			first, last := h[0].(map[string]any), h[len(h)-1].(map[string]any)
			if first["arch"] != "mlp" || first["epoch"] != 1.0 || first["members"] != 1.0 || !(last["train"].(float64) < first["train"].(float64)) || !(first["validation"].(float64) > 0) {
				t.Errorf("history first %v last %v", first, last)
			}
		})
	}
}
