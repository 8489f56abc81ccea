package dosing

import (
	"strings"
	"testing"
)

// TestRecommendUsesHistory checks that every warfarin baseline's answer
// depends on the INR history: a high INR early in treatment changes the
// dose or the rationale against the same day with no measurement.
func TestRecommendUsesHistory(t *testing.T) {
	p := typical("*1/*1", "G/A")
	cases := []struct {
		method   string
		inr      float64
		day      int
		wantDose string // "" when only the rationale must change
		wantWhy  string
	}{
		// Issue 24: INR 3.4 on day 5 is the red-high zone: half dose today, re-test in a week.
		{MethodIntermountain, 3.4, 5, "2.5", "red zone high"},
		{MethodIntermountain, 6.0, 5, "0", "action point high"},
		{MethodIntermountain, 1.5, 5, "5", "below 3 during initiation"},
		{MethodAurora, 3.6, 2, "", "INR 3.6"},
		{MethodAurora, 5.5, 4, "0", "above 5"},
		{MethodIWPCPGx, 5.5, 4, "0", "above 5"},
		{MethodIWPCClinical, 3.8, 2, "", "INR 3.8"},
		{MethodFixed, 6.0, 5, "5", "does not titrate"},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			base, err := Recommend(WarfarinHamberg, &p, c.method, nil, c.day)
			if err != nil {
				t.Fatal(err)
			}
			hist := []Observation{{Hour: 0, Value: 1}, {Hour: float64(24 * c.day), Value: c.inr}}
			r, err := Recommend(WarfarinHamberg, &p, c.method, hist, c.day)
			if err != nil {
				t.Fatal(err)
			}
			if r.Rationale == base.Rationale {
				t.Errorf("INR %.1f on day %d did not change the answer: %s", c.inr, c.day, r.Rationale)
			}
			if !strings.Contains(r.Rationale, c.wantWhy) {
				t.Errorf("rationale %q lacks %q", r.Rationale, c.wantWhy)
			}
			if c.wantDose != "" && r.Dose.String() != c.wantDose {
				t.Errorf("dose %s, want %s (%s)", r.Dose, c.wantDose, r.Rationale)
			}
		})
	}
	// Intermountain's issue case: after INR 3.4 on day 5 the re-test is a week later, not day 8.
	hist := []Observation{{Hour: 0, Value: 1}, {Hour: 120, Value: 3.4}}
	r, err := Recommend(WarfarinHamberg, &p, MethodIntermountain, hist, 5)
	if err != nil || r.NextCheckHours != 7*24 {
		t.Fatalf("intermountain INR 3.4 day 5: %+v %v", r, err)
	}
	if r, _ := Recommend(WarfarinHamberg, &p, MethodIntermountain, hist, 6); r.Dose.String() != "4.5" {
		t.Errorf("day 6 after red high: %s mg, want 4.5", r.Dose)
	}
}
