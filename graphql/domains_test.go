package graphql

import (
	"math"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/genomics/pgx"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/library"
)

func domainServer(t *testing.T) *testServer {
	t.Helper()
	caller, err := pgx.New()
	if err != nil {
		t.Fatal(err)
	}
	var lib *library.Library
	ts := newTestServerWith(t, func(ts *testServer) []Domain {
		lib, err = library.New(library.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		return []Domain{&Molecules{Library: lib}, &Genomics{PGx: caller}, &Dosing{}}
	})
	return ts
}

func TestMoleculeOperations(t *testing.T) {
	ts := domainServer(t)
	chemist := ts.token(auth.Chemist)
	r := ts.query(chemist, `query($s: String!) { molecule(smiles: $s) { canonicalSmiles formula heavyAtoms descriptors { molWt tpsa hbd hba rotatableBonds rings aromaticRings lipinskiViolations } fingerprint(radius: 2, nBits: 1024) { nBits onBits hex } } }`,
		map[string]any{"s": "CC(=O)Oc1ccccc1C(=O)O"})
	if r.code() != "" {
		t.Fatalf("molecule: %+v", r.Errors)
	}
	m := r.Data["molecule"].(map[string]any)
	d := m["descriptors"].(map[string]any)
	if m["formula"] != "C9H8O4" || m["heavyAtoms"].(float64) != 13 || math.Abs(d["molWt"].(float64)-180.159) > 0.01 ||
		math.Abs(d["tpsa"].(float64)-63.6) > 0.01 || d["hbd"].(float64) != 1 || d["aromaticRings"].(float64) != 1 {
		t.Errorf("aspirin = %v", m)
	}
	fp := m["fingerprint"].(map[string]any)
	if fp["nBits"].(float64) != 1024 || len(fp["onBits"].([]any)) == 0 || len(fp["hex"].(string)) != 256 {
		t.Errorf("fingerprint = %v", fp)
	}

	// A bad SMILES: BAD_SMILES with the position.
	r = ts.query(chemist, `{ molecule(smiles: "CC(C") { formula } }`, nil)
	if r.code() != "BAD_SMILES" || r.Errors[0].Extensions["position"] == nil {
		t.Errorf("bad SMILES: %+v", r.Errors)
	}
	// The batch keeps going past a bad item.
	r = ts.query(chemist, `{ molecules(smiles: ["CCO", "c1ccnc1", "N"]) { molecule { formula } error errorCode } }`, nil)
	items := r.Data["molecules"].([]any)
	if len(items) != 3 || items[1].(map[string]any)["errorCode"] != "BAD_SMILES" ||
		items[2].(map[string]any)["molecule"].(map[string]any)["formula"] != "H3N" {
		t.Errorf("molecules batch = %v", items)
	}
	// Roles: a clinician may not; a pharmacologist may.
	if r := ts.query(ts.token(auth.Clinician), `{ molecule(smiles: "C") { formula } }`, nil); r.code() != CodeForbidden {
		t.Errorf("clinician molecule: %+v", r.Errors)
	}
	// Library: add with a duplicate and a bad item, then search.
	r = ts.query(chemist, `mutation { addMolecules(library: "t", smiles: ["CCO", "OCC", "C1CC", "CCN"], names: ["ethanol", "again", "bad", "ethylamine"]) { accepted rejected errors { location message } } }`, nil)
	res := r.Data["addMolecules"].(map[string]any)
	if res["accepted"].(float64) != 2 || res["rejected"].(float64) != 2 {
		t.Fatalf("addMolecules = %v %v", res, r.Errors)
	}
	r = ts.query(chemist, `{ similarMolecules(smiles: "CCO", library: "t", minSimilarity: 0.1) { id name similarity } health { molecules } }`, nil)
	hits := r.Data["similarMolecules"].([]any)
	if len(hits) == 0 || hits[0].(map[string]any)["name"] != "ethanol" || hits[0].(map[string]any)["similarity"].(float64) != 1 {
		t.Errorf("similarMolecules = %v %v", hits, r.Errors)
	}
	if n := r.Data["health"].(map[string]any)["molecules"].(float64); n != 2 {
		t.Errorf("health.molecules = %v", n)
	}
}

const cyp2c19VCF = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" +
	"chr10\t94781859\trs4244285\tG\tA\t.\tPASS\t.\tGT\t1/1\n"

func TestPgxCall(t *testing.T) {
	ts := domainServer(t)
	r := ts.query(ts.token(auth.Clinician), `query($v: String!) { pgxCall(vcf: $v) { gene sample diplotype phenotype activityScore missingPositions } }`, map[string]any{"v": cyp2c19VCF})
	if r.code() != "" {
		t.Fatalf("pgxCall: %+v", r.Errors)
	}
	genes := map[string]map[string]any{}
	for _, x := range r.Data["pgxCall"].([]any) {
		m := x.(map[string]any)
		genes[m["gene"].(string)] = m
	}
	for _, g := range []string{"CYP2C9", "CYP2C19", "VKORC1", "DPYD"} {
		if genes[g] == nil {
			t.Errorf("no result for %s", g)
		}
	}
	// Positions absent from the VCF are never reference: CYP2C9 is not called.
	if c := genes["CYP2C9"]; c["diplotype"] != nil || len(c["missingPositions"].([]any)) == 0 {
		t.Errorf("CYP2C9 from a VCF without its positions = %v", c)
	}
	if r := ts.query(ts.token(auth.Designer), `query($v: String!) { pgxCall(vcf: $v) { gene } }`, map[string]any{"v": cyp2c19VCF}); r.code() != CodeForbidden {
		t.Errorf("designer pgxCall: %v", r.Errors)
	}
	if r := ts.query(ts.admin, `{ pgxCall(vcf: "not a vcf") { gene } }`, nil); r.code() != CodeBadInput {
		t.Errorf("bad VCF: %v", r.Errors)
	}
}

func TestDosingOperations(t *testing.T) {
	ts := domainServer(t)
	ph := ts.token(auth.Pharmacologist)
	r := ts.query(ph, `{ drugModels { id observable doseUnit doseLevels baselines targetLow targetHigh } }`, nil)
	models := r.Data["drugModels"].([]any)
	if len(models) < 2 {
		t.Fatalf("drugModels = %v %v", models, r.Errors)
	}
	// Hamberg typical patient: 5 mg/day, age 71, CYP2C9 *1/*3, VKORC1 G/A →
	// INR 3.15 on day 30 (the dosing notes' table; rl/pkpd's golden test
	// explains why its *1/*1 rows sit 2.4-3.1 % above that hourly-Euler table).
	q := `query($in: SimulationInput!) { simulate(input: $in) { points { hour observable } doses { hour amount } timeInRange timeAbove timeBelow } }`
	in := map[string]any{"model": "warfarin-hamberg", "days": 30,
		"patient": map[string]any{"age": 71, "genotypes": map[string]any{"CYP2C9": "*1/*3", "VKORC1": "G/A"}},
		"regimen": map[string]any{"fixedDose": "5"}}
	r = ts.query(ph, q, map[string]any{"in": in})
	if r.code() != "" {
		t.Fatalf("simulate: %+v", r.Errors)
	}
	sim := r.Data["simulate"].(map[string]any)
	var inr30 float64
	for _, p := range sim["points"].([]any) {
		pt := p.(map[string]any)
		if pt["hour"].(float64) == 720 {
			inr30 = pt["observable"].(float64)
		}
	}
	if math.Abs(inr30-3.15)/3.15 > 0.02 {
		t.Errorf("day-30 INR = %.3f, want 3.15 ± 2%%", inr30)
	}
	if d := sim["doses"].([]any); len(d) != 30 || d[0].(map[string]any)["amount"] != "5" {
		t.Errorf("doses = %v", d)
	}
	// Field-named input errors.
	bad := []struct {
		patch map[string]any
		field string
	}{
		{map[string]any{"patient": map[string]any{"weightKg": -70}}, "weightKg"},
		{map[string]any{"patient": map[string]any{"genotypes": map[string]any{"CYP2C9": "*9/*9"}}}, "CYP2C9"},
		{map[string]any{"days": 100000}, "days"},
		{map[string]any{"regimen": map[string]any{"fixedDose": "5.25"}}, "fixedDose"},
	}
	for _, b := range bad {
		in2 := map[string]any{}
		for k, v := range in {
			in2[k] = v
		}
		for k, v := range b.patch {
			in2[k] = v
		}
		r := ts.query(ph, q, map[string]any{"in": in2})
		if r.code() != CodeBadInput || !strings.Contains(r.Errors[0].Message, b.field) {
			t.Errorf("%v: %+v, want BAD_USER_INPUT naming %s", b.patch, r.Errors, b.field)
		}
	}
	r = ts.query(ph, `query($in: DoseRequestInput!) { recommendDose(input: $in) { dose unit rationale nextCheckHours } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "method": "iwpc-pgx",
			"patient": map[string]any{"age": 65, "weightKg": 80, "heightCm": 175, "race": "White", "genotypes": map[string]any{"CYP2C9": "*1/*3", "VKORC1": "A/A"}}}})
	if r.code() != "" || r.Data["recommendDose"].(map[string]any)["unit"] != "mg" {
		t.Errorf("recommendDose: %v %v", r.Data, r.Errors)
	}
	if r := ts.query(ph, `query($in: DoseRequestInput!) { recommendDose(input: $in) { dose } }`,
		map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "policyId": "P1", "patient": map[string]any{"age": 60}}}); r.code() == "" {
		t.Errorf("unknown policy accepted: %v", r.Data)
	}
	if r := ts.query(ts.token(auth.Chemist), `{ drugModels { id } }`, nil); r.code() != CodeForbidden {
		t.Errorf("chemist drugModels: %v", r.Errors)
	}
}
