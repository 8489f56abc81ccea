package cohorts

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store"
)

const dfci = "trial-eligibility/matchminer-dfci-demo/"

// TestTrialLifecycle imports MatchMiner's ten DFCI trials as one file,
// then checks conflict, replace with versions, and a file of several
// YAML documents.
func TestTrialLifecycle(t *testing.T) {
	s, db, dir := newService(t, "2017-11-28")
	res, err := s.ImportTrials(bg, string(sharedFile(t, dfci+"mm_data_trials.json")), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 10 {
		t.Fatalf("%d results, want 10", len(res))
	}
	for _, r := range res {
		if !r.Stored || r.Err != nil || r.Trial.Version != 1 {
			t.Errorf("trial %d (%s): stored %v, %v", r.Index, r.ProtocolNo, r.Stored, r.Err)
		}
	}
	tr, err := s.Trial(bg, "00-009")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status == "" || tr.Phase == "" || len(tr.Drugs) == 0 {
		t.Errorf("00-009: status %q phase %q drugs %v", tr.Status, tr.Phase, tr.Drugs)
	}
	// Reimporting one trial answers CONFLICT and leaves it as it was.
	var all []json.RawMessage
	if err := json.Unmarshal(sharedFile(t, dfci+"mm_data_trials.json"), &all); err != nil {
		t.Fatal(err)
	}
	var one string
	for _, raw := range all {
		if strings.Contains(string(raw), `"protocol_no": "00-001"`) || strings.Contains(string(raw), `"protocol_no":"00-001"`) {
			one = string(raw)
		}
	}
	if one == "" {
		t.Fatal("00-001 not in the file")
	}
	if _, err := s.ImportTrial(bg, one, false); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("reimport: want a conflict, got %v", err)
	}
	// MatchMiner's test file 00-001.yml (a different trial under the same
	// protocol number) replaces only when asked, and both stay readable.
	y := string(sharedFile(t, dfci+"yaml/00-001.yml"))
	if _, err := s.ImportTrial(bg, y, false); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("yaml 00-001: want a conflict, got %v", err)
	}
	v2, err := s.ImportTrial(bg, y, true)
	if err != nil || v2.Version != 2 {
		t.Fatalf("replace: %+v %v", v2, err)
	}
	vs, err := s.TrialVersions(bg, "00-001")
	if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || vs[0].NctID == vs[1].NctID {
		t.Fatalf("versions: %v %v", vs, err)
	}
	// Versions survive a restart.
	db.Close()
	db2 := openDB(t, dir)
	defer db2.Close()
	s2, err := New(Config{DB: db2, Now: fixedNow("2017-11-28")})
	if err != nil {
		t.Fatal(err)
	}
	vs, err = s2.TrialVersions(bg, "00-001")
	if err != nil || len(vs) != 2 || vs[1].Version != 2 {
		t.Fatalf("versions after reopen: %v %v", vs, err)
	}
	// Several YAML documents in one file: per-trial results, the invalid
	// and the duplicate refused, the rest stored in one call.
	var docs []string
	for _, f := range []string{"00-002", "00-003", "00-002"} {
		docs = append(docs, string(sharedFile(t, dfci+"yaml/"+f+".yml")))
	}
	docs = append(docs, string(sharedFile(t, dfci+"yaml/bad-schema.yml")))
	res, err = s2.ImportTrials(bg, strings.Join(docs, "\n---\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || !res[0].Stored || !res[1].Stored || res[2].Stored || !errors.Is(res[2].Err, store.ErrConflict) ||
		res[3].Stored || !errors.Is(res[3].Err, store.ErrInvalid) || !strings.Contains(res[3].Err.Error(), "ctml[3].treatment_list") {
		for _, r := range res {
			t.Logf("%d %s stored=%v err=%v", r.Index, r.ProtocolNo, r.Stored, r.Err)
		}
		t.Fatal("multi-document results differ")
	}
}

// TestCTMLValidation refuses CTML that breaks the schema, naming the path.
func TestCTMLValidation(t *testing.T) {
	base := `protocol_no: "X-1"
treatment_list:
  step:
  - arm:
    - arm_code: A
      arm_suspended: N
      match:
      - genomic: {hugo_symbol: EGFR}
`
	cases := []struct {
		name, text, path string
	}{
		{"bad-schema.yml", string(sharedFile(t, dfci+"yaml/bad-schema.yml")), "ctml.treatment_list:"},
		{"no protocol", strings.Replace(base, `protocol_no: "X-1"`, `nct_id: NCT1`, 1), "ctml.protocol_no: required"},
		{"protocol as list", strings.Replace(base, `"X-1"`, `[a, b]`, 1), "ctml.protocol_no: want a string"},
		{"no treatment_list", `protocol_no: X-1`, "ctml.treatment_list: required"},
		{"step not list", "protocol_no: X\ntreatment_list: {step: 3}", "ctml.treatment_list.step: want a list"},
		{"arm_code missing", strings.Replace(base, "arm_code: A", "arm_description: A", 1), "ctml.treatment_list.step[0].arm[0].arm_code: required"},
		{"suspended not Y/N", strings.Replace(base, "arm_suspended: N", "arm_suspended: maybe", 1), "arm[0].arm_suspended: want Y or N"},
		{"internal id text", strings.Replace(base, "arm_suspended: N", "arm_internal_id: abc", 1), "arm[0].arm_internal_id: want an integer"},
		{"drug_list list", base + "drug_list: [x]\n", "ctml.drug_list: want a mapping"},
		{"not a mapping", "- 1\n- 2\n", "ctml[0]: the document must be one trial"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCTML(c.text)
			if c.name == "not a mapping" {
				trs, errs, ferr := ParseCTMLFile(c.text)
				if ferr != nil || len(trs) != 2 || errs[0] == nil {
					t.Fatalf("file: %v %v", errs, ferr)
				}
				err = errs[0]
			}
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.path) {
				t.Fatalf("want an invalid-input error naming %q, got %v", c.path, err)
			}
		})
	}
	if _, err := ParseCTML(base); err != nil {
		t.Fatalf("the valid base: %v", err)
	}
}

