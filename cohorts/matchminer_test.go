package cohorts

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestMatchMinerDemo reproduces the 25 trial_match documents the
// MatchMiner engine produced for its demo data (10 trials, 5 patients).
// The files are AGPL-3.0 and are read from the shared data directory at
// test time only (never vendored). MatchMiner ran in late November 2017
// (the data push date), so the index date is 2017-11-28.
//
// A trial_match document is one (trial, sample, step/arm/dose code,
// genomic alteration); MatchMiner writes duplicates when two match paths
// lead to the same alteration (00-008 and 00-003 for sample 03, whose
// MMR-D signature satisfies both the MSI-H and the MMR-D branch). Our
// answer is one TrialMatch per (trial, patient, code) with every reason;
// the test checks the set of (trial, sample, code) exactly and that each
// expected alteration appears among that match's reasons.
func TestMatchMinerDemo(t *testing.T) {
	dir := "trial-eligibility/matchminer-dfci-demo/"
	trialsJSON := sharedFile(t, dir+"mm_data_trials.json")
	clinical := sharedFile(t, dir+"mm_data_clinical.json")
	genomic := sharedFile(t, dir+"mm_data_genomic.json")
	expectJSON := sharedFile(t, dir+"mm_data_trial_match.json")

	s, _, _ := newService(t, "2017-11-28")
	res, err := s.ImportPatients(bg, FormatMatchMinerClinical, string(clinical))
	if err != nil || res.Rejected != 0 || res.Accepted != 5 {
		t.Fatalf("clinical import: %+v %v", res, err)
	}
	res, err = s.ImportPatients(bg, FormatMatchMinerGenomic, string(genomic))
	if err != nil || res.Rejected != 0 || res.Accepted != 10 {
		t.Fatalf("genomic import: %+v %v", res, err)
	}
	var trials []json.RawMessage
	if err := json.Unmarshal(trialsJSON, &trials); err != nil {
		t.Fatal(err)
	}
	for i, tr := range trials {
		if _, err := s.ImportTrial(bg, string(tr), false); err != nil {
			t.Fatalf("trial %d: %v", i, err)
		}
	}
	var expect []struct {
		Protocol   string `json:"protocol_no"`
		Sample     string `json:"sample_id"`
		Code       string `json:"code"`
		Alteration string `json:"genomic_alteration"`
	}
	if err := json.Unmarshal(expectJSON, &expect); err != nil {
		t.Fatal(err)
	}
	if len(expect) != 25 {
		t.Fatalf("expected file has %d matches, want 25", len(expect))
	}
	want := map[string][]string{}
	for _, e := range expect {
		k := e.Protocol + "|" + e.Sample + "|" + e.Code
		want[k] = append(want[k], e.Alteration)
	}
	got := map[string][]string{}
	for _, id := range []string{"01", "02", "03", "04", "05"} {
		ms, err := s.PatientTrials(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got[m.Trial.ID+"|"+id+"|"+m.Arm] = m.Reasons
		}
	}
	var missing, extra []string
	for k := range want {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("match set differs: missing %v, extra %v", missing, extra)
	}
	covered := 0
	for k, alts := range want {
		reasons := strings.Join(got[k], " | ")
		for _, a := range alts {
			if reasonCovers(reasons, a) {
				covered++
			} else {
				t.Errorf("%s: expected alteration %q not in reasons %q", k, a, reasons)
			}
		}
	}
	if covered != 25 {
		t.Errorf("covered %d of 25 expected trial_match documents", covered)
	}
	t.Logf("%d distinct (trial, sample, code) matches, %d of 25 trial_match documents reproduced", len(got), covered)
}

// reasonCovers checks that an expected MatchMiner genomic_alteration text
// is explained by our reasons.
func reasonCovers(reasons, alt string) bool {
	switch {
	case strings.HasPrefix(alt, "!"):
		f := strings.Fields(strings.TrimPrefix(alt, "!"))
		return strings.Contains(reasons, "not (variant "+f[0]+" "+strings.TrimPrefix(f[1], "p.")+")")
	case strings.HasPrefix(alt, "wt "):
		g := strings.TrimPrefix(alt, "wt ")
		return strings.Contains(reasons, "tested gene "+g) && strings.Contains(reasons, "not (variant "+g+")")
	case strings.Contains(alt, "MMR-D"):
		return strings.Contains(reasons, "biomarker MMR=DEFICIENT")
	case strings.Contains(alt, "amplification"):
		g := strings.Fields(alt)[0]
		return strings.Contains(reasons, "cnv "+g+" AMPLIFICATION")
	}
	f := strings.Fields(alt)
	if len(f) != 2 {
		return false
	}
	return strings.Contains(reasons, fmt.Sprintf("%s %s", f[0], strings.TrimPrefix(f[1], "p.")))
}
