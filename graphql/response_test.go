package graphql

import (
	"context"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/response"
)

const patientResponseQuery = `query($m: ID!, $s: String!, $c: CriteriaInput!) { predictPatientResponse(model: $m, smiles: $s, criteria: $c) {
  patients mean quantiles meanIntervalHalfWidth nearestTrainingSimilarity inDomain knownDrug top { patientId value low high } } }`

// TestPredictPatientResponse runs predictPatientResponse over HTTP against a
// seeded demo cohort and a small GDSC model stored in Badger: the exact
// view (patients:read) ranks the top patients with their intervals; a
// designer gets noisy aggregates without ids, and COHORT_TOO_SMALL for a
// cohort below the threshold; bad input gets a coded error.
func TestPredictPatientResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small GDSC model and seeds a demo cohort")
	}
	ts, m := newResponseServer(t, 300, 1, false)
	id := m.Info().ID
	erlotinib := "COCCOc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCOC"
	adults := map[string]any{"age": map[string]any{"min": 18}}
	domain, err := m.DrugDomain(erlotinib)
	if err != nil {
		t.Fatal(err)
	}

	r := ts.query(ts.admin, patientResponseQuery, map[string]any{"m": id, "s": erlotinib, "c": adults})
	if r.code() != "" {
		t.Fatalf("admin: %+v", r.Errors)
	}
	res := r.Data["predictPatientResponse"].(map[string]any)
	n := int(res["patients"].(float64))
	top := res["top"].([]any)
	if n < 11 || len(top) != min(n, 20) || len(res["quantiles"].([]any)) != 5 {
		t.Fatalf("admin view: %v", res)
	}
	if res["knownDrug"] != domain.Known || res["inDomain"] != domain.InDomain || res["nearestTrainingSimilarity"] != domain.NearestTrainingSimilarity {
		t.Errorf("drug domain %v %v %v, the model says %+v", res["knownDrug"], res["inDomain"], res["nearestTrainingSimilarity"], domain)
	}
	if !(res["meanIntervalHalfWidth"].(float64) > 0) {
		t.Errorf("mean half-width %v", res["meanIntervalHalfWidth"])
	}
	prev := -1e300
	for _, x := range top {
		p := x.(map[string]any)
		v, lo, hi := p["value"].(float64), p["low"].(float64), p["high"].(float64)
		if v < prev || !(lo < v && v < hi) {
			t.Errorf("top entry %v (previous value %v)", p, prev)
		}
		prev = v
	}

	// A designer may read models and count cohorts but not read patients:
	// aggregates released with noise (issue 21), no ids; the same question
	// gives the same answer and costs nothing the second time.
	designer := ts.token(auth.Designer)
	q := patientResponseQuery[:len(patientResponseQuery)-4] + ` disclosure { exact noiseSigma valueBounds repeated countsSpent } } }`
	r = ts.query(designer, q, map[string]any{"m": id, "s": erlotinib, "c": adults})
	if r.code() != "" {
		t.Fatalf("designer: %+v", r.Errors)
	}
	res2 := r.Data["predictPatientResponse"].(map[string]any)
	dis := res2["disclosure"].(map[string]any)
	if res2["top"] != nil || dis["exact"] != false || dis["repeated"] != false || len(dis["valueBounds"].([]any)) != 2 {
		t.Errorf("designer view %v", res2)
	}
	if d := res2["patients"].(float64) - res["patients"].(float64); d < -15 || d > 15 {
		t.Errorf("designer's noisy count is %v off the true %v", d, res["patients"])
	}
	if d := res2["mean"].(float64) - res["mean"].(float64); d < -2 || d > 2 {
		t.Errorf("designer's noisy mean is %v off the true %v", d, res["mean"])
	}
	qs := res2["quantiles"].([]any)
	for i := 1; i < len(qs); i++ {
		if qs[i].(float64) < qs[i-1].(float64) {
			t.Errorf("designer's quantiles decrease: %v", qs)
		}
	}
	r = ts.query(designer, q, map[string]any{"m": id, "s": erlotinib, "c": adults})
	again := r.Data["predictPatientResponse"].(map[string]any)
	if again["mean"] != res2["mean"] || again["disclosure"].(map[string]any)["repeated"] != true {
		t.Errorf("asking again: %v, first %v", again, res2)
	}
	// A one-year age band with at most 3 patients is below the minimum for
	// the designer (COHORT_TOO_SMALL, naming no attribute) and answered for
	// the admin.
	small := false
	for age := 20; age < 90 && !small; age++ {
		band := map[string]any{"age": map[string]any{"min": age, "max": float64(age) + 0.99}}
		r = ts.query(ts.admin, patientResponseQuery, map[string]any{"m": id, "s": erlotinib, "c": band})
		if k := r.Data["predictPatientResponse"].(map[string]any)["patients"].(float64); k == 0 || k > 3 {
			continue
		}
		small = true
		r = ts.query(designer, patientResponseQuery, map[string]any{"m": id, "s": erlotinib, "c": band})
		if r.code() != disclosure.CodeTooSmall || r.Data["predictPatientResponse"] != nil || strings.Contains(r.Errors[0].Message, "age") {
			t.Errorf("small cohort for a designer: %+v %v", r.Errors, r.Data)
		}
	}
	if !small {
		t.Fatal("no one-year age band with 1–3 patients in the demo cohort")
	}

	// Bad input: a SMILES that does not parse, a property model, an
	// unknown model; a chemist may not read patients' predictions at all.
	for _, c := range []struct {
		name, model, smiles, token, code string
	}{
		{"bad SMILES", id, "C1CC", ts.admin, "BAD_SMILES"},
		{"unknown model", "nope", erlotinib, ts.admin, CodeNotFound},
		{"clinician lacks models:read", id, erlotinib, ts.token(auth.Clinician), CodeForbidden},
		{"chemist lacks cohorts:count", id, erlotinib, ts.token(auth.Chemist), CodeForbidden},
	} {
		r := ts.query(c.token, patientResponseQuery, map[string]any{"m": c.model, "s": c.smiles, "c": adults})
		if r.code() != c.code {
			t.Errorf("%s: code %q, want %q (%+v)", c.name, r.code(), c.code, r.Errors)
		}
	}
}

// newResponseServer serves predictPatientResponse over a demo world of n
// patients (seed) and one small GDSC model stored in Badger, which it
// returns; withCounts also serves the cohort operations.
func newResponseServer(t *testing.T, n int, seed int64, withCounts bool) (*testServer, *response.Model) {
	t.Helper()
	ctx := context.Background()
	var svc *response.Service
	ts := newTestServerWith(t, func(ts *testServer) []Domain {
		cs, err := cohorts.New(cohorts.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.Seed(ctx, n, seed); err != nil {
			t.Fatal(err)
		}
		if svc, err = response.New(response.Config{DB: ts.db, Jobs: ts.jobs}); err != nil {
			t.Fatal(err)
		}
		domains := []Domain{&Response{Service: svc, Cohorts: cs}}
		if withCounts {
			domains = append(domains, &Cohorts{Service: cs})
		}
		return domains
	})
	m, err := response.Train(ctx, response.TrainInput{Dataset: response.GDSCName, Split: response.SplitCell, Seed: 2, Ensemble: 2, Epochs: 1, MaxRows: 3000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Save(ctx, m); err != nil {
		t.Fatal(err)
	}
	return ts, m
}
