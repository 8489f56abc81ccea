package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"

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
	addr         string
	keyFile      string
	demo         bool
	demoPatients int
	timeout      time.Duration
	concurrency  int
	smallCell    int
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
}

func (c *config) storeConfig() (store.Config, error) {
	sc := store.Config{Dir: c.data}
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
	fs.IntVar(&c.smallCell, "small-cell", envInt("RXLAB_SMALL_CELL", 11), "counts below this are suppressed for roles without patients:read (env RXLAB_SMALL_CELL)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if c.smallCell < 1 || c.smallCell > 1000 {
		return nil, fmt.Errorf("serve: -small-cell %d out of range 1..1000", c.smallCell)
	}
	if c.demoPatients < 0 || c.demoPatients > 5_000_000 {
		return nil, fmt.Errorf("serve: -demo-patients %d out of range 0..5000000", c.demoPatients)
	}
	return c, nil
}
