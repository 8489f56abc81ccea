package cohorts

import (
	"testing"
)

// TestCTIMSIntegrationTrials loads the Princess Margaret engine's seed
// patients (Apache-2.0, read from shared data) and its integration trials
// 10-001…10-004, which its tests expect to match 5 samples each when
// closed arms and deceased patients are matched (we match both).
func TestCTIMSIntegrationTrials(t *testing.T) {
	base := "trial-eligibility/matchminer-ctml-tests/"
	s, _, _ := newService(t, "2025-04-07")
	res, err := s.ImportPatients(bg, FormatMatchMinerClinical, string(sharedFile(t, base+"seed_data/clinical.ejson")))
	if err != nil || res.Rejected != 0 {
		t.Fatalf("clinical: %+v %v", res, err)
	}
	res, err = s.ImportPatients(bg, FormatMatchMinerGenomic, string(sharedFile(t, base+"seed_data/genomic.ejson")))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("genomic: accepted %d, rejected %d", res.Accepted, res.Rejected)
	for _, e := range res.Errors {
		t.Logf("  rejected %s: %s", e.Location, e.Message)
	}
	for _, f := range []string{"all_closed", "all_open", "closed_dose", "closed_step_arm"} {
		tr, err := s.ImportTrial(bg, string(sharedFile(t, base+"integration_trials/"+f+".json")), false)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cc, err := s.TrialMatchCount(bg, tr.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (%s): %d patients", f, tr.ID, *cc.Count)
		if *cc.Count != 5 {
			t.Errorf("%s (%s): %d patients match, the engine's tests expect 5", f, tr.ID, *cc.Count)
		}
	}
}
