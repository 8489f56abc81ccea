package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/rxlab/rxlab/graphql"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/graphql/federate"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// fedConfig is the configuration of a federation coordinator.
type fedConfig struct {
	config
	sites string
}

func parseFederate(args []string) (*fedConfig, error) {
	c := &fedConfig{}
	fs := flag.NewFlagSet("federate", flag.ContinueOnError)
	fs.StringVar(&c.data, "data", env("RXLAB_DATA", "./federation"), "the coordinator's own data directory: its tokens and audit log, no patients (env RXLAB_DATA)")
	fs.StringVar(&c.keyFile, "key-file", env("RXLAB_KEY_FILE", ""), "file with a 32-byte encryption key for the coordinator's store (env RXLAB_KEY_FILE)")
	fs.StringVar(&c.sites, "sites", env("RXLAB_SITES", "sites.yaml"), "YAML file naming each site: name, url, token or tokenFile; timeout and concurrency (env RXLAB_SITES)")
	fs.StringVar(&c.addr, "addr", env("RXLAB_ADDR", "127.0.0.1:8090"), "listen address (env RXLAB_ADDR)")
	fs.DurationVar(&c.timeout, "request-timeout", 30*time.Second, "deadline of one API request")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("federate: unexpected argument %q", fs.Arg(0))
	}
	return c, nil
}

// coordinator is a federation coordinator's API over its own small store.
type coordinator struct {
	api    *graphql.API
	db     *store.DB
	runner *jobs.Runner
	tokens *auth.Tokens
	sites  []string
}

// newCoordinator reads the sites file and builds the API: federatedCount,
// plus the core (health, me, tokens, audit) over the coordinator's store.
func newCoordinator(ctx context.Context, c *fedConfig, log *slog.Logger) (*coordinator, error) {
	fc, err := federate.LoadSites(c.sites)
	if err != nil {
		return nil, err
	}
	fed, err := federate.New(fc)
	if err != nil {
		return nil, err
	}
	sc, err := c.storeConfig()
	if err != nil {
		return nil, err
	}
	sc.Logger = log
	db, err := store.Open(sc)
	if err != nil {
		return nil, err
	}
	co := &coordinator{db: db, sites: fed.Sites()}
	if err := co.build(ctx, c, fed, log); err != nil {
		db.Close()
		return nil, err
	}
	return co, nil
}

func (co *coordinator) build(ctx context.Context, c *fedConfig, fed *federate.Federation, log *slog.Logger) error {
	toks, err := auth.NewTokens(co.db)
	if err != nil {
		return err
	}
	path, created, err := toks.EnsureAdmin(ctx, c.data)
	if err != nil {
		return err
	}
	log.Info("admin token file", "file", path, "created", created)
	runner, err := jobs.New(jobs.Config{DB: co.db, Logger: log})
	if err != nil {
		return err
	}
	api, err := graphql.New(graphql.Config{
		DB: co.db, Jobs: runner, Tokens: toks, Logger: log, Version: versionString(),
		RequestTimeout: c.timeout, Domains: []graphql.Domain{&graphql.Federation{Fed: fed}},
	})
	if err != nil {
		return err
	}
	co.api, co.runner, co.tokens = api, runner, toks
	return nil
}

// Close stops the coordinator's jobs (it runs none) and closes its store.
func (co *coordinator) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = co.runner.Shutdown(ctx)
	return co.db.Close()
}

// federateCmd runs a federation coordinator until SIGINT or SIGTERM.
func federateCmd(ctx context.Context, args []string, log *slog.Logger) error {
	c, err := parseFederate(args)
	if err != nil {
		return err
	}
	co, err := newCoordinator(ctx, c, log)
	if err != nil {
		return err
	}
	defer co.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := newHTTPServer(co.api, c.timeout, log)
	_, cancel, err := serveUntilSignal(ctx, srv, ln, log,
		"addr", ln.Addr().String(), "role", "federation coordinator", "sites", co.sites, "version", versionString())
	cancel()
	return err
}
