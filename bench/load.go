package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// loadConfig holds the -load flags: the API load harness of issue #20.
type loadConfig struct {
	on       bool
	addr     string
	token    string
	pid      int
	clients  string
	duration time.Duration
	warmup   time.Duration
	patients int
	bin      string
	keep     bool
	timeout  time.Duration
}

// registerLoadFlags adds the -load flags to fs.
func registerLoadFlags(fs *flag.FlagSet) *loadConfig {
	c := &loadConfig{}
	fs.BoolVar(&c.on, "load", false, "run the API load harness (mixed workload over HTTP) instead of the training-core bench")
	fs.StringVar(&c.addr, "addr", "", "with -load: target a running server at host:port instead of starting one")
	fs.StringVar(&c.token, "token", "", "with -load -addr: an admin token (or a file holding one)")
	fs.IntVar(&c.pid, "pid", 0, "with -load -addr: the server's process id, to sample its RSS")
	fs.StringVar(&c.clients, "clients", "8,32,128", "with -load: concurrent clients per level, comma-separated")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "with -load: measured time per level (5m for the issue's RSS check)")
	fs.DurationVar(&c.warmup, "warmup", 3*time.Second, "with -load: unmeasured warm-up before each level")
	fs.IntVar(&c.patients, "patients", 10000, "with -load: demo patients of the started server (patient ids are drawn from this range)")
	fs.StringVar(&c.bin, "server-bin", "", "with -load: a built rxlab server binary (default: go build ./server)")
	fs.BoolVar(&c.keep, "keep", false, "with -load: keep the started server's data directory")
	fs.DurationVar(&c.timeout, "client-timeout", 30*time.Second, "with -load: per-request client deadline (a request past it counts as an error)")
	return c
}

// op is one kind of request in the mix, sent with its role's token.
type op struct {
	name  string
	role  string
	query func(r *rand.Rand) string
}

var smilesMix = []string{
	"CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
	"c1ccccc1O", "COCCOc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCOC", "CC(=O)Nc1ccc(O)cc1",
	"O=C(O)c1ccccc1O", "CCN(CC)CCNC(=O)c1ccc(N)cc1", "Clc1ccc(cc1)C(c1ccccc1)N1CCNCC1", "CCO",
}

// mix returns the workload: a designer's count, a chemist's
// molecule, a pharmacologist's 30-day simulation and a clinician's read of
// one patient (every patient read is audited).
func mix(patients int) []op {
	return []op{
		{"cohortCount", "designer", func(*rand.Rand) string {
			return `{ cohortCount(criteria: {all: [{age: {min: 18}}, {condition: {system: "ICD10CM", code: "C34"}},
  {variant: {gene: "EGFR", proteinChange: "L858R", origin: SOMATIC}}, {not: {pgx: {gene: "CYP2C19", phenotype: "Poor Metabolizer"}}}]})
  { count display attrition { rule remaining display } breakdown { dimension value display } } }`
		}},
		{"molecule", "chemist", func(r *rand.Rand) string {
			return fmt.Sprintf(`{ molecule(smiles: %q) { canonicalSmiles formula descriptors { logP tpsa hbd hba } fingerprint { onBits } } }`, smilesMix[r.IntN(len(smilesMix))])
		}},
		{"simulate30d", "pharmacologist", func(r *rand.Rand) string {
			return fmt.Sprintf(`{ simulate(input: {model: "warfarin-hamberg", days: 30, patient: {age: %d, weightKg: 70, heightCm: 170,
  genotypes: {CYP2C9: "*1/*3", VKORC1: "G/A"}}, regimen: {method: "iwpc-pgx"}}) { timeInRange points { hour observable } } }`, 40+r.IntN(45))
		}},
		{"patient", "clinician", func(r *rand.Rand) string {
			return fmt.Sprintf(`{ patient(id: "DEMO-%07d") { id age sex conditions { system code } variants { gene proteinChange } } }`, r.IntN(max(patients, 1)))
		}},
	}
}

// sample is one request's outcome.
type sample struct {
	op  int
	dur time.Duration
	err bool
}

// gqlClient posts GraphQL requests to one server.
type gqlClient struct {
	url  string
	http *http.Client
}

func newGQLClient(addr string, conns int, timeout time.Duration) *gqlClient {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
	return &gqlClient{url: "http://" + addr + "/graphql", http: &http.Client{Transport: tr, Timeout: timeout}}
}

// do sends one query and returns the decoded "data" member; any transport
// error, non-200 status or GraphQL error is an error.
func (c *gqlClient) do(ctx context.Context, token, query string) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data   map[string]any    `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
	}
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return nil, fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	return out.Data, nil
}

// levelResult is one client count's measurements.
type levelResult struct {
	Clients    int        `json:"clients"`
	Seconds    float64    `json:"seconds"`
	Requests   int        `json:"requests"`
	PerSecond  float64    `json:"req_per_s"`
	P50ms      float64    `json:"p50_ms"`
	P99ms      float64    `json:"p99_ms"`
	MaxMs      float64    `json:"max_ms"`
	Errors     int        `json:"errors"`
	Ops        []opResult `json:"ops"`
	RSS        rssSummary `json:"rss"`
	FirstError string     `json:"first_error,omitempty"`
}

// opResult is one operation's share of a level.
type opResult struct {
	Op        string  `json:"op"`
	Requests  int     `json:"requests"`
	PerSecond float64 `json:"req_per_s"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	Errors    int     `json:"errors"`
}

