package graphql

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gql "github.com/graphql-go/graphql"
	kgzip "github.com/klauspost/compress/gzip"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/genomics/ingest"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/library"
	"github.com/rxlab/rxlab/store"
)

// syncBuffer is a log sink the server writes from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hostileServer is a real API over real HTTP with custom limits, the
// cohorts domain (for the import endpoints) and a captured log.
type hostileServer struct {
	*testServer
	log      *syncBuffer
	spoolDir string
}

type hostileOpts struct {
	limits  Limits
	timeout time.Duration
	domains func(ts *testServer) []Domain
}

func newHostileServer(t *testing.T, o hostileOpts) *hostileServer {
	t.Helper()
	logs := &syncBuffer{}
	var spoolDir string
	domains := o.domains
	if domains == nil {
		domains = func(ts *testServer) []Domain {
			svc, err := cohorts.New(cohorts.Config{DB: ts.db})
			if err != nil {
				t.Fatal(err)
			}
			ex, err := ingest.New(ingest.Config{})
			if err != nil {
				t.Fatal(err)
			}
			return []Domain{&Cohorts{Service: svc, Ingest: ex}}
		}
	}
	ts := newTestServerConfig(t, domains, func(c *Config, dir string) {
		spoolDir = filepath.Join(dir, "spool")
		c.Limits, c.RequestTimeout, c.SpoolDir = o.limits, o.timeout, spoolDir
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	return &hostileServer{testServer: ts, log: logs, spoolDir: spoolDir}
}

// healthy fails the test unless /healthz still answers.
func (hs *hostileServer) healthy(t *testing.T) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(hs.srv.URL + "/healthz")
	if err != nil {
		t.Fatalf("/healthz after a hostile request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz after a hostile request: %d", resp.StatusCode)
	}
}

// answer is one HTTP answer, decoded.
type answer struct {
	status int
	header http.Header
	body   string
	code   string
	msg    string
}

func (hs *hostileServer) send(t *testing.T, method, path, token string, body io.Reader) answer {
	t.Helper()
	req, _ := http.NewRequest(method, hs.srv.URL+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return decodeAnswer(resp.StatusCode, resp.Header, b)
}

func decodeAnswer(status int, h http.Header, b []byte) answer {
	a := answer{status: status, header: h, body: string(b)}
	var out struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &out) == nil && len(out.Errors) > 0 {
		a.msg = out.Errors[0].Message
		a.code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return a
}

// raw sends a request's head (and optionally part of its body) over a
// plain TCP connection and returns the answer the server gives without
// waiting for the rest of the body.
func (hs *hostileServer) raw(t *testing.T, head string, body []byte, wait time.Duration) answer {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(hs.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	io.WriteString(conn, head)
	conn.Write(body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer within %s: %v", wait, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return decodeAnswer(resp.StatusCode, resp.Header, b)
}

func postJSON(q string, vars any) string {
	m := map[string]any{"query": q}
	if vars != nil {
		m["variables"] = vars
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// nest returns open×n + mid + close×n.
func nest(open, mid, close string, n int) string {
	return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
}

// TestHostileParsing sends documents whose nesting, size or token count
// would overflow graphql-go's recursive parser or cost memory before the
// limits ran; each must be refused by the pre-scan with BAD_USER_INPUT
// naming the limit and where, and the server must keep answering.
func TestHostileParsing(t *testing.T) {
	hs := newHostileServer(t, hostileOpts{})
	designer := hs.token(auth.Designer)
	deepVars := nest("[", "1", "]", 100_000)
	manyVars := "[" + strings.Repeat("0,", 300_000) + "0]"
	cases := []struct {
		name, method, body string
		status             int
		code, msg          string
	}{
		{"issue row 1: race [ × 700000", "POST", `{"query":"{ cohortCount(criteria: {race: ` + strings.Repeat("[", 700_000) + `"}`, 400, CodeBadInput, "MaxNesting"},
		{"{a × 1000000", "POST", postJSON(strings.Repeat("{a", 1_000_000), nil), 400, CodeBadInput, "MaxNesting"},
		{"GET of 800 kB of {a", "GET", strings.Repeat("{a", 200_000), 400, CodeBadInput, "MaxNesting"},
		{"object values", "POST", postJSON("{ cohortCount(criteria: "+nest("{not: ", "{sex: F}", "}", 5000)+") { count } }", nil), 400, CodeBadInput, "MaxNesting"},
		{"list values", "POST", postJSON("{ jobs(first: "+nest("[", "1", "]", 5000)+") { id } }", nil), 400, CodeBadInput, "MaxNesting"},
		{"parentheses", "POST", postJSON("{ health"+strings.Repeat("(", 5000)+" }", nil), 400, CodeBadInput, "MaxNesting"},
		{"selection sets", "POST", postJSON(nest("{ health ", "ok", "}", 5000), nil), 400, CodeBadInput, "MaxNesting"},
		{"fragments", "POST", postJSON("fragment F on Query "+nest("{ ... on Query ", "{ health { ok } }", "}", 5000)+" { ...F }", nil), 400, CodeBadInput, "MaxNesting"},
		{"list types in variable definitions", "POST", postJSON("query($v: "+nest("[", "Int", "]", 5000)+") { health { ok } }", nil), 400, CodeBadInput, "MaxNesting"},
		{"lists in variables", "POST", `{"query":"query($v: [Int]) { health { ok } }","variables":{"v":` + deepVars + `}}`, 400, CodeBadInput, "MaxVariableNesting"},
		{"objects in variables", "POST", `{"query":"query($c: CriteriaInput!) { cohortCount(criteria: $c) { count } }","variables":{"c":` + nest(`{"not":`, `{}`, `}`, 50_000) + `}}`, 400, CodeBadInput, "MaxVariableNesting"},
		{"300000 variable elements", "POST", `{"query":"query($v: [Int]) { health { ok } }","variables":{"v":` + manyVars + `}}`, 400, CodeBadInput, "MaxVariableElements"},
		{"150000 tokens", "POST", postJSON("{ "+strings.Repeat("health ", 150_000)+"}", nil), 400, CodeBadInput, "MaxTokens"},
		{"2 MB string", "POST", postJSON(`{ pgxCall(vcf: "`+strings.Repeat("x", 2<<20)+`") { gene } }`, nil), 400, CodeBadInput, "MaxStringBytes"},
		{"2 MB block string", "POST", postJSON(`{ pgxCall(vcf: """`+strings.Repeat("x\n", 1<<20)+`""") { gene } }`, nil), 400, CodeBadInput, "MaxStringBytes"},
		{"brackets in strings and comments do not count", "POST", postJSON("{ health { ok } } # "+strings.Repeat("{", 10_000)+"\n", nil), 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a answer
			if c.method == "GET" {
				a = hs.send(t, "GET", "/graphql?query="+url.QueryEscape(c.body), designer, nil)
			} else {
				a = hs.send(t, "POST", "/graphql", designer, strings.NewReader(c.body))
			}
			if a.status != c.status || a.code != c.code || !strings.Contains(a.msg, c.msg) {
				t.Fatalf("got %d %s %.300q, want %d %s with %q", a.status, a.code, a.msg, c.status, c.code, c.msg)
			}
			if c.code != "" && !strings.Contains(a.msg, "line ") {
				t.Errorf("message %q does not say where", a.msg)
			}
			hs.healthy(t)
		})
	}
	// A GET over net/http's 1 MB header limit never reaches the handler.
	if a := hs.send(t, "GET", "/graphql?query="+strings.Repeat("%7Ba", 300_000), designer, nil); a.status != 431 {
		t.Errorf("1.2 MB GET: %d", a.status)
	}
	hs.healthy(t)
	// The deep variables also over GET.
	a := hs.send(t, "GET", "/graphql?query="+url.QueryEscape("query($v: [Int]) { health { ok } }")+"&variables="+url.QueryEscape(`{"v":`+nest("[", "1", "]", 10_000)+`}`), designer, nil)
	if a.status != 400 || !strings.Contains(a.msg, "MaxVariableNesting") {
		t.Errorf("deep GET variables: %d %q", a.status, a.msg)
	}
	hs.healthy(t)
}

// introspection is GraphiQL's introspection query (the classic form).
const introspection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// TestDefaultLimitsPassRealClients: GraphiQL's introspection and criteria
// nested as deep as the limit walker allows pass the pre-scan.
func TestDefaultLimitsPassRealClients(t *testing.T) {
	hs := newHostileServer(t, hostileOpts{})
	a := hs.send(t, "POST", "/graphql", hs.admin, strings.NewReader(postJSON(introspection, nil)))
	if a.status != 200 || a.code != "" {
		t.Fatalf("introspection: %d %s %s", a.status, a.code, a.msg)
	}
	if err := prescanQuery("{ cohortCount(criteria: "+nest("{all: [", "{sex: F}", "]}", 30)+") { count } }", DefaultLimits()); err != nil {
		t.Errorf("criteria 30 levels deep: %v", err)
	}
	if err := prescanQuery(strings.Repeat("{", 128), DefaultLimits()); err != nil {
		t.Errorf("128 brackets: %v", err)
	}
	if err := prescanQuery(strings.Repeat("{", 129), DefaultLimits()); err == nil {
		t.Error("129 brackets pass")
	}
}

// TestHostileHTTP covers the body: declared sizes over the cap (413 before
// a byte is read), slow clients (408), the spool quota and stale spools.
func TestHostileHTTP(t *testing.T) {
	l := Limits{MinUploadRate: 4096, UploadRateWindow: 500 * time.Millisecond, MaxSpoolBytes: 1 << 20}
	hs := newHostileServer(t, hostileOpts{limits: l})
	admin := hs.admin
	head := func(path string, length int64) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", path, admin, length)
	}
	cases := []struct {
		name   string
		head   string
		body   []byte
		status int
		code   string
		msg    string
	}{
		{"/graphql declaring 10 GB", head("/graphql", 10<<30), nil, 413, CodeTooLarge, "MaxBodyBytes"},
		{"/import/vcf declaring 10 GB", head("/import/vcf?patient=P1&origin=GERMLINE", 10<<30), nil, 413, CodeTooLarge, "MaxUploadBytes"},
		{"/import/maf declaring 10 GB", head("/import/maf", 10<<30), nil, 413, CodeTooLarge, "MaxUploadBytes"},
		{"/import/vcf over the spool quota", head("/import/vcf?patient=P1&origin=GERMLINE", 2<<20), nil, 503, CodeSpoolQuota, "MaxSpoolBytes"},
		{"/graphql sending nothing", head("/graphql", 100), nil, 408, CodeTimeout, "MinUploadRate"},
		// Refusals that never read the body answer at once, not after waiting for it.
		{"no token, body withheld", "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", nil, 401, CodeUnauthenticated, "missing bearer"},
		{"wrong token, body withheld", "POST /import/vcf HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rx_nope\r\nContent-Length: 100000\r\n\r\n", nil, 401, CodeUnauthenticated, "not valid"},
		{"/import/vcf sending 10 bytes of 10 GB", head("/import/vcf?patient=P1&origin=GERMLINE", 512<<10), []byte("##fileform"), 408, CodeTimeout, "MinUploadRate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			a := hs.raw(t, c.head, c.body, 5*time.Second)
			if a.status != c.status || a.code != c.code || !strings.Contains(a.msg, c.msg) {
				t.Fatalf("got %d %s %q, want %d %s with %q", a.status, a.code, a.msg, c.status, c.code, c.msg)
			}
			t.Logf("answered in %s", time.Since(start).Round(time.Millisecond))
			hs.healthy(t)
		})
	}
	t.Run("trickle a byte every 100 ms", func(t *testing.T) {
		start := time.Now()
		a := hs.send(t, "POST", "/import/vcf?patient=P1&origin=GERMLINE", admin, &trickle{every: 100 * time.Millisecond, n: 1000})
		if a.status != 408 || a.code != CodeTimeout {
			t.Fatalf("got %d %s %q", a.status, a.code, a.msg)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("cut after %s", d)
		}
		hs.healthy(t)
	})
	t.Run("chunked upload over the spool quota", func(t *testing.T) {
		a := hs.send(t, "POST", "/import/vcf?patient=P1&origin=GERMLINE", admin, io.MultiReader(strings.NewReader(strings.Repeat("#", 3<<20))))
		if a.status != 503 || a.code != CodeSpoolQuota || a.header.Get("Retry-After") == "" {
			t.Fatalf("got %d %s %q", a.status, a.code, a.msg)
		}
		if n := hs.api.guard.spool.inUse(); n != 0 {
			t.Errorf("%d spool bytes still reserved", n)
		}
		ents, _ := os.ReadDir(hs.spoolDir)
		if len(ents) != 0 {
			t.Errorf("spool files left: %v", ents)
		}
		hs.healthy(t)
	})
}

// trickle is a body that sends one byte per interval.
type trickle struct {
	every time.Duration
	n     int
}

func (tr *trickle) Read(p []byte) (int, error) {
	if tr.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(tr.every)
	tr.n--
	p[0] = '#'
	return 1, nil
}

// TestStaleSpoolsRemovedAtStart: spool files a killed process left are
// removed when the API starts; other files are not touched.
func TestStaleSpoolsRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{spoolPrefix + "123", spoolPrefix + "456", "keep.txt"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600)
	}
	sp, removed, err := newSpooler(dir, 1<<20)
	if err != nil || removed != 2 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	ents, _ := os.ReadDir(sp.dir)
	if len(ents) != 1 || ents[0].Name() != "keep.txt" {
		t.Errorf("left %v", ents)
	}
}

func gzipOf(t *testing.T, write func(w io.Writer)) []byte {
	var buf bytes.Buffer
	zw, _ := kgzip.NewWriterLevel(&buf, kgzip.DefaultCompression)
	write(zw)
	zw.Close()
	return buf.Bytes()
}

// TestHostileGzip: gzip bombs are cut by the ratio and size caps while the
// first pass reads them, before anything is stored.
func TestHostileGzip(t *testing.T) {
	hs := newHostileServer(t, hostileOpts{limits: Limits{MaxDecompressedBytes: 16 << 20}})
	zeros := gzipOf(t, func(w io.Writer) {
		z := make([]byte, 1<<20)
		for i := 0; i < 128; i++ {
			w.Write(z)
		}
	})
	headers := gzipOf(t, func(w io.Writer) {
		io.WriteString(w, "##fileformat=VCFv4.2\n")
		for i := 0; i < 2_000_000; i++ {
			io.WriteString(w, "##a=b\n")
		}
	})
	records := gzipOf(t, func(w io.Writer) {
		io.WriteString(w, "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n")
		for i := 0; i < 700_000; i++ {
			fmt.Fprintf(w, "1\t%d\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n", i+1)
		}
	})
	cases := []struct {
		name string
		body []byte
		msg  []string // any of
	}{
		{"128 MiB of zeros", zeros, []string{"MaxDecompressionRatio"}},
		// The VCF parser's own cap on header lines may come first.
		{"12 MB of ##a=b header lines", headers, []string{"MaxDecompressionRatio", "MaxHeaderLines"}},
		{"20 MB of records", records, []string{"MaxDecompressedBytes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := hs.send(t, "POST", "/import/vcf?patient=P1&origin=GERMLINE", hs.admin, bytes.NewReader(c.body))
			named := false
			for _, m := range c.msg {
				named = named || strings.Contains(a.msg, m)
			}
			if a.status != 413 || a.code != CodeTooLarge || !named {
				t.Fatalf("%d compressed bytes: got %d %s %q, want 413 naming one of %q", len(c.body), a.status, a.code, a.msg, c.msg)
			}
			hs.healthy(t)
		})
	}
}

// TestImportClientGone: a client that leaves mid-import is neither an
// INTERNAL error nor logged as one; the import stops and is audited CANCELED.
func TestImportClientGone(t *testing.T) {
	hs := newHostileServer(t, hostileOpts{limits: Limits{MaxDecompressionRatio: 1 << 40}})
	body := gzipOf(t, func(w io.Writer) {
		io.WriteString(w, "##fileformat=VCFv4.2\n")
		io.WriteString(w, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n")
		for i := 0; i < 3_000_000; i++ {
			fmt.Fprintf(w, "1\t%d\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n", i+1)
		}
	})
	head := fmt.Sprintf("POST /import/vcf?patient=P1&origin=GERMLINE HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", hs.admin, len(body))
	conn, err := net.Dial("tcp", strings.TrimPrefix(hs.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, head)
	conn.Write(body)
	time.Sleep(200 * time.Millisecond)
	conn.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(hs.log.String(), `"client went away"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no 'client went away' in the log: %s", hs.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(hs.log.String(), `"level":"ERROR"`) {
		t.Errorf("an error was logged: %s", hs.log.String())
	}
	r := hs.query(hs.admin, `{ auditLog { operation outcome } }`, nil)
	if !strings.Contains(fmt.Sprint(r.Data["auditLog"]), "error: "+CodeCanceled) {
		t.Errorf("audit = %v", r.Data["auditLog"])
	}
	hs.healthy(t)
}

// slowDomain registers resolvers that outlive the request's deadline.
type slowDomain struct {
	db *store.DB
}

func (d slowDomain) Register(r *Registry) error {
	// A query that honours the context but wraps its end as invalid input.
	if err := r.Field("Query", "cohortCount", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
		<-ctx.Done()
		return nil, fmt.Errorf("criteria: %w: evaluation stopped", store.ErrInvalid)
	}}); err != nil {
		return err
	}
	// A query that ignores the context: graphql-go answers on its own.
	if err := r.Field("Query", "cohorts", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
		time.Sleep(400 * time.Millisecond)
		return nil, nil
	}}); err != nil {
		return err
	}
	// A resolver that panics with stored data in its message.
	if err := r.Field("Query", "trials", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
		panic("index out of range for patient P-SECRET-1")
	}}); err != nil {
		return err
	}
	// A mutation whose write starts before the deadline and ends after it.
	return r.Field("Mutation", "saveCohort", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
		time.Sleep(150 * time.Millisecond)
		err := d.db.Update(ctx, func(tx *store.Txn) error {
			time.Sleep(150 * time.Millisecond)
			return tx.Put([]byte("test/slow"), "written")
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{"id": "C1", "name": "slow", "version": 1}, nil
	}})
}

// TestDeadlineIsTimeout: every path past the deadline answers TIMEOUT (never
// BAD_USER_INPUT), and a mutation answered TIMEOUT committed nothing.
func TestDeadlineIsTimeout(t *testing.T) {
	hs := newHostileServer(t, hostileOpts{timeout: 200 * time.Millisecond, domains: func(ts *testServer) []Domain {
		return []Domain{slowDomain{db: ts.db}}
	}})
	for _, q := range []string{
		`{ cohortCount(criteria: {sex: [FEMALE]}) { count } }`,
		`{ cohorts { id } }`,
	} {
		r := hs.query(hs.admin, q, nil)
		if len(r.Errors) == 0 {
			t.Fatalf("%s: no error", q)
		}
		for _, e := range r.Errors {
			if e.Extensions["code"] != CodeTimeout {
				t.Errorf("%s: error %q has code %v, want TIMEOUT", q, e.Message, e.Extensions["code"])
			}
		}
	}
	if r := hs.query(hs.admin, `{ trials { id } }`, nil); r.code() != CodeInternal || strings.Contains(fmt.Sprint(r.Errors), "P-SECRET") {
		t.Errorf("a panicking resolver: %+v", r.Errors)
	}
	if l := hs.log.String(); !strings.Contains(l, "resolver panicked") || strings.Contains(l, "P-SECRET") {
		t.Errorf("the panic is not logged, or logged with its data: %s", l)
	}
	r := hs.query(hs.admin, `mutation { saveCohort(name: "slow", criteria: {sex: [FEMALE]}) { id } }`, nil)
	var stored bool
	hs.db.View(context.Background(), func(tx *store.Txn) error {
		var err error
		stored, err = tx.Has([]byte("test/slow"))
		return err
	})
	if r.code() == CodeTimeout && stored {
		t.Fatalf("the mutation answered TIMEOUT but committed")
	}
	if r.code() != CodeTimeout && !stored {
		t.Fatalf("the mutation answered %+v but stored nothing", r)
	}
	t.Logf("mutation across the deadline: code %q, stored %v", r.code(), stored)
	hs.healthy(t)
}

// TestErrorCodesOfContextEnds maps the context's ends in one place.
func TestErrorCodesOfContextEnds(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	late, cancel2 := context.WithTimeout(context.Background(), -time.Second)
	defer cancel2()
	cases := []struct {
		ctx  context.Context
		err  error
		code string
	}{
		{context.Background(), fmt.Errorf("x: %w", context.DeadlineExceeded), CodeTimeout},
		{context.Background(), errors.Join(fmt.Errorf("line 3: %w", store.ErrInvalid), context.DeadlineExceeded), CodeTimeout},
		{late, fmt.Errorf("line 3: read: %w", store.ErrInvalid), CodeTimeout},
		{gone, errors.New("unexpected EOF"), CodeCanceled},
		{context.Background(), fmt.Errorf("read: %w", context.Canceled), CodeCanceled},
		{context.Background(), fmt.Errorf("x: %w", store.ErrInvalid), CodeBadInput},
	}
	for i, c := range cases {
		if got := publicError(c.ctx, log, "op", c.err).code; got != c.code {
			t.Errorf("case %d: %v → %s, want %s", i, c.err, got, c.code)
		}
	}
	if strings.Contains(buf.String(), "ERROR") {
		t.Errorf("logged as errors: %s", buf.String())
	}
}

// TestHostileAuth: the scheme is case-insensitive; unknown and revoked
// tokens get the same answer; repeated failures from one address are
// throttled with 429 and Retry-After, logged without the token and counted.
func TestHostileAuth(t *testing.T) {
	l := Limits{AuthFreeFailures: 3, AuthBackoff: 2 * time.Second, AuthMaxBackoff: 10 * time.Second}
	hs := newHostileServer(t, hostileOpts{limits: l})
	health := `{"query":"{ health { ok } }"}`
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		req, _ := http.NewRequest("POST", hs.srv.URL+"/graphql", strings.NewReader(health))
		req.Header.Set("Authorization", scheme+"  "+hs.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("scheme %q: %d", scheme, resp.StatusCode)
		}
	}
	revoked, info, _ := hs.tokens.Create(context.Background(), auth.Designer, "old")
	hs.tokens.Revoke(context.Background(), info.ID)
	unknown := "rx_" + strings.Repeat("A", 43)
	ra := hs.send(t, "POST", "/graphql", revoked, strings.NewReader(health))
	ua := hs.send(t, "POST", "/graphql", unknown, strings.NewReader(health))
	ma := hs.send(t, "POST", "/graphql", "not-a-token", strings.NewReader(health))
	for _, a := range []answer{ua, ma} {
		if a.status != ra.status || a.body != ra.body || a.header.Get("WWW-Authenticate") != ra.header.Get("WWW-Authenticate") {
			t.Errorf("answers differ: revoked %d %q %q, other %d %q %q", ra.status, ra.body, ra.header.Get("WWW-Authenticate"), a.status, a.body, a.header.Get("WWW-Authenticate"))
		}
	}
	if ra.status != 401 || ra.code != CodeUnauthenticated {
		t.Fatalf("revoked: %d %s", ra.status, ra.code)
	}
	// Three failures so far; the fourth sets a 2 s wait; then 429, even
	// for a valid token from the same address.
	if a := hs.send(t, "POST", "/graphql", unknown, strings.NewReader(health)); a.status != 401 {
		t.Fatalf("4th failure: %d", a.status)
	}
	for _, tok := range []string{unknown, hs.admin} {
		a := hs.send(t, "POST", "/graphql", tok, strings.NewReader(health))
		if a.status != 429 || a.code != CodeRateLimited || a.header.Get("Retry-After") == "" {
			t.Fatalf("while throttled: %d %s %q Retry-After=%q", a.status, a.code, a.msg, a.header.Get("Retry-After"))
		}
	}
	hs.healthy(t)
	time.Sleep(2100 * time.Millisecond)
	a := hs.send(t, "GET", "/metrics", hs.admin, nil)
	if a.status != 200 || !strings.Contains(a.body, `rxlab_auth_failures_total{outcome="invalid"} 4`) ||
		!strings.Contains(a.body, `rxlab_auth_failures_total{outcome="throttled"} 2`) {
		t.Errorf("metrics after the wait: %d %s", a.status, grepLines(a.body, "rxlab_auth"))
	}
	logs := hs.log.String()
	if strings.Count(logs, `"authentication failed"`) != 4 {
		t.Errorf("want 4 log lines: %s", logs)
	}
	for _, secret := range []string{unknown[3:], revoked[3:], "not-a-token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log names a token")
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestGuardedSource checks the caps on an import's stream on their own:
// plain text passes unchanged, gzip inflates, a bomb stops at the ratio or
// the absolute cap, and a cancelled context stops the read.
func TestGuardedSource(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	text := bytes.Repeat([]byte("##x=y and some text\n"), 100_000) // 2 MB, ratio ≈ 200+
	varied := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range varied {
		varied[i] = byte('a' + rng.IntN(26))
	}
	l := Limits{MaxDecompressedBytes: 2 << 20, MaxDecompressionRatio: 50}.withDefaults()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		path string
		want string // "" = reads all of wantBytes
		n    int
	}{
		{"plain", context.Background(), file("plain", text), "", len(text)},
		{"gzip within caps", context.Background(), file("small.gz", gzipOf(t, func(w io.Writer) { w.Write(text[:1<<20]) })), "", 1 << 20},
		{"ratio", context.Background(), file("bomb.gz", gzipOf(t, func(w io.Writer) { w.Write(make([]byte, 8<<20)) })), "MaxDecompressionRatio", 0},
		{"absolute", context.Background(), file("big.gz", gzipOf(t, func(w io.Writer) { w.Write(varied) })), "MaxDecompressedBytes", 0},
		{"client gone", gone, file("plain2", text), "context canceled", 0},
	}
	for _, c := range cases {
		rc, err := guardedSource(c.ctx, c.path, l)()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		switch {
		case c.want == "" && (err != nil || len(b) != c.n):
			t.Errorf("%s: %d bytes, %v; want %d", c.name, len(b), err, c.n)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %d bytes, %v; want an error naming %s", c.name, len(b), err, c.want)
		}
	}
}

// TestHostileNames: control, bidi and zero-width characters are refused in
// every name and id a caller chooses, with BAD_USER_INPUT naming the field.
func TestHostileNames(t *testing.T) {
	hs := newHostileServer(t, hostileOpts{domains: func(ts *testServer) []Domain {
		svc, err := cohorts.New(cohorts.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		ex, _ := ingest.New(ingest.Config{})
		lib, err := library.New(library.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		return []Domain{&Cohorts{Service: svc, Ingest: ex}, &Molecules{Library: lib}}
	}})
	bad := []string{"a\x00b", "x\u202Ey", "lib\u2066z", "a\u200Bb", "tab\tname", "new\nline", "a\x7fb", "\uFEFFx"}
	ops := []struct {
		name, q, field string
		vars           func(n string) map[string]any
	}{
		{"saved cohort name", `mutation($n: String!) { saveCohort(name: $n, criteria: {sex: [MALE]}) { id } }`, "name", func(n string) map[string]any { return map[string]any{"n": n} }},
		{"library name", `mutation($n: String!) { addMolecules(library: $n, smiles: ["CCO"]) { accepted } }`, "library", func(n string) map[string]any { return map[string]any{"n": n} }},
		{"token label", `mutation($n: String!) { createToken(role: "designer", name: $n) { token } }`, "name", func(n string) map[string]any { return map[string]any{"n": n} }},
		// (the YAML parser refuses some control characters itself)
		{"trial id", `mutation($c: String!) { importTrial(ctml: $c) { id } }`, "", func(n string) map[string]any {
			b, _ := json.Marshal(map[string]any{"protocol_no": n, "match": []any{map[string]any{"clinical": map[string]any{"age_numerical": ">=18"}}}})
			return map[string]any{"c": string(b)}
		}},
	}
	for _, op := range ops {
		for _, n := range bad {
			r := hs.query(hs.admin, op.q, op.vars(n))
			if r.code() != CodeBadInput || !strings.Contains(r.Errors[0].Message, op.field) {
				t.Errorf("%s %q: %+v", op.name, n, r.Errors)
			}
		}
	}
	// A patient id in an import's query string is refused before the upload is read.
	a := hs.raw(t, fmt.Sprintf("POST /import/vcf?patient=%s&origin=GERMLINE HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\n", url.QueryEscape("P\u202E1"), hs.admin), nil, 5*time.Second)
	if a.status != 400 || a.code != CodeBadInput || !strings.Contains(a.msg, "query parameter patient") {
		t.Errorf("bidi patient id in /import/vcf: %d %s %q", a.status, a.code, a.msg)
	}
	// Good names still pass.
	if r := hs.query(hs.admin, ops[0].q, map[string]any{"n": "Étude α — EGFR+"}); r.code() != "" {
		t.Errorf("a good cohort name: %+v", r.Errors)
	}
	hs.healthy(t)
}

// TestClientAddr: failures count under the peer's address unless the API
// is told it sits behind a proxy; IPv6 peers count by /64.
func TestClientAddr(t *testing.T) {
	cases := []struct {
		trust  bool
		remote string
		xff    []string
		want   string
	}{
		{false, "192.0.2.1:4000", nil, "192.0.2.1"},
		{false, "192.0.2.1:4000", []string{"203.0.113.9"}, "192.0.2.1"},
		{true, "192.0.2.1:4000", []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{true, "192.0.2.1:4000", []string{"1.1.1.1", "203.0.113.7"}, "203.0.113.7"},
		{true, "192.0.2.1:4000", nil, "192.0.2.1"},
		{false, "[2001:db8:0:1:aaaa::1]:4000", nil, "2001:db8:0:1::/64"},
	}
	for i, c := range cases {
		g := &guard{trustForward: c.trust}
		r := httptest.NewRequest("GET", "/graphql", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := g.clientAddr(r); got != c.want {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}