// TestTrialArmsRoundTrip: every imported arm's criteria, written as JSON
// and read back as a CriteriaInput, counts the same patients.
func TestTrialArmsRoundTrip(t *testing.T) {
	s, _, _ := newService(t, "2017-11-28")
	if _, err := s.ImportPatients(bg, FormatMatchMinerClinical, string(sharedFile(t, dfci+"mm_data_clinical.json"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportPatients(bg, FormatMatchMinerGenomic, string(sharedFile(t, dfci+"mm_data_genomic.json"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportTrials(bg, string(sharedFile(t, dfci+"mm_data_trials.json")), false); err != nil {
		t.Fatal(err)
	}
	trials, _ := s.Trials(bg)
	arms := 0
	for _, tr := range trials {
		for _, a := range tr.Arms {
			b, _ := json.Marshal(a.Criteria)
			c, err := ParseCriteria(b)
			if err != nil {
				t.Fatalf("%s %s: %v", tr.ID, a.Code, err)
			}
			x, err1 := s.Count(bg, a.Criteria, true)
			y, err2 := s.Count(bg, c, true)
			if err1 != nil || err2 != nil || *x.Count != *y.Count {
				t.Errorf("%s %s: %v vs %v (%v %v)", tr.ID, a.Code, x.Count, y.Count, err1, err2)
			}
			arms++
		}
	}
	if arms < 10 {
		t.Fatalf("only %d arms", arms)
	}
}

// TestNoPlaceholderEvidenceDates: MatchMiner's 1900-01-01 report dates
// are unknown dates, never shown as evidence.
func TestNoPlaceholderEvidenceDates(t *testing.T) {
	s, _, _ := newService(t, "2017-11-28")
	if _, err := s.ImportPatients(bg, FormatMatchMinerClinical, string(sharedFile(t, dfci+"mm_data_clinical.json"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportPatients(bg, FormatMatchMinerGenomic, string(sharedFile(t, dfci+"mm_data_genomic.json"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportTrials(bg, string(sharedFile(t, dfci+"mm_data_trials.json")), false); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, id := range []string{"01", "02", "03", "04", "05"} {
		ms, err := s.PatientTrials(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			for _, r := range m.Reasons {
				n++
				if strings.Contains(r, "1900-01-01") {
					t.Errorf("%s %s: %s", m.Trial.ID, m.Arm, r)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no reasons to check")
	}
}

// FuzzParseCTMLFile: any input gives per-trial results or one error,
// never a panic, and every parsed arm validates.
func FuzzParseCTMLFile(f *testing.F) {
	f.Add(demoTrials[1])
	f.Add("protocol_no: A\ntreatment_list: {step: [{arm: [{arm_code: X, match: [{genomic: {hugo_symbol: EGFR}}]}]}]}\n---\nprotocol_no: B\n")
	f.Add(`[{"protocol_no": "A"}, 3, {"protocol_no": "B", "treatment_list": {"step": []}}]`)
	f.Add(`{"protocol_no": "A"} {"protocol_no": "B"}`)
	addShared(f, "trial-eligibility/matchminer-ctml-tests/trials/*.json")
	f.Fuzz(func(t *testing.T, s string) {
		trials, errs, err := ParseCTMLFile(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("file error is not invalid input: %v", err)
			}
			return
		}
		if len(trials) != len(errs) || len(trials) == 0 || len(trials) > MaxTrialsPerFile {
			t.Fatalf("%d trials, %d errors", len(trials), len(errs))
		}
		for i, tr := range trials {
			if (tr == nil) == (errs[i] == nil) {
				t.Fatalf("trial %d: both or neither of trial and error", i)
			}
			if tr == nil {
				continue
			}
			for _, a := range tr.Arms {
				if err := a.Criteria.Validate(); err != nil {
					t.Fatalf("parsed arm does not validate: %v", err)
				}
			}
		}
	})
}
