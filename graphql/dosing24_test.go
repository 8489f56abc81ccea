package graphql

import (
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestDosingUnitsAndEndpointsAPI checks issue 24 over HTTP: docetaxel doses
// in mg/m² with answers in both units, errors listing the levels, the
// sub-daily grid and the endpoints; Intermountain reading the history; the
// monitoring schedule a simulation followed.
func TestDosingUnitsAndEndpointsAPI(t *testing.T) {
	ts := domainServer(t)
	ph := ts.token(auth.Pharmacologist)
	q := `query($in: SimulationInput!) { simulate(input: $in) { monitoring points { hour concentration } doses { hour amount amountMg }
		endpoints { nadirAnc nadirDay grade3 grade4 deliveredPerM2 plannedPerM2 relativeDoseIntensity } } }`
	patient := map[string]any{"age": 60, "weightKg": 70, "heightCm": 175, "sex": "FEMALE"}
	r := ts.query(ph, q, map[string]any{"in": map[string]any{"model": "docetaxel-friberg", "days": 42, "sampleEveryHours": 1,
		"patient": patient, "regimen": map[string]any{"fixedDose": "75"}}})
	if r.code() != "" {
		t.Fatalf("simulate: %v", r.Errors)
	}
	sim := r.Data["simulate"].(map[string]any)
	doses := sim["doses"].([]any)
	if len(doses) != 2 || doses[0].(map[string]any)["amount"] != "75" || doses[0].(map[string]any)["amountMg"] != "138" || doses[1].(map[string]any)["hour"] != 504.0 {
		t.Fatalf("fixedDose 75 on docetaxel: %v (want 75 mg/m² = 138 mg every 21 days)", doses)
	}
	if pts := sim["points"].([]any); len(pts) != 42*24+1 || !(pts[1].(map[string]any)["concentration"].(float64) > 1) {
		t.Errorf("hourly grid: %d points", len(pts))
	}
	ep := sim["endpoints"].(map[string]any)
	if ep["deliveredPerM2"] != "150" || ep["plannedPerM2"] != "150" || ep["relativeDoseIntensity"] != 1.0 || ep["grade4"] != false || sim["monitoring"] != "PROTOCOL" {
		t.Errorf("endpoints %v, monitoring %v", ep, sim["monitoring"])
	}
	cases := []struct {
		name   string
		in     map[string]any
		substr []string
	}{
		{"mg is not a level", map[string]any{"fixedDose": "138"}, []string{"input.regimen.fixedDose", "mg/m2", "0, 5, 10"}},
		{"grid", map[string]any{"fixedDose": "75"}, []string{"sampleEveryHours"}},
	}
	for _, c := range cases {
		in := map[string]any{"model": "docetaxel-friberg", "days": 21, "patient": patient, "regimen": c.in}
		if c.name == "grid" {
			in["sampleEveryHours"] = 5
		}
		r := ts.query(ph, q, map[string]any{"in": in})
		if r.code() != CodeBadInput {
			t.Errorf("%s: %v", c.name, r.Errors)
			continue
		}
		for _, s := range c.substr {
			if !strings.Contains(r.Errors[0].Message, s) {
				t.Errorf("%s: %q lacks %q", c.name, r.Errors[0].Message, s)
			}
		}
	}
	rq := `query($in: DoseRequestInput!) { recommendDose(input: $in) { dose doseMg unit rationale nextCheckHours } }`
	r = ts.query(ph, rq, map[string]any{"in": map[string]any{"model": "docetaxel-friberg", "method": "q3w-reduce-grade4", "patient": patient, "day": 21,
		"history": []any{map[string]any{"hour": 168, "value": 400, "dose": "75"}, map[string]any{"hour": 504, "value": 2500, "dose": "75"}}}})
	if rec, _ := r.Data["recommendDose"].(map[string]any); r.code() != "" || rec["dose"] != "55" || rec["doseMg"] != "101" || rec["unit"] != "mg/m2" {
		t.Errorf("docetaxel recommendation after grade 4: %v %v", r.Data, r.Errors)
	}
	warf := map[string]any{"age": 70, "genotypes": map[string]any{"CYP2C9": "*1/*1", "VKORC1": "G/A"}}
	plain := ts.query(ph, rq, map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "method": "intermountain", "patient": warf, "day": 5}})
	high := ts.query(ph, rq, map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "method": "intermountain", "patient": warf, "day": 5,
		"history": []any{map[string]any{"hour": 120, "value": 3.4, "dose": "5"}}}})
	p, h := plain.Data["recommendDose"].(map[string]any), high.Data["recommendDose"].(map[string]any)
	if p["dose"] != "5" || h["dose"] != "2.5" || h["nextCheckHours"] != 168.0 {
		t.Errorf("intermountain without/with INR 3.4 on day 5: %v / %v", p, h)
	}
}

