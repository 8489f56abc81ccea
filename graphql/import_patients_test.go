package graphql

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

func ndjson(n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		id := fmt.Sprintf("%s%04d", prefix, i)
		fmt.Fprintf(&b, `{"resourceType":"Patient","id":"%s","gender":"female","birthDate":"1970-01-%02d"}`+"\n", id, 1+i%28)
		fmt.Fprintf(&b, `{"resourceType":"Condition","subject":{"reference":"Patient/%s"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"254637007"}]}}`+"\n", id)
	}
	return b.String()
}

// TestImportPatientsEndpoint drives POST /import/patients over real HTTP:
// a good file commits whole and is audited once; a file with a bad line is
// refused with the line and stores nothing; roles, methods and formats are
// checked before the body is read.
func TestImportPatientsEndpoint(t *testing.T) {
	ts, svc := cohortServer(t, 0)
	clin := ts.token(auth.Clinician)

	resp := postFile(t, ts, clin, "/import/patients?format=fhir-ndjson", strings.NewReader(ndjson(300, "H")))
	var got struct {
		Accepted, Rejected int
		Committed          bool
	}
	if err := json.Unmarshal([]byte(resp.body), &got); err != nil || resp.status != 200 {
		t.Fatalf("import: %d %s", resp.status, resp.body)
	}
	if got.Accepted != 600 || got.Rejected != 0 || !got.Committed || svc.PatientCount() != 300 {
		t.Fatalf("import answered %+v, %d patients stored", got, svc.PatientCount())
	}

	bad := ndjson(5, "B") + `{"resourceType":"Patient","id":"B9","birthDate":"not a date"}` + "\n" + "{oops\n"
	resp = postFile(t, ts, clin, "/import/patients?format=fhir-ndjson", strings.NewReader(bad))
	if resp.status != 400 || !strings.Contains(resp.body, "line 11 (Patient).birthDate") || !strings.Contains(resp.body, `"line 12"`) ||
		!strings.Contains(resp.body, `"committed":false`) || !strings.Contains(resp.body, "nothing was stored") {
		t.Fatalf("bad file: %d %s", resp.status, resp.body)
	}
	if svc.PatientCount() != 300 {
		t.Fatalf("a refused file stored patients: %d", svc.PatientCount())
	}

	csv := "SAMPLE_ID,BIRTH_DATE,GENDER\nMM1,1960-01-01,Male\nMM2,1961-01-01,Female\n"
	resp = postFile(t, ts, clin, "/import/patients?format=matchminer-clinical", strings.NewReader(csv))
	if resp.status != 200 || !strings.Contains(resp.body, `"committed":true`) || svc.PatientCount() != 302 {
		t.Fatalf("matchminer csv: %d %s", resp.status, resp.body)
	}

	// Genomic records of unknown samples are held, not made patients,
	// unless createPatients=true.
	gen := "SAMPLE_ID,TRUE_HUGO_SYMBOL,VARIANT_CATEGORY,TRUE_PROTEIN_CHANGE\nMM1,EGFR,MUTATION,p.L858R\nUX1,KRAS,MUTATION,p.G12C\n"
	resp = postFile(t, ts, clin, "/import/patients?format=matchminer-genomic", strings.NewReader(gen))
	if resp.status != 200 || !strings.Contains(resp.body, `"unlinkedSamples":1`) || svc.PatientCount() != 302 {
		t.Fatalf("genomic with an unknown sample: %d %s, %d patients", resp.status, resp.body, svc.PatientCount())
	}
	resp = postFile(t, ts, clin, "/import/patients?format=matchminer-genomic&createPatients=true", strings.NewReader(strings.ReplaceAll(gen, "UX1", "UX2")))
	if resp.status != 200 || !strings.Contains(resp.body, `"unlinkedSamples":0`) || svc.PatientCount() != 303 {
		t.Fatalf("genomic with createPatients: %d %s, %d patients", resp.status, resp.body, svc.PatientCount())
	}

	refused := []struct {
		name, token, path string
		status            int
	}{
		{"designer", ts.token(auth.Designer), "/import/patients?format=fhir-ndjson", 403},
		{"no token", "", "/import/patients?format=fhir-ndjson", 401},
		{"unknown format", clin, "/import/patients?format=hl7v2", 400},
		{"no format", clin, "/import/patients", 400},
	}
	for _, c := range refused {
		if r := postFile(t, ts, c.token, c.path, strings.NewReader(ndjson(1, "X"))); r.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.status)
		}
	}
	if svc.PatientCount() != 303 {
		t.Fatalf("refused requests stored patients: %d", svc.PatientCount())
	}

	log := ts.query(ts.admin, `{ auditLog(first: 1000) { operation outcome } }`, nil)
	ok, failed := 0, 0
	for _, x := range log.Data["auditLog"].([]any) {
		m := x.(map[string]any)
		if m["operation"] != "import patients" {
			continue
		}
		if m["outcome"] == "ok" {
			ok++
		} else {
			failed++
		}
	}
	if ok != 4 || failed != 4 { // the tokenless request is refused before the handler
		t.Errorf("audit has %d ok and %d failed patient imports, want 4 and 4", ok, failed)
	}
	if _, err := ts.db.VerifyAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
}
