package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// loadServer is the server under load: started by the harness, or given
// with -addr and -token.
type loadServer struct {
	addr  string
	admin string
	pid   int
	close func()
}

var listenLine = regexp.MustCompile(`"msg":"rxlab listening","addr":"([^"]+)"`)

// targetServer returns the server to load: the one -addr names, or a fresh
// one built from ./server and started on loopback with a temporary data
// directory and the demo world.
func targetServer(ctx context.Context, w io.Writer, cfg *loadConfig) (*loadServer, error) {
	if cfg.addr != "" {
		tok := cfg.token
		if b, err := os.ReadFile(tok); err == nil {
			tok = string(b)
		}
		tok = strings.TrimSpace(tok)
		if tok == "" {
			return nil, errors.New("-addr needs -token (an admin token or a file holding one)")
		}
		return &loadServer{addr: cfg.addr, admin: tok, pid: cfg.pid, close: func() {}}, nil
	}
	tmp, err := os.MkdirTemp("", "rxlab-load-")
	if err != nil {
		return nil, err
	}
	bin := cfg.bin
	if bin == "" {
		bin = filepath.Join(tmp, "rxlab")
		fmt.Fprintf(w, "building ./server into %s\n", bin)
		b := exec.CommandContext(ctx, "go", "build", "-o", bin, "./server")
		b.Stdout, b.Stderr = w, os.Stderr
		if err := b.Run(); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("go build ./server (run from the repository root): %w", err)
		}
	}
	data := filepath.Join(tmp, "data")
	s, err := startServer(ctx, w, bin, data, cfg.patients)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	inner := s.close
	s.close = func() {
		inner()
		if cfg.keep {
			fmt.Fprintf(w, "kept data in %s\n", data)
		} else {
			os.RemoveAll(tmp)
		}
	}
	return s, nil
}

// startServer runs bin on 127.0.0.1:0 and waits for its listening line; the
// first start seeds the demo world, so this can take a minute.
func startServer(ctx context.Context, w io.Writer, bin, data string, patients int) (*loadServer, error) {
	cmd := exec.Command(bin, "-data", data, "-addr", "127.0.0.1:0", "-demo-patients", strconv.Itoa(patients))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addrc, done := make(chan string, 1), make(chan struct{})
	var tail []string
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			} else if len(tail) < 20 {
				tail = append(tail, sc.Text())
			}
		}
		cmd.Wait()
		close(done)
	}()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	fmt.Fprintf(w, "starting %s -data %s (seeding %d demo patients on first start)\n", bin, data, patients)
	select {
	case addr := <-addrc:
		tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
		if err != nil {
			stop()
			return nil, err
		}
		return &loadServer{addr: addr, admin: strings.TrimSpace(string(tok)), pid: cmd.Process.Pid, close: stop}, nil
	case <-done:
		return nil, fmt.Errorf("server exited before listening: %s", strings.Join(tail, "\n"))
	case <-time.After(10 * time.Minute):
		stop()
		return nil, errors.New("server did not listen within 10 minutes")
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
}

// waitJobsIdle waits until no job is queued or running (the demo seed
// trains property models in the background), so they do not share the CPU
// with the measured requests.
func waitJobsIdle(ctx context.Context, w io.Writer, c *gqlClient, admin string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	said := false
	for {
		busy := 0
		for _, st := range []string{"RUNNING", "QUEUED"} {
			data, err := c.do(ctx, admin, `{ jobs(state: `+st+`, first: 100) { id } }`)
			if err != nil {
				return fmt.Errorf("listing jobs: %w", err)
			}
			if js, ok := data["jobs"].([]any); ok {
				busy += len(js)
			}
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(w, "warning: %d jobs still busy after %v; measuring anyway\n", busy, limit)
			return nil
		}
		if !said {
			fmt.Fprintf(w, "waiting for %d background jobs (demo model training) to finish\n", busy)
			said = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// roleTokens creates one token per role the mix uses, through the
// createToken mutation (the server is running, so not the admin command).
func roleTokens(ctx context.Context, c *gqlClient, admin string, ops []op) (map[string]string, error) {
	out := map[string]string{}
	for _, o := range ops {
		if _, ok := out[o.role]; ok {
			continue
		}
		q := fmt.Sprintf(`mutation { createToken(role: %q, name: "load %s %d") { token } }`, o.role, o.role, time.Now().Unix())
		data, err := c.do(ctx, admin, q)
		if err != nil {
			return nil, fmt.Errorf("createToken %s: %w", o.role, err)
		}
		tok, _ := data["createToken"].(map[string]any)["token"].(string)
		if tok == "" {
			return nil, fmt.Errorf("createToken %s: no token in the answer", o.role)
		}
		out[o.role] = tok
	}
	return out, nil
}

// rssSummary is the server's resident set sampled over one level.
type rssSummary struct {
	Samples int     `json:"samples"`
	FirstMB float64 `json:"first_mb"`
	MinMB   float64 `json:"min_mb"`
	MaxMB   float64 `json:"max_mb"`
	LastMB  float64 `json:"last_mb"`
	// SlopeMBPerMin is the least-squares trend; near zero means flat.
	SlopeMBPerMin float64 `json:"slope_mb_per_min"`
	// TenthsMB is the largest sample in each tenth of the level, so a
	// sawtooth (memtables, GC) is told apart from steady growth.
	TenthsMB []float64 `json:"tenths_mb"`
}

func (s rssSummary) String() string {
	if s.Samples == 0 {
		return "not sampled (no pid; pass -pid with -addr)"
	}
	tenths := make([]string, len(s.TenthsMB))
	for i, v := range s.TenthsMB {
		tenths[i] = fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("first %.0f MB, min %.0f, max %.0f, last %.0f, trend %+.1f MB/min over %d samples; max per tenth: %s",
		s.FirstMB, s.MinMB, s.MaxMB, s.LastMB, s.SlopeMBPerMin, s.Samples, strings.Join(tenths, " "))
}

// rssSampler reads /proc/<pid>/status every interval until stopped.
type rssSampler struct {
	stopc chan struct{}
	done  chan rssSummary
}

func startRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{}), done: make(chan rssSummary, 1)}
	go func() {
		var ts, mb []float64
		t0 := time.Now()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if v, err := readRSS(pid); err == nil {
				ts, mb = append(ts, time.Since(t0).Minutes()), append(mb, v)
			}
			select {
			case <-s.stopc:
				s.done <- summarizeRSS(ts, mb)
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() rssSummary {
	close(s.stopc)
	return <-s.done
}

// readRSS returns VmRSS of pid in MB.
func readRSS(pid int) (float64, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmRSS line")
}

func summarizeRSS(ts, mb []float64) rssSummary {
	s := rssSummary{Samples: len(mb)}
	if len(mb) == 0 {
		return s
	}
	s.FirstMB, s.LastMB, s.MinMB, s.MaxMB = mb[0], mb[len(mb)-1], mb[0], mb[0]
	var st, sm, stt, stm float64
	for i, v := range mb {
		s.MinMB, s.MaxMB = min(s.MinMB, v), max(s.MaxMB, v)
		st, sm, stt, stm = st+ts[i], sm+v, stt+ts[i]*ts[i], stm+ts[i]*v
	}
	s.TenthsMB = make([]float64, min(10, len(mb)))
	for i, v := range mb {
		k := i * len(s.TenthsMB) / len(mb)
		s.TenthsMB[k] = max(s.TenthsMB[k], v)
	}
	n := float64(len(mb))
	if den := n*stt - st*st; den > 0 {
		s.SlopeMBPerMin = (n*stm - st*sm) / den
	}
	return s
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
