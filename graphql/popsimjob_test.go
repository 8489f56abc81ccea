package graphql

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestPopulationSimulationJobAPI checks startPopulationSimulation over
// HTTP: a job's arms equal simulatePopulation's answer for the same input,
// simulatePopulation refuses more than 200,000 patient-days naming the job
// mutation while the job takes them, runs are private to their token, and
// cancelJob stops a running simulation.
func TestPopulationSimulationJobAPI(t *testing.T) {
	ts := rlServer(t)
	ph := ts.token(auth.Pharmacologist)
	arms := []any{map[string]any{"method": "aurora"}, map[string]any{"fixedDose": "5"}}
	small := map[string]any{"model": "warfarin-hamberg", "days": 30, "monitoring": "OUTPATIENT", "population": map[string]any{"size": 150, "seed": 4}, "arms": arms}
	armsQ := `arms { name monitoring patients bands { hour p5 p25 p50 p75 p95 } endpoints { name mean p5 p25 p50 p75 p95 } }`
	start := `mutation($in: PopulationSimulationInput!) { startPopulationSimulation(input: $in) { id model days job { id state } } }`

	sync := ts.query(ph, `query($in: PopulationSimulationInput!) { simulatePopulation(input: $in) { `+armsQ+` } }`, map[string]any{"in": small})
	if sync.code() != "" {
		t.Fatalf("simulatePopulation: %v", sync.Errors)
	}
	r := ts.query(ph, start, map[string]any{"in": small})
	if r.code() != "" {
		t.Fatalf("startPopulationSimulation: %v", r.Errors)
	}
	id := r.Data["startPopulationSimulation"].(map[string]any)["id"].(string)
	run := waitJob(t, ts, ph, `{ populationSimulation(id: "`+id+`") { `+armsQ+` job { state progress } } }`, "populationSimulation")
	if !reflect.DeepEqual(run["arms"], sync.Data["simulatePopulation"].(map[string]any)["arms"]) {
		t.Errorf("job arms differ from simulatePopulation's")
	}
	if p := run["job"].(map[string]any)["progress"]; p != 1.0 {
		t.Errorf("progress %v", p)
	}
	if r := ts.query(ts.token(auth.Pharmacologist), `{ populationSimulation(id: "`+id+`") { id } }`, nil); r.code() != CodeNotFound {
		t.Errorf("another token sees the run: %v %v", r.Data, r.Errors)
	}

	large := map[string]any{"model": "warfarin-hamberg", "days": 60, "population": map[string]any{"size": 4000, "seed": 5}, "arms": arms[:1]}
	if r := ts.query(ph, `query($in: PopulationSimulationInput!) { simulatePopulation(input: $in) { days } }`, map[string]any{"in": large}); r.code() != "LIMIT_EXCEEDED" || !strings.Contains(r.Errors[0].Message, "startPopulationSimulation") {
		t.Errorf("240,000 patient-days synchronously: %v", r.Errors)
	}
	r = ts.query(ph, start, map[string]any{"in": large})
	if r.code() != "" {
		t.Fatalf("large job: %v", r.Errors)
	}
	id = r.Data["startPopulationSimulation"].(map[string]any)["id"].(string)
	run = waitJob(t, ts, ph, `{ populationSimulation(id: "`+id+`") { arms { patients bands { p50 } } job { state } } }`, "populationSimulation")
	if a := run["arms"].([]any); len(a) != 1 || a[0].(map[string]any)["patients"] != 4000.0 || len(a[0].(map[string]any)["bands"].([]any)) != 61 {
		t.Errorf("large job arms %v", len(a))
	}

	over := map[string]any{"model": "warfarin-hamberg", "days": 365, "population": map[string]any{"size": 100000, "seed": 5}, "arms": arms[:1]}
	if r := ts.query(ph, start, map[string]any{"in": over}); r.code() != "LIMIT_EXCEEDED" {
		t.Errorf("over the job budget: %v", r.Errors)
	}
	bad := map[string]any{"model": "warfarin-hamberg", "days": 30, "population": map[string]any{"size": 10}, "arms": []any{map[string]any{"policyId": "P404"}}}
	if r := ts.query(ph, start, map[string]any{"in": bad}); r.code() == "" {
		t.Errorf("unknown policy queued a job: %v", r.Data)
	}

	busy := map[string]any{"model": "warfarin-hamberg", "days": 100, "population": map[string]any{"size": 50000, "seed": 6}, "arms": arms[:1]}
	r = ts.query(ph, start, map[string]any{"in": busy})
	if r.code() != "" {
		t.Fatalf("busy job: %v", r.Errors)
	}
	s := r.Data["startPopulationSimulation"].(map[string]any)
	jobID := s["job"].(map[string]any)["id"].(string)
	if r := ts.query(ph, `mutation { cancelJob(id: "`+jobID+`") { state } }`, nil); r.code() != "" || r.Data["cancelJob"].(map[string]any)["state"] != "CANCELLED" {
		t.Fatalf("cancelJob: %v %v", r.Data, r.Errors)
	}
	time.Sleep(300 * time.Millisecond)
	r = ts.query(ph, `{ populationSimulation(id: "`+s["id"].(string)+`") { arms { name } job { state } } }`, nil)
	if ps := r.Data["populationSimulation"].(map[string]any); ps["job"].(map[string]any)["state"] != "CANCELLED" || len(ps["arms"].([]any)) != 0 {
		t.Errorf("cancelled run: %v", ps)
	}
}
