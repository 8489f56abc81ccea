package graphql

import (
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql/auth"
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

// TestPatientRankingFlag: predictPatientResponse says whether its ranking
// can be told apart from noise, in the exact view (from every patient's
// interval) and in the released view (from the released quantiles), and a
// ranking it calls noise carries a warning.
func TestPatientRankingFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small GDSC model and seeds a demo cohort")
	}
	ts, m := newResponseServer(t, 300, 1, false)
	q := `query($m: ID!, $s: String!, $c: CriteriaInput!) { predictPatientResponse(model: $m, smiles: $s, criteria: $c) {
  patients quantiles meanIntervalHalfWidth distinguishable warning top { value low high } } }`
	vars := map[string]any{"m": m.Info().ID, "s": "COCCOc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCOC", "c": map[string]any{"age": map[string]any{"min": 18}}}
	for _, c := range []struct {
		name, token string
	}{
		{"exact", ts.admin},
		{"released", ts.token(auth.Designer)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ts.query(c.token, q, vars)
			if r.code() != "" {
				t.Fatalf("%+v", r.Errors)
			}
			res := r.Data["predictPatientResponse"].(map[string]any)
			ok, isBool := res["distinguishable"].(bool)
			warn, _ := res["warning"].(string)
			if !isBool || ok != (warn == "") || (!ok && !strings.Contains(warn, "noise")) {
				t.Fatalf("distinguishable %v warning %q", res["distinguishable"], res["warning"])
			}
			qs := res["quantiles"].([]any)
			hw := res["meanIntervalHalfWidth"].(float64)
			if c.name == "released" {
				want, _ := response.RankingSpreadCheck(qs[0].(float64), qs[len(qs)-1].(float64), hw)
				if ok != want {
					t.Errorf("released flag %v, the released quantiles %v and half-width %v give %v", ok, qs, hw, want)
				}
				return
			}
			// The top patients are a subset: a pair separated among them
			// makes the ranking distinguishable.
			minHigh, maxLow := 1e300, -1e300
			for _, x := range res["top"].([]any) {
				p := x.(map[string]any)
				minHigh, maxLow = min(minHigh, p["high"].(float64)), max(maxLow, p["low"].(float64))
			}
			if minHigh < maxLow && !ok {
				t.Errorf("top patients' intervals separate (%v < %v) but the ranking is called noise", minHigh, maxLow)
			}
			t.Logf("%v patients, quantiles %v, half-width %.2f: distinguishable %v", res["patients"], qs, hw, ok)
		})
	}
}

// TestMonitoringThroughAPI: predictions served through the API are counted
// by day, and ResponseModel.monitoring reports them with the drift of the
// window against the training set; a window outside 1–366 days is refused.
func TestMonitoringThroughAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	ts, _ := newTrainServer(t)
	r := ts.query(ts.admin, `mutation { trainResponseModel(input: {dataset: "esol", split: "random", ensemble: 1, epochs: 10, arch: "mlp"}) { id } }`, nil)
	if r.code() != "" {
		t.Fatalf("train: %+v", r.Errors)
	}
	j := waitJobAPI(t, ts, r.Data["trainResponseModel"].(map[string]any)["id"].(string), 2*time.Minute)
	id, _ := j["result"].(string)
	tb, err := response.LoadDataset("esol")
	if err != nil {
		t.Fatal(err)
	}
	smiles := append(tb.SMILES[:150:150], "C1CC")
	if r := ts.query(ts.admin, `query($m: ID!, $s: [String!]!) { predict(model: $m, smiles: $s) { value } }`, map[string]any{"m": id, "s": smiles}); r.code() != "" {
		t.Fatalf("predict: %+v", r.Errors)
	}
	q := `query($d: Int) { responseModels { id monitoring(days: $d) { predictions inDomainFraction predictionPsi warnings days { date predictions inDomain } descriptors { name psi } } } }`
	for _, c := range []struct {
		name string
		days int
		code string
	}{
		{"a week", 7, ""},
		{"no days", 0, CodeBadInput},
		{"over a year", 400, CodeBadInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ts.query(ts.admin, q, map[string]any{"d": c.days})
			if r.code() != c.code {
				t.Fatalf("code %q, want %q (%+v)", r.code(), c.code, r.Errors)
			}
			if c.code != "" {
				return
			}
			mo := r.Data["responseModels"].([]any)[0].(map[string]any)["monitoring"].(map[string]any)
			days := mo["days"].([]any)
			if mo["predictions"] != 150.0 || len(days) != 1 || days[0].(map[string]any)["date"] != time.Now().UTC().Format(time.DateOnly) {
				t.Fatalf("monitoring %v", mo)
			}
			if f, _ := mo["inDomainFraction"].(float64); f < 0.8 || mo["predictionPsi"] == nil || len(mo["descriptors"].([]any)) != 6 {
				t.Errorf("monitoring %v", mo)
			}
		})
	}
}
