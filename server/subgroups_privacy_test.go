package main

import "testing"

// TestStoredPopulationSubgroupsNeedPatientsRead checks that the subgroups
// of an evaluation drawn from stored patients (counts by genotype, age
// band, sex and ancestry of twins of stored patients) are shown to callers
// with patients:read only; a pharmacologist gets the arms and an empty
// list, while a virtual population's subgroups stay visible to everyone.
func TestStoredPopulationSubgroupsNeedPatientsRead(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false")
	admin := readToken(t, dir)
	must(t, c.addr, admin, `mutation($d: String!) { importPatients(format: "matchminer-clinical", data: $d) { accepted } }`,
		map[string]any{"d": clinicalRecords(30, 0, 0)})
	ph := must(t, c.addr, admin, `mutation { createToken(role: "pharmacologist", name: "ph") { token } }`, nil)["createToken"].(map[string]any)["token"].(string)
	evalQ := `mutation($c: CriteriaInput) { evaluatePolicy(input: {model: "warfarin-hamberg", baselines: ["aurora"], population: {size: 40, seed: 3, criteria: $c}, days: 7}) { id job { id } } }`
	ids := map[string]string{}
	for name, crit := range map[string]any{"stored": map[string]any{"sex": []any{"MALE"}}, "virtual": nil} {
		ev := must(t, c.addr, ph, evalQ, map[string]any{"c": crit})["evaluatePolicy"].(map[string]any)
		if j := jobState(t, c.addr, ph, ev["job"].(map[string]any)["id"].(string), "SUCCEEDED", "FAILED"); j["state"] != "SUCCEEDED" {
			t.Fatalf("%s evaluation: %v", name, j)
		}
		ids[name] = ev["id"].(string)
	}
	q := `query($id: ID!) { evaluation(id: $id) { arms { patients } subgroups { dimension value patients } } }`
	count := func(token, id string) (int, int) {
		e := must(t, c.addr, token, q, map[string]any{"id": id})["evaluation"].(map[string]any)
		return len(e["arms"].([]any)), len(e["subgroups"].([]any))
	}
	if arms, subs := count(admin, ids["stored"]); arms != 1 || subs == 0 {
		t.Errorf("admin: %d arms, %d subgroups of a stored population", arms, subs)
	}
	if arms, subs := count(ph, ids["stored"]); arms != 1 || subs != 0 {
		t.Errorf("pharmacologist: %d arms, %d subgroups of a stored population (want none)", arms, subs)
	}
	if _, subs := count(ph, ids["virtual"]); subs == 0 {
		t.Error("pharmacologist: no subgroups of a virtual population")
	}
}
