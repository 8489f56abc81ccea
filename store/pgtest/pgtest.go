// Package pgtest starts a private PostgreSQL cluster from Debian's
// binaries for tests and benchmarks: initdb into a temporary directory,
// pg_ctl start on a free loopback port (and a unix socket in the same
// directory), stopped and removed at the end. When the binaries are absent
// (apt-get install -y postgresql) or cannot run, the test is skipped with a
// message saying so. Only tests import this package.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is one running PostgreSQL cluster.
type Server struct {
	bin, dir, data, sock string
	// Port is the loopback TCP port it listens on.
	Port       int
	asPostgres bool
	dbs        atomic.Int64
	stopOnce   sync.Once
}

// Options tune the cluster.
type Options struct {
	// Fast turns fsync and synchronous commit off (benchmarks); the default
	// keeps PostgreSQL's durable settings, so a crash of the server loses
	// no acknowledged commit.
	Fast bool
	// Settings are extra "-c name=value" settings.
	Settings []string
}

// BinDir finds the directory of initdb and pg_ctl, newest version first,
// or returns "".
func BinDir() string {
	ds, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(ds, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(ds[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(ds[j])))
		return vi > vj
	})
	for _, d := range ds {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func (s *Server) cmd(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(s.bin, name)
	if s.asPostgres {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// Start starts a cluster, or skips tb with the reason; it is stopped when
// tb ends.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	s, skip, err := start(opt)
	if skip != "" {
		tb.Skip(skip)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// start starts a cluster; skip says why PostgreSQL cannot run here.
func start(opt Options) (*Server, string, error) {
	bin := BinDir()
	if bin == "" {
		return nil, "PostgreSQL is not installed (apt-get install -y postgresql); skipping the SQL backend", nil
	}
	s := &Server{bin: bin, asPostgres: os.Geteuid() == 0}
	if s.asPostgres {
		if _, err := exec.LookPath("runuser"); err != nil {
			return nil, "running as root without runuser: cannot start PostgreSQL as the postgres user", nil
		}
	}
	dir, err := os.MkdirTemp("", "rxlab-pg-")
	if err != nil {
		return nil, "", err
	}
	s.dir, s.data, s.sock = dir, filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	for _, d := range []string{s.data, s.sock} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, "", err
		}
	}
	os.Chmod(dir, 0o755)
	if s.asPostgres {
		if out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Sprintf("chown for the postgres user failed: %v %s", err, out), nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if out, err := s.cmd("initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Sprintf("initdb failed: %v\n%s", err, out), nil
	}
	o := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200 -c shared_buffers=128MB -c jit=off", s.Port, s.sock)
	if opt.Fast {
		o += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	for _, c := range opt.Settings {
		o += " -c " + c
	}
	if out, err := s.cmd("pg_ctl", "-D", s.data, "-o", o, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Sprintf("pg_ctl start failed: %v\n%s", err, out), nil
	}
	return s, "", nil
}

// Stop stops the cluster (fast shutdown) and removes its directory.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.cmd("pg_ctl", "-D", s.data, "-m", "fast", "-w", "stop").Run()
		os.RemoveAll(s.dir)
	})
}

// Crash stops the cluster the way a power cut would (immediate shutdown,
// no checkpoint) and starts it again; acknowledged commits must survive.
func (s *Server) Crash() error {
	if out, err := s.cmd("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %v: %s", err, out)
	}
	o := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200", s.Port, s.sock)
	if out, err := s.cmd("pg_ctl", "-D", s.data, "-o", o, "-l", filepath.Join(s.dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// URL is the connection string of database db.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDB creates a fresh database and returns its URL.
func (s *Server) NewDB(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("rx%d_%d", os.Getpid(), s.dbs.Add(1))
	if _, err := s.Psql("CREATE DATABASE " + name); err != nil {
		tb.Fatal(err)
	}
	return s.URL(name)
}

// Psql runs SQL with psql against database postgres and returns its
// unaligned, tuples-only output.
func (s *Server) Psql(sql string) (string, error) {
	return s.PsqlDB("postgres", sql)
}

// PsqlDB runs SQL with psql against database db.
func (s *Server) PsqlDB(db, sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", s.sock, "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db, "-c", sql}
	c := s.cmd("psql", args...)
	c = exec.CommandContext(ctx, c.Path, c.Args[1:]...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("psql: %v: %s", err, errb.String())
	}
	return out.String(), nil
}

// Shared is a cluster shared by the tests of one package, started on first
// use and stopped by Main.
type Shared struct {
	once sync.Once
	srv  *Server
	skip string
	err  error
	opt  Options
}

// NewShared returns a Shared that starts its cluster with opt.
func NewShared(opt Options) *Shared { return &Shared{opt: opt} }

// Get starts the cluster on the first call, or skips tb.
func (sh *Shared) Get(tb testing.TB) *Server {
	tb.Helper()
	sh.once.Do(func() { sh.srv, sh.skip, sh.err = start(sh.opt) })
	if sh.skip != "" {
		tb.Skip(sh.skip)
	}
	if sh.err != nil {
		tb.Fatal(sh.err)
	}
	return sh.srv
}

// Stop stops the cluster if it was started.
func (sh *Shared) Stop() {
	if sh.srv != nil {
		sh.srv.Stop()
	}
}
