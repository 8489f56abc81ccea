package graphql

import (
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestVitalStatusAPI: FHIR deceasedBoolean and deceasedDateTime reach the
// alive criterion; asOf moves the index date; a designer's count at
// another date is another question for the privacy guard.
func TestVitalStatusAPI(t *testing.T) {
	ts, _ := cohortServer(t, 0)
	clin, des := ts.token(auth.Clinician), ts.token(auth.Designer)
	patient := func(id string, extra map[string]any) map[string]any {
		r := map[string]any{"resourceType": "Patient", "id": id, "gender": "female", "birthDate": "1950-05-01"}
		for k, v := range extra {
			r[k] = v
		}
		return map[string]any{"resource": r}
	}
	bundle := map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{
		patient("V1", nil),
		patient("V2", map[string]any{"deceasedBoolean": true}),
		patient("V3", map[string]any{"deceasedDateTime": "2000-01-01"}),
		patient("V4", map[string]any{"deceasedBoolean": false}),
	}}
	r := ts.query(clin, `mutation($b: JSON!) { importFHIR(bundle: $b) { accepted rejected committed } }`, map[string]any{"b": bundle})
	if r.code() != "" || r.Data["importFHIR"].(map[string]any)["accepted"].(float64) != 4 {
		t.Fatalf("import: %v %v", r.Data, r.Errors)
	}
	const q = `query($c: CriteriaInput!, $at: String) { cohortCount(criteria: $c, asOf: $at) { count disclosure { repeated } } }`
	count := func(tok string, c map[string]any, at any) (float64, map[string]any) {
		r := ts.query(tok, q, map[string]any{"c": c, "at": at})
		if r.code() != "" {
			t.Fatalf("%v at %v: %v", c, at, r.Errors)
		}
		cc := r.Data["cohortCount"].(map[string]any)
		n, _ := cc["count"].(float64)
		return n, cc
	}
	alive := map[string]any{"alive": true}
	for _, c := range []struct {
		crit map[string]any
		at   any
		want float64
	}{
		{alive, nil, 2},
		{alive, "1999-12-31", 3},
		{map[string]any{"alive": false}, nil, 2},
		{map[string]any{"age": map[string]any{"min": 60}}, nil, 3},            // V3 died at 49
		{map[string]any{"age": map[string]any{"min": 49, "max": 49}}, nil, 1}, // aged at death
		{map[string]any{"age": map[string]any{"max": 40}}, "1990-06-01", 4},   // all 40 then
	} {
		if n, _ := count(clin, c.crit, c.at); n != c.want {
			t.Errorf("%v at %v: %v, want %v", c.crit, c.at, n, c.want)
		}
	}
	if r := ts.query(clin, q, map[string]any{"c": alive, "at": "yesterday"}); r.code() != CodeBadInput {
		t.Errorf("bad asOf: %v", r.Errors)
	}
	_, a := count(des, alive, nil)
	_, b := count(des, alive, "1999-12-31")
	_, c := count(des, alive, nil)
	if a["disclosure"].(map[string]any)["repeated"] != false || b["disclosure"].(map[string]any)["repeated"] != false || c["disclosure"].(map[string]any)["repeated"] != true {
		t.Errorf("asOf must be part of the question: %v %v %v", a, b, c)
	}
}
