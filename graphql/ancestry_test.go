package graphql

import (
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// TestPopulationAncestryAPI checks population.ancestry over HTTP: a fixed
// 5 mg/day gives East Asian patients (VKORC1 -1639A 0.885) a higher median
// INR on day 28 than African patients (0.054), evaluations split by
// ancestry get each group's patients, and bad mixes are refused by field.
func TestPopulationAncestryAPI(t *testing.T) {
	ts := rlServer(t)
	ph := ts.token(auth.Pharmacologist)
	q := `query($in: PopulationSimulationInput!) { simulatePopulation(input: $in) { arms { patients bands { p50 } } } }`
	median := map[string]float64{}
	for _, g := range []string{"EAST_ASIAN", "AFRICAN"} {
		r := ts.query(ph, q, map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "days": 28,
			"population": map[string]any{"size": 300, "seed": 4, "ancestry": []any{map[string]any{"group": g, "share": 1}}},
			"arms":       []any{map[string]any{"fixedDose": "5"}}}})
		if r.code() != "" {
			t.Fatalf("%s: %v", g, r.Errors)
		}
		arm := r.Data["simulatePopulation"].(map[string]any)["arms"].([]any)[0].(map[string]any)
		bands := arm["bands"].([]any)
		median[g] = bands[len(bands)-1].(map[string]any)["p50"].(float64)
	}
	if !(median["EAST_ASIAN"] > median["AFRICAN"]+0.3) {
		t.Errorf("day-28 median INR on 5 mg: East Asian %.2f, African %.2f", median["EAST_ASIAN"], median["AFRICAN"])
	}

	r := ts.query(ph, `mutation($in: EvaluationInput!) { evaluatePolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "baselines": []any{"aurora"}, "days": 7,
			"population": map[string]any{"size": 300, "seed": 7, "ancestry": []any{
				map[string]any{"group": "EUROPEAN", "share": 1}, map[string]any{"group": "AFRICAN", "share": 1}, map[string]any{"group": "EAST_ASIAN", "share": 1}}}}})
	if r.code() != "" {
		t.Fatalf("evaluatePolicy: %v", r.Errors)
	}
	eid := r.Data["evaluatePolicy"].(map[string]any)["id"].(string)
	ev := waitJob(t, ts, ph, `{ evaluation(id: "`+eid+`") { subgroups { dimension value patients } job { state } } }`, "evaluation")
	n := map[string]float64{}
	for _, s := range ev["subgroups"].([]any) {
		if m := s.(map[string]any); m["dimension"] == "ancestry" {
			n[m["value"].(string)] = m["patients"].(float64)
		}
	}
	// 100 expected each; 60 is 5 standard deviations below.
	if len(n) != 3 || n["White"] < 60 || n["Black"] < 60 || n["Asian"] < 60 || n["White"]+n["Black"]+n["Asian"] != 300 {
		t.Errorf("ancestry subgroups %v", n)
	}

	bad := []struct {
		name string
		pop  map[string]any
		want string
	}{
		{"unknown group", map[string]any{"size": 10, "ancestry": []any{map[string]any{"group": "NOWHERE", "share": 1}}}, "input.population.ancestry[0].group"},
		{"zero share", map[string]any{"size": 10, "ancestry": []any{map[string]any{"group": "LATINO", "share": 0}}}, "input.population.ancestry[0].share"},
		{"with criteria", map[string]any{"size": 10, "criteria": map[string]any{}, "ancestry": []any{map[string]any{"group": "LATINO", "share": 1}}}, "ancestry"},
	}
	for _, c := range bad {
		r := ts.query(ph, q, map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "days": 14, "population": c.pop,
			"arms": []any{map[string]any{"fixedDose": "5"}}}})
		if r.code() != CodeBadInput || !strings.Contains(r.Errors[0].Message, c.want) {
			t.Errorf("%s: %v", c.name, r.Errors)
		}
	}
}
