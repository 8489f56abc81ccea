package cohorts

import (
	"testing"
	"time"
)

func TestSeedDeterministicAndFast(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	start := time.Now()
	if err := s.Seed(bg, DefaultDemoPatients, 1); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d patients in %v", DefaultDemoPatients, time.Since(start))
	if n := s.PatientCount(); n != DefaultDemoPatients {
		t.Fatalf("patients = %d", n)
	}
	// Same seed, same generator → same records.
	g1, g2 := newGenerator(1, s.indexDate()), newGenerator(1, s.indexDate())
	for i := 0; i < 100; i++ {
		a, b := g1.patient(i), g2.patient(i)
		if a.ID != b.ID || a.BirthDate != b.BirthDate || len(a.Conditions) != len(b.Conditions) || len(a.Labs) != len(b.Labs) {
			t.Fatalf("patient %d differs between runs", i)
		}
	}
	trials, _ := s.Trials(bg)
	if len(trials) != len(demoTrials) {
		t.Fatalf("trials = %d", len(trials))
	}
	for _, tr := range trials {
		cc, err := s.TrialMatchCount(bg, tr.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d patients", tr.ID, *cc.Count)
		if *cc.Count == 0 {
			t.Errorf("%s matches nobody in the demo world", tr.ID)
		}
	}
}
