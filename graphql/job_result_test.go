package graphql

import (
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestJobResultRL: every rl job kind names what it made in Job.result and
// in its message once SUCCEEDED — the policy of a training run, the
// evaluation, the population simulation — instead of its last progress
// message.
func TestJobResultRL(t *testing.T) {
	ts := rlServer(t)
	ph := ts.token(auth.Pharmacologist)
	r := ts.query(ph, `mutation($in: TrainingInput!) { startTraining(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "iterations": 1, "seed": 3,
			"population":      map[string]any{"size": 16, "seed": 5},
			"hyperparameters": map[string]any{"envs": 8, "episodeSteps": 20, "hidden": []any{16}}}})
	if r.code() != "" {
		t.Fatalf("startTraining: %v", r.Errors)
	}
	runID := r.Data["startTraining"].(map[string]any)["id"].(string)
	run := waitJob(t, ts, ph, `{ trainingRun(id: "`+runID+`") { policy { id } job { state result message } } }`, "trainingRun")
	pid := run["policy"].(map[string]any)["id"].(string)
	r = ts.query(ph, `mutation($in: EvaluationInput!) { evaluatePolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "policyId": pid, "baselines": []any{"fixed"},
			"population": map[string]any{"size": 10, "seed": 9}, "days": 14}})
	if r.code() != "" {
		t.Fatalf("evaluatePolicy: %v", r.Errors)
	}
	eid := r.Data["evaluatePolicy"].(map[string]any)["id"].(string)
	ev := waitJob(t, ts, ph, `{ evaluation(id: "`+eid+`") { id job { state result message } } }`, "evaluation")
	r = ts.query(ph, `mutation($in: PopulationSimulationInput!) { startPopulationSimulation(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "days": 14, "population": map[string]any{"size": 20, "seed": 4},
			"arms": []any{map[string]any{"fixedDose": "5"}}}})
	if r.code() != "" {
		t.Fatalf("startPopulationSimulation: %v", r.Errors)
	}
	psID := r.Data["startPopulationSimulation"].(map[string]any)["id"].(string)
	ps := waitJob(t, ts, ph, `{ populationSimulation(id: "`+psID+`") { id job { state result message } } }`, "populationSimulation")
	for _, c := range []struct {
		name, kind, want string
		job              any
	}{
		{"training run", "policy", pid, run["job"]},
		{"evaluation", "evaluation", eid, ev["job"]},
		{"population simulation", "populationSimulation", psID, ps["job"]},
	} {
		j := c.job.(map[string]any)
		msg, _ := j["message"].(string)
		if j["state"] != "SUCCEEDED" || j["result"] != c.want || !strings.Contains(msg, c.kind+" "+c.want) {
			t.Errorf("%s: job %v, want result %s named in the message", c.name, j, c.want)
		}
	}
}
