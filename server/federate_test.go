package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// testSite is a real rxlab server on loopback over its own Badger store,
// seeded with demo patients.
type testSite struct {
	name  string
	url   string
	srv   *http.Server
	admin string
	toks  *auth.Tokens
}

// startSite serves a seeded rxlab on 127.0.0.1:0 (patients only).
func startSite(t testing.TB, name string, patients int) *testSite {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	runner, err := jobs.New(jobs.Config{DB: db, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Shutdown(context.Background()) })
	c := &config{data: dir, smallCell: 11, demoPatients: patients, timeout: 30 * time.Second}
	w, err := wire(ctx, c, db, runner, log)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range w.seeders {
		if s.name == "patients" {
			if err := s.seed(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	toks, err := auth.NewTokens(db)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := toks.Create(ctx, auth.Admin, "test admin")
	if err != nil {
		t.Fatal(err)
	}
	api, err := graphql.New(graphql.Config{DB: db, Jobs: runner, Tokens: toks, Logger: log, Domains: w.domains, RequestTimeout: c.timeout})
	if err != nil {
		t.Fatal(err)
	}
	s := &testSite{name: name, admin: admin, toks: toks, srv: newHTTPServer(api, c.timeout, log)}
	s.url = "http://" + serveOn(t, s.srv)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// serveOn serves srv on a fresh loopback port and returns its address.
func serveOn(t testing.TB, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	return ln.Addr().String()
}

// token issues a token of role at the site.
func (s *testSite) token(t testing.TB, role auth.Role) string {
	t.Helper()
	tok, _, err := s.toks.Create(context.Background(), role, "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// writeSites writes a sites file: the first site's token goes into a token
// file, the others inline.
func writeSites(t testing.TB, dir, timeout string, sites []*testSite, tokens []string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "timeout: %s\nconcurrency: 2\nsites:\n", timeout)
	for i, s := range sites {
		if i == 0 {
			tf := filepath.Join(dir, s.name+".token")
			if err := os.WriteFile(tf, []byte(tokens[i]+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  - name: %s\n    url: %s\n    tokenFile: %s.token\n", s.name, s.url, s.name)
			continue
		}
		fmt.Fprintf(&b, "  - name: %s\n    url: %s\n    token: %s\n", s.name, s.url, tokens[i])
	}
	path := filepath.Join(dir, "sites-"+fmt.Sprint(time.Now().UnixNano())+".yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startCoordinator builds a coordinator in-process over sites and serves it.
func startCoordinator(t testing.TB, sitesFile string) (addr, admin string) {
	t.Helper()
	dir := t.TempDir()
	co, err := newCoordinator(context.Background(), &fedConfig{config: config{data: dir, timeout: 30 * time.Second}, sites: sitesFile}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { co.Close() })
	srv := newHTTPServer(co.api, 30*time.Second, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { srv.Close() })
	admin, _, err = co.tokens.Create(context.Background(), auth.Admin, "test")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, srv), admin
}

const federatedQ = `query($c: JSON!) { federatedCount(criteria: $c) { total released complete noiseSigma
  sites { site status count display exact noiseSigma code error millis } } }`

const siteCountQ = `query($c: CriteriaInput!) { cohortCount(criteria: $c) { count suppressed } }`

// siteCount asks one site directly; -1 when it suppressed the count.
func siteCount(t *testing.T, s *testSite, token string, crit map[string]any) int {
	t.Helper()
	c := must(t, strings.TrimPrefix(s.url, "http://"), token, siteCountQ, map[string]any{"c": crit})["cohortCount"].(map[string]any)
	if c["suppressed"] == true {
		return -1
	}
	return int(c["count"].(float64))
}

// bySite indexes a federated answer's sites by name.
func bySite(fc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, s := range fc["sites"].([]any) {
		m := s.(map[string]any)
		out[m["site"].(string)] = m
	}
	return out
}

// TestFederatedCount runs three real sites behind a coordinator: the
// federated total equals the sum of what each site releases to the same
// token when asked directly (exact for a clinician token, noisy for a
// designer's, suppressed cells left out); a stopped site and a site that
// never answers are named with their status; bad criteria and roles
// without cohorts:count are refused at the coordinator; the federate
// command serves the same answer as a real subprocess.
func TestFederatedCount(t *testing.T) {
	sites := []*testSite{startSite(t, "north", 400), startSite(t, "south", 600), startSite(t, "east", 800)}
	exactToks, noisyToks := make([]string, 3), make([]string, 3)
	for i, s := range sites {
		exactToks[i], noisyToks[i] = s.token(t, auth.Clinician), s.token(t, auth.Designer)
	}
	dir := t.TempDir()
	exactAddr, exactAdmin := startCoordinator(t, writeSites(t, dir, "5s", sites, exactToks))
	noisyAddr, noisyAdmin := startCoordinator(t, writeSites(t, dir, "5s", sites, noisyToks))

	cases := []struct {
		name  string
		addr  string
		admin string
		toks  []string
		crit  map[string]any
	}{
		{"exact, adults", exactAddr, exactAdmin, exactToks, map[string]any{"age": map[string]any{"min": 18}}},
		{"exact, women", exactAddr, exactAdmin, exactToks, map[string]any{"sex": []any{"FEMALE"}}},
		{"exact, nobody", exactAddr, exactAdmin, exactToks, map[string]any{"age": map[string]any{"min": 130}}},
		{"noisy, adults", noisyAddr, noisyAdmin, noisyToks, map[string]any{"age": map[string]any{"min": 18}}},
		{"noisy, men over 60", noisyAddr, noisyAdmin, noisyToks, map[string]any{"all": []any{map[string]any{"sex": []any{"MALE"}}, map[string]any{"age": map[string]any{"min": 60}}}}},
		{"noisy, nobody (suppressed everywhere)", noisyAddr, noisyAdmin, noisyToks, map[string]any{"age": map[string]any{"min": 130}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc := must(t, tc.addr, tc.admin, federatedQ, map[string]any{"c": tc.crit})["federatedCount"].(map[string]any)
			got := bySite(fc)
			sum, released := 0, 0
			for i, s := range sites {
				direct := siteCount(t, s, tc.toks[i], tc.crit) // a repeat: the same released answer
				a := got[s.name]
				switch {
				case direct < 0 && a["status"] != "SUPPRESSED":
					t.Errorf("%s: direct answer suppressed, federated %v", s.name, a)
				case direct >= 0 && (a["status"] != "RELEASED" || int(a["count"].(float64)) != direct):
					t.Errorf("%s: direct %d, federated %v", s.name, direct, a)
				case direct >= 0 && a["exact"] != strings.HasPrefix(tc.name, "exact"):
					t.Errorf("%s: exact %v for a %s token", s.name, a["exact"], tc.name)
				case direct >= 0:
					sum += direct
					released++
				}
			}
			if int(fc["total"].(float64)) != sum || int(fc["released"].(float64)) != released {
				t.Errorf("total %v released %v, want %d over %d sites", fc["total"], fc["released"], sum, released)
			}
			if (fc["complete"] == true) != (released == 3) {
				t.Errorf("complete %v with %d of 3 released", fc["complete"], released)
			}
		})
	}

	t.Run("refused at the coordinator", func(t *testing.T) {
		_, code, _ := gql(t, exactAddr, exactAdmin, federatedQ, map[string]any{"c": map[string]any{"age": "old"}})
		if code != graphql.CodeBadInput {
			t.Errorf("bad criteria: code %q", code)
		}
		_, code, _ = gql(t, exactAddr, exactAdmin, `query { federatedCount(criteria: {sex: ["MALE"]}, asOf: "yesterday") { total } }`, nil)
		if code != graphql.CodeBadInput {
			t.Errorf("bad asOf: code %q", code)
		}
		dir := t.TempDir()
		co, err := newCoordinator(context.Background(), &fedConfig{config: config{data: dir, timeout: time.Minute}, sites: writeSites(t, dir, "5s", sites, exactToks)}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		chem, _, _ := co.tokens.Create(context.Background(), auth.Chemist, "c")
		srv := newHTTPServer(co.api, time.Minute, slog.New(slog.DiscardHandler))
		addr := serveOn(t, srv)
		_, code, _ = gql(t, addr, chem, federatedQ, map[string]any{"c": map[string]any{"sex": []any{"MALE"}}})
		srv.Close()
		co.Close()
		if code != graphql.CodeForbidden {
			t.Errorf("chemist: code %q", code)
		}
	})

	t.Run("the federate command", func(t *testing.T) {
		cdir := t.TempDir()
		ch := startChild(t, "federate", "-sites", writeSites(t, dir, "5s", sites, exactToks), "-data", cdir, "-addr", "127.0.0.1:0")
		crit := map[string]any{"age": map[string]any{"min": 18}}
		fc := must(t, ch.addr, readToken(t, cdir), federatedQ, map[string]any{"c": crit})["federatedCount"].(map[string]any)
		want := 0
		for i, s := range sites {
			want += siteCount(t, s, exactToks[i], crit)
		}
		if int(fc["total"].(float64)) != want || fc["complete"] != true {
			t.Errorf("subprocess coordinator: %v, want total %d", fc, want)
		}
	})

	t.Run("a site that never answers is named", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		mute := &testSite{name: "mute", url: "http://" + ln.Addr().String()}
		addr, admin := startCoordinator(t, writeSites(t, dir, "300ms", append([]*testSite{mute}, sites...), append([]string{"x"}, exactToks...)))
		start := time.Now()
		fc := must(t, addr, admin, federatedQ, map[string]any{"c": map[string]any{"sex": []any{"MALE"}}})["federatedCount"].(map[string]any)
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("took %s with a 300ms per-site timeout", el)
		}
		m := bySite(fc)["mute"]
		if m["status"] != "TIMEOUT" || m["count"] != nil || fc["complete"] != false || int(fc["released"].(float64)) != 3 {
			t.Errorf("mute site: %v; answer %v", m, fc)
		}
	})

	t.Run("a stopped site is named", func(t *testing.T) {
		crit := map[string]any{"sex": []any{"FEMALE"}}
		before := siteCount(t, sites[0], exactToks[0], crit) + siteCount(t, sites[2], exactToks[2], crit)
		sites[1].srv.Close()
		fc := must(t, exactAddr, exactAdmin, federatedQ, map[string]any{"c": crit})["federatedCount"].(map[string]any)
		m := bySite(fc)
		if s := m["south"]; s["status"] != "UNREACHABLE" || s["count"] != nil || s["error"] == nil {
			t.Errorf("stopped site: %v", s)
		}
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != "east,north,south" {
			t.Errorf("sites in the answer: %v", names)
		}
		if int(fc["total"].(float64)) != before || fc["complete"] != false {
			t.Errorf("total %v complete %v, want %d and false", fc["total"], fc["complete"], before)
		}
	})
}

// fedPost posts a GraphQL document; GraphQL errors are an error.
func fedPost(addr, token, query string, vars map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if e, ok := out["errors"]; ok {
		return out, fmt.Errorf("errors: %v", e)
	}
	return out, nil
}

// BenchmarkFederatedCount measures a federated count over three loopback
// sites (400/600/800 patients, clinician tokens) through the coordinator's
// HTTP API; p50 and p99 are reported. Goal: p50 ≤ 50 ms.
//
// RXLAB_BENCH_SITE_PATIENTS=N seeds each site with N, 1.5 N and 2 N patients.
func BenchmarkFederatedCount(b *testing.B) {
	n := 400
	if v := os.Getenv("RXLAB_BENCH_SITE_PATIENTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 || n > 1_000_000 {
			b.Fatalf("RXLAB_BENCH_SITE_PATIENTS=%q", v)
		}
	}
	sites := []*testSite{startSite(b, "north", n), startSite(b, "south", n*3/2), startSite(b, "east", 2*n)}
	toks := make([]string, 3)
	for i, s := range sites {
		toks[i] = s.token(b, auth.Clinician)
	}
	addr, admin := startCoordinator(b, writeSites(b, b.TempDir(), "5s", sites, toks))
	crit := map[string]any{"all": []any{map[string]any{"sex": []any{"FEMALE"}}, map[string]any{"age": map[string]any{"min": 40}}}}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		out, err := fedPost(addr, admin, federatedQ, map[string]any{"c": crit})
		lat = append(lat, time.Since(start))
		if err != nil || out["data"].(map[string]any)["federatedCount"].(map[string]any)["complete"] != true {
			b.Fatalf("federated count: %v %v", err, out)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
