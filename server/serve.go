package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/rxlab/rxlab/graphql"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// serve runs the API until SIGINT or SIGTERM, then shuts down in order:
// stop accepting requests and let in-flight ones finish, stop jobs (the
// resumable ones checkpoint), close the store.
func serve(ctx context.Context, args []string, log *slog.Logger) error {
	c, err := parseServe(args)
	if err != nil {
		return err
	}
	sc, err := c.storeConfig()
	if err != nil {
		return err
	}
	if lim := applyMemoryLimit(c.memoryLimit); lim > 0 {
		log.Info("memory limit", "bytes", lim)
	}
	sc.Logger = log
	db, err := store.Open(sc)
	if err != nil {
		return err
	}
	defer db.Close()

	toks, err := auth.NewTokens(db)
	if err != nil {
		return err
	}
	path, created, err := toks.EnsureAdmin(ctx, c.data)
	if err != nil {
		return err
	}
	if created {
		log.Info("created the first admin token", "file", path)
	} else {
		log.Info("admin token file", "file", path)
	}
	node := ""
	if sc.URL != "" {
		// Several nodes share an SQL store: each recovers only its own jobs.
		if node, err = nodeID(c.data); err != nil {
			return err
		}
	}
	qr, err := newRunner(ctx, db, &c.queue, c.concurrency, "node "+c.addr, node, log)
	if err != nil {
		return err
	}
	defer qr.closeQueue()
	runner := qr.Runner
	w, err := wire(ctx, c, db, runner, log)
	if err != nil {
		return err
	}
	resumed, failed, err := runner.Recover(ctx)
	if err != nil {
		return err
	}
	if resumed+failed > 0 {
		log.Info("jobs recovered", "resumed", resumed, "failed", failed)
	}
	qr.serveQueue(ctx, jobs.ServeConfig{Jobs: c.concurrency, Shards: c.queue.shards}, log)
	if c.demo {
		if err := seedAll(ctx, db, w.seeders, log); err != nil {
			return err
		}
	}
	api, err := graphql.New(graphql.Config{
		DB: db, Jobs: runner, Tokens: toks, Logger: log, Version: versionString(),
		RequestTimeout: c.timeout, Web: w.web, Domains: w.domains,
		Limits: c.limits(), SpoolDir: c.spoolDir, TrustForwardedFor: c.trustForwardedFor,
	})
	if err != nil {
		return err
	}
	if dir, stale := api.Spool(); stale > 0 {
		log.Info("removed spool files an earlier process left", "dir", dir, "files", stale)
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := newHTTPServer(api, c.timeout, log)
	shutCtx, cancel, err := serveUntilSignal(ctx, srv, ln, log,
		"addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/", "version", versionString())
	defer cancel()
	if err != nil {
		return err
	}
	qr.stop(shutCtx, log)
	if err := db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	log.Info("stopped")
	return nil
}

// seeder is one domain's part of the demo world.
type seeder struct {
	name string
	seed func(ctx context.Context) error
}

// seedAll runs each seeder once per database, in order, recording
// meta/seeded/<name> when it finishes, so a capability that lands later
// seeds its part into an existing database at the next start.
func seedAll(ctx context.Context, db *store.DB, seeders []seeder, log *slog.Logger) error {
	for _, s := range seeders {
		key := []byte("meta/seeded/" + s.name)
		var done bool
		err := db.View(ctx, func(tx *store.Txn) error {
			var err error
			done, err = tx.Has(key)
			return err
		})
		if err != nil {
			return err
		}
		if done {
			continue
		}
		start := time.Now()
		if err := s.seed(ctx); err != nil {
			return fmt.Errorf("seed %s: %w", s.name, err)
		}
		if err := db.Update(ctx, func(tx *store.Txn) error { return tx.Put(key, time.Now().UTC()) }); err != nil {
			return err
		}
		log.Info("seeded demo data", "part", s.name, "seconds", time.Since(start).Seconds())
	}
	return nil
}

// newHTTPServer bounds every connection's time: headers must arrive within
// 10 s; a whole request within ReadTimeout and its answer within
// WriteTimeout unless the route sets its own deadlines — /graphql reads
// its body at the minimum upload rate and answers within the request
// timeout plus a margin, the import endpoints read at the minimum rate and
// may answer as late as the import takes (see graphql/upload.go).
func newHTTPServer(h http.Handler, requestTimeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      requestTimeout + time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveUntilSignal serves srv on ln until SIGINT or SIGTERM (or ctx ends),
// logging "rxlab listening" with attrs, then shuts the HTTP server down:
// requests in flight finish within 30 s. It returns the context that bounds
// the rest of the shutdown, and its cancel; a serving error other than a
// closed server is returned as is.
func serveUntilSignal(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger, attrs ...any) (context.Context, context.CancelFunc, error) {
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("rxlab listening", attrs...)
	select {
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return context.Background(), func() {}, err
		}
	case <-sigCtx.Done():
		log.Info("shutting down")
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	return shutCtx, cancel, nil
}
