package vocab

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rxlab/rxlab/store/errs"
)

func newVocab(t testing.TB) *Vocab {
	t.Helper()
	v, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hasTarget(ts []Target, sys, code string) (Target, bool) {
	for _, t := range ts {
		if t.System == sys && t.Code == code {
			return t, true
		}
	}
	return Target{}, false
}

func TestExpand(t *testing.T) {
	v := newVocab(t)
	cases := []struct {
		name, sys, code string
		desc            bool
		want            [][2]string // system, code that must be among the targets
		not             [][2]string // must not be
		via             string      // a Via containing this text, on want[0]
	}{
		{"warfarin ingredient → product", RXNORM, "11289", true, [][2]string{{RXNORM, "855332"}, {ATC, "B01AA03"}}, nil,
			"RXNORM 855332 Warfarin Sodium 5 MG Oral Tablet contains ingredient RXNORM 11289 warfarin"},
		{"exact ingredient stays exact", RXNORM, "11289", false, [][2]string{{RXNORM, "11289"}}, [][2]string{{RXNORM, "855332"}}, ""},
		{"clopidogrel", RXNORM, "32968", true, [][2]string{{RXNORM, "309362"}}, nil, "contains ingredient"},
		{"osimertinib", RXNORM, "1721560", true, [][2]string{{RXNORM, "1721581"}}, nil, ""},
		{"product does not widen to its ingredient", RXNORM, "855332", true, [][2]string{{RXNORM, "855332"}}, [][2]string{{RXNORM, "11289"}}, ""},
		{"ATC class → ingredient and products", ATC, "B01AA", true, [][2]string{{RXNORM, "11289"}, {RXNORM, "855332"}}, nil, "is classified ATC B01AA03"},
		{"SNOMED T2DM → ICD E11", SNOMED, "44054006", true, [][2]string{{ICD10CM, "E11"}, {SNOMED, "368581000119106"}}, nil, "maps to ICD10CM E11"},
		{"ICD E11 → SNOMED T2DM and below", ICD10CM, "E11", true, [][2]string{{SNOMED, "44054006"}, {SNOMED, "368581000119106"}, {SNOMED, "127013003"}}, nil, "maps to ICD10CM E11"},
		{"ICD E11.9 does not widen to T2DM", ICD10CM, "E119", true, [][2]string{{ICD10CM, "E119"}}, [][2]string{{SNOMED, "44054006"}}, ""},
		{"malignant neoplastic disease", SNOMED, "363346000", true, [][2]string{{SNOMED, "363406005"}, {SNOMED, "254837009"}, {ICD10CM, "C34"}, {ICD10CM, "C4A"}}, [][2]string{{ICD10CM, "D07"}}, "is a SNOMED 363346000"},
		{"ICD C34 → OncoTree LUNG", ICD10CM, "C34", true, [][2]string{{ONCOTREE, "LUNG"}, {SNOMED, "254637007"}}, nil, "ONCOTREE LUNG Lung maps to ICD10CM C34"},
		{"ICD whole range", ICD10CM, "A00-Z99", true, [][2]string{{ICD10CM, "A00"}, {ICD10CM, "Z99"}, {ICD10CM, "U07"}, {ICD10CM, "C4A"}}, nil, ""},
		{"ICD section", ICD10CM, "E08-E13", true, [][2]string{{ICD10CM, "E08"}, {ICD10CM, "E11"}, {ICD10CM, "E13"}}, [][2]string{{ICD10CM, "E14"}, {ICD10CM, "E07"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := v.Expand(c.sys, c.code, c.desc)
			for i, w := range c.want {
				tg, ok := hasTarget(ts, w[0], w[1])
				if !ok {
					t.Fatalf("%s %s: want target %s %s in %v", c.sys, c.code, w[0], w[1], ts)
				}
				if i == 0 && c.via != "" && !strings.Contains(tg.Via, c.via) {
					t.Errorf("via %q does not say %q", tg.Via, c.via)
				}
			}
			for _, n := range c.not {
				if _, ok := hasTarget(ts, n[0], n[1]); ok {
					t.Errorf("%s %s: unexpected target %s %s", c.sys, c.code, n[0], n[1])
				}
			}
		})
	}
}

func TestLabGroup(t *testing.T) {
	v := newVocab(t)
	egfr := []string{"33914-3", "62238-1", "48642-3", "98979-8", "50044-7", "88293-6"}
	for _, c := range egfr {
		codes, g := v.LabGroup(c)
		if g != "EGFR" {
			t.Fatalf("%s: group %q", c, g)
		}
		for _, o := range egfr {
			found := false
			for _, x := range codes {
				found = found || x == o
			}
			if !found {
				t.Errorf("%s: group lacks %s", c, o)
			}
		}
	}
	if codes, g := v.LabGroup("2160-0"); g != "" || len(codes) != 1 {
		t.Errorf("creatinine: %v %q", codes, g)
	}
}

func TestHierarchy(t *testing.T) {
	v := newVocab(t)
	cases := []struct{ sys, code, parent string }{
		{ICD10CM, "E11", "E08-E13"},
		{ICD10CM, "E08-E13", "E00-E89"},
		{ICD10CM, "C3490", "C349"},
		{ONCOTREE, "LUAD", "NSCLC"},
		{ONCOTREE, "SCLC", "LNET"},
		{ONCOTREE, "GBM", "GB"},
		{SNOMED, "44054006", "73211009"},
		{RXNORM, "855332", "11289"},
	}
	for _, c := range cases {
		ps := v.Parents(c.sys, c.code)
		if len(ps) == 0 || ps[0].Code != c.parent {
			t.Errorf("%s %s: parents %v, want %s", c.sys, c.code, ps, c.parent)
		}
	}
	n := 0
	for _, o := range v.OncoTree() {
		n++
		if o.Code == "LUNG" && (o.Parent != "" || o.Tissue != "LUNG" || len(o.ICD10) != 1) {
			t.Errorf("LUNG: %+v", o)
		}
	}
	if n < 1000 {
		t.Errorf("OncoTree has %d nodes, want the full tree (>1000)", n)
	}
}

func TestSearch(t *testing.T) {
	v := newVocab(t)
	ctx := context.Background()
	cases := []struct {
		q, sys   string
		wantSys  string
		wantCode string
	}{
		{"warfarin", "RXNORM", RXNORM, "11289"},
		{"tagrisso", "", RXNORM, "1721560"},
		{"E11", "", ICD10CM, "E11"},
		{"E11.9", "ICD10CM", ICD10CM, "E119"},
		{"glomerular filtration CKD-EPI 2021", "", LOINC, "98979-8"},
		{"lung adenocarcinoma", "oncotree", ONCOTREE, "LUAD"},
		{"363346000", "", SNOMED, "363346000"},
	}
	for _, c := range cases {
		q, err := ParseQuery(c.q, c.sys)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		got, err := v.Search(ctx, q, 5)
		if err != nil || len(got) == 0 {
			t.Fatalf("%q: %v %v", c.q, got, err)
		}
		if got[0].System != c.wantSys || got[0].Code != c.wantCode {
			t.Errorf("%q: first %s %s, want %s %s", c.q, got[0].System, got[0].Code, c.wantSys, c.wantCode)
		}
	}
}

func TestParseQueryLimits(t *testing.T) {
	cases := []struct{ q, sys, want string }{
		{"", "", "empty"},
		{"   ", "", "empty"},
		{strings.Repeat("a", MaxQueryChars+1), "", "longer than 200"},
		{"a b c d e f g h i", "", "more than 8 words"},
		{"x", "MEDDRA", "unknown coding system"},
		{"a\x00b", "", "control characters"},
	}
	for _, c := range cases {
		_, err := ParseQuery(c.q, c.sys)
		if err == nil || !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.q, err, c.want)
		}
	}
	v := newVocab(t)
	q, _ := ParseQuery("a", "")
	if _, err := v.Search(context.Background(), q, MaxFirst+1); err == nil || !errors.Is(err, errs.Invalid) {
		t.Errorf("first over the limit: %v", err)
	}
}

