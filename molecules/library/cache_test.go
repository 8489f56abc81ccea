package library

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store"
)

// chain returns n distinct molecules: alkyl chains with a varying
// substituent, enough to give every fingerprint shape a real index.
func chain(n int) []string {
	subs := []string{"O", "N", "Cl", "F", "C(=O)O", "c1ccccc1", "C#N", "S"}
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		out = append(out, strings.Repeat("C", 1+i/len(subs))+subs[i%len(subs)])
	}
	return out
}

func libWithBudget(t *testing.T, budget int64, n int) *Library {
	t.Helper()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := New(Config{DB: db, IndexCacheBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := l.Add(context.Background(), "t", chain(n), nil); err != nil || res.Accepted != n {
		t.Fatalf("add: %+v, %v", res, err)
	}
	return l
}

// allShapes lists every allowed (radius, nBits).
func allShapes() [][2]int {
	var out [][2]int
	for r := 0; r <= molecules.MaxFingerprintRadius; r++ {
		for _, b := range molecules.FingerprintSizes() {
			out = append(out, [2]int{r, b})
		}
	}
	return out
}

// TestIndexCacheBudget searches every allowed shape under several budgets:
// the cache never holds more than its budget, evicts when the shapes do
// not fit, and every answer equals a brute-force scan.
func TestIndexCacheBudget(t *testing.T) {
	const n = 400
	cases := []struct {
		name          string
		budget        int64
		wantEvictions bool
	}{
		{"default budget holds all", 0, false},
		{"room for one", 400 << 10, true},
		{"room for none", 1 << 10, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			l := libWithBudget(t, tc.budget, n)
			for round := 0; round < 2; round++ {
				for _, sh := range allShapes() {
					hits, err := l.Similar(ctx, "t", "CCCCO", 0.2, 0, sh[0], sh[1])
					if err != nil {
						t.Fatal(err)
					}
					if round == 0 && (sh[0] == 1 || sh[0] == 4) {
						checkBrute(t, l, "CCCCO", 0.2, sh, hits)
					}
					if st := l.CacheStats(); st.Bytes > st.Budget {
						t.Fatalf("cache holds %d bytes, budget %d", st.Bytes, st.Budget)
					}
				}
			}
			st := l.CacheStats()
			t.Logf("%+v", st)
			if (st.Evictions > 0) != tc.wantEvictions {
				t.Errorf("evictions %d, want some: %v", st.Evictions, tc.wantEvictions)
			}
			if tc.budget == 0 && (st.Entries != len(allShapes())-1 || st.Budget != DefaultIndexCacheBytes) {
				t.Errorf("default budget: %d entries (want every non-stored shape, %d)", st.Entries, len(allShapes())-1)
			}
			if tc.budget == 1<<10 && st.Entries != 0 {
				t.Errorf("%d indexes kept in a 1 KiB budget", st.Entries)
			}
		})
	}
}

func checkBrute(t *testing.T, l *Library, q string, minSim float64, sh [2]int, hits []Hit) {
	t.Helper()
	qm, _ := molecules.Parse(q)
	qfp := molecules.Morgan(qm, sh[0], sh[1])
	want := 0
	for _, rec := range l.mols["t"] {
		m, _ := molecules.Parse(rec.Canonical)
		if molecules.Tanimoto(qfp, molecules.Morgan(m, sh[0], sh[1])) >= minSim {
			want++
		}
	}
	if len(hits) != want {
		t.Errorf("shape %v: %d hits, brute force %d", sh, len(hits), want)
	}
}

// TestIndexInvalidatedByAdd adds a molecule after a derived index was
// built: the index is dropped and the next search finds the molecule.
func TestIndexInvalidatedByAdd(t *testing.T) {
	ctx := context.Background()
	l := libWithBudget(t, 0, 50)
	if _, err := l.Similar(ctx, "t", "OCCCCCCCCCCCCCCCCCCCCO", 0.99, 0, 3, 1024); err != nil {
		t.Fatal(err)
	}
	if st := l.CacheStats(); st.Entries != 1 {
		t.Fatalf("%d cached indexes after one search", st.Entries)
	}
	if _, err := l.Add(ctx, "t", []string{"OCCCCCCCCCCCCCCCCCCCCO"}, nil); err != nil {
		t.Fatal(err)
	}
	if st := l.CacheStats(); st.Entries != 0 {
		t.Fatalf("%d cached indexes after an add", st.Entries)
	}
	hits, err := l.Similar(ctx, "t", "OCCCCCCCCCCCCCCCCCCCCO", 0.99, 0, 3, 1024)
	if err != nil || len(hits) != 1 {
		t.Fatalf("search after add: %+v, %v", hits, err)
	}
}

// TestSimilarShapeRefused asks for shapes outside the allowed set: each is
// refused before any index is built, with an error naming the allowed
// values.
func TestSimilarShapeRefused(t *testing.T) {
	l := libWithBudget(t, 0, 20)
	cases := []struct {
		radius, nBits int
		mentions      string
	}{
		{2, 2047, "512, 1024, 2048, 4096"},
		{2, 16384, "512, 1024, 2048, 4096"},
		{2, 64, "512, 1024, 2048, 4096"},
		{9, 2048, "0..6"},
	}
	for _, tc := range cases {
		_, err := l.Similar(context.Background(), "t", "CCO", 0.5, 10, tc.radius, tc.nBits)
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tc.mentions) {
			t.Errorf("radius %d nBits %d: %v", tc.radius, tc.nBits, err)
		}
	}
	if st := l.CacheStats(); st.Entries != 0 || st.Misses != 0 {
		t.Errorf("refused shapes touched the cache: %+v", st)
	}
}

// TestConcurrentBuildsShareOne runs many searches of one new shape at once:
// they share a build, so the cache missed once per waiting caller at most
// and holds one index.
func TestConcurrentBuildsShareOne(t *testing.T) {
	l := libWithBudget(t, 0, 300)
	var wg sync.WaitGroup
	res := make([]string, 16)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hits, err := l.Similar(context.Background(), "t", "CCCCCl", 0.3, 0, 4, 4096)
			res[i] = fmt.Sprint(hits, err)
		}()
	}
	wg.Wait()
	for i := range res {
		if res[i] != res[0] {
			t.Fatalf("search %d differs: %s vs %s", i, res[i], res[0])
		}
	}
	if st := l.CacheStats(); st.Entries != 1 {
		t.Fatalf("%+v", st)
	}
}

// TestIndexMemoryBounded measures the heap while searching every allowed
// shape 50 times over (the 50 aliases, each another nBits, were +1
// GB per request, never freed): the live heap after the searches exceeds
// the heap before by at most the cache budget plus a margin.
func TestIndexMemoryBounded(t *testing.T) {
	const budget = 4 << 20
	l := libWithBudget(t, budget, 1000)
	ctx := context.Background()
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	for i := 0; i < 50; i++ {
		sh := allShapes()[i%len(allShapes())]
		if _, err := l.Similar(ctx, "t", "CCCCO", 0.5, 20, sh[0], sh[1]); err != nil {
			t.Fatal(err)
		}
	}
	after := heap()
	st := l.CacheStats()
	t.Logf("heap %d → %d bytes (+%d); cache %+v", before, after, int64(after)-int64(before), st)
	if int64(after)-int64(before) > budget+2<<20 {
		t.Errorf("heap grew %d bytes over 50 shapes; the budget is %d", int64(after)-int64(before), budget)
	}
}