// runLevel runs n clients for warm-up plus d and summarizes what was measured.
func runLevel(ctx context.Context, c *gqlClient, ops []op, tokens map[string]string, n int, warm, d time.Duration, pid int) (levelResult, error) {
	if err := warmup(ctx, c, ops, tokens, n, warm); err != nil {
		return levelResult{}, err
	}
	rss := startRSS(pid, 250*time.Millisecond)
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	per := make([][]sample, n)
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for k := i; lctx.Err() == nil; k++ {
				o := k % len(ops)
				t0 := time.Now()
				_, err := c.do(lctx, tokens[ops[o].role], ops[o].query(r))
				if lctx.Err() != nil {
					return // cut off by the end of the level, not the server's fault
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("%s: %w", ops[o].name, err) })
				}
				per[i] = append(per[i], sample{o, time.Since(t0), err != nil})
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := summarize(ops, per, n, elapsed)
	res.RSS = rss.stop()
	if firstErr != nil {
		res.FirstError = firstErr.Error()
	}
	return res, ctx.Err()
}

// warmup runs the same mix unmeasured, so connections and caches are warm.
func warmup(ctx context.Context, c *gqlClient, ops []op, tokens map[string]string, n int, d time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for k := i; wctx.Err() == nil; k++ {
				o := ops[k%len(ops)]
				c.do(wctx, tokens[o.role], o.query(r))
			}
		}(i)
	}
	wg.Wait()
	return ctx.Err()
}

func summarize(ops []op, per [][]sample, n int, elapsed time.Duration) levelResult {
	all := []time.Duration{}
	byOp := make([][]time.Duration, len(ops))
	errs := make([]int, len(ops))
	res := levelResult{Clients: n, Seconds: elapsed.Seconds()}
	for _, ss := range per {
		for _, s := range ss {
			all = append(all, s.dur)
			byOp[s.op] = append(byOp[s.op], s.dur)
			if s.err {
				errs[s.op]++
				res.Errors++
			}
		}
	}
	res.Requests = len(all)
	res.PerSecond = float64(len(all)) / elapsed.Seconds()
	res.P50ms, res.P99ms, res.MaxMs = quantileMs(all, 0.5), quantileMs(all, 0.99), quantileMs(all, 1)
	for i, o := range ops {
		d := byOp[i]
		res.Ops = append(res.Ops, opResult{Op: o.name, Requests: len(d), PerSecond: float64(len(d)) / elapsed.Seconds(),
			P50ms: quantileMs(d, 0.5), P99ms: quantileMs(d, 0.99), MaxMs: quantileMs(d, 1), Errors: errs[i]})
	}
	return res
}

// quantileMs is the q-quantile (nearest rank) of ds in milliseconds.
func quantileMs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(q*float64(len(s))+0.999999) - 1
	k = min(max(k, 0), len(s)-1)
	return float64(s[k]) / float64(time.Millisecond)
}

func parseClients(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 4096 {
			return nil, fmt.Errorf("-clients: %q is not a client count in 1..4096", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// runLoad is `go run ./bench -load`: start (or target) a server, create a
// token per role, run each client level and print the table.
func runLoad(ctx context.Context, w io.Writer, cfg *loadConfig, jsonPath string) error {
	levels, err := parseClients(cfg.clients)
	if err != nil {
		return err
	}
	if cfg.duration <= 0 {
		return errors.New("-duration must be positive")
	}
	srv, err := targetServer(ctx, w, cfg)
	if err != nil {
		return err
	}
	defer srv.close()
	c := newGQLClient(srv.addr, levels[len(levels)-1], cfg.timeout)
	if err := waitJobsIdle(ctx, w, c, srv.admin, 10*time.Minute); err != nil {
		return err
	}
	ops := mix(cfg.patients)
	tokens, err := roleTokens(ctx, c, srv.admin, ops)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "rxlab API load: server %s (pid %d), %v per level after %v warm-up, GOMAXPROCS of this client %d, load average %s\n",
		srv.addr, srv.pid, cfg.duration, cfg.warmup, gomaxprocs(), loadAvg())
	var results []levelResult
	for _, n := range levels {
		res, err := runLevel(ctx, c, ops, tokens, n, cfg.warmup, cfg.duration, srv.pid)
		if err != nil {
			return err
		}
		results = append(results, res)
		printLevel(w, res)
	}
	fmt.Fprintf(w, "load average at end: %s\n", loadAvg())
	if jsonPath != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(jsonPath, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printLevel(w io.Writer, r levelResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "clients\top\treq/s\tp50 ms\tp99 ms\tmax ms\terrors\t\n")
	fmt.Fprintf(tw, "%d\tmix\t%.0f\t%.1f\t%.1f\t%.0f\t%d\t\n", r.Clients, r.PerSecond, r.P50ms, r.P99ms, r.MaxMs, r.Errors)
	for _, o := range r.Ops {
		fmt.Fprintf(tw, "\t%s\t%.0f\t%.1f\t%.1f\t%.0f\t%d\t\n", o.Op, o.PerSecond, o.P50ms, o.P99ms, o.MaxMs, o.Errors)
	}
	tw.Flush()
	fmt.Fprintf(w, "  server RSS: %s\n", r.RSS)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
	fmt.Fprintln(w)
}