func TestNewRejectsBadTables(t *testing.T) {
	good := func() fstest.MapFS {
		m := fstest.MapFS{}
		for _, f := range []string{"icd10cm.tsv", "snomed.tsv", "loinc.tsv", "rxnorm.tsv", "oncotree.tsv"} {
			m[f] = &fstest.MapFile{Data: []byte("# empty\n")}
		}
		return m
	}
	cases := []struct{ file, body, want string }{
		{"icd10cm.tsv", "E11\tType 2\tE08-E13\n", "parent E08-E13 is not in the table"},
		{"rxnorm.tsv", "1\tx\tIN\n", "columns"},
		{"loinc.tsv", "1-1\t\t\t\n", "empty code or display"},
	}
	for _, c := range cases {
		m := good()
		m[c.file] = &fstest.MapFile{Data: []byte(c.body)}
		_, err := New(Config{Data: m})
		if err == nil || !errors.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", c.file, err)
		}
	}
	if _, err := New(Config{Data: good()}); err != nil {
		t.Errorf("empty tables: %v", err)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"warfarin", "E11.9", "a b c", "", "\xff", "glomerular (CKD-EPI)"} {
		f.Add(s, "")
	}
	f.Add("x", "icd10cm")
	v, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q, sys string) {
		p, err := ParseQuery(q, sys)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error without a kind: %v", err)
			}
			return
		}
		if len(p.Terms) == 0 || len(p.Terms) > MaxQueryTerms {
			t.Fatalf("terms %v", p.Terms)
		}
		if _, err := v.Search(context.Background(), p, 20); err != nil {
			t.Fatal(err)
		}
	})
}
