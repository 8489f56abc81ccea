package cohorts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// gateCtx parks the evaluation that uses it: its n-th Err call blocks
// until release is closed (parked is closed first), so a test can hold a
// reader in the middle of an evaluation without any timing.
type gateCtx struct {
	context.Context
	calls   atomic.Int64
	at      int64
	parked  chan struct{}
	release chan struct{}
}

func newGate(at int64) *gateCtx {
	return &gateCtx{Context: context.Background(), at: at, parked: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateCtx) Err() error {
	if g.calls.Add(1) == g.at {
		close(g.parked)
		<-g.release
	}
	return g.Context.Err()
}

// expiringCtx reports an exceeded deadline from its n-th Err call on, as
// a deadline passing in the middle of an evaluation would.
type expiringCtx struct {
	context.Context
	left atomic.Int64
}

func (c *expiringCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// within fails the test when done is not closed before a generous deadline.
func within(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not finish", what)
	}
}

func importOne(s *Service, id string) error {
	pat := fmt.Sprintf("Id,BIRTHDATE,DEATHDATE,RACE,GENDER\n%s,1970-03-04,,asian,F\n", id)
	data, _ := json.Marshal(map[string]string{"patients": pat})
	_, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data))
	return err
}

// TestReaderNotBlockedByWriter: a reader parked in the middle of an
// evaluation does not hold up a writer, later readers do not queue behind
// a waiting writer, and the parked reader finishes on the snapshot it
// started with.
func TestReaderNotBlockedByWriter(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 300, 3); err != nil {
		t.Fatal(err)
	}
	q := Criteria{Any: []Criteria{{Race: []string{"asian"}}, {Any: leaves(40)}}}
	before, err := s.Count(bg, q, true)
	if err != nil {
		t.Fatal(err)
	}
	gate := newGate(10)
	r1 := make(chan struct{})
	var parkedCount CohortCount
	var parkedErr error
	go func() {
		defer close(r1)
		parkedCount, parkedErr = s.Count(gate, q, true)
	}()
	within(t, "parking the first reader", gate.parked)

	// Writers finish while that reader is parked.
	w := make(chan struct{})
	go func() {
		defer close(w)
		if err := importOne(s, "NEW-1"); err != nil {
			t.Error(err)
		}
		if _, err := s.SaveCohort(bg, "asian", Criteria{Race: []string{"asian"}}); err != nil {
			t.Error(err)
		}
	}()
	within(t, "the writer (a parked reader held it up)", w)

	// A writer waiting for the write lock does not hold up readers.
	s.imu.Lock()
	w2 := make(chan struct{})
	go func() {
		defer close(w2)
		if err := importOne(s, "NEW-2"); err != nil {
			t.Error(err)
		}
	}()
	r2 := make(chan struct{})
	var after CohortCount
	go func() {
		defer close(r2)
		var err error
		if after, err = s.Count(bg, q, true); err != nil {
			t.Error(err)
		}
		if _, err := s.CohortCount(bg, "asian", true); err != nil {
			t.Error(err)
		}
	}()
	within(t, "a reader while a writer waits", r2)
	s.imu.Unlock()
	within(t, "the waiting writer", w2)
	if *after.Count != *before.Count+1 {
		t.Errorf("second reader saw %d, want %d (the first import)", *after.Count, *before.Count+1)
	}

	close(gate.release)
	within(t, "the parked reader", r1)
	if parkedErr != nil {
		t.Fatal(parkedErr)
	}
	if *parkedCount.Count != *before.Count {
		t.Errorf("parked reader saw %d, want %d (its snapshot)", *parkedCount.Count, *before.Count)
	}
}