// TestEvaluationSubgroupsAndListingsAPI checks monitoring, subgroups and
// the listings over HTTP, with baselines only (no training needed).
func TestEvaluationSubgroupsAndListingsAPI(t *testing.T) {
	ts := rlServer(t)
	ph := ts.token(auth.Pharmacologist)
	r := ts.query(ph, `mutation($in: EvaluationInput!) { evaluatePolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "baselines": []any{"aurora", "iwpc-pgx"}, "monitoring": "DAILY",
			"population": map[string]any{"size": 20, "seed": 7}, "days": 21}})
	if r.code() != "" {
		t.Fatalf("evaluatePolicy: %v", r.Errors)
	}
	eid := r.Data["evaluatePolicy"].(map[string]any)["id"].(string)
	ev := waitJob(t, ts, ph, `{ evaluation(id: "`+eid+`") { monitoring arms { name patients monitoring visitsPerPatient timeInRange }
		subgroups { dimension value arm patients timeInRange timeInRangeLow95 timeInRangeHigh95 timeAbove worseThanBest } job { state } } }`, "evaluation")
	if ev["monitoring"] != "DAILY" {
		t.Errorf("monitoring = %v", ev["monitoring"])
	}
	for _, a := range ev["arms"].([]any) {
		if m := a.(map[string]any); m["monitoring"] != "DAILY" || m["visitsPerPatient"] != 21.0 {
			t.Errorf("arm %v", m)
		}
	}
	n := map[string]float64{}
	for _, s := range ev["subgroups"].([]any) {
		m := s.(map[string]any)
		n[m["dimension"].(string)+"/"+m["arm"].(string)] += m["patients"].(float64)
	}
	if len(n) != 10 {
		t.Errorf("subgroup dimensions × arms = %d, want 5 × 2: %v", len(n), n)
	}
	for k, v := range n {
		if v != 20 {
			t.Errorf("%s: subgroups hold %v patients, want 20", k, v)
		}
	}
	r = ts.query(ph, `{ evaluations(model: "warfarin-hamberg", first: 5) { id } other: evaluations(model: "docetaxel-friberg") { id } policies { id } trainingRuns(model: "warfarin-hamberg") { id } }`, nil)
	if r.code() != "" || len(r.Data["evaluations"].([]any)) != 1 || len(r.Data["other"].([]any)) != 0 {
		t.Errorf("listings: %v %v", r.Data, r.Errors)
	}
	if r := ts.query(ts.token(auth.Pharmacologist), `{ evaluations { id } }`, nil); r.code() != "" || len(r.Data["evaluations"].([]any)) != 0 {
		t.Errorf("another pharmacologist sees %v", r.Data)
	}
	if r := ts.query(ph, `{ evaluations(first: 100000) { id } }`, nil); r.code() != CodeBadInput || !strings.Contains(r.Errors[0].Message, "first") {
		t.Errorf("first beyond the limit: %v", r.Errors)
	}
	if r := ts.query(ph, `mutation($in: EvaluationInput!) { evaluatePolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "baselines": []any{"aurora"}, "monitoring": "WEEKLY",
			"population": map[string]any{"size": 20, "seed": 7}, "days": 21}}); r.code() != CodeBadInput {
		t.Errorf("unknown schedule: %v", r.Errors)
	}
}

