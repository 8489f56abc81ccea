package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/rxlab/rxlab/graphql"
	"github.com/rxlab/rxlab/store"
)

// version is rxlab's release; the VCS revision is appended when known.
const version = "0.1.0"

func versionString() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return version + "+" + s.Value[:7]
			}
		}
	}
	return version
}

// config is the server's configuration: flags with environment fallbacks.
type config struct {
	data         string
	store        string // -store: a Badger directory (default -data) or a postgres:// URL
	addr         string
	keyFile      string
	demo         bool
	demoPatients int
	timeout      time.Duration
	concurrency  int
	smallCell    int

	spoolDir          string
	spoolQuota        int64
	maxUpload         int64
	minUploadRate     int64
	trustForwardedFor bool
	memoryLimit       int64

	// queue: -nats, -nats-ack-wait, -shards (server/worker.go).
	queue queueConfig
}

// limits are the API's limits with the ones set by flags; zero fields take
// graphql.DefaultLimits.
func (c *config) limits() graphql.Limits {
	return graphql.Limits{MaxSpoolBytes: c.spoolQuota, MaxUploadBytes: c.maxUpload, MinUploadRate: c.minUploadRate}
}

func envInt64(name string, def int64) int64 {
	if v, ok := os.LookupEnv(name); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok {
		b, err := strconv.ParseBool(v)
		if err == nil {
			return b
		}
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// storeFlags registers the flags every command shares.
func storeFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.data, "data", env("RXLAB_DATA", "./data"), "data directory (env RXLAB_DATA)")
	fs.StringVar(&c.keyFile, "key-file", env("RXLAB_KEY_FILE", ""), "file with a 32-byte encryption key: encrypts the store at rest (env RXLAB_KEY_FILE)")
	fs.StringVar(&c.store, "store", env("RXLAB_STORE", ""), "the store: a Badger directory (default: the data directory) or a postgres://user@host:port/db URL that several servers share (env RXLAB_STORE)")
}

func (c *config) storeConfig() (store.Config, error) {
	sc := store.Config{Dir: c.data}
	switch {
	case strings.HasPrefix(c.store, "postgres://"), strings.HasPrefix(c.store, "postgresql://"):
		sc.URL = c.store
	case c.store != "":
		sc.Dir = c.store
	}
	if c.keyFile != "" {
		key, err := store.ReadKeyFile(c.keyFile)
		if err != nil {
			return sc, err
		}
		sc.EncryptionKey = key
	}
	return sc, nil
}

func parseServe(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	storeFlags(fs, c)
	fs.StringVar(&c.addr, "addr", env("RXLAB_ADDR", "127.0.0.1:8080"), "listen address (env RXLAB_ADDR)")
	fs.BoolVar(&c.demo, "demo", envBool("RXLAB_DEMO", true), "seed the demo world on first start (env RXLAB_DEMO)")
	fs.IntVar(&c.demoPatients, "demo-patients", envInt("RXLAB_DEMO_PATIENTS", 10000), "patients in the demo world (env RXLAB_DEMO_PATIENTS)")
	fs.DurationVar(&c.timeout, "request-timeout", 30*time.Second, "deadline of one API request")
	fs.IntVar(&c.concurrency, "jobs", 1, "jobs that may run at once")
	queueFlags(fs, &c.queue)
	d := graphql.DefaultLimits()
	fs.StringVar(&c.spoolDir, "spool-dir", env("RXLAB_SPOOL_DIR", ""), "directory uploads are spooled to while imported; stale spools there are removed at start (default DATA/spool; env RXLAB_SPOOL_DIR)")
	fs.Int64Var(&c.spoolQuota, "spool-quota", envInt64("RXLAB_SPOOL_QUOTA", d.MaxSpoolBytes), "bytes all uploads being imported may hold on disk at once (env RXLAB_SPOOL_QUOTA)")
	fs.Int64Var(&c.maxUpload, "max-upload", envInt64("RXLAB_MAX_UPLOAD", d.MaxUploadBytes), "bytes of one upload to /import/vcf or /import/maf (env RXLAB_MAX_UPLOAD)")
	fs.Int64Var(&c.minUploadRate, "min-upload-rate", envInt64("RXLAB_MIN_UPLOAD_RATE", d.MinUploadRate), "bytes/s below which a request body is cut with 408, averaged over 10 s (env RXLAB_MIN_UPLOAD_RATE)")
	fs.BoolVar(&c.trustForwardedFor, "trust-forwarded-for", envBool("RXLAB_TRUST_FORWARDED_FOR", false), "count failed logins under the last X-Forwarded-For address (only behind a proxy that sets it; env RXLAB_TRUST_FORWARDED_FOR)")
	fs.Int64Var(&c.memoryLimit, "memory-limit", envInt64("RXLAB_MEMORY_LIMIT", 0), "soft memory limit of the Go runtime in bytes; 0 means 2 GiB or half of the machine's memory, whichever is less; GOMEMLIMIT, when set, wins (env RXLAB_MEMORY_LIMIT)")
	fs.IntVar(&c.smallCell, "small-cell", envInt("RXLAB_SMALL_CELL", 11), "counts below this are suppressed for roles without patients:read (env RXLAB_SMALL_CELL)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if c.spoolDir == "" {
		c.spoolDir = filepath.Join(c.data, "spool")
	}
	if c.spoolQuota <= 0 || c.maxUpload <= 0 || c.minUploadRate <= 0 {
		return nil, fmt.Errorf("serve: -spool-quota, -max-upload and -min-upload-rate must be positive")
	}
	if c.smallCell < 1 || c.smallCell > 1000 {
		return nil, fmt.Errorf("serve: -small-cell %d out of range 1..1000", c.smallCell)
	}
	if err := c.queue.check("serve"); err != nil {
		return nil, err
	}
	if c.demoPatients < 0 || c.demoPatients > 5_000_000 {
		return nil, fmt.Errorf("serve: -demo-patients %d out of range 0..5000000", c.demoPatients)
	}
	return c, nil
}
