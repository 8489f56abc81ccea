package graphql

import (
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestConcepts: concept search answers concepts with parents and records;
// records equal cohortCount over the same code, exactly for a clinician
// and, for a designer, as the very answer cohortCount releases (one
// disclosure path: the same ledger question); bad input is refused with
// the limit named.
func TestConcepts(t *testing.T) {
	ts, _ := cohortServer(t, 2000)
	const q = `query($q: String!, $s: String, $f: Int) { concepts(query: $q, system: $s, first: $f) { system code display records parents { system code } } }`
	const cq = `query($c: CriteriaInput!) { cohortCount(criteria: $c) { count } }`
	t2dm := map[string]any{"condition": map[string]any{"system": "ICD10CM", "code": "E11"}}
	for _, role := range []auth.Role{auth.Clinician, auth.Designer} {
		tok := ts.token(role)
		r := ts.query(tok, q, map[string]any{"q": "E11", "s": "ICD10CM", "f": 5})
		if r.code() != "" {
			t.Fatal(r.Errors)
		}
		list := r.Data["concepts"].([]any)
		first := list[0].(map[string]any)
		if first["code"] != "E11" || first["parents"].([]any)[0].(map[string]any)["code"] != "E08-E13" {
			t.Fatalf("%s: first concept %v", role, first)
		}
		c := ts.query(tok, cq, map[string]any{"c": t2dm})
		if c.code() != "" {
			t.Fatal(c.Errors)
		}
		want := c.Data["cohortCount"].(map[string]any)["count"]
		if first["records"] != want || want == nil {
			t.Errorf("%s: records %v, cohortCount %v", role, first["records"], want)
		}
		// A product's parents are its ingredients.
		r = ts.query(tok, q, map[string]any{"q": "warfarin", "s": "RXNORM", "f": 5})
		if r.code() != "" {
			t.Fatal(r.Errors)
		}
		for _, x := range r.Data["concepts"].([]any) {
			m := x.(map[string]any)
			if m["code"] == "855332" {
				ps := m["parents"].([]any)
				if len(ps) != 1 || ps[0].(map[string]any)["code"] != "11289" {
					t.Errorf("855332 parents %v", ps)
				}
			}
		}
	}
	// LOINC: eGFR under any code of its group.
	r := ts.query(ts.token(auth.Clinician), q, map[string]any{"q": "33914-3"})
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	if m := r.Data["concepts"].([]any)[0].(map[string]any); m["records"].(float64) < 100 {
		t.Errorf("eGFR MDRD records %v", m["records"])
	}
	bad := []struct {
		role auth.Role
		vars map[string]any
		want string
	}{
		{auth.Clinician, map[string]any{"q": ""}, "empty"},
		{auth.Clinician, map[string]any{"q": strings.Repeat("x", 201)}, "longer than 200"},
		{auth.Clinician, map[string]any{"q": "a b c d e f g h i"}, "more than 8 words"},
		{auth.Clinician, map[string]any{"q": "a", "f": 201}, "between 0 and 200"},
		{auth.Clinician, map[string]any{"q": "a", "s": "MEDDRA"}, "unknown coding system"},
		{auth.Designer, map[string]any{"q": "a", "f": 21}, "at most 20 concepts with records"},
	}
	for _, b := range bad {
		r := ts.query(ts.token(b.role), q, b.vars)
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, b.want) {
			t.Errorf("%v: %s %v, want %q", b.vars, r.code(), r.Errors, b.want)
		}
	}
	// Below the threshold a designer gets no number: osimertinib (about 2 of
	// 2,000 demo patients) is exact for a clinician and null for a designer.
	osi := map[string]any{"q": "osimertinib", "s": "RXNORM", "f": 1}
	exact := ts.query(ts.token(auth.Clinician), q, osi)
	if exact.code() != "" || len(exact.Data["concepts"].([]any)) != 1 {
		t.Fatalf("clinician osimertinib: %v", exact.Errors)
	}
	if n := exact.Data["concepts"].([]any)[0].(map[string]any)["records"].(float64); n >= 11 {
		t.Fatalf("osimertinib has %v records; the check needs a concept under the threshold", n)
	}
	hidden := ts.query(ts.token(auth.Designer), q, osi)
	if hidden.code() != "" || hidden.Data["concepts"].([]any)[0].(map[string]any)["records"] != nil {
		t.Errorf("designer osimertinib records = %v, want null below the threshold", hidden.Data)
	}
	// Without records a designer may list up to 200.
	r = ts.query(ts.token(auth.Designer), `{ concepts(query: "carcinoma", system: "ONCOTREE", first: 200) { code } }`, nil)
	if r.code() != "" || len(r.Data["concepts"].([]any)) < 50 {
		t.Errorf("designer list: %v", r.Errors)
	}
}
