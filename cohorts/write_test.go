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

// mmClinicalCSV returns n MatchMiner clinical rows for ids prefix-0..n-1.
func mmClinicalCSV(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("SAMPLE_ID,BIRTH_DATE,GENDER,ONCOTREE_PRIMARY_DIAGNOSIS_NAME,REPORT_DATE,TUMOR_MUTATIONAL_BURDEN_PER_MEGABASE\n")
	dx := []string{"Lung Adenocarcinoma", "Breast Invasive Ductal Carcinoma", "Colon Adenocarcinoma"}
	for i := range n {
		fmt.Fprintf(&b, "%s-%07d,%d-%02d-%02d,%s,%s,2020-01-01,%d.5\n", prefix, i, 1940+i%60, 1+i%12, 1+i%28,
			[]string{"Male", "Female"}[i%2], dx[i%3], i%40)
	}
	return b.String()
}

func countKeys(t *testing.T, db *store.DB, prefix string) int {
	t.Helper()
	n := 0
	if err := db.View(bg, func(tx *store.Txn) error {
		return tx.ScanKeys([]byte(prefix), func([]byte) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLargeImportCommitsWhole is issue #20's 110,000-row MatchMiner import:
// it used to answer "transaction too big" with the rows stored and leave a
// store that no longer opened. Now it commits whole, in one audit record,
// and the store reopens without a rebuild.
func TestLargeImportCommitsWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("110,000 patients")
	}
	s, db, dir := newService(t, "2026-01-15")
	ctx := store.WithAudit(bg, store.AuditInfo{Actor: "t", Operation: "mutation importPatients"})
	start := time.Now()
	res, err := s.ImportPatients(ctx, FormatMatchMinerClinical, mmClinicalCSV("MM", 110_000))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("110,000 MatchMiner rows imported in %v", time.Since(start))
	if res.Accepted != 110_000 || res.Rejected != 0 || !res.Committed {
		t.Fatalf("result %+v", res)
	}
	if n := s.PatientCount(); n != 110_000 {
		t.Fatalf("PatientCount %d", n)
	}
	log, err := db.AuditLog(bg, 0, 10)
	if err != nil || len(log) != 1 || log[0].TargetCount != 110_000 {
		t.Fatalf("audit: %d records, %v", len(log), err)
	}
	if _, err := db.VerifyAudit(bg); err != nil {
		t.Fatal(err)
	}
	// A second import and a restart still work.
	res, err = s.ImportPatients(ctx, FormatMatchMinerClinical, mmClinicalCSV("MX", 10))
	if err != nil || !res.Committed {
		t.Fatalf("second import: %+v %v", res, err)
	}
	db.Close()
	db2 := openDB(t, dir)
	defer db2.Close()
	s2, err := New(Config{DB: db2, Now: fixedNow("2026-01-15")})
	if err != nil {
		t.Fatal(err)
	}
	if n := s2.PatientCount(); n != 110_010 {
		t.Fatalf("after reopen PatientCount %d", n)
	}
	c, err := s2.Count(bg, Criteria{Sex: []string{"FEMALE"}}, true)
	if err != nil || *c.Count != 55_005 {
		t.Fatalf("female count after reopen: %v %v", c.Count, err)
	}
}

// TestFailedImportStoresNothing cancels imports at several points and
// checks that neither the store nor the published index changed.
func TestFailedImportStoresNothing(t *testing.T) {
	cases := []struct {
		name  string
		after int // cancel after this many mutations ran
	}{
		{"first patient", 1},
		{"middle of the records", 3000},
		{"after the records (before the flip)", 5000},
		{"before the import", 6000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, db, _ := newService(t, "2026-01-15")
			if _, err := s.ImportPatients(bg, FormatMatchMinerClinical, mmClinicalCSV("A", 50)); err != nil {
				t.Fatal(err)
			}
			pat, row := countKeys(t, db, "pat/r/"), countKeys(t, db, "idx/")
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			ran := 0
			var muts []mutation
			for i := range 5000 {
				muts = append(muts, mutation{id: fmt.Sprintf("B-%d", i), loc: "x", records: 1, fn: func(p *Patient) error {
					if ran++; ran == c.after {
						cancel()
					}
					p.Sex, p.BirthDate = "FEMALE", "1970-01-01"
					return nil
				}})
			}
			if c.after > len(muts) {
				cancel()
			}
			res := ImportResult{}
			err := s.importMutations(ctx, muts, &res)
			if !errors.Is(err, context.Canceled) || res.Committed {
				t.Fatalf("import = %v, committed %v; want Canceled, not committed", err, res.Committed)
			}
			if n := s.PatientCount(); n != 50 {
				t.Fatalf("published index has %d patients, want 50", n)
			}
			if p, r, g := countKeys(t, db, "pat/r/"), countKeys(t, db, "idx/"), stageKeysLeft(t, db); p != pat || r != row || g != 0 {
				t.Fatalf("store after a failed import: %d records (want %d), %d index keys (want %d), %d stage keys", p, pat, r, row, g)
			}
			// The next import works and sees only what was committed.
			res2, err := s.ImportPatients(bg, FormatMatchMinerClinical, mmClinicalCSV("C", 5))
			if err != nil || !res2.Committed || s.PatientCount() != 55 {
				t.Fatalf("next import: %+v %v count %d", res2, err, s.PatientCount())
			}
		})
	}
}

// TestStoreOfEarlierVersionOpens writes what the previous main left after
// a failed large import (records in many transactions, the pat/dirty
// marker, part of the index) and checks that New rebuilds it in one
// staged write and clears the marker.
func TestStoreOfEarlierVersionOpens(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	const n = 12_000
	for start := 0; start < n; start += 2000 {
		err := db.Update(bg, func(tx *store.Txn) error {
			if err := tx.Put(keyDirty, true); err != nil {
				return err
			}
			for i := start; i < start+2000; i++ {
				p := Patient{ID: fmt.Sprintf("OLD-%05d", i), Sex: []string{"MALE", "FEMALE"}[i%2], BirthDate: "1960-05-05"}
				if err := tx.Put(patKey(p.ID), &p); err != nil {
					return err
				}
			}
			return tx.PutRaw(rowKey(uint32(start)), []byte("stale row"))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = openDB(t, dir)
	defer db.Close()
	s, err := New(Config{DB: db, Now: fixedNow("2026-01-15")})
	if err != nil {
		t.Fatal(err)
	}
	if s.PatientCount() != n {
		t.Fatalf("PatientCount %d, want %d", s.PatientCount(), n)
	}
	c, err := s.Count(bg, Criteria{Sex: []string{"MALE"}}, true)
	if err != nil || *c.Count != n/2 {
		t.Fatalf("male count %v %v", c.Count, err)
	}
	if countKeys(t, db, string(keyDirty)) != 0 || countKeys(t, db, "idx/r/") != n {
		t.Fatalf("after rebuild: dirty marker %d, %d rows", countKeys(t, db, string(keyDirty)), countKeys(t, db, "idx/r/"))
	}
}

// stageKeysLeft counts stage keys once the background cleanup of committed
// stages has had time to end (an aborted stage is removed before Abort
// returns; a committed one's data after Commit returns).
func stageKeysLeft(t *testing.T, db *store.DB) int {
	t.Helper()
	n := 0
	for range 100 {
		if n = countKeys(t, db, "stg/"); n == 0 {
			return 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	return n
}
