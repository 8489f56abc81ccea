package cohorts

import (
	"strings"
	"testing"
)

// TestCountWarnings: a code or lab no stored record carries is named, also
// under not; codes and tests that are stored are not.
func TestCountWarnings(t *testing.T) {
	s := syntheaService(t, "2022-09-18")
	yes := true
	c := Criteria{All: []Criteria{
		{Alive: &yes},
		{Condition: &Code{System: "ICD10CM", Code: "Z99.999"}},
		{Not: &Criteria{Medication: &Code{System: "RXNORM", Code: "1721560", WithinDays: ptr(365)}}}, // osimertinib: absent
		{Lab: &Lab{Loinc: "0000-0", Op: "GT", Value: 1}},
		{Condition: &Code{System: "SNOMED", Code: "44054006"}}, // diabetes: present in Synthea
		{Medication: &Code{System: "TEXT", Code: "warfarin"}},
	}}
	cc, err := s.CountAsOf(bg, c, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(cc.Warnings, "\n")
	for _, want := range []string{"condition ICD10CM Z99.999:", "medication RXNORM 1721560:", "lab 0000-0:"} {
		if !strings.Contains(w, want) {
			t.Errorf("no warning for %q in %q", want, w)
		}
	}
	if len(cc.Warnings) != 3 {
		t.Errorf("%d warnings, want 3: %q", len(cc.Warnings), w)
	}
	// A bounded number of rules is checked, whatever the tree's size.
	var many []Criteria
	for i := range maxWarnRules + 50 {
		many = append(many, Criteria{Condition: &Code{System: "ICD10CM", Code: "Z" + strings.Repeat("9", 1+i%5) + string(rune('A'+i%26)) + string(rune('A'+i/26))}})
	}
	cc, err = s.CountAsOf(bg, Criteria{Any: many}, true, nil)
	if err != nil || len(cc.Warnings) > maxWarnRules {
		t.Fatalf("%d warnings %v", len(cc.Warnings), err)
	}
	tm, err := s.CountAsOf(bg, Criteria{Sex: []string{"FEMALE"}}, true, nil)
	if err != nil || len(tm.Warnings) != 0 {
		t.Errorf("sex rule warned: %v %v", tm.Warnings, err)
	}
}
