package cohorts

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/rxlab/rxlab/store"
)

// leafPool returns leaf criteria covering every kind of criterion, with
// values that occur in the demo world and the Synthea sample.
func leafPool() []Criteria {
	f := func(x float64) *float64 { return &x }
	i := func(x int) *int { return &x }
	s := func(x string) *string { return &x }
	no := false
	return []Criteria{
		{Age: &Range{Min: f(18)}}, {Age: &Range{Max: f(17)}}, {Age: &Range{Min: f(40), Max: f(65)}},
		{Age: &Range{Min: f(0.5)}}, {Age: &Range{Max: f(64.5)}}, {Age: &Range{Min: f(70), Max: f(70)}},
		{Sex: []string{"FEMALE"}}, {Sex: []string{"MALE", "OTHER"}},
		{Race: []string{"white"}}, {Race: []string{"Asian", "black"}},
		{Condition: &Code{System: "ICD10CM", Code: "I48"}},
		{Condition: &Code{System: "ICD10CM", Code: "I48.91", Descendants: &no}},
		{Condition: &Code{System: "icd10cm", Code: "C34"}},
		{Condition: &Code{System: "ICD10CM", Code: "N18", WithinDays: i(365)}},
		{Condition: &Code{System: "ONCOTREE", Code: "Non-Small Cell Lung Cancer"}},
		{Condition: &Code{System: "ONCOTREE", Code: "_SOLID_"}},
		{Condition: &Code{System: "ONCOTREE", Code: "NSCLC", WithinDays: i(900)}},
		{Condition: &Code{System: "ONCOTREE", Code: "COADREAD", Descendants: &no}},
		{Condition: &Code{System: "SNOMED", Code: "840539006"}},
		{Condition: &Code{System: "SNOMED", Code: "162864005", WithinDays: i(3650)}},
		{Condition: &Code{System: "TEXT", Code: "fibrillation"}},
		{Condition: &Code{System: "TEXT", Code: "carcinoma", WithinDays: i(900)}},
		{Condition: &Code{System: "TEXT", Code: "COVID"}},
		{Medication: &Code{System: "RXNORM", Code: "11289"}},
		{Medication: &Code{System: "ATC", Code: "B01A"}},
		{Medication: &Code{System: "ATC", Code: "B01AF", WithinDays: i(300)}},
		{Medication: &Code{System: "TEXT", Code: "apixaban"}},
		{Medication: &Code{System: "RXNORM", Code: "309362"}},
		{Medication: &Code{System: "TEXT", Code: "warfarin", WithinDays: i(4000)}},
		{Lab: &Lab{Loinc: "98979-8", Op: "LT", Value: 60}},
		{Lab: &Lab{Loinc: "98979-8", Op: "LT", Value: 60, WithinDays: i(180)}},
		{Lab: &Lab{Loinc: "751-8", Op: "LT", Value: 2.5}},
		{Lab: &Lab{Loinc: "751-8", Op: "LE", Value: 2500, Unit: s("/uL")}},
		{Lab: &Lab{Loinc: "1975-2", Op: "GT", Value: 1.2}},
		{Lab: &Lab{Loinc: "1975-2", Op: "GE", Value: 20, Unit: s("umol/L")}},
		{Lab: &Lab{Loinc: "1742-6", Op: "GE", Value: 40}},
		{Lab: &Lab{Loinc: "6301-6", Op: "GE", Value: 2}},
		{Lab: &Lab{Loinc: "6301-6", Op: "EQ", Value: 1}},
		{Lab: &Lab{Loinc: "94076-7", Op: "GE", Value: 10}},
		{Lab: &Lab{Loinc: "39156-5", Op: "GE", Value: 30}},
		{Lab: &Lab{Loinc: "29463-7", Op: "GT", Value: 180, Unit: s("[lb_av]")}},
		{Lab: &Lab{Loinc: "8302-2", Op: "GT", Value: 170, WithinDays: i(5000)}},
		{Lab: &Lab{Loinc: "2093-3", Op: "GE", Value: 200, Unit: s("mg/dL")}},
		{Variant: &VariantCrit{Gene: "EGFR"}},
		{Variant: &VariantCrit{Gene: "egfr", ProteinChange: s("p.Leu858Arg")}},
		{Variant: &VariantCrit{Gene: "BRAF", ProteinChange: s("V600")}},
		{Variant: &VariantCrit{Gene: "KRAS", ProteinChange: s("G12C"), Origin: s("SOMATIC")}},
		{Variant: &VariantCrit{Gene: "BRCA2", Origin: s("GERMLINE")}},
		{Variant: &VariantCrit{Gene: "PIK3CA", Classes: []string{"MISSENSE"}}},
		{Variant: &VariantCrit{Gene: "EGFR", Exon: i(19), Classes: []string{"INFRAME_INDEL"}}},
		{Variant: &VariantCrit{Gene: "TP53", Classes: []string{"NONSENSE", "MISSENSE"}, Origin: s("SOMATIC")}},
		{CNV: &CNVCrit{Gene: "ERBB2", Type: "AMPLIFICATION"}},
		{Fusion: &FusionCrit{Gene: "ALK"}}, {Fusion: &FusionCrit{Gene: "ALK", Partner: s("EML4")}}, {Fusion: &FusionCrit{Gene: "EML4"}},
		{Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: s("poor metabolizer")}},
		{Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: s("Intermediate Metabolizer")}},
		{Pgx: &PgxCrit{Gene: "CYP2C9", ActivityScore: &Range{Max: f(1)}}},
		{Pgx: &PgxCrit{Gene: "CYP2C19", Diplotype: s("*2/*1")}},
		{Pgx: &PgxCrit{Gene: "DPYD", ActivityScore: &Range{Min: f(0.5), Max: f(1.5)}}},
		{Pgx: &PgxCrit{Gene: "VKORC1", Phenotype: s("A/A")}},
		{Pgx: &PgxCrit{Gene: "CYP2C19"}},
		{TestedGene: s("EGFR")}, {TestedGene: s("CYP2C19")},
		{Biomarker: &BiomarkerCrit{Name: "MMR", Value: "DEFICIENT"}},
	}
}

