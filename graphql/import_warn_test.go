package graphql

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestImportWarningsAPI: unknown Synthea tables warn instead of failing,
// genomic records of unknown samples are held unless createPatients.
func TestImportWarningsAPI(t *testing.T) {
	ts, svc := cohortServer(t, 0)
	clin := ts.token(auth.Clinician)
	read := func(p string) string {
		b, err := os.ReadFile("../../shared/data/" + p)
		if err != nil {
			t.Skipf("shared data: %v", err)
		}
		return string(b)
	}
	data, _ := json.Marshal(map[string]string{"patients": read("synthea-patients/csv/patients.csv"), "allergies": read("synthea-patients/csv/allergies.csv")})
	const q = `mutation($d: String!, $f: String!, $c: Boolean) { importPatients(data: $d, format: $f, createPatients: $c) { accepted committed unlinkedSamples warnings skipped { kind count } } }`
	r := ts.query(clin, q, map[string]any{"d": string(data), "f": "synthea-csv"})
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	ir := r.Data["importPatients"].(map[string]any)
	if ir["committed"] != true || !strings.Contains(ir["warnings"].([]any)[0].(string), "data.allergies") || len(ir["skipped"].([]any)) != 1 {
		t.Fatalf("synthea: %v", ir)
	}
	before := svc.PatientCount()
	gen := read("trial-eligibility/matchminer-dfci-demo/genomic.example.csv")
	r = ts.query(clin, q, map[string]any{"d": gen, "f": "matchminer-genomic"})
	ir = r.Data["importPatients"].(map[string]any)
	if r.code() != "" || ir["unlinkedSamples"].(float64) == 0 || svc.PatientCount() != before {
		t.Fatalf("genomic: %v %v", ir, r.Errors)
	}
	r = ts.query(clin, q, map[string]any{"d": gen, "f": "matchminer-genomic", "c": true})
	ir = r.Data["importPatients"].(map[string]any)
	if r.code() != "" || ir["unlinkedSamples"].(float64) != 0 || svc.PatientCount() == before {
		t.Fatalf("createPatients: %v %v", ir, r.Errors)
	}
}
