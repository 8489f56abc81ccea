package graphql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestCohortLifecycleAPI: saveCohort refuses an owner's existing name with
// CONFLICT pointing to updateCohort; updateCohort adds a version and
// cohort(id:) reads every version; deleteCohort removes them and is
// audited with the cohort ids; another designer cannot update.
func TestCohortLifecycleAPI(t *testing.T) {
	ts, _ := cohortServer(t, 300)
	des, other := ts.token(auth.Designer), ts.token(auth.Designer)
	const save = `mutation($n: String!) { saveCohort(name: $n, criteria: {sex: [FEMALE]}) { id version } }`
	r := ts.query(des, save, map[string]any{"n": "women"})
	if r.code() != "" {
		t.Fatal(r.Errors)
	}
	id := r.Data["saveCohort"].(map[string]any)["id"].(string)
	r = ts.query(des, save, map[string]any{"n": "women"})
	if r.code() != CodeConflict || !strings.Contains(r.Errors[0].Message, "updateCohort") || !strings.Contains(r.Errors[0].Message, id) {
		t.Fatalf("second save: %v", r.Errors)
	}
	const upd = `mutation($id: ID!) { updateCohort(id: $id, description: "older women", criteria: {all: [{sex: [FEMALE]}, {age: {min: 60}}]}) { id version description } }`
	if r := ts.query(other, upd, map[string]any{"id": id}); r.code() != CodeForbidden {
		t.Fatalf("another designer updates: %v", r.Errors)
	}
	r = ts.query(des, upd, map[string]any{"id": id})
	if r.code() != "" || r.Data["updateCohort"].(map[string]any)["version"].(float64) != 2 {
		t.Fatalf("update: %v %v", r.Data, r.Errors)
	}
	id2 := r.Data["updateCohort"].(map[string]any)["id"].(string)
	r = ts.query(des, `query($id: ID!) { cohort(id: $id) { id version criteria versions { id version description } } }`, map[string]any{"id": id})
	if r.code() != "" || r.Data["cohort"].(map[string]any)["version"].(float64) != 1 || len(r.Data["cohort"].(map[string]any)["versions"].([]any)) != 2 {
		t.Fatalf("cohort(id): %v %v", r.Data, r.Errors)
	}
	r = ts.query(des, `mutation($id: ID!) { deleteCohort(id: $id) }`, map[string]any{"id": id2})
	if r.code() != "" || len(r.Data["deleteCohort"].([]any)) != 2 {
		t.Fatalf("delete: %v %v", r.Data, r.Errors)
	}
	if r := ts.query(des, `query($id: ID!) { cohort(id: $id) { id } }`, map[string]any{"id": id}); r.code() != CodeNotFound {
		t.Fatalf("deleted cohort still read: %v", r.Errors)
	}
	log := ts.query(ts.admin, `{ auditLog { operation outcome targets } }`, nil)
	found := false
	for _, rec := range log.Data["auditLog"].([]any) {
		m := rec.(map[string]any)
		if m["operation"] == "mutation deleteCohort" && m["outcome"] == "ok" {
			ts := fmt.Sprint(m["targets"])
			found = strings.Contains(ts, "cohort:"+id) && strings.Contains(ts, "cohort:"+id2)
		}
	}
	if !found {
		t.Errorf("no audit record of the delete naming both versions: %v", log.Data)
	}
}
