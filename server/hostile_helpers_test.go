package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hxServer is a real rxlab subprocess the hostile suite attacks, with its
// admin token and one token per role.
type hxServer struct {
	t     *testing.T // the test that owns the process (restart registers its cleanup there)
	c     *child
	dir   string
	args  []string // the flags it was started with
	admin string
	roles map[string]string
}

// hxStart starts a server on loopback with an empty store (no demo world)
// and default limits, plus any extra flags.
func hxStart(t *testing.T, extra ...string) *hxServer {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"-data", dir, "-addr", "127.0.0.1:0", "-demo=false"}, extra...)
	s := &hxServer{t: t, c: startChild(t, args...), dir: dir, args: args, roles: map[string]string{}}
	s.admin = readToken(t, dir)
	return s
}

// restart stops the server with SIGTERM and starts it again on the same data.
func (s *hxServer) restart(t *testing.T, extra ...string) {
	t.Helper()
	s.c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.c.done:
	case <-time.After(60 * time.Second):
		t.Fatal("server did not stop on SIGINT")
	}
	args := append([]string{"-data", s.dir, "-addr", "127.0.0.1:0", "-demo=false"}, extra...)
	s.c = startChild(s.t, args...)
}

// revive starts the server again on its data when its process has died,
// so one crashing case does not fail the ones after it; it reports whether
// it had to.
func (s *hxServer) revive() bool {
	if resp, err := hxClient("", 2*time.Second).Get("http://" + s.c.addr + "/healthz"); err == nil {
		resp.Body.Close()
		return false
	}
	select {
	case <-s.c.done:
	case <-time.After(5 * time.Second):
		s.c.cmd.Process.Kill()
		<-s.c.done
	}
	s.c = startChild(s.t, s.args...)
	return true
}

// token returns a token for role, created once through createToken.
func (s *hxServer) token(t *testing.T, role string) string {
	t.Helper()
	if role == "admin" {
		return s.admin
	}
	if tok, ok := s.roles[role]; ok {
		return tok
	}
	a := s.gq(t, s.admin, `mutation($r: String!) { createToken(role: $r, name: "hostile") { token } }`, map[string]any{"r": role}, 30*time.Second)
	tok, _ := a.get("createToken", "token").(string)
	if tok == "" {
		t.Fatalf("createToken %s: %s", role, a)
	}
	s.roles[role] = tok
	return tok
}

// hxAnswer is one HTTP answer, decoded when it is JSON.
type hxAnswer struct {
	status  int
	header  http.Header
	body    []byte
	data    map[string]any
	codes   []string
	msgs    []string
	elapsed time.Duration
	err     error // transport error (no answer)
}

func (a hxAnswer) String() string {
	if a.err != nil {
		return fmt.Sprintf("no answer after %v: %v", a.elapsed.Round(time.Millisecond), a.err)
	}
	return fmt.Sprintf("%d after %v: %.300s", a.status, a.elapsed.Round(time.Millisecond), a.body)
}

// get walks a.data along keys.
func (a hxAnswer) get(keys ...string) any {
	var v any = a.data
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// hasCode reports whether any error carries one of codes.
func (a hxAnswer) hasCode(codes ...string) bool {
	for _, c := range a.codes {
		for _, w := range codes {
			if c == w {
				return true
			}
		}
	}
	return false
}

// hxClient returns an HTTP client whose connections leave from local (an
// address on loopback such as 127.0.0.2; "" lets the kernel choose).
func hxClient(local string, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext, DisableCompression: true}}
}

// send makes one request from the default loopback address.
func (s *hxServer) send(t *testing.T, method, path, token string, body []byte, timeout time.Duration) hxAnswer {
	return s.sendFrom(t, "", method, path, "Bearer "+token, body, timeout)
}

// sendFrom makes one request from local with the Authorization header auth.
func (s *hxServer) sendFrom(t *testing.T, local, method, path, authz string, body []byte, timeout time.Duration) hxAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+s.c.addr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := hxClient(local, timeout).Do(req)
	a := hxAnswer{elapsed: time.Since(start), err: err}
	if err != nil {
		return a
	}
	defer resp.Body.Close()
	a.status, a.header = resp.StatusCode, resp.Header
	a.body, a.err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	a.elapsed = time.Since(start)
	decodeHX(&a)
	return a
}

func decodeHX(a *hxAnswer) {
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(a.body, &out) != nil {
		return
	}
	a.data = out.Data
	for _, e := range out.Errors {
		code, _ := e.Extensions["code"].(string)
		a.codes, a.msgs = append(a.codes, code), append(a.msgs, e.Message)
	}
}

// gq posts a GraphQL request.
func (s *hxServer) gq(t *testing.T, token, query string, vars map[string]any, timeout time.Duration) hxAnswer {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return s.send(t, "POST", "/graphql", token, body, timeout)
}

// ok fails the test unless a is a 200 without errors.
func (a hxAnswer) ok(t *testing.T, what string) hxAnswer {
	t.Helper()
	if a.err != nil || a.status != http.StatusOK || len(a.codes) > 0 {
		t.Fatalf("%s: %s", what, a)
	}
	return a
}