// randomTree builds a random criteria tree of the given depth from leaves.
func randomTree(r *rand.Rand, leaves []Criteria, depth int) Criteria {
	if depth == 0 || r.IntN(3) == 0 {
		return leaves[r.IntN(len(leaves))]
	}
	n := 1 + r.IntN(3)
	kids := make([]Criteria, n)
	for i := range kids {
		kids[i] = randomTree(r, leaves, depth-1)
	}
	switch r.IntN(4) {
	case 0:
		return Criteria{All: kids}
	case 1:
		return Criteria{Any: kids}
	case 2:
		return Criteria{Not: &kids[0]}
	}
	return Criteria{AtLeast: &AtLeast{N: r.IntN(n + 1), Of: kids}}
}

// compareWithLoop checks Count against a loop over every stored record.
func compareWithLoop(t *testing.T, s *Service, trees []Criteria) {
	t.Helper()
	var records []*Patient
	err := s.db.View(bg, func(tx *store.Txn) error {
		return tx.Scan([]byte("pat/r/"), nil, func(r store.Record) error {
			var p Patient
			if err := r.Decode(&p); err != nil {
				return err
			}
			records = append(records, &p)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	at := s.indexDate()
	nonzero := 0
	for i, c := range trees {
		if err := c.Validate(); err != nil {
			t.Fatalf("tree %d invalid: %v", i, err)
		}
		want := 0
		for _, p := range records {
			ok, _, err := s.matchRecord(p, &c, at)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				want++
			}
		}
		got, err := s.Count(bg, c, true)
		if err != nil {
			t.Fatal(err)
		}
		if *got.Count != want {
			js, _ := json.Marshal(c)
			t.Errorf("tree %d: engine %d, loop %d: %s", i, *got.Count, want, js)
		}
		if want > 0 && want < len(records) {
			nonzero++
		}
	}
	t.Logf("%d trees over %d patients agree; %d had a count strictly between 0 and all", len(trees), len(records), nonzero)
}

func TestEngineMatchesLoopOnDemoWorld(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	n := 2000
	if testing.Short() {
		n = 800
	}
	if err := s.Seed(bg, n, 7); err != nil {
		t.Fatal(err)
	}
	sc, err := s.SaveCohort(bg, "anticoagulated AF", Criteria{All: []Criteria{
		{Condition: &Code{System: "ICD10CM", Code: "I48"}}, {Medication: &Code{System: "ATC", Code: "B01A"}}}})
	if err != nil {
		t.Fatal(err)
	}
	leaves := leafPool()
	var trees []Criteria
	for _, l := range leaves { // every leaf alone, and negated
		trees = append(trees, l, Criteria{Not: &l})
	}
	trees = append(trees, Criteria{Cohort: &sc.ID}, Criteria{Cohort: &sc.Name})
	leaves = append(leaves, Criteria{Cohort: &sc.ID})
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		trees = append(trees, randomTree(r, leaves, 3))
	}
	compareWithLoop(t, s, trees)
}

func TestEngineMatchesLoopOnSynthea(t *testing.T) {
	dir := filepath.Join(sharedData, "synthea-patients")
	tables := map[string]string{}
	for _, n := range []string{"patients", "conditions", "medications"} {
		tables[n] = string(sharedFile(t, "synthea-patients/csv/"+n+".csv"))
	}
	s, _, _ := newService(t, "2022-09-18")
	data, _ := json.Marshal(tables)
	res, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 0 || res.Accepted != 115+1454+4485 {
		t.Fatalf("synthea csv: %+v", res)
	}
	bundles, _ := filepath.Glob(filepath.Join(dir, "fhir-r4", "*.json"))
	for _, b := range bundles {
		p, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.ImportFHIR(bg, p)
		if err != nil || res.Rejected != 0 || res.Accepted == 0 {
			t.Fatalf("%s: %+v %v", b, res, err)
		}
	}
	if got := s.PatientCount(); got != 115 {
		t.Fatalf("patients = %d, want 115 (FHIR bundles are the same people)", got)
	}
	leaves := leafPool()
	var trees []Criteria
	for _, l := range leaves {
		trees = append(trees, l, Criteria{Not: &l})
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		trees = append(trees, randomTree(r, leaves, 3))
	}
	compareWithLoop(t, s, trees)
}

// TestIncrementalViews checks that sorted views stay correct when patients
// change after the views were built (stale-set correction, no rebuild).
func TestIncrementalViews(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 1500, 11); err != nil {
		t.Fatal(err)
	}
	var trees []Criteria
	for _, l := range leafPool() {
		if l.Age != nil || l.Lab != nil {
			trees = append(trees, l)
		}
	}
	compareWithLoop(t, s, trees) // builds the views
	tables := map[string]string{
		"patients": "Id,BIRTHDATE,DEATHDATE,RACE,GENDER\nDEMO-0000003,2010-01-01,,white,F\nNEW-1,1950-07-07,,black,M\n",
		"observations": "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n" +
			"2026-01-01,DEMO-0000004,e,98979-8,eGFR,12,mL/min/{1.73_m2},numeric\n" +
			"2026-01-01,NEW-1,e,751-8,ANC,900,/uL,numeric\n" +
			"2026-01-01,DEMO-0000005,e,1975-2,bili,40,umol/L,numeric\n",
	}
	data, _ := json.Marshal(tables)
	if _, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data)); err != nil {
		t.Fatal(err)
	}
	s.lazyMu.Lock()
	stale := s.snapshot().birthStale.GetCardinality()
	s.lazyMu.Unlock()
	if stale == 0 {
		t.Fatal("views were rebuilt instead of corrected; the test does not exercise the stale set")
	}
	compareWithLoop(t, s, trees)
}
