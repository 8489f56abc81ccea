package graphql

import (
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestCohortCountWarnings: a clinician is told which codes no stored
// record carries; a designer never gets that exact zero, only warnings
// derived from the noisy attrition already released to them.
func TestCohortCountWarnings(t *testing.T) {
	ts, _ := cohortServer(t, 2000)
	crit := map[string]any{"all": []any{
		map[string]any{"sex": []any{"FEMALE"}},
		map[string]any{"not": map[string]any{"medication": map[string]any{"system": "RXNORM", "code": "999999999"}}},
		map[string]any{"condition": map[string]any{"system": "ICD10CM", "code": "Z99.999"}},
	}}
	const q = `query($c: CriteriaInput!) { cohortCount(criteria: $c) { count warnings attrition { rule alone } } }`
	r := ts.query(ts.token(auth.Clinician), q, map[string]any{"c": crit})
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	w := r.Data["cohortCount"].(map[string]any)["warnings"].([]any)
	joined := ""
	for _, x := range w {
		joined += x.(string) + "\n"
	}
	if len(w) != 2 || !strings.Contains(joined, "RXNORM 999999999: no stored record") || !strings.Contains(joined, "ICD10CM Z99.999: no stored record") {
		t.Fatalf("clinician warnings: %q", joined)
	}
	r = ts.query(ts.token(auth.Designer), q, map[string]any{"c": crit})
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	dw := r.Data["cohortCount"].(map[string]any)["warnings"].([]any)
	dj := ""
	for _, x := range dw {
		dj += x.(string) + "\n"
	}
	if strings.Contains(dj, "no stored record") || !strings.Contains(dj, "ICD10CM Z99.999: fewer than 11") {
		t.Fatalf("designer warnings: %q", dj)
	}
	// Warnings alone still answer (a count is released underneath).
	r = ts.query(ts.token(auth.Designer), `query($c: CriteriaInput!) { cohortCount(criteria: $c) { warnings } }`, map[string]any{"c": crit})
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
}