// refused checks a is a clear refusal: an answer within the deadline, with
// one of the HTTP statuses and one of the codes, and a message that says
// which limit (it names "limit" or a number).
func (a hxAnswer) refused(t *testing.T, what string, deadline time.Duration, statuses []int, codes ...string) {
	t.Helper()
	if a.err != nil {
		t.Errorf("%s: %s", what, a)
		return
	}
	if a.elapsed > deadline {
		t.Errorf("%s: answered after %v, deadline %v", what, a.elapsed, deadline)
	}
	okStatus := len(statuses) == 0
	for _, st := range statuses {
		okStatus = okStatus || a.status == st
	}
	if !okStatus || !a.hasCode(codes...) {
		t.Errorf("%s: want status %v and code %v, got %s", what, statuses, codes, a)
		return
	}
	for _, m := range a.msgs {
		if strings.Contains(m, "limit") || strings.ContainsAny(m, "0123456789") {
			return
		}
	}
	t.Errorf("%s: the message names no limit: %q", what, a.msgs)
}

// healthz checks the process answers /healthz quickly.
func (s *hxServer) healthz(t *testing.T) {
	t.Helper()
	select {
	case <-s.c.done:
		t.Fatalf("the server process died: %s", tail(s.c.log.String(), 3000))
	default:
	}
	a := s.send(t, "GET", "/healthz", "", nil, 5*time.Second)
	if a.err != nil || a.status != http.StatusOK || !bytes.Contains(a.body, []byte(`"ok":true`)) {
		t.Fatalf("/healthz after the case: %s", a)
	}
}

// hxCounts is what a half write would change.
type hxCounts struct{ patients, molecules, cohorts int }

func (s *hxServer) counts(t *testing.T) hxCounts {
	t.Helper()
	a := s.gq(t, s.admin, `{ health { patients molecules } cohorts { id } }`, nil, 30*time.Second).ok(t, "counts")
	num := func(v any) int { f, _ := v.(float64); return int(f) }
	cs, _ := a.get("cohorts").([]any)
	return hxCounts{num(a.get("health", "patients")), num(a.get("health", "molecules")), len(cs)}
}

// auditOK checks the audit chain is intact.
func (s *hxServer) auditOK(t *testing.T) {
	t.Helper()
	a := s.gq(t, s.admin, `{ verifyAudit { ok records error } }`, nil, 60*time.Second).ok(t, "verifyAudit")
	if a.get("verifyAudit", "ok") != true {
		t.Fatalf("audit chain: %s", a)
	}
}

// procStatus reads one kB field of /proc/<pid>/status, in MB.
func procStatus(pid int, field string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// hxMem measures a process's peak extra memory over a stretch of time:
// it resets the kernel's peak-RSS mark (clear_refs 5) and reads VmHWM
// afterwards; where the reset is refused it samples VmRSS instead.
type hxMem struct {
	pid     int
	base    float64
	sampled chan float64
	stop    chan struct{}
}

func startMem(pid int) *hxMem {
	m := &hxMem{pid: pid}
	m.base, _ = procStatus(pid, "VmRSS")
	if os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil {
		return m
	}
	m.sampled, m.stop = make(chan float64, 1), make(chan struct{})
	go func() {
		peak := m.base
		for {
			if v, err := procStatus(pid, "VmRSS"); err == nil {
				peak = max(peak, v)
			}
			select {
			case <-m.stop:
				m.sampled <- peak
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return m
}

// extraMB returns the peak resident memory above the start, in MB.
func (m *hxMem) extraMB() float64 {
	if m.stop != nil {
		close(m.stop)
		return <-m.sampled - m.base
	}
	hwm, err := procStatus(m.pid, "VmHWM")
	if err != nil {
		return 0
	}
	return hwm - m.base
}

// rawRequest writes head (and body) on a plain TCP connection from local,
// then returns the status line and body the server sends within wait.
func (s *hxServer) rawRequest(t *testing.T, local, head string, body func(c net.Conn), wait time.Duration) (string, time.Duration) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	conn, err := d.DialContext(context.Background(), "tcp", s.c.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(wait))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(conn)
		got <- b
	}()
	if body != nil {
		body(conn)
	}
	b := <-got
	return string(b), time.Since(start)
}

// gzipRepeat returns a gzip stream of block repeated until about n
// compressed bytes: one member compressed once, concatenated (a reader
// inflates every member in turn).
func gzipRepeat(t *testing.T, block []byte, blocks int, n int) ([]byte, int64) {
	t.Helper()
	var m bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&m, gzip.BestCompression)
	for range blocks {
		zw.Write(block)
	}
	zw.Close()
	member := m.Bytes()
	var out bytes.Buffer
	var inflated int64
	for out.Len() < n {
		out.Write(member)
		inflated += int64(len(block) * blocks)
	}
	return out.Bytes(), inflated
}

// clinicalCSV returns n MatchMiner clinical records with ids prefix+i;
// born(i) gives the birth year.
func clinicalCSV(prefix string, from, n int, born func(i int) int) string {
	var b strings.Builder
	b.WriteString("SAMPLE_ID,BIRTH_DATE,GENDER,ONCOTREE_PRIMARY_DIAGNOSIS_NAME\n")
	for i := from; i < from+n; i++ {
		sex := "Male"
		if i%2 == 1 {
			sex = "Female"
		}
		fmt.Fprintf(&b, "%s%06d,%d-0%d-1%d,%s,Lung Adenocarcinoma\n", prefix, i, born(i), 1+i%9, i%10, sex)
	}
	return b.String()
}

// compactCSV returns n minimal MatchMiner clinical records (id, birth
// date, sex: about 20 bytes each), so 110,000 fit one 4 MiB request.
func compactCSV(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("SAMPLE_ID,BIRTH_DATE,GENDER\n")
	for i := range n {
		fmt.Fprintf(&b, "%s%06d,19%02d-01-01,%c\n", prefix, i, 30+i%70, "MF"[i%2])
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
