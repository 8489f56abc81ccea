package graphql

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/graphql-go/graphql/language/ast"
)

// The second request with the same query text is served from the cache,
// and the limits that depend on its variables still hold.
func TestDocumentCache(t *testing.T) {
	ts := newTestServer(t)
	const q = `query Log($n: Int) { auditLog(first: $n) { seq } }`
	for i := range 3 {
		if r := ts.query(ts.admin, q, map[string]any{"n": 10}); len(r.Errors) > 0 {
			t.Fatalf("request %d: %v", i, r.Errors)
		}
	}
	st := ts.api.docs.stats()
	if st.Entries != 1 || st.Misses != 1 || st.Hits != 2 {
		t.Fatalf("cache after three identical queries: %+v; want 1 entry, 1 miss, 2 hits", st)
	}
	if r := ts.query(ts.admin, q, map[string]any{"n": 5000}); r.code() != CodeBadInput {
		t.Fatalf("a cached document with first = 5000: %v %v; want BAD_USER_INPUT", r.Data, r.Errors)
	}
	if r := ts.query(ts.admin, `{ auditLog { nosuchfield } }`, nil); r.code() != CodeBadInput {
		t.Fatalf("invalid document: %v", r.Errors)
	}
	if st := ts.api.docs.stats(); st.Entries != 1 {
		t.Fatalf("an invalid document was cached: %+v", st)
	}
}

// The cache stays within its byte budget, least recently used first out.
func TestDocumentCacheBudget(t *testing.T) {
	c := newDocCache(10 * (100*docCostPerByte + 512))
	key := func(i int) [sha256.Size]byte { return sha256.Sum256(fmt.Appendf(nil, "q%d", i)) }
	for i := range 20 {
		c.put(key(i), &ast.Document{}, 100)
		if i == 5 {
			c.get(key(0)) // keep 0 recent
		}
	}
	st := c.stats()
	if st.Entries != 10 || st.Bytes > st.Budget || st.Evictions != 10 {
		t.Fatalf("stats %+v; want 10 entries within the budget after 10 evictions", st)
	}
	if _, ok := c.get(key(19)); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if _, ok := c.get(key(1)); ok {
		t.Fatal("an old, unused entry survived")
	}
	c.put(key(99), &ast.Document{}, 1<<30)
	if _, ok := c.get(key(99)); ok {
		t.Fatal("an entry larger than the whole budget was kept")
	}
}

// Concurrent executions share one cached document (run with -race).
func TestDocumentCacheConcurrent(t *testing.T) {
	ts := newTestServer(t)
	const q = `query Log($n: Int) { auditLog(first: $n) { seq operation } health { ok } }`
	errs := make(chan error, 16)
	for g := range 16 {
		go func() {
			for i := range 10 {
				if r := ts.query(ts.admin, q, map[string]any{"n": 1 + (g+i)%5}); len(r.Errors) > 0 {
					errs <- fmt.Errorf("%v", r.Errors)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if st := ts.api.docs.stats(); st.Entries != 1 || st.Hits < 100 {
		t.Fatalf("stats %+v; want one entry served 100+ times (each goroutine may miss once)", st)
	}
}
