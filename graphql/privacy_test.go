package graphql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
)

const budgetFields = `tokenId role epsilon delta own epsilonSpent remainingCounts answers periodHours renewsAt`

// TestPrivacyBudgets drives the budget over HTTP: role defaults, an admin
// lowering a role's budget, a designer spending it to
// PRIVACY_BUDGET_EXHAUSTED (with renewsAt), reset and a token's own budget,
// the audit records of spends and settings, and who may do what.
func TestPrivacyBudgets(t *testing.T) {
	ts, _ := cohortServer(t, 1000)
	list := ts.query(ts.admin, `{ privacyBudgets { `+budgetFields+` } }`, nil)
	if list.code() != "" {
		t.Fatalf("privacyBudgets: %v", list.Errors)
	}
	roles := map[string]map[string]any{}
	for _, x := range list.Data["privacyBudgets"].([]any) {
		m := x.(map[string]any)
		if m["tokenId"] == nil {
			roles[m["role"].(string)] = m
		}
	}
	if len(roles) != 3 || roles["designer"]["epsilon"] != disclosure.DefaultEpsilon || roles["designer"]["remainingCounts"].(float64) < 200 {
		t.Fatalf("role defaults: %v", roles)
	}
	if _, ok := roles["clinician"]; ok {
		t.Error("clinicians see exact numbers and have no budget")
	}

	// An admin lowers the designers' budget to about 20 counts a day.
	set := ts.query(ts.admin, `mutation { setPrivacyBudget(role: "designer", epsilon: 10) { `+budgetFields+` } }`, nil)
	if set.code() != "" || set.Data["setPrivacyBudget"].(map[string]any)["epsilon"] != 10.0 {
		t.Fatalf("setPrivacyBudget: %v %v", set.Data, set.Errors)
	}
	des := ts.token(auth.Designer)
	me := ts.query(des, `{ myPrivacyBudget { `+budgetFields+` } }`, nil).Data["myPrivacyBudget"].(map[string]any)
	budget := int(me["remainingCounts"].(float64))
	if budget < 10 || budget > 40 || me["epsilon"] != 10.0 {
		t.Fatalf("a designer's budget after the change: %v", me)
	}
	var exhausted gqlResult
	spent := 0
	for i := 0; i < 100; i++ {
		r := ts.query(des, plainCount, map[string]any{"c": crit{"age": crit{"min": i}}})
		if r.code() != "" {
			exhausted = r
			break
		}
		spent++
	}
	if spent != budget || exhausted.code() != disclosure.CodeBudgetExhausted {
		t.Fatalf("spent %d of %d counts, then %v", spent, budget, exhausted.Errors)
	}
	if renews, _ := exhausted.Errors[0].Extensions["renewsAt"].(string); renews == "" || !strings.Contains(exhausted.Errors[0].Message, renews) {
		t.Errorf("exhausted error: %+v", exhausted.Errors[0])
	}
	// Asking an old question again is still free and the same.
	if r := ts.query(des, plainCount, map[string]any{"c": crit{"age": crit{"min": 0}}}); r.code() != "" {
		t.Errorf("a repeated question after the budget ran out: %v", r.Errors)
	}

	// The admin sees the token, resets it, then gives it a budget of its own.
	me = ts.query(des, `{ myPrivacyBudget { tokenId } }`, nil).Data["myPrivacyBudget"].(map[string]any)
	id := me["tokenId"].(string)
	st := ts.query(ts.admin, `query($t: ID) { privacyBudgets(tokenId: $t) { `+budgetFields+` } }`, map[string]any{"t": id})
	row := st.Data["privacyBudgets"].([]any)[0].(map[string]any)
	if row["answers"] != float64(budget) || row["remainingCounts"] != 0.0 || row["role"] != "designer" {
		t.Errorf("the admin's view of the spent token: %v", row)
	}
	reset := ts.query(ts.admin, `mutation($t: ID!) { resetPrivacyBudget(tokenId: $t) { remainingCounts } }`, map[string]any{"t": id})
	if reset.code() != "" || reset.Data["resetPrivacyBudget"].(map[string]any)["remainingCounts"] != float64(budget) {
		t.Fatalf("reset: %v %v", reset.Data, reset.Errors)
	}
	own := ts.query(ts.admin, `mutation($t: ID) { setPrivacyBudget(tokenId: $t, epsilon: 100) { own epsilon remainingCounts } }`, map[string]any{"t": id})
	if o := own.Data["setPrivacyBudget"].(map[string]any); o["own"] != true || o["remainingCounts"].(float64) < 400 {
		t.Errorf("a token's own budget: %v %v", own.Data, own.Errors)
	}

	// Who may do what.
	for _, c := range []struct {
		name, token, q, code string
	}{
		{"designer sets a budget", des, `mutation { setPrivacyBudget(role: "designer", epsilon: 1000) { epsilon } }`, CodeForbidden},
		{"designer lists budgets", des, `{ privacyBudgets { role } }`, CodeForbidden},
		{"clinician has no budget", ts.admin, `mutation { setPrivacyBudget(role: "clinician", epsilon: 1) { epsilon } }`, CodeBadInput},
		{"role and token", ts.admin, `mutation { setPrivacyBudget(role: "designer", tokenId: "T1", epsilon: 1) { epsilon } }`, CodeBadInput},
		{"negative ε", ts.admin, `mutation { setPrivacyBudget(role: "designer", epsilon: -1) { epsilon } }`, CodeBadInput},
		{"unknown role", ts.admin, `mutation { setPrivacyBudget(role: "nobody", epsilon: 1) { epsilon } }`, CodeBadInput},
	} {
		if r := ts.query(c.token, c.q, nil); r.code() != c.code {
			t.Errorf("%s: %q, want %q (%v)", c.name, r.code(), c.code, r.Errors)
		}
	}

	// Every spend, refusal and setting is in the audit log.
	log := ts.query(ts.admin, `{ auditLog(first: 1000) { operation outcome targets } }`, nil)
	counts := map[string]int{}
	for _, x := range log.Data["auditLog"].([]any) {
		m := x.(map[string]any)
		key := fmt.Sprintf("%s|%s", m["operation"], m["outcome"])
		counts[key]++
	}
	if counts["query cohortCount (privacy: spend)|ok"] != budget || counts["query cohortCount|denied: PRIVACY_BUDGET_EXHAUSTED"] != 1 ||
		counts["mutation setPrivacyBudget|ok"] != 2 || counts["mutation resetPrivacyBudget|ok"] != 1 {
		t.Errorf("audit: %v", counts)
	}
}

