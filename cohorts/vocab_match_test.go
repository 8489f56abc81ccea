package cohorts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// importSyntheaDir imports the Synthea CSV tables found in dir.
func importSyntheaDir(t *testing.T, s *Service, dir string, tables ...string) {
	t.Helper()
	m := map[string]string{}
	for _, n := range tables {
		b, err := os.ReadFile(filepath.Join(dir, n+".csv"))
		if err != nil {
			t.Skipf("%s: %v", n, err)
		}
		m[n] = string(b)
	}
	data, _ := json.Marshal(m)
	res, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data))
	if err != nil || res.Rejected != 0 {
		t.Fatalf("import %s: %+v %v", dir, res, err)
	}
}

// ids returns the sorted ids of the patients meeting c.
func ids(t *testing.T, s *Service, c Criteria) []string {
	t.Helper()
	page, err := s.PatientIDs(bg, c, 10000, "")
	if err != nil {
		t.Fatal(err)
	}
	return page.IDs
}

// TestVocabularyFixture checks matching through the vocabulary on ten
// patients written for it (testdata/vocab-synthea): each rule's patients,
// the same answer from the record matcher (explainMatch's engine), and the
// mapping explainMatch names.
func TestVocabularyFixture(t *testing.T) {
	s, _, _ := newService(t, "2024-06-01")
	importSyntheaDir(t, s, "testdata/vocab-synthea", "patients", "conditions", "medications", "observations")
	no := false
	egfr := func(loinc string) Criteria { return Criteria{Lab: &Lab{Loinc: loinc, Op: "LT", Value: 60}} }
	cases := []struct {
		name string
		c    Criteria
		want []string
		ev   string // evidence text on the first wanted patient
	}{
		{"warfarin ingredient finds the product", Criteria{Medication: &Code{System: "RXNORM", Code: "11289"}}, []string{"vx-01", "vx-02"},
			"RXNORM 855332 Warfarin Sodium 5 MG Oral Tablet contains ingredient RXNORM 11289"},
		{"ingredient exact finds no product", Criteria{Medication: &Code{System: "RXNORM", Code: "11289", Descendants: &no}}, nil, ""},
		{"clopidogrel ingredient", Criteria{Medication: &Code{System: "RXNORM", Code: "32968"}}, []string{"vx-03"}, "contains ingredient RXNORM 32968"},
		{"metformin ingredient", Criteria{Medication: &Code{System: "RXNORM", Code: "6809"}}, []string{"vx-02"}, ""},
		{"ATC vitamin K antagonists", Criteria{Medication: &Code{System: "ATC", Code: "B01AA"}}, []string{"vx-01", "vx-02"}, "is classified ATC B01AA03"},
		{"ICD-10-CM E11 finds SNOMED-coded diabetes", Criteria{Condition: &Code{System: "ICD10CM", Code: "E11"}}, []string{"vx-02", "vx-03"},
			"SNOMED 44054006 Diabetes maps to ICD10CM E11"},
		{"ICD-10-CM section E08-E13", Criteria{Condition: &Code{System: "ICD10CM", Code: "E08-E13"}}, []string{"vx-02", "vx-03"}, ""},
		{"ICD-10-CM E11.9 is narrower than SNOMED diabetes", Criteria{Condition: &Code{System: "ICD10CM", Code: "E11.9"}}, nil, ""},
		{"SNOMED diabetes finds its child", Criteria{Condition: &Code{System: "SNOMED", Code: "44054006"}}, []string{"vx-02", "vx-03"}, ""},
		{"SNOMED malignant neoplastic disease", Criteria{Condition: &Code{System: "SNOMED", Code: "363346000"}}, []string{"vx-04", "vx-05"},
			"is a SNOMED 363346000"},
		{"ICD-10-CM C18 finds SNOMED colon cancer", Criteria{Condition: &Code{System: "ICD10CM", Code: "C18"}}, []string{"vx-04"}, "maps to ICD10CM C18"},
		{"ICD-10-CM R73.03 prediabetes", Criteria{Condition: &Code{System: "ICD10CM", Code: "R73.03"}}, []string{"vx-06"}, ""},
		{"eGFR MDRD", egfr("33914-3"), []string{"vx-06", "vx-08", "vx-09"}, "LOINC 33914-3 = 45"},
		{"eGFR CKD-EPI 2009", egfr("62238-1"), []string{"vx-06", "vx-08", "vx-09"}, ""},
		{"eGFR MDRD non-black", egfr("48642-3"), []string{"vx-06", "vx-08", "vx-09"}, ""},
		{"eGFR CKD-EPI 2021", egfr("98979-8"), []string{"vx-06", "vx-08", "vx-09"}, "are both EGFR: one test"},
		{"eGFR within a year reads the latest", Criteria{Lab: &Lab{Loinc: "98979-8", Op: "LT", Value: 60, WithinDays: ptr(365)}}, []string{"vx-08"}, ""},
		{"eGFR latest above", Criteria{Lab: &Lab{Loinc: "88293-6", Op: "GE", Value: 60}}, []string{"vx-07", "vx-10"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ids(t, s, c.c)
			if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Fatalf("patients %v, want %v", got, c.want)
			}
			for i := 1; i <= 10; i++ {
				id := fmt.Sprintf("vx-%02d", i)
				ex, err := s.Explain(bg, id, c.c)
				if err != nil {
					t.Fatal(err)
				}
				if ex.Matched != slices.Contains(c.want, id) {
					t.Errorf("%s: record matcher says %v, engine %v (%+v)", id, ex.Matched, !ex.Matched, ex.Leaves)
				}
				if len(c.want) > 0 && id == c.want[0] && c.ev != "" {
					ev := strings.Join(ex.Leaves[0].Evidence, " | ")
					if !strings.Contains(ev, c.ev) {
						t.Errorf("%s: evidence %q does not name %q", id, ev, c.ev)
					}
				}
			}
		})
	}
	// A rule whose codes, after expansion, no record carries warns; one
	// that matches only through a mapping does not.
	cc, err := s.CountAsOf(bg, Criteria{All: []Criteria{
		{Medication: &Code{System: "RXNORM", Code: "11289"}},
		{Not: &Criteria{Medication: &Code{System: "RXNORM", Code: "1721560"}}},
		{Lab: &Lab{Loinc: "48643-1", Op: "LT", Value: 60}},
	}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.Warnings) != 1 || !strings.Contains(cc.Warnings[0], "medication RXNORM 1721560:") {
		t.Errorf("warnings %q, want only osimertinib's", cc.Warnings)
	}
}

