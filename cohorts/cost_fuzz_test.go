package cohorts

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store"
)

// FuzzCountCriteria parses a criteria tree and counts it on 150 demo
// patients under small limits: the answer is a coded error (invalid, not
// found, too complex) or the count the record-by-record evaluation gives,
// never a panic.
func FuzzCountCriteria(f *testing.F) {
	for _, c := range leafPool()[:20] {
		b, _ := json.Marshal(c)
		f.Add(string(b))
	}
	f.Add(`{"atLeast":{"n":3,"of":[{"sex":["FEMALE"]},{"testedGene":"EGFR"},{"race":["white"]},{"age":{"min":40}},{"not":{"testedGene":"KRAS"}},{"cohort":"A"}]}}`)
	f.Add(`{"any":[{"cohort":"B"},{"cohort":"A"},{"all":[{"cohort":"B"},{"not":{"cohort":"A"}}]}]}`)
	f.Add(`{"not":` + strings.Repeat(`{"not":`, 20) + `{"sex":["MALE"]}` + strings.Repeat("}", 21))
	f.Add(`{"atLeast":{"n":2,"of":[` + strings.Repeat(`{"testedGene":"TP53"},`, 40) + `{"cohort":"nope"}]}}`)
	dir := f.TempDir()
	db := openDB(f, dir)
	f.Cleanup(func() { db.Close() })
	s, err := New(Config{DB: db, Now: fixedNow("2026-01-15"), Limits: Limits{MaxLeaves: 200, MaxDepth: 24, MaxAtLeastOf: 60, MaxCohorts: 3}})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Seed(bg, 150, 6); err != nil {
		f.Fatal(err)
	}
	if _, err := s.SaveCohort(bg, "A", Criteria{Any: []Criteria{{Sex: []string{"FEMALE"}}, {TestedGene: ptr("EGFR")}}}); err != nil {
		f.Fatal(err)
	}
	if _, err := s.SaveCohort(bg, "B", Criteria{All: []Criteria{{Cohort: ptr("A")}, {Age: &Range{Min: ptr(50.0)}}}}); err != nil {
		f.Fatal(err)
	}
	var records []*Patient
	err = db.View(bg, func(tx *store.Txn) error {
		return tx.Scan([]byte("pat/r/"), nil, func(r store.Record) error {
			var p Patient
			if err := r.Decode(&p); err != nil {
				return err
			}
			records = append(records, &p)
			return nil
		})
	})
	if err != nil {
		f.Fatal(err)
	}
	at := s.indexDate()
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCriteria([]byte(in))
		if err != nil {
			return
		}
		got, err := s.Count(bg, c, true)
		if err != nil {
			var ce *ComplexityError
			if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrNotFound) && !errors.As(err, &ce) {
				t.Fatalf("uncoded error: %v", err)
			}
			return
		}
		want := 0
		for _, p := range records {
			ok, _, err := s.matchRecord(p, &c, at)
			if err != nil {
				t.Fatalf("record evaluation failed where the engine did not: %v", err)
			}
			if ok {
				want++
			}
		}
		if *got.Count != want {
			t.Fatalf("engine %d, records %d", *got.Count, want)
		}
	})
}
