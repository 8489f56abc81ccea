package graphql

import (
	"context"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/store/jobs"
)

func rlServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerWith(t, func(ts *testServer) []Domain {
		runner, err := jobs.New(jobs.Config{DB: ts.db, Concurrency: 1})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := rl.New(rl.Config{DB: ts.db, Jobs: runner})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { runner.Shutdown(context.Background()) })
		return []Domain{&Dosing{Policies: svc.PolicyFor}, &RL{Service: svc, Jobs: runner}}
	})
}

func waitJob(t *testing.T, ts *testServer, token, query, path string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		r := ts.query(token, query, nil)
		if r.code() != "" {
			t.Fatalf("%s: %v", query, r.Errors)
		}
		obj := r.Data[path].(map[string]any)
		state := obj["job"].(map[string]any)["state"]
		switch state {
		case "SUCCEEDED":
			return obj
		case "FAILED", "CANCELLED":
			t.Fatalf("job %v: %v", state, obj["job"])
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %v", state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTrainingThroughTheAPI trains a tiny warfarin policy as a job, then uses
// it everywhere a policy goes: recommendDose, simulate, the dose table and
// an evaluation against a baseline.
func TestTrainingThroughTheAPI(t *testing.T) {
	ts := rlServer(t)
	ph := ts.token(auth.Pharmacologist)
	r := ts.query(ph, `mutation($in: TrainingInput!) { startTraining(input: $in) { id model algorithm job { id state } } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "iterations": 2, "seed": 3,
			"population":      map[string]any{"size": 16, "seed": 5},
			"hyperparameters": map[string]any{"envs": 8, "episodeSteps": 20, "hidden": []any{16}}}})
	if r.code() != "" {
		t.Fatalf("startTraining: %v", r.Errors)
	}
	runID := r.Data["startTraining"].(map[string]any)["id"].(string)
	run := waitJob(t, ts, ph, `{ trainingRun(id: "`+runID+`") { id iteration metrics { iteration envSteps meanReturn timeInRange policyLoss valueLoss entropy seconds } policy { id parameters model } job { state } } }`, "trainingRun")
	if ms := run["metrics"].([]any); len(ms) != 2 {
		t.Fatalf("metrics = %v", ms)
	}
	pol := run["policy"].(map[string]any)
	pid := pol["id"].(string)
	if pol["parameters"].(float64) <= 0 {
		t.Errorf("policy = %v", pol)
	}
	r = ts.query(ph, `{ policy(id: "`+pid+`") { id trainingRun doseTable } trainingRuns { id } }`, nil)
	if r.code() != "" || r.Data["policy"].(map[string]any)["doseTable"] == nil {
		t.Fatalf("policy: %v %v", r.Data, r.Errors)
	}
	patient := map[string]any{"age": 60, "weightKg": 80, "genotypes": map[string]any{"CYP2C9": "*1/*1", "VKORC1": "G/A"}}
	r = ts.query(ph, `query($in: DoseRequestInput!) { recommendDose(input: $in) { dose unit rationale } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "policyId": pid, "patient": patient,
			"history": []any{map[string]any{"hour": 24, "value": 1.4, "dose": "5"}}, "day": 2}})
	if r.code() != "" || r.Data["recommendDose"].(map[string]any)["dose"] == nil {
		t.Fatalf("recommendDose with a policy: %v", r.Errors)
	}
	r = ts.query(ph, `query($in: SimulationInput!) { simulate(input: $in) { doses { amount } timeInRange } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "days": 14, "patient": patient, "regimen": map[string]any{"policyId": pid}}})
	if r.code() != "" || len(r.Data["simulate"].(map[string]any)["doses"].([]any)) != 14 {
		t.Fatalf("simulate with a policy: %v", r.Errors)
	}
	r = ts.query(ph, `mutation($in: EvaluationInput!) { evaluatePolicy(input: $in) { id job { id } } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "policyId": pid, "baselines": []any{"fixed", "iwpc-pgx"},
			"population": map[string]any{"size": 20, "seed": 99}, "days": 21}})
	if r.code() != "" {
		t.Fatalf("evaluatePolicy: %v", r.Errors)
	}
	eid := r.Data["evaluatePolicy"].(map[string]any)["id"].(string)
	ev := waitJob(t, ts, ph, `{ evaluation(id: "`+eid+`") { id arms { name patients timeInRange timeInRangeLow95 timeInRangeHigh95 timeAbove timeBelow meanDailyDose timeSevere } job { state } } }`, "evaluation")
	arms := ev["arms"].([]any)
	if len(arms) != 3 {
		t.Fatalf("arms = %v", arms)
	}
	for _, a := range arms {
		m := a.(map[string]any)
		if m["patients"].(float64) != 20 || m["timeInRangeLow95"].(float64) > m["timeInRange"].(float64) {
			t.Errorf("arm %v", m)
		}
	}
	// Validation names the field; roles are enforced.
	r = ts.query(ph, `mutation($in: TrainingInput!) { startTraining(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "iterations": 0, "population": map[string]any{"size": 16}}})
	if r.code() != CodeBadInput {
		t.Errorf("iterations 0: %v", r.Errors)
	}
	if r := ts.query(ts.token(auth.Clinician), `{ trainingRuns { id } }`, nil); r.code() != CodeForbidden {
		t.Errorf("clinician trainingRuns: %v", r.Errors)
	}
}
