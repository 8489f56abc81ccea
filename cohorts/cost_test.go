package cohorts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

func leafN(i int) Criteria {
	g := []string{"EGFR", "KRAS", "BRAF", "TP53", "ALK"}[i%5]
	return Criteria{TestedGene: &g}
}

func leaves(n int) []Criteria {
	out := make([]Criteria, n)
	for i := range out {
		out[i] = leafN(i)
	}
	return out
}

func nots(depth int, c Criteria) Criteria {
	for range depth {
		inner := c
		c = Criteria{Not: &inner}
	}
	return c
}

// TestCostLimits checks each dimension of Limits, directly and through
// saved cohorts: over the limit gives QUERY_TOO_COMPLEX naming the cost
// and the limit; at the limit the count runs.
func TestCostLimits(t *testing.T) {
	cases := []struct {
		name    string
		lim     Limits
		saved   []Criteria // saved in order as "S0", "S1", …
		query   Criteria
		measure string // "" = within limits
		cost    int
	}{
		{name: "leaves over", lim: Limits{MaxLeaves: 5}, query: Criteria{Any: leaves(6)}, measure: "leaves", cost: 6},
		{name: "leaves at", lim: Limits{MaxLeaves: 6}, query: Criteria{Any: leaves(6)}},
		{name: "depth over", lim: Limits{MaxDepth: 3}, query: nots(3, leafN(0)), measure: "levels deep", cost: 4},
		{name: "depth at", lim: Limits{MaxDepth: 4}, query: nots(3, leafN(0))},
		{name: "atLeast over", lim: Limits{MaxAtLeastOf: 3}, query: Criteria{AtLeast: &AtLeast{N: 2, Of: leaves(4)}}, measure: "atLeast rules", cost: 4},
		{name: "atLeast at", lim: Limits{MaxAtLeastOf: 4}, query: Criteria{AtLeast: &AtLeast{N: 2, Of: leaves(4)}}},
		{name: "cohorts over", lim: Limits{MaxCohorts: 2},
			saved: []Criteria{leafN(0), leafN(1), leafN(2)},
			query: Criteria{Any: []Criteria{{Cohort: ptr("S0")}, {Cohort: ptr("S1")}, {Cohort: ptr("S2")}}}, measure: "saved cohorts", cost: 3},
		{name: "cohorts at", lim: Limits{MaxCohorts: 3},
			saved: []Criteria{leafN(0), {Cohort: ptr("S0")}, {Cohort: ptr("S1")}},
			query: Criteria{Cohort: ptr("S2")}},
		{name: "depth through cohorts", lim: Limits{MaxDepth: 4},
			saved: []Criteria{nots(2, leafN(0))},
			query: nots(2, Criteria{Cohort: ptr("S0")}), measure: "levels deep", cost: 5},
		{name: "cohort leaves counted once", lim: Limits{MaxLeaves: 4},
			saved: []Criteria{{Any: leaves(3)}},
			query: Criteria{Any: []Criteria{{Cohort: ptr("S0")}, {Cohort: ptr("S0")}, leafN(1)}}},
		{name: "leaves through cohorts", lim: Limits{MaxLeaves: 4},
			saved: []Criteria{{Any: leaves(3)}},
			query: Criteria{Any: []Criteria{{Cohort: ptr("S0")}, leafN(1), leafN(2)}}, measure: "leaves", cost: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := openDB(t, dir)
			defer db.Close()
			s, err := New(Config{DB: db, Now: fixedNow("2026-01-15"), Limits: tc.lim})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Seed(bg, 50, 1); err != nil {
				t.Fatal(err)
			}
			for i, c := range tc.saved {
				if _, err := s.SaveCohort(bg, "S"+string(rune('0'+i)), c); err != nil {
					t.Fatalf("save S%d: %v", i, err)
				}
			}
			_, err = s.Count(bg, tc.query, true)
			if tc.measure == "" {
				if err != nil {
					t.Fatalf("within limits: %v", err)
				}
				return
			}
			var ce *ComplexityError
			if !errors.As(err, &ce) {
				t.Fatalf("want ComplexityError, got %v", err)
			}
			if ce.Measure != tc.measure || ce.Cost != tc.cost {
				t.Errorf("got %s %d, want %s %d", ce.Measure, ce.Cost, tc.measure, tc.cost)
			}
			var coder store.Coder
			if !errors.As(err, &coder) || coder.Code() != "QUERY_TOO_COMPLEX" {
				t.Errorf("code: %v", err)
			}
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("not a kind of ErrInvalid: %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.measure) || !strings.Contains(msg, "limit") {
				t.Errorf("message does not name the measure and limit: %q", msg)
			}
		})
	}
}

