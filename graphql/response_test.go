package graphql

import (
	"context"
	"testing"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/response"
)

const patientResponseQuery = `query($m: ID!, $s: String!, $c: CriteriaInput!) { predictPatientResponse(model: $m, smiles: $s, criteria: $c) {
  patients mean quantiles meanIntervalHalfWidth nearestTrainingSimilarity inDomain knownDrug top { patientId value low high } } }`

// TestPredictPatientResponse runs predictPatientResponse over HTTP against a
// seeded demo cohort and a small GDSC model stored in Badger: the exact
// view (patients:read) ranks the top patients with their intervals; a
// designer gets the aggregates without ids, and nothing for a cohort below
// the small-cell threshold; bad input gets a coded error.
func TestPredictPatientResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small GDSC model and seeds a demo cohort")
	}
	ctx := context.Background()
	var svc *response.Service
	ts := newTestServerWith(t, func(ts *testServer) []Domain {
		cs, err := cohorts.New(cohorts.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.Seed(ctx, 300, 1); err != nil {
			t.Fatal(err)
		}
		if svc, err = response.New(response.Config{DB: ts.db, Jobs: ts.jobs}); err != nil {
			t.Fatal(err)
		}
		return []Domain{&Response{Service: svc, Cohorts: cs}}
	})
	m, err := response.Train(ctx, response.TrainInput{Dataset: response.GDSCName, Split: response.SplitCell, Seed: 2, Ensemble: 2, Epochs: 1, MaxRows: 3000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Save(ctx, m); err != nil {
		t.Fatal(err)
	}
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

	// A designer may read models but not patients: aggregates, no ids.
	designer := ts.token(auth.Designer)
	r = ts.query(designer, patientResponseQuery, map[string]any{"m": id, "s": erlotinib, "c": adults})
	if r.code() != "" {
		t.Fatalf("designer: %+v", r.Errors)
	}
	res2 := r.Data["predictPatientResponse"].(map[string]any)
	if res2["top"] != nil || res2["patients"] != res["patients"] || res2["mean"] != res["mean"] {
		t.Errorf("designer view %v, admin's %v", res2, res)
	}
	// A one-year age band below the small-cell threshold is withheld from
	// the designer and answered for the admin.
	small := false
	for age := 20; age < 90 && !small; age++ {
		band := map[string]any{"age": map[string]any{"min": age, "max": float64(age) + 0.99}}
		r = ts.query(ts.admin, patientResponseQuery, map[string]any{"m": id, "s": erlotinib, "c": band})
		if k := r.Data["predictPatientResponse"].(map[string]any)["patients"].(float64); k == 0 || k >= 11 {
			continue
		}
		small = true
		r = ts.query(designer, patientResponseQuery, map[string]any{"m": id, "s": erlotinib, "c": band})
		if r.code() != CodeForbidden || r.Data["predictPatientResponse"] != nil {
			t.Errorf("small cohort for a designer: %+v %v", r.Errors, r.Data)
		}
	}
	if !small {
		t.Fatal("no one-year age band with 1–10 patients in the demo cohort")
	}

	// Bad input: a SMILES that does not parse, a property model, an
	// unknown model; a chemist may not read patients' predictions at all.
	for _, c := range []struct {
		name, model, smiles, token, code string
	}{
		{"bad SMILES", id, "C1CC", ts.admin, "BAD_SMILES"},
		{"unknown model", "nope", erlotinib, ts.admin, CodeNotFound},
		{"clinician lacks models:read", id, erlotinib, ts.token(auth.Clinician), CodeForbidden},
	} {
		r := ts.query(c.token, patientResponseQuery, map[string]any{"m": c.model, "s": c.smiles, "c": adults})
		if r.code() != c.code {
			t.Errorf("%s: code %q, want %q (%+v)", c.name, r.code(), c.code, r.Errors)
		}
	}
}
