package graphql

import (
	"reflect"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl"
)

func rlServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerWith(t, func(ts *testServer) []Domain {
		// The API's own runner, as in the server, so cancelJob reaches the jobs.
		svc, err := rl.New(rl.Config{DB: ts.db, Jobs: ts.jobs})
		if err != nil {
			t.Fatal(err)
		}
		return []Domain{&Dosing{Policies: svc.PolicyFor}, &RL{Service: svc, Jobs: ts.jobs}}
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
	ev := waitJob(t, ts, ph, `{ evaluation(id: "`+eid+`") { id arms { name patients timeInRange timeInRangeLow95 timeInRangeHigh95 timeAbove timeBelow meanDailyDose timeSevere } job { state } skipped skippedDisplay skippedReasons { reason } } }`, "evaluation")
	if ev["skipped"] != 0.0 || ev["skippedDisplay"] != "0" || len(ev["skippedReasons"].([]any)) != 0 {
		t.Errorf("a synthetic population skipped patients: %v %v %v", ev["skipped"], ev["skippedDisplay"], ev["skippedReasons"])
	}
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

// TestJobViewsAgree checks that a run's job and job(id:) give the same
// answer for every caller: the owner sees both, another pharmacologist
// neither (NOT_FOUND for the run, the evaluation and the job alike), an
// admin both; and that cancelJob stops queued and running jobs.
func TestJobViewsAgree(t *testing.T) {
	ts := rlServer(t)
	owner, other := ts.token(auth.Pharmacologist), ts.token(auth.Pharmacologist)
	start := func(tok string, iterations int) (run, job string) {
		t.Helper()
		r := ts.query(tok, `mutation($in: TrainingInput!) { startTraining(input: $in) { id job { id state } } }`,
			map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "iterations": iterations, "seed": 3,
				"population":      map[string]any{"size": 16, "seed": 5},
				"hyperparameters": map[string]any{"envs": 8, "episodeSteps": 20, "hidden": []any{16}}}})
		if r.code() != "" {
			t.Fatalf("startTraining: %v", r.Errors)
		}
		m := r.Data["startTraining"].(map[string]any)
		return m["id"].(string), m["job"].(map[string]any)["id"].(string)
	}
	runID, jobID := start(owner, 1)
	waitJob(t, ts, owner, `{ trainingRun(id: "`+runID+`") { job { state } } }`, "trainingRun")
	ev := ts.query(owner, `mutation { evaluatePolicy(input: {model: "warfarin-hamberg", baselines: ["fixed"], population: {size: 12, seed: 8}, days: 5}) { id job { id } } }`, nil)
	if ev.code() != "" {
		t.Fatalf("evaluatePolicy: %v", ev.Errors)
	}
	evID := ev.Data["evaluatePolicy"].(map[string]any)["id"].(string)
	evJob := ev.Data["evaluatePolicy"].(map[string]any)["job"].(map[string]any)["id"].(string)

	q := `{ trainingRun(id: "` + runID + `") { job { id state progress } } job(id: "` + jobID + `") { id state progress } }`
	for _, c := range []struct {
		name, token string
		sees        bool
	}{{"owner", owner, true}, {"admin", ts.admin, true}, {"other pharmacologist", other, false}} {
		t.Run(c.name, func(t *testing.T) {
			r := ts.query(c.token, q, nil)
			if !c.sees {
				if r.code() != CodeNotFound || r.Data["trainingRun"] != nil || r.Data["job"] != nil {
					t.Fatalf("run and job of another token: %v %v", r.Data, r.Errors)
				}
				if r := ts.query(c.token, `{ evaluation(id: "`+evID+`") { id } }`, nil); r.code() != CodeNotFound {
					t.Errorf("evaluation of another token: %v", r.Errors)
				}
				if r := ts.query(c.token, `{ job(id: "`+evJob+`") { id } }`, nil); r.code() != CodeNotFound {
					t.Errorf("evaluation job of another token: %v", r.Errors)
				}
				if r := ts.query(c.token, `{ trainingRuns { id } }`, nil); len(r.Data["trainingRuns"].([]any)) != 0 {
					t.Errorf("trainingRuns lists another token's runs: %v", r.Data)
				}
				return
			}
			if r.code() != "" {
				t.Fatalf("%v", r.Errors)
			}
			viaRun := r.Data["trainingRun"].(map[string]any)["job"]
			if !reflect.DeepEqual(viaRun, r.Data["job"]) || viaRun.(map[string]any)["id"] != jobID {
				t.Fatalf("TrainingRun.job %v, job(id:) %v", viaRun, r.Data["job"])
			}
			r = ts.query(c.token, `{ trainingRuns { job { id } } }`, nil)
			for _, run := range r.Data["trainingRuns"].([]any) {
				id := run.(map[string]any)["job"].(map[string]any)["id"].(string)
				if j := ts.query(c.token, `{ job(id: "`+id+`") { id } }`, nil); j.code() != "" {
					t.Errorf("trainingRuns shows job %s, job(id:) says %v", id, j.Errors)
				}
			}
		})
	}

	// Two long runs take both slots, the third waits; cancel it and one running.
	_, running := start(owner, 5000)
	start(owner, 5000)
	_, queued := start(owner, 5000)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := ts.query(owner, `{ job(id: "`+running+`") { state } }`, nil)
		if r.Data["job"].(map[string]any)["state"] == "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never ran: %v", r.Data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := ts.query(owner, `{ job(id: "`+queued+`") { state } }`, nil); r.Data["job"].(map[string]any)["state"] != "QUEUED" {
		t.Fatalf("third job with two slots: %v", r.Data)
	}
	if r := ts.query(other, `mutation { cancelJob(id: "`+queued+`") { state } }`, nil); r.code() != CodeNotFound {
		t.Errorf("another token cancelled a job: %v %v", r.Data, r.Errors)
	}
	for _, id := range []string{queued, running} {
		r := ts.query(owner, `mutation { cancelJob(id: "`+id+`") { state } }`, nil)
		if r.code() != "" || r.Data["cancelJob"].(map[string]any)["state"] != "CANCELLED" {
			t.Errorf("cancelJob(%s) = %v %v", id, r.Data, r.Errors)
		}
	}
}
