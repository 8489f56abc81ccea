package cohorts

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

// syntheaService imports the shared Synthea CSV set and FHIR bundles.
func syntheaService(t *testing.T, now string) *Service {
	t.Helper()
	tables := map[string]string{}
	for _, n := range []string{"patients", "conditions", "medications"} {
		tables[n] = string(sharedFile(t, "synthea-patients/csv/"+n+".csv"))
	}
	s, _, _ := newService(t, now)
	data, _ := json.Marshal(tables)
	if res, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data)); err != nil || res.Rejected != 0 {
		t.Fatalf("synthea: %+v %v", res, err)
	}
	bundles, _ := filepath.Glob(filepath.Join(sharedData, "synthea-patients", "fhir-r4", "*.json"))
	for _, b := range bundles {
		p, _ := os.ReadFile(b)
		if res, err := s.ImportFHIR(bg, p); err != nil || res.Rejected != 0 {
			t.Fatalf("%s: %+v %v", b, res, err)
		}
	}
	return s
}

// TestVitalStatusSynthea: alive counts equal a direct scan of
// patients.csv DEATHDATE at the index date and at an earlier asOf; the
// patient who died in 1993 is excluded by alive: true and aged at death;
// the engine and the record matcher agree on every patient.
func TestVitalStatusSynthea(t *testing.T) {
	s := syntheaService(t, "2022-09-18")
	rows, err := csv.NewReader(strings.NewReader(string(sharedFile(t, "synthea-patients/csv/patients.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	deadBy := func(day string) int {
		n := 0
		for _, r := range rows[1:] {
			if r[2] != "" && r[2] <= day {
				n++
			}
		}
		return n
	}
	yes, no := true, false
	for _, asOf := range []string{"", "2000-01-01", "1993-01-31", "1993-02-01"} {
		at, err := ParseAsOf(asOf)
		if err != nil {
			t.Fatal(err)
		}
		day := asOf
		if day == "" {
			day = "2022-09-18"
		}
		alive, err1 := s.CountAsOf(bg, Criteria{Alive: &yes}, true, at)
		dead, err2 := s.CountAsOf(bg, Criteria{Alive: &no}, true, at)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if *dead.Count != deadBy(day) || *alive.Count+*dead.Count != len(rows)-1 {
			t.Errorf("asOf %q: alive %d dead %d, scan says %d dead of %d", asOf, *alive.Count, *dead.Count, deadBy(day), len(rows)-1)
		}
	}
	if deadBy("2022-09-18") == 0 {
		t.Fatal("no deceased patient in the data; the test checks nothing")
	}
	// Born 1991-10-20, died 1993-02-01: aged 1 at death, never 30.
	const id = "fe80365d-0229-51e7-92ed-e1b1c29e8f45"
	p, err := s.Patient(bg, id)
	if err != nil || !p.Deceased || p.DeathDate != "1993-02-01" || p.Age(s.indexDate()) != 1 {
		t.Fatalf("patient: deceased %v %q age %d %v", p.Deceased, p.DeathDate, p.Age(s.indexDate()), err)
	}
	for _, c := range []struct {
		crit Criteria
		want bool
	}{
		{Criteria{Alive: &yes}, false},
		{Criteria{Alive: &no}, true},
		{Criteria{Age: &Range{Min: ptr(30.0)}}, false},
		{Criteria{Age: &Range{Max: ptr(1.0)}}, true},
		{Criteria{Age: &Range{Min: ptr(1.0), Max: ptr(1.0)}}, true},
	} {
		page, err := s.PatientIDs(bg, c.crit, 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(strings.Join(page.IDs, ","), id)
		ex, err := s.Explain(bg, id, c.crit)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want || ex.Matched != c.want {
			t.Errorf("%s: engine %v, explain %v, want %v (%v)", c.crit.Label(), got, ex.Matched, c.want, ex.Leaves)
		}
	}
	// Engine and record matcher agree for every patient on vital status
	// and age rules (ages at death included).
	var trees []Criteria
	for _, r := range []*Range{{Min: ptr(18.0)}, {Max: ptr(40.0)}, {Min: ptr(65.0)}, {Min: ptr(2.0), Max: ptr(10.5)}} {
		trees = append(trees, Criteria{Age: r}, Criteria{All: []Criteria{{Age: r}, {Alive: &yes}}}, Criteria{Not: &Criteria{Age: r}})
	}
	trees = append(trees, Criteria{Alive: &yes}, Criteria{Alive: &no})
	compareWithLoop(t, s, trees)
}

// TestAliveCriterionValidation: alive is one node field like the others.
func TestAliveCriterionValidation(t *testing.T) {
	for _, c := range []struct {
		json string
		ok   bool
	}{
		{`{"alive": true}`, true},
		{`{"alive": false}`, true},
		{`{"alive": true, "sex": ["MALE"]}`, false},
		{`{"alive": "yes"}`, false},
	} {
		_, err := ParseCriteria([]byte(c.json))
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.json, err)
		}
	}
	if _, err := ParseAsOf("2020-13-01"); err == nil {
		t.Error("bad asOf accepted")
	}
	if at, err := ParseAsOf("2020-02-29"); err != nil || !at.Equal(time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("asOf: %v %v", at, err)
	}
	_ = store.ErrInvalid
}

// TestAgeBandAtDeath: the breakdown puts a patient who died before the
// index date in the band of the age at death.
func TestAgeBandAtDeath(t *testing.T) {
	s := syntheaService(t, "2022-09-18")
	no := false
	cc, err := s.CountAsOf(bg, Criteria{All: []Criteria{{Alive: &no}, {Age: &Range{Max: ptr(9.0)}}}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *cc.Count == 0 {
		t.Fatal("no patient died before 10 in the data")
	}
	bd, err := s.CountAsOf(bg, Criteria{Alive: &no}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range bd.Breakdown {
		if c.Dimension == "ageBand" && c.Value == "0-9" {
			if c.Count == nil || *c.Count != *cc.Count {
				t.Errorf("band 0-9 of the deceased: %v, age rule says %d", c.Count, *cc.Count)
			}
			return
		}
	}
	t.Errorf("no 0-9 band in %+v", bd.Breakdown)
}