// TestGuardrailAPI trains a small policy through the API and checks that
// Policy.checks answers and recommendDose for the highly sensitive typical
// patient stays within the first-week guardrail (2 mg/day), saying so when
// the guardrail bound it.
func TestGuardrailAPI(t *testing.T) {
	ts := rlServer(t)
	ph := ts.token(auth.Pharmacologist)
	r := ts.query(ph, `mutation($in: TrainingInput!) { startTraining(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "iterations": 1, "seed": 3, "monitoring": "OUTPATIENT",
			"population":      map[string]any{"size": 16, "seed": 5},
			"hyperparameters": map[string]any{"envs": 8, "episodeSteps": 20, "hidden": []any{16}}}})
	if r.code() != "" {
		t.Fatalf("startTraining: %v", r.Errors)
	}
	runID := r.Data["startTraining"].(map[string]any)["id"].(string)
	run := waitJob(t, ts, ph, `{ trainingRun(id: "`+runID+`") { policy { id monitoring checks { decisions guardrailBound guardrailBoundFraction monotone violations } } job { state } } }`, "trainingRun")
	pol := run["policy"].(map[string]any)
	checks := pol["checks"].(map[string]any)
	// Trained under OUTPATIENT: decisions are counted at visits, days 0, 3, 5, 7, 10, 14 and 21 of 28.
	if pol["monitoring"] != "OUTPATIENT" || checks["decisions"].(float64) != 200*7 || checks["guardrailBoundFraction"].(float64) > 1 {
		t.Errorf("policy %v", pol)
	}
	patient := map[string]any{"age": 71, "genotypes": map[string]any{"CYP2C9": "*3/*3", "VKORC1": "A/A"}}
	for day := range 7 {
		r := ts.query(ph, `query($in: DoseRequestInput!) { recommendDose(input: $in) { dose doseMg guardrail rationale } }`,
			map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "policyId": pol["id"], "patient": patient, "day": day}})
		rec, _ := r.Data["recommendDose"].(map[string]any)
		if r.code() != "" || rec == nil {
			t.Fatalf("recommendDose day %d: %v", day, r.Errors)
		}
		if d := rec["dose"].(string); d != "0" && d != "0.5" && d != "1" && d != "1.5" && d != "2" {
			t.Errorf("day %d: %s mg above the 2 mg guardrail (%v)", day, d, rec)
		}
		if g, ok := rec["guardrail"].(string); ok && !strings.Contains(g, "*3/*3") {
			t.Errorf("guardrail explanation %q", g)
		}
	}
	if r := ts.query(ph, `mutation($in: TrainingInput!) { startTraining(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "docetaxel-friberg", "iterations": 1, "monitoring": "OUTPATIENT", "population": map[string]any{"size": 16}}}); r.code() != CodeBadInput || !strings.Contains(r.Errors[0].Message, "monitoring") {
		t.Errorf("docetaxel under OUTPATIENT: %v", r.Errors)
	}
}

// TestSimulatePopulationAPI checks percentile bands per arm, endpoint
// distributions and the budget over HTTP.
func TestSimulatePopulationAPI(t *testing.T) {
	ts := rlServer(t)
	ph := ts.token(auth.Pharmacologist)
	q := `query($in: PopulationSimulationInput!) { simulatePopulation(input: $in) { model days arms { name monitoring patients bands { hour p5 p25 p50 p75 p95 } endpoints { name mean p5 p50 p95 } } } }`
	r := ts.query(ph, q, map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "days": 30, "monitoring": "OUTPATIENT",
		"population": map[string]any{"size": 200, "seed": 4}, "arms": []any{map[string]any{"method": "aurora"}, map[string]any{"fixedDose": "5"}}}})
	if r.code() != "" {
		t.Fatalf("simulatePopulation: %v", r.Errors)
	}
	arms := r.Data["simulatePopulation"].(map[string]any)["arms"].([]any)
	if len(arms) != 2 || arms[1].(map[string]any)["name"] != "fixed 5" {
		t.Fatalf("arms %v", arms)
	}
	for _, a := range arms {
		m := a.(map[string]any)
		bands := m["bands"].([]any)
		if m["patients"] != 200.0 || m["monitoring"] != "OUTPATIENT" || len(bands) != 31 {
			t.Errorf("arm %v: %d bands", m["name"], len(bands))
		}
		b := bands[30].(map[string]any)
		if !(b["p5"].(float64) <= b["p25"].(float64) && b["p25"].(float64) <= b["p50"].(float64) && b["p50"].(float64) <= b["p75"].(float64) && b["p75"].(float64) <= b["p95"].(float64)) || !(b["p95"].(float64) > b["p5"].(float64)) {
			t.Errorf("day-30 band %v", b)
		}
		if e := m["endpoints"].([]any)[0].(map[string]any); e["name"] != "timeInRange" || !(e["mean"].(float64) > 0) {
			t.Errorf("endpoints %v", e)
		}
	}
	r = ts.query(ph, q, map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "days": 365,
		"population": map[string]any{"size": 100000, "seed": 4}, "arms": []any{map[string]any{"method": "aurora"}}}})
	if r.code() != "LIMIT_EXCEEDED" {
		t.Errorf("over budget: %v", r.Errors)
	}
	r = ts.query(ph, q, map[string]any{"in": map[string]any{"model": "docetaxel-friberg", "days": 42,
		"population": map[string]any{"size": 50, "seed": 4}, "arms": []any{map[string]any{"fixedDose": "75"}, map[string]any{"method": "q3w-reduce-grade4"}}}})
	if r.code() != "" {
		t.Fatalf("docetaxel: %v", r.Errors)
	}
	names := map[string]bool{}
	for _, e := range r.Data["simulatePopulation"].(map[string]any)["arms"].([]any)[0].(map[string]any)["endpoints"].([]any) {
		names[e.(map[string]any)["name"].(string)] = true
	}
	if !names["relativeDoseIntensity"] || !names["grade4"] || !names["nadirAnc"] {
		t.Errorf("docetaxel endpoints %v", names)
	}
}