// syntheaScan returns the distinct patients of the shared Synthea CSV
// table whose column col satisfies keep, sorted.
func syntheaScan(t *testing.T, table, col string, keep func(string) bool) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedData, "synthea-patients", "csv", table+".csv"))
	if err != nil {
		t.Skipf("shared Synthea data not available: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ci, pi := slices.Index(rows[0], col), slices.Index(rows[0], "PATIENT")
	set := map[string]bool{}
	for _, r := range rows[1:] {
		if keep(r[ci]) {
			set[r[pi]] = true
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// TestVocabularySynthea checks the acceptance rules on the shared
// Synthea data (skipped when absent): the warfarin and clopidogrel
// ingredients find every patient with a product of theirs (a direct scan
// of medications.csv by description), ICD-10-CM E11 finds the patients
// coded with SNOMED diabetes concepts, SNOMED 363346000 the malignant ones,
// and explainMatch names the mapping.
func TestVocabularySynthea(t *testing.T) {
	s := syntheaService(t, "2022-09-18")
	contains := func(w string) func(string) bool {
		return func(d string) bool { return strings.Contains(strings.ToLower(d), w) }
	}
	codeIn := func(codes ...string) func(string) bool {
		return func(c string) bool { return slices.Contains(codes, c) }
	}
	cases := []struct {
		name string
		c    Criteria
		scan []string
	}{
		{"warfarin", Criteria{Medication: &Code{System: "RXNORM", Code: "11289"}}, syntheaScan(t, "medications", "DESCRIPTION", contains("warfarin"))},
		{"clopidogrel", Criteria{Medication: &Code{System: "RXNORM", Code: "32968"}}, syntheaScan(t, "medications", "DESCRIPTION", contains("clopidogrel"))},
		{"acetaminophen", Criteria{Medication: &Code{System: "RXNORM", Code: "161"}}, syntheaScan(t, "medications", "DESCRIPTION", contains("acetaminophen"))},
		// By hand: SNOMED 44054006 "Diabetes" (type 2) and the four
		// diabetic complications in snomed.tsv all code to E11.x.
		{"ICD E11", Criteria{Condition: &Code{System: "ICD10CM", Code: "E11"}},
			syntheaScan(t, "conditions", "CODE", codeIn("44054006", "127013003", "368581000119106", "422034002", "1551000119108"))},
		// By hand: the malignant concepts Synthea uses (colon, breast).
		{"SNOMED 363346000", Criteria{Condition: &Code{System: "SNOMED", Code: "363346000"}},
			syntheaScan(t, "conditions", "CODE", codeIn("363406005", "254837009"))},
	}
	for _, c := range cases {
		got := ids(t, s, c.c)
		if len(c.scan) == 0 || !slices.Equal(got, c.scan) {
			t.Errorf("%s: engine %d patients %v, scan %d %v", c.name, len(got), got, len(c.scan), c.scan)
		}
	}
	warf := syntheaScan(t, "medications", "DESCRIPTION", contains("warfarin"))
	ex, err := s.Explain(bg, warf[0], Criteria{Medication: &Code{System: "RXNORM", Code: "11289"}})
	if err != nil || !ex.Matched {
		t.Fatalf("explain: %+v %v", ex, err)
	}
	if ev := strings.Join(ex.Leaves[0].Evidence, " | "); !strings.Contains(ev, "RXNORM 855332 Warfarin Sodium 5 MG Oral Tablet contains ingredient RXNORM 11289") {
		t.Errorf("evidence %q does not name the ingredient mapping", ev)
	}
}

// TestVocabularyExpansionStops: a query of many distinct ICD-10-CM ranges
// (each expanding to thousands of categories, a few milliseconds apiece)
// stops at its deadline while the rules are expanded, not after all of
// them (about 18 s here for 19,000 rules before the check).
func TestVocabularyExpansionStops(t *testing.T) {
	s, _, _ := newService(t, "2025-01-01")
	const second = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var rules []Criteria
	for i := 0; i < 19000; i++ {
		r := fmt.Sprintf("A%c%c-%c99", second[i/36%10], second[i%36], 'Z'-byte(i/360)%20)
		rules = append(rules, Criteria{Condition: &Code{System: "ICD10CM", Code: r}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := s.Count(ctx, Criteria{Any: rules}, false)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("stopped after %v, want soon after the 200 ms deadline", d)
	}
}
