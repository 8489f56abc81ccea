package graphql

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/library"
	"github.com/rxlab/rxlab/molecules/response"
)

// libraryServer serves the molecules domain over a library of n molecules
// whose index cache holds budget bytes.
func libraryServer(t *testing.T, budget int64, n int) *testServer {
	t.Helper()
	return newTestServerWith(t, func(ts *testServer) []Domain {
		lib, err := library.New(library.Config{DB: ts.db, IndexCacheBytes: budget})
		if err != nil {
			t.Fatal(err)
		}
		subs := []string{"O", "N", "Cl", "F", "C(=O)O", "c1ccccc1", "C#N", "S"}
		smiles := make([]string, n)
		for i := range smiles {
			smiles[i] = strings.Repeat("C", 1+i/len(subs)) + subs[i%len(subs)]
		}
		if res, err := lib.Add(context.Background(), "t", smiles, nil); err != nil || res.Accepted != n {
			t.Fatalf("add: %+v, %v", res, err)
		}
		return []Domain{&Molecules{Library: lib}}
	})
}

// metricValue reads one series from /metrics (admin token).
func (ts *testServer) metricValue(t *testing.T, series string) float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+ts.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("/metrics has no %s", series)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestSimilarMoleculesShapes sends the request — similarMolecules
// 50 times under aliases, each with another nBits — and the allowed shapes:
// sizes outside the allowed set are BAD_USER_INPUT naming the allowed
// values, allowed ones answer, and the index cache stays within its budget
// as /metrics reports it.
func TestSimilarMoleculesShapes(t *testing.T) {
	const budget = 2 << 20
	ts := libraryServer(t, budget, 500)
	chemist := ts.token(auth.Chemist)
	alias := func(sizes []int, radius func(i int) int) string {
		var q strings.Builder
		q.WriteString("{")
		for i, n := range sizes {
			fmt.Fprintf(&q, " a%d: similarMolecules(smiles: \"CCCCO\", library: \"t\", minSimilarity: 0.3, radius: %d, nBits: %d) { id }", i, radius(i), n)
		}
		q.WriteString(" }")
		return q.String()
	}
	var fifty []int
	for i := 0; i < 50; i++ {
		fifty = append(fifty, 8192+64*i)
	}
	var allowed []int
	for r := 0; r <= molecules.MaxFingerprintRadius; r++ {
		allowed = append(allowed, molecules.FingerprintSizes()...)
	}
	cases := []struct {
		name    string
		query   string
		refused bool
	}{
		{"50 sizes outside the set", alias(fifty, func(int) int { return 2 }), true},
		{"every allowed shape", alias(allowed, func(i int) int { return i / 4 }), false},
		{"fingerprint of another size", `{ molecule(smiles: "CCO") { fingerprint(nBits: 3000) { nBits } } }`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.query(chemist, tc.query, nil)
			// The fields are non-null, so the first refusal ends the
			// request: at least one error when any is refused.
			if (len(r.Errors) > 0) != tc.refused {
				t.Fatalf("%d errors, want some: %v: %+v", len(r.Errors), tc.refused, r.Errors)
			}
			for _, e := range r.Errors {
				if e.Extensions["code"] != CodeBadInput || !strings.Contains(e.Message, "512, 1024, 2048, 4096") {
					t.Fatalf("error %+v, want BAD_USER_INPUT naming the allowed sizes", e)
				}
			}
			if b := ts.metricValue(t, `rxlab_cache_bytes{cache="library_index"}`); b > budget {
				t.Errorf("index cache holds %v bytes, budget %d", b, budget)
			}
		})
	}
	if ev := ts.metricValue(t, `rxlab_cache_evictions_total{cache="library_index"}`); ev == 0 {
		t.Errorf("27 shapes in a %d-byte budget evicted nothing", budget)
	}
	if b := ts.metricValue(t, `rxlab_cache_budget_bytes{cache="library_index"}`); b != budget {
		t.Errorf("budget metric %v", b)
	}
}

// TestSimilarMoleculesMemory repeats the all-shapes request three times and
// measures the live heap: it grows by no more than the cache budget and a
// margin (it grew about 1 GB per request, for good, before the cache was
// bounded).
func TestSimilarMoleculesMemory(t *testing.T) {
	const budget = 1 << 20
	ts := libraryServer(t, budget, 500)
	chemist := ts.token(auth.Chemist)
	var q strings.Builder
	q.WriteString("{")
	for r := 0; r <= molecules.MaxFingerprintRadius; r++ {
		for _, n := range molecules.FingerprintSizes() {
			fmt.Fprintf(&q, " r%dn%d: similarMolecules(smiles: \"CCCCO\", library: \"t\", radius: %d, nBits: %d) { id }", r, n, r, n)
		}
	}
	q.WriteString(" }")
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	for i := 0; i < 3; i++ {
		if r := ts.query(chemist, q.String(), nil); len(r.Errors) != 0 {
			t.Fatalf("request %d: %+v", i, r.Errors)
		}
	}
	after := heap()
	t.Logf("live heap %d → %d bytes (%+d) over 3 requests of 28 shapes", before, after, int64(after)-int64(before))
	if int64(after)-int64(before) > budget+4<<20 {
		t.Errorf("heap grew %d bytes; the cache budget is %d", int64(after)-int64(before), budget)
	}
}

// TestResponseModelCacheMetrics reads the loaded-model cache's series from
// /metrics: its budget is the service's ModelCacheBytes.
func TestResponseModelCacheMetrics(t *testing.T) {
	const budget = 64 << 20
	ts := newTestServerWith(t, func(ts *testServer) []Domain {
		svc, err := response.New(response.Config{DB: ts.db, Jobs: ts.jobs, ModelCacheBytes: budget})
		if err != nil {
			t.Fatal(err)
		}
		return []Domain{&Response{Service: svc}}
	})
	if b := ts.metricValue(t, `rxlab_cache_budget_bytes{cache="response_models"}`); b != budget {
		t.Errorf("budget metric %v, want %d", b, budget)
	}
	if b := ts.metricValue(t, `rxlab_cache_bytes{cache="response_models"}`); b != 0 {
		t.Errorf("an unused cache holds %v bytes", b)
	}
}
