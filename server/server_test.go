package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the server in a subprocess, so tests
// can kill it with SIGKILL like a crash.
func TestMain(m *testing.M) {
	if os.Getenv("RXLAB_TEST_SERVE") == "1" {
		if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "rxlab:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var listenRe = regexp.MustCompile(`"msg":"rxlab listening","addr":"([^"]+)"`)

// child is a server running as a subprocess of the test.
type child struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	log  *bytes.Buffer
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RXLAB_TEST_SERVE=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), log: &bytes.Buffer{}}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			c.log.WriteString(line + "\n")
			if m := listenRe.FindStringSubmatch(line); m != nil {
				addrc <- m[1]
			}
		}
		cmd.Wait()
		close(c.done)
	}()
	select {
	case c.addr = <-addrc:
	case <-c.done:
		t.Fatalf("server exited early: %s", c.log)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start: %s", c.log)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
	})
	return c
}

func post(t *testing.T, addr, token, query string) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
	}
	if errs, ok := out["errors"]; ok {
		return out, fmt.Errorf("errors: %v", errs)
	}
	return out, nil
}

func readToken(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestServeGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false")
	tok := readToken(t, dir)
	out, err := post(t, c.addr, tok, `{ health { ok version } }`)
	if err != nil || out["data"].(map[string]any)["health"].(map[string]any)["ok"] != true {
		t.Fatalf("health: %v %v", out, err)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM: %s", code, c.log)
	}
	if !strings.Contains(c.log.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log: %s", c.log)
	}
	if strings.Contains(c.log.String(), tok) {
		t.Error("the admin token appears in the log")
	}
}

// TestKill9KeepsAcknowledgedWrites kills the server with SIGKILL while
// clients write, restarts it on the same data, and checks that every write
// the API acknowledged is there and the audit chain is intact.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false")
	admin := readToken(t, dir)
	var acked []string
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	stop := make(chan struct{})
	finished := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func(w int) {
			defer func() { finished <- struct{}{} }()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				out, err := post(t, c.addr, admin, fmt.Sprintf(`mutation { createToken(role: "designer", name: "w%d-%d") { token } }`, w, i))
				if err != nil {
					return // the server died under us: unacknowledged
				}
				tok := out["data"].(map[string]any)["createToken"].(map[string]any)["token"].(string)
				<-mu
				acked = append(acked, tok)
				mu <- struct{}{}
			}
		}(w)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		<-mu
		n := len(acked)
		mu <- struct{}{}
		if n >= 60 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.cmd.Process.Kill()
	<-c.done
	close(stop)
	for w := 0; w < 4; w++ {
		<-finished
	}
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acked))
	}
	c2 := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false")
	for _, tok := range acked {
		if _, err := post(t, c2.addr, tok, `{ me { role } }`); err != nil {
			t.Fatalf("acknowledged token lost after kill -9: %v", err)
		}
	}
	out, err := post(t, c2.addr, admin, `{ verifyAudit { ok records error } }`)
	if err != nil {
		t.Fatal(err)
	}
	v := out["data"].(map[string]any)["verifyAudit"].(map[string]any)
	if v["ok"] != true {
		t.Fatalf("audit chain after kill -9: %v", v)
	}
	t.Logf("%d acknowledged writes survived kill -9; audit chain of %v records intact", len(acked), v["records"])
}

func TestAdminCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// First start creates the admin token; stop at once.
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false")
	c.cmd.Process.Signal(syscall.SIGTERM)
	<-c.done

	var out bytes.Buffer
	if err := run(ctx, []string{"token", "create", "-data", dir, "-role", "chemist", "-name", "lab"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	chemist := strings.TrimSpace(out.String())
	if !strings.HasPrefix(chemist, "rx_") {
		t.Fatalf("token create printed %q", chemist)
	}
	if err := run(ctx, []string{"token", "create", "-data", dir, "-role", "root"}, io.Discard, io.Discard); err == nil {
		t.Error("token create -role root succeeded")
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "-data", dir}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "intact") {
		t.Fatalf("audit verify: %v %s", err, out.String())
	}
	backupFile := filepath.Join(t.TempDir(), "rx.backup")
	if err := run(ctx, []string{"backup", "-data", dir, "-o", backupFile}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if err := run(ctx, []string{"restore", "-data", restored, "-i", backupFile}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"restore", "-data", restored, "-i", backupFile}, io.Discard, io.Discard); err == nil {
		t.Error("restore over existing data succeeded")
	}
	out.Reset()
	run(ctx, []string{"token", "list", "-data", restored}, &out, io.Discard)
	if !strings.Contains(out.String(), "chemist") || !strings.Contains(out.String(), "admin") {
		t.Fatalf("restored tokens: %s", out.String())
	}
	// The restored server accepts the chemist token.
	os.WriteFile(filepath.Join(restored, "admin.token"), []byte(readToken(t, dir)), 0o600)
	c2 := startChild(t, "-data", restored, "-addr", "127.0.0.1:0", "-demo=false")
	if res, err := post(t, c2.addr, chemist, `{ me { role } }`); err != nil || !strings.Contains(fmt.Sprint(res), "chemist") {
		t.Fatalf("chemist token on restored data: %v %v", res, err)
	}
	out.Reset()
	if err := run(ctx, []string{"token", "create", "-data", restored, "-role", "designer"}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "running server") {
		t.Errorf("token create on a running server's data: %v", err)
	}
	// Revoke closes access.
	c2.cmd.Process.Signal(syscall.SIGTERM)
	<-c2.done
	out.Reset()
	run(ctx, []string{"token", "list", "-data", restored}, &out, io.Discard)
	var chemID string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "chemist") {
			chemID = strings.Fields(line)[0]
		}
	}
	if err := run(ctx, []string{"token", "revoke", "-data", restored, "-id", chemID}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	c3 := startChild(t, "-data", restored, "-addr", "127.0.0.1:0", "-demo=false")
	if _, err := post(t, c3.addr, chemist, `{ me { role } }`); err == nil {
		t.Error("revoked token still works")
	}
}

func TestEncryptedServerNeedsKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)), 0o600)
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false", "-key-file", keyFile)
	c.cmd.Process.Signal(syscall.SIGTERM)
	<-c.done
	err := run(context.Background(), []string{"audit", "verify", "-data", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Fatalf("opening an encrypted store without its key: %v", err)
	}
	if err := run(context.Background(), []string{"audit", "verify", "-data", dir, "-key-file", keyFile}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
}