// TestPrivacyViews checks what each role sees of the same aggregates:
// clinicians exact (and no budget), designers noisy through every route —
// cohortCount, health, a saved cohort, a trial — with one answer per
// question whatever the route.
func TestPrivacyViews(t *testing.T) {
	ts, _ := cohortServer(t, 1000)
	clin, des := ts.token(auth.Clinician), ts.token(auth.Designer)
	q := `query($c: CriteriaInput!) { cohortCount(criteria: $c) { count disclosure { exact noiseSigma threshold repeated countsSpent } } }`
	adults := crit{"age": crit{"min": 18}}
	exact := exactCount(t, ts, adults)
	c := ts.query(clin, q, map[string]any{"c": adults}).Data["cohortCount"].(map[string]any)
	if c["count"] != float64(exact) || c["disclosure"].(map[string]any)["exact"] != true {
		t.Errorf("clinician: %v", c)
	}
	if r := ts.query(clin, `{ myPrivacyBudget { epsilon } }`, nil); r.code() != "" || r.Data["myPrivacyBudget"] != nil {
		t.Errorf("clinician budget: %v %v", r.Data, r.Errors)
	}
	d := ts.query(des, q, map[string]any{"c": adults}).Data["cohortCount"].(map[string]any)
	dis := d["disclosure"].(map[string]any)
	if v := d["count"].(float64); v < float64(exact)-15 || v > float64(exact)+15 || dis["exact"] != false || dis["noiseSigma"] != disclosure.DefaultSigma || dis["countsSpent"] != 1.0 {
		t.Errorf("designer: %v (exact %d)", d, exact)
	}
	// A saved cohort with the same criteria is the same question.
	sv := ts.query(des, `mutation($c: CriteriaInput!) { saveCohort(name: "adults", criteria: $c) { count { count disclosure { repeated } } } }`, map[string]any{"c": adults})
	if sc := sv.Data["saveCohort"].(map[string]any)["count"].(map[string]any); sc["count"] != d["count"] || sc["disclosure"].(map[string]any)["repeated"] != true {
		t.Errorf("the saved cohort's count %v differs from the same criteria's %v", sc, d["count"])
	}
	// health { ok } spends nothing; health.patients is noisy for the
	// designer (one count a period), exact for the clinician.
	fresh := ts.token(auth.Designer)
	if r := ts.query(fresh, `{ health { ok version molecules } }`, nil); r.code() != "" {
		t.Fatalf("health: %v", r.Errors)
	}
	if _, n := spentEpsilon(t, ts, fresh); n != 0 {
		t.Errorf("health without patients spent %d answers", n)
	}
	hc := ts.query(clin, `{ health { patients } }`, nil).Data["health"].(map[string]any)["patients"].(float64)
	hd := ts.query(des, `{ health { patients } }`, nil).Data["health"].(map[string]any)["patients"].(float64)
	if hc != 1000 || hd < 985 || hd > 1015 {
		t.Errorf("health.patients: clinician %v, designer %v", hc, hd)
	}
	// A demo trial's match count is noisy and consistent with its attrition.
	trials := ts.query(des, `{ trials { id } }`, nil).Data["trials"].([]any)
	tid := trials[0].(map[string]any)["id"].(string)
	tm := ts.query(des, `query($t: ID!) { trialMatchCount(trialId: $t) { count display suppressed disclosure { exact } } }`, map[string]any{"t": tid})
	if tm.code() != "" || tm.Data["trialMatchCount"].(map[string]any)["disclosure"].(map[string]any)["exact"] != false {
		t.Errorf("trialMatchCount: %v %v", tm.Data, tm.Errors)
	}
}