// TestEvaluationStopsWithContext: a context that ends before or during an
// evaluation stops it with the context's error, wrapped (graphql maps
// context.DeadlineExceeded to TIMEOUT).
func TestEvaluationStopsWithContext(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 200, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveCohort(bg, "wide", Criteria{AtLeast: &AtLeast{N: 3, Of: leaves(30)}}); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(bg)
	cancel()
	past, cancel2 := context.WithDeadline(bg, time.Now().Add(-time.Second))
	defer cancel2()
	mid := func(n int64) context.Context {
		c := &expiringCtx{Context: bg}
		c.left.Store(n)
		return c
	}
	q := Criteria{All: []Criteria{{AtLeast: &AtLeast{N: 20, Of: leaves(60)}}, {Not: &Criteria{Race: []string{"white"}}}}}
	cases := []struct {
		name string
		ctx  context.Context
		want error
		call func(ctx context.Context) error
	}{
		{"count canceled", canceled, context.Canceled, func(ctx context.Context) error { _, err := s.Count(ctx, q, true); return err }},
		{"count deadline passed", past, context.DeadlineExceeded, func(ctx context.Context) error { _, err := s.Count(ctx, q, false); return err }},
		{"count deadline mid-way", mid(25), context.DeadlineExceeded, func(ctx context.Context) error { _, err := s.Count(ctx, q, true); return err }},
		{"ids deadline mid-way", mid(40), context.DeadlineExceeded, func(ctx context.Context) error { _, err := s.PatientIDs(ctx, q, 5, ""); return err }},
		{"saved cohort mid-way", mid(8), context.DeadlineExceeded, func(ctx context.Context) error { _, err := s.CohortCount(ctx, "wide", false); return err }},
		{"save mid-way", mid(8), context.DeadlineExceeded, func(ctx context.Context) error { _, err := s.SaveCohort(ctx, "again", q); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(tc.ctx)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// The same queries answer with a live context.
	if _, err := s.Count(bg, q, true); err != nil {
		t.Fatal(err)
	}
}

// TestSavedCohortReuse: saved cohorts referring to each other (3 levels)
// are evaluated once per version, index generation and date; the bitmap
// evaluated at save time serves the first count; an import invalidates.
func TestSavedCohortReuse(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 400, 4); err != nil {
		t.Fatal(err)
	}
	const width = 12
	pool := leafPool()
	var top []Criteria
	expanded := map[string]Criteria{}
	for lvl := 0; lvl < 3; lvl++ {
		for i := 0; i < width; i++ {
			var c Criteria
			if lvl == 0 {
				c = pool[(i*7)%len(pool)]
			} else {
				var kids []Criteria
				var ex []Criteria
				for j := 0; j < 4; j++ {
					ref := fmt.Sprintf("L%d-%d", lvl-1, (i+j*5)%width)
					kids = append(kids, Criteria{Cohort: ptr(ref)})
					ex = append(ex, expanded[ref])
				}
				c = Criteria{AtLeast: &AtLeast{N: 2, Of: kids}}
				expanded[fmt.Sprintf("L%d-%d", lvl, i)] = Criteria{AtLeast: &AtLeast{N: 2, Of: ex}}
			}
			name := fmt.Sprintf("L%d-%d", lvl, i)
			if lvl == 0 {
				expanded[name] = c
			}
			if _, err := s.SaveCohort(bg, name, c); err != nil {
				t.Fatal(err)
			}
			if lvl == 2 {
				top = append(top, Criteria{Cohort: ptr(name)})
			}
		}
	}
	st0 := s.CohortCacheStats()
	got, err := s.Count(bg, Criteria{Any: top}, true)
	if err != nil {
		t.Fatal(err)
	}
	st1 := s.CohortCacheStats()
	if st1.Misses != st0.Misses || st1.Hits-st0.Hits != width {
		t.Errorf("count after saves: %d misses, %d hits; want 0 and %d (saved bitmaps reused)", st1.Misses-st0.Misses, st1.Hits-st0.Hits, width)
	}
	var ex []Criteria
	for i := 0; i < width; i++ {
		ex = append(ex, expanded[fmt.Sprintf("L2-%d", i)])
	}
	want, err := s.Count(bg, Criteria{Any: ex}, true)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Count != *want.Count {
		t.Fatalf("through saved cohorts %d, expanded %d", *got.Count, *want.Count)
	}
	// After an import the generation moved: every cohort is evaluated once
	// (3 levels × width misses), not once per reference.
	if err := importOne(s, "NEW-1"); err != nil {
		t.Fatal(err)
	}
	st2 := s.CohortCacheStats()
	if _, err := s.Count(bg, Criteria{Any: top}, true); err != nil {
		t.Fatal(err)
	}
	st3 := s.CohortCacheStats()
	if m := st3.Misses - st2.Misses; m != 3*width {
		t.Errorf("after an import: %d misses, want %d (each cohort once)", m, 3*width)
	}
	compareWithLoop(t, s, []Criteria{{Any: top}, {Cohort: ptr("L1-3")}, {Not: &Criteria{Cohort: ptr("L2-0")}}})
}

// TestCohortCacheBounded: the cache never holds more than its byte budget
// and evicts the least recently used bitmaps.
func TestCohortCacheBounded(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	defer db.Close()
	s, err := New(Config{DB: db, Now: fixedNow("2026-01-15"), CohortCacheBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Seed(bg, 3000, 4); err != nil {
		t.Fatal(err)
	}
	for i, c := range leafPool()[:30] {
		if _, err := s.SaveCohort(bg, fmt.Sprintf("c%d", i), c); err != nil {
			t.Fatal(err)
		}
		if st := s.CohortCacheStats(); st.Bytes > st.MaxBytes {
			t.Fatalf("cache holds %d bytes, budget %d", st.Bytes, st.MaxBytes)
		}
	}
	st := s.CohortCacheStats()
	if st.Evictions == 0 || st.Entries == 0 {
		t.Errorf("expected evictions under a 4 KiB budget: %+v", st)
	}
}