// TestCostAtSave: saving counts the cohort being saved, so a cohort that
// could never be counted is refused when it is saved, with the same error.
func TestCostAtSave(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	defer db.Close()
	s, err := New(Config{DB: db, Now: fixedNow("2026-01-15"), Limits: Limits{MaxCohorts: 2, MaxDepth: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveCohort(bg, "S0", leafN(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveCohort(bg, "S1", Criteria{Cohort: ptr("S0")}); err != nil {
		t.Fatal(err)
	}
	var ce *ComplexityError
	if _, err := s.SaveCohort(bg, "S2", Criteria{Cohort: ptr("S1")}); !errors.As(err, &ce) || ce.Measure != "saved cohorts" {
		t.Errorf("third level under MaxCohorts 2: %v", err)
	}
	if _, err := s.SaveCohort(bg, "D", nots(4, Criteria{Cohort: ptr("S0")})); !errors.As(err, &ce) || ce.Measure != "levels deep" {
		t.Errorf("5 levels under MaxDepth 4: %v", err)
	}
}

// TestCostDefaultsAndValidationFirst: a 100,000-leaf tree is refused under
// the default limits (by Count, PatientIDs, Explain and SaveCohort) before
// any evaluation; an invalid node still gets its path-naming error.
func TestCostDefaultsAndValidationFirst(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 50, 1); err != nil {
		t.Fatal(err)
	}
	big := Criteria{AtLeast: &AtLeast{N: 50000, Of: leaves(100000)}}
	calls := map[string]func(Criteria) error{
		"Count":      func(c Criteria) error { _, err := s.Count(bg, c, false); return err },
		"PatientIDs": func(c Criteria) error { _, err := s.PatientIDs(bg, c, 10, ""); return err },
		"Explain":    func(c Criteria) error { _, err := s.Explain(bg, "DEMO-0000001", c); return err },
		"SaveCohort": func(c Criteria) error { _, err := s.SaveCohort(bg, "big", c); return err },
	}
	for name, call := range calls {
		var ce *ComplexityError
		if err := call(big); !errors.As(err, &ce) {
			t.Errorf("%s: want ComplexityError, got %v", name, err)
		}
		bad := Criteria{Any: leaves(100000)}
		bad.Any[77] = Criteria{Sex: []string{"X"}}
		err := call(bad)
		if !errors.Is(err, store.ErrInvalid) || errors.As(err, &ce) || !strings.Contains(err.Error(), "criteria.any[77].sex[0]") {
			t.Errorf("%s: invalid node: %v", name, err)
		}
	}
}

// TestSavedCohortCycles: a cohort whose tree would refer to itself once
// saved (directly, or through another cohort, by name) is refused.
func TestSavedCohortCycles(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 50, 1); err != nil {
		t.Fatal(err)
	}
	a, err := s.SaveCohort(bg, "A", leafN(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveCohort(bg, "B", Criteria{Any: []Criteria{{Cohort: ptr("A")}, leafN(1)}}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Criteria{
		"direct":   {Any: []Criteria{{Cohort: ptr("A")}, leafN(2)}},
		"indirect": {Not: &Criteria{Cohort: ptr("B")}},
	} {
		_, err := s.UpdateCohort(bg, a.ID, &c, nil)
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "refers to itself") {
			t.Errorf("%s: want a refusal, got %v", name, err)
		}
	}
	// A new version of A that refers to B's id (fixed) is not a cycle only
	// if B does not refer back by name; B refers to "A", so it is refused
	// too. Referring to A's first version by id is fine.
	v1, _ := s.Cohort(bg, "A")
	if _, err := s.UpdateCohort(bg, a.ID, &Criteria{All: []Criteria{{Cohort: &v1.ID}, leafN(3)}}, nil); err != nil {
		t.Fatalf("reference to an older version by id: %v", err)
	}
	if _, err := s.CohortCount(bg, "B", true); err != nil {
		t.Fatalf("B after A v2: %v", err)
	}
}

// TestCohortDiamond: 25 levels of saved cohorts, each referring to the
// one below twice (2^25 paths when every reference is expanded), are
// counted, paged and explained in time linear in the distinct cohorts.
func TestCohortDiamond(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 300, 5); err != nil {
		t.Fatal(err)
	}
	base := Criteria{Sex: []string{"FEMALE"}}
	if _, err := s.SaveCohort(bg, "D0", base); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 25; k++ {
		prev := Criteria{Cohort: ptr(fmt.Sprintf("D%d", k-1))}
		c := Criteria{Any: []Criteria{prev, {All: []Criteria{prev, leafN(k)}}}}
		if _, err := s.SaveCohort(bg, fmt.Sprintf("D%d", k), c); err != nil {
			t.Fatalf("D%d: %v", k, err)
		}
	}
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	top := Criteria{Cohort: ptr("D25")}
	got, err := s.Count(ctx, top, true)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := s.Count(ctx, base, true)
	if *got.Count != *want.Count {
		t.Errorf("D25 = %d, want %d (the same as D0)", *got.Count, *want.Count)
	}
	if _, err := s.PatientIDs(ctx, top, 10, ""); err != nil {
		t.Fatal(err)
	}
	ex, err := s.Explain(ctx, "DEMO-0000001", top)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Leaves) > 2*26 {
		t.Errorf("explanation lists %d leaves; each cohort's leaves should appear once", len(ex.Leaves))
	}
	compareWithLoop(t, s, []Criteria{top, {Not: &top}})
}
