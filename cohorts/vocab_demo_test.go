package cohorts

import (
	"slices"
	"strings"
	"testing"
)

// TestDemoWorldExamples: the README's and the notebook's example cohorts,
// and the (type 2 diabetes, osimertinib, eGFR under any code),
// return patients on the default demo world; eGFR by any of its LOINC
// codes gives the same patients.
func TestDemoWorldExamples(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, DefaultDemoPatients, 1); err != nil {
		t.Fatal(err)
	}
	no := false
	examples := []struct {
		name string
		c    Criteria
	}{
		{"README trial designer", Criteria{All: []Criteria{
			{Age: &Range{Min: ptr(18.0)}},
			{Condition: &Code{System: "ICD10CM", Code: "C34"}},
			{Variant: &VariantCrit{Gene: "EGFR", ProteinChange: ptr("L858R"), Origin: ptr("SOMATIC")}},
			{Not: &Criteria{Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: ptr("Poor Metabolizer")}}}}}},
		{"README predictPatientResponse", Criteria{Condition: &Code{System: "ICD10CM", Code: "C34"}}},
		{"notebook atrial fibrillation", Criteria{All: []Criteria{{Age: &Range{Min: ptr(40.0)}}, {Condition: &Code{System: "ICD10CM", Code: "I48", Descendants: ptr(true)}}}}},
		{"type 2 diabetes", Criteria{Condition: &Code{System: "ICD10CM", Code: "E11"}}},
		{"osimertinib ingredient", Criteria{Medication: &Code{System: "RXNORM", Code: "1721560"}}},
		{"metformin ingredient", Criteria{Medication: &Code{System: "RXNORM", Code: "6809"}}},
		{"warfarin ingredient", Criteria{Medication: &Code{System: "RXNORM", Code: "11289"}}},
		{"eGFR MDRD", Criteria{Lab: &Lab{Loinc: "33914-3", Op: "LT", Value: 60}}},
	}
	for _, e := range examples {
		cc, err := s.CountAsOf(bg, e.c, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d patients", e.name, *cc.Count)
		if *cc.Count == 0 || len(cc.Warnings) > 0 {
			t.Errorf("%s: %d patients, warnings %q", e.name, *cc.Count, cc.Warnings)
		}
	}
	// "No prior osimertinib" now removes patients, and the EGFR arm of the
	// FLAURA-like trial still finds some.
	egfr := Criteria{All: []Criteria{{Condition: &Code{System: "ICD10CM", Code: "C34"}}, {Variant: &VariantCrit{Gene: "EGFR"}}}}
	naive := Criteria{All: append(slices.Clone(egfr.All), Criteria{Not: &Criteria{Medication: &Code{System: "RXNORM", Code: "1721560"}}})}
	a, _ := s.CountAsOf(bg, egfr, true, nil)
	b, _ := s.CountAsOf(bg, naive, true, nil)
	if !(*b.Count < *a.Count) {
		t.Errorf("no prior osimertinib removes nobody: %d of %d", *b.Count, *a.Count)
	}
	// eGFR by any LOINC code of the group: the same patients (the MDRD
	// results are older than each patient's CKD-EPI 2021 ones).
	want := ids(t, s, Criteria{Lab: &Lab{Loinc: "98979-8", Op: "LT", Value: 60}})
	for _, code := range []string{"33914-3", "62238-1", "48642-3", "50044-7", "88293-6"} {
		if got := ids(t, s, Criteria{Lab: &Lab{Loinc: code, Op: "LT", Value: 60}}); !slices.Equal(got, want) {
			t.Errorf("eGFR %s: %d patients, 98979-8 %d", code, len(got), len(want))
		}
	}
	// The ingredient finds exactly the patients with the product code.
	if a, b := ids(t, s, Criteria{Medication: &Code{System: "RXNORM", Code: "1721560"}}),
		ids(t, s, Criteria{Medication: &Code{System: "RXNORM", Code: "1721581", Descendants: &no}}); !slices.Equal(a, b) {
		t.Errorf("osimertinib ingredient %d, product %d", len(a), len(b))
	}
	p := ids(t, s, Criteria{Medication: &Code{System: "RXNORM", Code: "1721581"}})
	ex, err := s.Explain(bg, p[0], Criteria{Medication: &Code{System: "RXNORM", Code: "1721560"}})
	if err != nil || !ex.Matched || !strings.Contains(strings.Join(ex.Leaves[0].Evidence, " "), "contains ingredient RXNORM 1721560") {
		t.Errorf("explain %+v %v", ex, err)
	}
}
