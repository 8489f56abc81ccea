package cohorts

import (
	"testing"
)

// TestCTIMSIntegrationTrials loads the Princess Margaret engine's seed
// patients (Apache-2.0, read from shared data) and its integration trials
// 10-001…10-004, which its tests expect to match 5 samples each when
// closed arms and deceased patients are matched (we match both). With the
// full OncoTree (cohorts/vocab) two more seed patients are lung tumours
// and match "Lung" / "Non-Small Cell Lung Cancer": Large Cell
// Neuroendocrine Carcinoma (LUNE, under LNET under LUNG) and Lung
// Adenosquamous Carcinoma (LUAS, under NSCLC), codes the engine's older
// tree did not hold; so 7.
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
		if *cc.Count != 7 {
			t.Errorf("%s (%s): %d patients match, want the engine's 5 plus LUNE and LUAS", f, tr.ID, *cc.Count)
		}
	}
}
