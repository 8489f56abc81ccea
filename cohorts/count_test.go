package cohorts

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store"
)

// smallWorld imports n patients through MatchMiner clinical CSV: sex,
// birth year and diagnosis chosen per row by the given functions.
func smallWorld(t *testing.T, s *Service, n int, sex func(i int) string, dx func(i int) string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("SAMPLE_ID,GENDER,BIRTH_DATE,ONCOTREE_PRIMARY_DIAGNOSIS_NAME\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "P%04d,%s,%d-06-01,%s\n", i, sex(i), 1940+i%60, dx(i))
	}
	res, err := s.ImportPatients(bg, FormatMatchMinerClinical, b.String())
	if err != nil || res.Rejected != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestSuppression(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	// 200 patients: 5 with melanoma (all female), 100 with NSCLC.
	smallWorld(t, s, 200, func(i int) string {
		if i < 5 || i%2 == 0 {
			return "Female"
		}
		return "Male"
	}, func(i int) string {
		switch {
		case i < 5:
			return "Melanoma"
		case i < 105:
			return "Non-Small Cell Lung Cancer"
		}
		return "Prostate Adenocarcinoma"
	})
	mel := Criteria{Condition: &Code{System: "ONCOTREE", Code: "MEL"}}
	lung := Criteria{Condition: &Code{System: "ONCOTREE", Code: "NSCLC"}}

	exact, err := s.Count(bg, mel, true)
	if err != nil {
		t.Fatal(err)
	}
	if exact.Count == nil || *exact.Count != 5 || exact.Suppressed || exact.Display != "5" {
		t.Fatalf("clinician sees %+v", exact)
	}
	for _, c := range exact.Breakdown {
		if c.Count == nil {
			t.Errorf("clinician breakdown cell hidden: %+v", c)
		}
	}
	des, err := s.Count(bg, mel, false)
	if err != nil {
		t.Fatal(err)
	}
	if des.Count != nil || !des.Suppressed || des.Display != "<11" {
		t.Fatalf("designer sees %+v", des)
	}
	for _, c := range des.Breakdown {
		if c.Count != nil && *c.Count != 0 {
			t.Errorf("designer sees a non-zero cell of a suppressed total: %+v", c)
		}
	}
	for _, a := range des.Attrition {
		if a.Remaining != nil || a.Alone != nil {
			t.Errorf("designer sees attrition of a suppressed total: %+v", a)
		}
	}

	// Attrition: NSCLC (100) then female (50 of them) then born before 1945 (small).
	born := Criteria{Age: &Range{Min: ptr(80.0)}}
	q := Criteria{All: []Criteria{lung, {Sex: []string{"FEMALE"}}, born}}
	ex, _ := s.Count(bg, q, true)
	de, _ := s.Count(bg, q, false)
	if len(ex.Attrition) != 3 || *ex.Attrition[0].Remaining != 100 || *ex.Attrition[1].Remaining != 50 {
		t.Fatalf("attrition %+v", ex.Attrition)
	}
	last := *ex.Attrition[2].Remaining
	if last == 0 || last >= 11 {
		t.Fatalf("test world should make the last step small, got %d", last)
	}
	if de.Attrition[2].Remaining != nil || de.Attrition[2].Display != "<11" || de.Count != nil {
		t.Errorf("designer attrition last step %+v count %v", de.Attrition[2], de.Count)
	}
	if de.Attrition[0].Remaining == nil || *de.Attrition[0].Remaining != 100 {
		t.Errorf("designer should see the large first step: %+v", de.Attrition[0])
	}
	if de.Attrition[1].Alone == nil || *de.Attrition[1].Alone != *ex.Attrition[1].Alone {
		t.Errorf("alone counts above threshold are shown: %+v", de.Attrition[1])
	}
	// Same query, same answer.
	de2, _ := s.Count(bg, q, false)
	j1, _ := json.Marshal(de)
	j2, _ := json.Marshal(de2)
	if string(j1) != string(j2) {
		t.Error("suppression is not deterministic")
	}
}

// TestComplementarySuppression checks that no hidden breakdown cell can be
// recovered by subtracting shown cells from a shown total.
func TestComplementarySuppression(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	// 60 patients with NSCLC: 57 female, 3 male → the male cell is small.
	smallWorld(t, s, 60, func(i int) string {
		if i < 3 {
			return "Male"
		}
		return "Female"
	}, func(int) string { return "NSCLC" })
	cc, err := s.Count(bg, Criteria{Condition: &Code{System: "ONCOTREE", Code: "NSCLC"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if cc.Count == nil || *cc.Count != 60 {
		t.Fatalf("total should be shown: %+v", cc)
	}
	dims := map[string][]BreakdownCell{}
	for _, c := range cc.Breakdown {
		dims[c.Dimension] = append(dims[c.Dimension], c)
	}
	for dim, cells := range dims {
		hidden, shownSum := 0, 0
		for _, c := range cells {
			if c.Count == nil {
				hidden++
			} else {
				shownSum += *c.Count
			}
		}
		if hidden == 1 {
			t.Errorf("%s: exactly one hidden cell, recoverable as %d - %d", dim, *cc.Count, shownSum)
		}
		if hidden > 0 && *cc.Count-shownSum < s.small {
			t.Errorf("%s: hidden cells sum to %d < %d", dim, *cc.Count-shownSum, s.small)
		}
	}
	sex := dims["sex"]
	if len(sex) != 2 || sex[0].Count != nil || sex[1].Count != nil {
		t.Errorf("sex cells should both be hidden (3 male primary, 57 female complementary): %+v", sex)
	}
	if sex[0].Display != complementaryDisplay || sex[1].Display != "<11" {
		t.Errorf("displays: %+v", sex)
	}
}

func TestAttritionDifferenceSuppression(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	// 100 NSCLC, 95 of them female: the second rule removes 5 patients.
	smallWorld(t, s, 100, func(i int) string {
		if i < 5 {
			return "Male"
		}
		return "Female"
	}, func(int) string { return "NSCLC" })
	q := Criteria{All: []Criteria{{Condition: &Code{System: "ONCOTREE", Code: "NSCLC"}}, {Sex: []string{"FEMALE"}}}}
	cc, _ := s.Count(bg, q, false)
	if cc.Count == nil || *cc.Count != 95 {
		t.Fatalf("count %+v", cc)
	}
	if cc.Attrition[0].Remaining != nil || cc.Attrition[0].Alone != nil {
		t.Errorf("step 1 (100) minus step 2 (95) would reveal 5 excluded: %+v", cc.Attrition[0])
	}
	ex, _ := s.Count(bg, q, true)
	if *ex.Attrition[0].Remaining != 100 {
		t.Errorf("exact attrition %+v", ex.Attrition)
	}
}

func TestValidationErrorsNamePath(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	cases := []struct {
		c    Criteria
		want string
	}{
		{Criteria{}, "criteria: empty node"},
		{Criteria{All: []Criteria{{Sex: []string{"F"}}}}, "criteria.all[0].sex[0]: unknown sex"},
		{Criteria{All: []Criteria{{Sex: []string{"MALE"}}, {Sex: []string{"MALE"}}, {Lab: &Lab{Loinc: "751-8", Op: "GTE", Value: 1}}}}, `criteria.all[2].lab.op: unknown comparator "GTE"`},
		{Criteria{Any: []Criteria{{Not: &Criteria{Variant: &VariantCrit{Gene: "BRAF", ProteinChange: ptr("600")}}}}}, "criteria.any[0].not.variant.proteinChange"},
		{Criteria{AtLeast: &AtLeast{N: 3, Of: []Criteria{{TestedGene: ptr("EGFR")}}}}, "criteria.atLeast.n"},
		{Criteria{Age: &Range{Min: ptr(5.0), Max: ptr(1.0)}}, "criteria.age: min 5 is greater than max 1"},
		{Criteria{Lab: &Lab{Loinc: "751-8", Op: "LT", Value: 1, Unit: ptr("mg/dL")}}, "criteria.lab.unit"},
		{Criteria{Sex: []string{"MALE"}, Race: []string{"white"}}, "set exactly one field, got sex, race"},
		{Criteria{Condition: &Code{System: "MESH", Code: "x"}}, "criteria.condition.system"},
		{Criteria{CNV: &CNVCrit{Gene: "ERBB2", Type: "AMP"}}, "criteria.cnv.type"},
	}
	for _, c := range cases {
		_, err := s.Count(bg, c.c, true)
		if err == nil || !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error containing %q, got %v", c.want, err)
		}
	}
	if _, err := s.Count(bg, Criteria{Cohort: ptr("C999")}, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing cohort: %v", err)
	}
}

func TestPersistenceAndReplacement(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	s, err := New(Config{DB: db, Now: fixedNow("2026-01-15")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Seed(bg, 500, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportGenomics(bg, "DEMO-0000001", genomics.Germline,
		[]genomics.Variant{{Gene: "BRCA1", Chrom: "17", Pos: 43124027, Ref: "ACT", Alt: "A", ProteinChange: "E23Vfs*17", Class: genomics.Frameshift}},
		[]string{"BRCA1", "BRCA2"}, []genomics.PgxResult{{Gene: "CYP2C19", Diplotype: "*2/*2", Phenotype: "Poor Metabolizer"}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	sc, err := s.SaveCohort(bg, "brca", Criteria{Variant: &VariantCrit{Gene: "BRCA1", Origin: ptr("GERMLINE")}})
	if err != nil {
		t.Fatal(err)
	}
	sc2, _ := s.UpdateCohort(bg, sc.ID, &Criteria{Any: []Criteria{{Variant: &VariantCrit{Gene: "BRCA1"}}, {Variant: &VariantCrit{Gene: "BRCA2"}}}}, nil)
	if sc2.Version != 2 || sc2.ID == sc.ID {
		t.Fatalf("versions: %+v %+v", sc, sc2)
	}
	queries := []Criteria{
		{Variant: &VariantCrit{Gene: "BRCA1"}}, {Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: ptr("Poor Metabolizer")}},
		{Age: &Range{Min: ptr(65.0)}}, {Lab: &Lab{Loinc: "98979-8", Op: "LT", Value: 45, WithinDays: ptr(365)}},
		{Condition: &Code{System: "ICD10CM", Code: "I48", WithinDays: ptr(1000)}}, {Cohort: ptr("brca")},
	}
	before := map[int]int{}
	for i, q := range queries {
		cc, err := s.Count(bg, q, true)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = *cc.Count
	}
	c1, _ := s.CohortCount(bg, sc.ID, true)
	db.Close()

	db2 := openDB(t, dir)
	defer db2.Close()
	s2, err := New(Config{DB: db2, Now: fixedNow("2026-01-15")})
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range queries {
		cc, err := s2.Count(bg, q, true)
		if err != nil {
			t.Fatal(err)
		}
		if *cc.Count != before[i] {
			t.Errorf("query %d after reopen: %d, before %d", i, *cc.Count, before[i])
		}
	}
	cs, _ := s2.Cohorts(bg)
	if len(cs) != 2 {
		t.Fatalf("cohorts after reopen: %d", len(cs))
	}
	// Re-importing replaces only that kind: new germline genomics for the
	// patient drops BRCA1 but keeps its PGx call; the saved cohort's count
	// follows the data.
	if _, err := s2.ImportGenomics(bg, "DEMO-0000001", genomics.Germline, nil, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	c2, _ := s2.CohortCount(bg, sc.ID, true)
	if *c2.Count != *c1.Count-1 {
		t.Errorf("saved cohort count %d, want %d", *c2.Count, *c1.Count-1)
	}
	p, err := s2.Patient(bg, "DEMO-0000001")
	if err != nil {
		t.Fatal(err)
	}
	hasPgx := false
	for _, r := range p.Pgx {
		if r.Gene == "CYP2C19" && r.Phenotype == "Poor Metabolizer" {
			hasPgx = true
		}
	}
	if !hasPgx || p.BirthDate == "" {
		t.Errorf("replacement touched other kinds: %+v", p)
	}
	if _, err := s2.Patient(bg, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing patient: %v", err)
	}
}

func TestInterruptedImportRebuilds(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	s, _ := New(Config{DB: db, Now: fixedNow("2026-01-15")})
	if err := s.Seed(bg, 300, 5); err != nil {
		t.Fatal(err)
	}
	want, _ := s.Count(bg, Criteria{Sex: []string{"FEMALE"}}, true)
	// Simulate a crash between record writes and the index flush.
	if err := db.Update(bg, func(tx *store.Txn) error { return tx.Put(keyDirty, true) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2 := openDB(t, dir)
	defer db2.Close()
	s2, err := New(Config{DB: db2, Now: fixedNow("2026-01-15")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s2.Count(bg, Criteria{Sex: []string{"FEMALE"}}, true)
	if *got.Count != *want.Count {
		t.Errorf("after rebuild %d, want %d", *got.Count, *want.Count)
	}
}

func TestPatientIDsPaging(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 1000, 9); err != nil {
		t.Fatal(err)
	}
	q := Criteria{Sex: []string{"FEMALE"}}
	total, _ := s.Count(bg, q, true)
	var all []string
	after := ""
	for {
		page, err := s.PatientIDs(bg, q, 97, after)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != *total.Count {
			t.Fatalf("total %d vs %d", page.Total, *total.Count)
		}
		all = append(all, page.IDs...)
		if !page.HasNextPage {
			break
		}
		after = *page.EndCursor
	}
	if len(all) != *total.Count {
		t.Fatalf("paged %d of %d", len(all), *total.Count)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1] >= all[i] {
			t.Fatalf("not sorted at %d", i)
		}
	}
}

func TestExplain(t *testing.T) {
	s, _, _ := newService(t, "2017-11-28")
	clinical := "SAMPLE_ID,GENDER,BIRTH_DATE,ONCOTREE_PRIMARY_DIAGNOSIS_NAME\nX1,Female,1950-01-01,Lung Adenocarcinoma\n"
	genomic := "SAMPLE_ID,TRUE_HUGO_SYMBOL,TRUE_PROTEIN_CHANGE,TRUE_VARIANT_CLASSIFICATION,VARIANT_CATEGORY,CNV_CALL,WILDTYPE,TRUE_TRANSCRIPT_EXON\n" +
		"X1,EGFR,p.L858R,Missense_Mutation,MUTATION,,false,21\nX1,KRAS,,,WT,,true,\n"
	if _, err := s.ImportPatients(bg, FormatMatchMinerClinical, clinical); err != nil {
		t.Fatal(err)
	}
	if res, err := s.ImportPatients(bg, FormatMatchMinerGenomic, genomic); err != nil || res.Accepted != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	q := Criteria{All: []Criteria{
		{Condition: &Code{System: "ONCOTREE", Code: "NSCLC"}},
		{Variant: &VariantCrit{Gene: "EGFR", ProteinChange: ptr("L858R")}},
		{Not: &Criteria{Variant: &VariantCrit{Gene: "KRAS"}}},
		{Age: &Range{Min: ptr(70.0)}},
	}}
	ex, err := s.Explain(bg, "X1", q)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Matched || len(ex.Leaves) != 4 {
		t.Fatalf("%+v", ex)
	}
	want := []struct {
		m  bool
		ev string
	}{{true, "ONCOTREE LUAD Lung Adenocarcinoma"}, {true, "EGFR L858R exon 21 SOMATIC MISSENSE"}, {false, "KRAS tested, no matching variant"}, {false, "born 1950-01-01, age 67 at 2017-11-28"}}
	for i, w := range want {
		l := ex.Leaves[i]
		if l.Matched != w.m || !strings.Contains(strings.Join(l.Evidence, ";"), w.ev) {
			t.Errorf("leaf %d: %+v, want matched=%v evidence %q", i, l, w.m, w.ev)
		}
	}
}
