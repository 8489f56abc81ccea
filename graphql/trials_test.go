package graphql

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

func dfciFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../shared/data/trial-eligibility/matchminer-dfci-demo/" + name)
	if err != nil {
		t.Skipf("shared MatchMiner data not available: %v", err)
	}
	return string(b)
}

const trialsImport = `mutation($c: String!, $r: Boolean) { importTrials(ctml: $c, replace: $r) { committed trials { index protocolNo stored replacedVersion error { code message } trial { id version } } } }`

// TestTrialLifecycleAPI: importTrials stores the ten DFCI trials from one
// file, importTrial answers CONFLICT for an existing protocol_no and
// BAD_USER_INPUT with the field path for bad-schema.yml, replace keeps
// both versions, every arm carries a label and its count (through the
// privacy guard for a designer), and every arm's criteria go back into
// cohortCount with the same count.
func TestTrialLifecycleAPI(t *testing.T) {
	ts, _ := cohortServer(t, 2000)
	designer, clin := ts.token(auth.Designer), ts.token(auth.Clinician)
	r := ts.query(designer, trialsImport, map[string]any{"c": dfciFile(t, "mm_data_trials.json")})
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	items := r.Data["importTrials"].(map[string]any)["trials"].([]any)
	if len(items) != 10 || r.Data["importTrials"].(map[string]any)["committed"] != true {
		t.Fatalf("importTrials: %v", r.Data)
	}
	const one = `mutation($c: String!, $r: Boolean) { importTrial(ctml: $c, replace: $r) { id version status phase drugs } }`
	y := dfciFile(t, "yaml/00-001.yml")
	if r := ts.query(designer, one, map[string]any{"c": y}); r.code() != CodeConflict {
		t.Fatalf("reimport: %v", r.Errors)
	}
	r = ts.query(designer, one, map[string]any{"c": y, "r": true})
	if r.code() != "" || r.Data["importTrial"].(map[string]any)["version"].(float64) != 2 {
		t.Fatalf("replace: %v %v", r.Data, r.Errors)
	}
	r = ts.query(designer, one, map[string]any{"c": dfciFile(t, "yaml/bad-schema.yml"), "r": true})
	if r.code() != CodeBadInput || !strings.Contains(r.Errors[0].Message, "ctml.treatment_list") {
		t.Fatalf("bad-schema: %v", r.Errors)
	}
	r = ts.query(designer, `{ trial(id: "00-001") { version versions { version nctId } } }`, nil)
	if r.code() != "" || len(r.Data["trial"].(map[string]any)["versions"].([]any)) != 2 {
		t.Fatalf("versions: %v %v", r.Data, r.Errors)
	}
	r = ts.query(designer, `{ trial(id: "00-009") { status phase drugs } }`, nil)
	if tr := r.Data["trial"].(map[string]any); r.code() != "" || tr["status"] == nil || tr["phase"] == nil || len(tr["drugs"].([]any)) == 0 {
		t.Fatalf("00-009: %v %v", r.Data, r.Errors)
	}
	const arms = `{ trials { id arms { code label level criteria count { count display disclosure { exact } } } } }`
	// The clinician sees exact per-arm counts; each arm's criteria counted
	// again through cohortCount give the same number.
	r = ts.query(clin, arms, nil)
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	checked := 0
	for _, tr := range r.Data["trials"].([]any) {
		for _, a := range tr.(map[string]any)["arms"].([]any) {
			am := a.(map[string]any)
			if am["label"] == "" || !strings.Contains(am["label"].(string), am["code"].(string)) {
				t.Errorf("label %v", am["label"])
			}
			again := ts.query(clin, countQuery, map[string]any{"c": am["criteria"]})
			if again.code() != "" {
				b, _ := json.Marshal(am["criteria"])
				t.Fatalf("arm %v criteria do not round-trip: %v (%s)", am["code"], again.Errors, b)
			}
			if got, want := again.Data["cohortCount"].(map[string]any)["count"], am["count"].(map[string]any)["count"]; got != want {
				t.Errorf("arm %v: cohortCount %v, arm count %v", am["code"], got, want)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d arms", checked)
	}
	// A designer's per-arm counts are released by the guard, never exact.
	r = ts.query(designer, `{ trial(id: "00-009") { arms { count { display disclosure { exact } } } } }`, nil)
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	for _, a := range r.Data["trial"].(map[string]any)["arms"].([]any) {
		d := a.(map[string]any)["count"].(map[string]any)["disclosure"].(map[string]any)
		if d["exact"] != false {
			t.Errorf("designer arm count released exactly: %v", d)
		}
	}
}
