package cohorts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/pgtest"
)

// sqlNode opens a store on url and a Service on it: one API node of a
// cluster sharing a PostgreSQL database.
func sqlNode(t *testing.T, url string) *Service {
	t.Helper()
	db, err := store.Open(store.Config{URL: url, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(Config{DB: db, Now: fixedNow("2025-06-01")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bundleOf(id, gender, birth, icd string) string {
	return fmt.Sprintf(`{"resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:%[1]s","resource":{"resourceType":"Patient","id":"%[1]s","gender":"%[2]s","birthDate":"%[3]s"}},`+
		`{"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:%[1]s"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"%[4]s"}]},"onsetDateTime":"2024-01-01"}}]}`, id, gender, birth, icd)
}

var followCriteria = []Criteria{
	{Sex: []string{"FEMALE"}},
	{Condition: &Code{System: SysICD10, Code: "E11"}},
	{All: []Criteria{{Sex: []string{"MALE"}}, {Age: &Range{Min: ptr(40.0)}}}},
}

// sameCounts fails unless every node answers every criteria alike.
func sameCounts(t *testing.T, nodes ...*Service) {
	t.Helper()
	for _, c := range followCriteria {
		var want int
		for i, s := range nodes {
			cc, err := s.Count(bg, c, true)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want = *cc.Count
			} else if *cc.Count != want {
				t.Errorf("%s: node %d counts %d, node 0 %d", c.Label(), i, *cc.Count, want)
			}
		}
	}
}

// waitFor polls cond for up to limit and returns how long it took.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestFollowSharedStore runs two nodes on one PostgreSQL database: an
// import on A is counted on B within a second (B follows the change feed),
// a node started late loads everything, a write racing another node's is
// refused with CONFLICT instead of overwriting the index, and a pruned
// feed makes a node reload.
func TestFollowSharedStore(t *testing.T) {
	srv := pgtest.Start(t, pgtest.Options{Fast: true})
	url := srv.NewDB(t)
	a, b := sqlNode(t, url), sqlNode(t, url)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- b.Follow(ctx, nil) }()
	t.Cleanup(func() { cancel(); <-done })

	if err := a.Seed(bg, 400, 7); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B counts A's 400 seeded patients", func() bool { return b.PatientCount() == 400 })
	sameCounts(t, a, b)

	res, err := a.ImportFHIR(bg, []byte(bundleOf("late-1", "female", "1950-03-04", "E11.9")))
	if err != nil || !res.Committed {
		t.Fatalf("ImportFHIR = %+v, %v", res, err)
	}
	took := waitFor(t, time.Second, "B counts the patient imported on A", func() bool { return b.PatientCount() == 401 })
	t.Logf("one patient imported on A counted on B after %v", took)
	sameCounts(t, a, b)

	// An update of an existing patient moves them between bitmaps and columns.
	if _, err := a.ImportFHIR(bg, []byte(bundleOf("late-1", "male", "1950-03-04", "I10"))); err != nil {
		t.Fatal(err)
	}
	if err := b.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, a, b)

	c := sqlNode(t, url) // a node that starts late
	if c.PatientCount() != 401 {
		t.Fatalf("late node counts %d patients, want 401", c.PatientCount())
	}
	sameCounts(t, a, b, c)

	// C begins a write, A commits one meanwhile: C's commit is refused.
	c.imu.Lock()
	w, err := c.beginWrite(bg, "racing import")
	if err != nil {
		c.imu.Unlock()
		t.Fatal(err)
	}
	if _, err := a.ImportFHIR(bg, []byte(bundleOf("race-a", "female", "1980-01-01", "E11.2"))); err != nil {
		c.imu.Unlock()
		t.Fatal(err)
	}
	muts := []mutation{{id: "race-c", loc: "race-c", records: 1, fn: func(p *Patient) error { p.Sex = "FEMALE"; return nil }}}
	r := ImportResult{}
	if err := w.apply(bg, muts, &r); err != nil {
		c.imu.Unlock()
		t.Fatal(err)
	}
	err = w.commit(bg, &r)
	c.imu.Unlock()
	if !errors.Is(err, store.ErrConflict) || r.Committed {
		t.Fatalf("racing commit = %v (committed %v), want ErrConflict", err, r.Committed)
	}
	// Run again, it lands; every node agrees.
	if _, err := c.ImportFHIR(bg, []byte(bundleOf("race-c", "female", "1981-01-01", "E11.2"))); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Service{a, b} {
		if err := s.CatchUp(bg); err != nil {
			t.Fatal(err)
		}
	}
	if a.PatientCount() != 403 {
		t.Fatalf("A counts %d, want 403", a.PatientCount())
	}
	sameCounts(t, a, b, c)

	// A feed pruned past a node's position: the node reloads.
	if _, err := a.ImportFHIR(bg, []byte(bundleOf("gap-1", "male", "1990-01-01", "E11.2"))); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PsqlDB(dbNameOf(url), "DELETE FROM rx_changes"); err != nil {
		t.Fatal(err)
	}
	if err := c.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, a, c)
	if c.PatientCount() != 404 {
		t.Fatalf("C counts %d after reloading, want 404", c.PatientCount())
	}
}

func dbNameOf(url string) string {
	end := len(url)
	for i := len(url) - 1; i >= 0; i-- {
		switch url[i] {
		case '?':
			end = i
		case '/':
			return url[i+1 : end]
		}
	}
	return url
}

// TestFollowRowsInOrder: a node following another's import holds every
// patient under their id (no placeholder rows), and a row key far beyond
// its index is refused (errRowGap, which makes the follower reload)
// instead of filling the gap with placeholders.
func TestFollowRowsInOrder(t *testing.T) {
	srv := pgtest.Start(t, pgtest.Options{Fast: true})
	url := srv.NewDB(t)
	a, b := sqlNode(t, url), sqlNode(t, url)
	if err := a.Seed(bg, 300, 3); err != nil {
		t.Fatal(err)
	}
	if err := b.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	ix := b.snapshot()
	if len(ix.ids) != 300 {
		t.Fatalf("B holds %d rows, want 300", len(ix.ids))
	}
	for p, id := range ix.ids {
		if q, ok := ix.byID[id]; !ok || q != uint32(p) || strings.HasPrefix(id, "\x00missing-") {
			t.Fatalf("row %d holds a placeholder or an id not mapped back to it", p)
		}
	}
	err := b.db.View(bg, func(tx *store.Txn) error {
		return applyRow(tx, b.begin(), string(rowKey(1<<30)), 1)
	})
	if !errors.Is(err, errRowGap) {
		t.Fatalf("applyRow far beyond the index = %v, want errRowGap", err)
	}
	if n := len(b.snapshot().ids); n != 300 {
		t.Errorf("B holds %d rows after the refused row, want 300", n)
	}
}
