package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// queueConfig is how a process takes part in the shared job queue.
type queueConfig struct {
	nats    string
	ackWait time.Duration
	shards  int
}

// queueFlags registers the job-queue flags of serve and worker.
func queueFlags(fs *flag.FlagSet, q *queueConfig) {
	fs.StringVar(&q.nats, "nats", env("RXLAB_NATS", ""), "NATS URL with JetStream, e.g. nats://127.0.0.1:4222: jobs and their shards go to a shared stream that any node or worker takes; empty runs jobs in this process (env RXLAB_NATS)")
	fs.DurationVar(&q.ackWait, "nats-ack-wait", 30*time.Second, "with -nats: how long a job or shard may go without its runner's heartbeat before another runner takes it over")
	fs.IntVar(&q.shards, "shards", 1, "evaluation shards this process computes at once (with -nats, for any node's jobs)")
}

func (q *queueConfig) check(cmd string) error {
	if q.shards < 0 || q.shards > 256 {
		return fmt.Errorf("%s: -shards %d out of range 0..256", cmd, q.shards)
	}
	if q.nats != "" && (q.ackWait < time.Second || q.ackWait > time.Hour) {
		return fmt.Errorf("%s: -nats-ack-wait %s out of range 1s..1h", cmd, q.ackWait)
	}
	return nil
}

// queuedRunner is a job runner and, with -nats, its queue and the loop
// that takes work from it.
type queuedRunner struct {
	*jobs.Runner
	q       *jobs.NATSQueue
	serving sync.WaitGroup
}

// newRunner builds the job runner: on a NATS queue when q.nats is set,
// else in this process.
func newRunner(ctx context.Context, db *store.DB, q *queueConfig, conc int, name, node string, log *slog.Logger) (*queuedRunner, error) {
	cfg := jobs.Config{DB: db, Concurrency: conc, Logger: log, ShardConcurrency: max(q.shards, 1), Node: node}
	qr := &queuedRunner{}
	if q.nats != "" {
		nq, err := jobs.NewNATSQueue(ctx, jobs.NATSConfig{URL: q.nats, AckWait: q.ackWait, Name: name})
		if err != nil {
			return nil, err
		}
		cfg.Queue, qr.q = nq, nq
	}
	r, err := jobs.New(cfg)
	if err != nil {
		qr.closeQueue()
		return nil, err
	}
	qr.Runner = r
	return qr, nil
}

// serveQueue takes jobs and shards from the queue until the runner shuts
// down (nothing without a queue, or with nothing to take).
func (qr *queuedRunner) serveQueue(ctx context.Context, sc jobs.ServeConfig, log *slog.Logger) {
	if qr.q == nil || sc.Jobs+sc.Shards == 0 {
		return
	}
	qr.serving.Add(1)
	go func() {
		defer qr.serving.Done()
		if err := qr.Serve(ctx, sc); err != nil {
			log.Error("job queue", "err", err)
		}
	}()
}

// stop shuts the runner down (jobs checkpoint, unfinished deliveries go
// back to the queue), waits for the queue loop and closes the connection.
func (qr *queuedRunner) stop(ctx context.Context, log *slog.Logger) {
	if err := qr.Shutdown(ctx); err != nil {
		log.Warn("jobs shutdown", "err", err)
	}
	qr.serving.Wait()
	qr.closeQueue()
}

func (qr *queuedRunner) closeQueue() {
	if qr.q != nil {
		qr.q.Close()
	}
}

// workerConfig is the configuration of a worker.
type workerConfig struct {
	config
	queue queueConfig
}

func parseWorker(args []string) (*workerConfig, error) {
	c := &workerConfig{}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	storeFlags(fs, &c.config)
	queueFlags(fs, &c.queue)
	fs.IntVar(&c.concurrency, "jobs", 1, "jobs this worker runs at once (0: shards only)")
	fs.IntVar(&c.smallCell, "small-cell", envInt("RXLAB_SMALL_CELL", 11), "the API nodes' small-cell threshold: populations drawn from stored patients need at least this many (env RXLAB_SMALL_CELL)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("worker: unexpected argument %q", fs.Arg(0))
	}
	if c.queue.nats == "" {
		return nil, fmt.Errorf("worker: -nats is required: a worker takes jobs from the shared queue (a NATS JetStream URL)")
	}
	if c.concurrency < 0 || c.concurrency > 64 || c.concurrency+c.queue.shards == 0 {
		return nil, fmt.Errorf("worker: -jobs %d and -shards %d: want 0..64 jobs and some jobs or shards", c.concurrency, c.queue.shards)
	}
	return c, c.queue.check("worker")
}

// workerCmd runs a worker: no API, only jobs and shards from the queue,
// over the same store as the API nodes, until SIGINT or SIGTERM.
func workerCmd(ctx context.Context, args []string, log *slog.Logger) error {
	c, err := parseWorker(args)
	if err != nil {
		return err
	}
	sc, err := c.storeConfig()
	if err != nil {
		return err
	}
	sc.Logger = log
	db, err := store.Open(sc)
	if err != nil {
		return err
	}
	defer db.Close()
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	qr, err := startWorker(sigCtx, &c.config, &c.queue, db, log)
	if err != nil {
		return err
	}
	log.Info("rxlab worker ready", "nats", redactNATS(c.queue.nats), "jobs", c.concurrency, "shards", c.queue.shards, "version", versionString())
	<-sigCtx.Done()
	log.Info("worker stopping")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qr.stop(shutCtx, log)
	return nil
}

// startWorker registers every job kind (the same wiring as an API node,
// without the API) and starts taking work from the queue.
func startWorker(ctx context.Context, c *config, q *queueConfig, db *store.DB, log *slog.Logger) (*queuedRunner, error) {
	qr, err := newRunner(ctx, db, q, max(c.concurrency, 1), "worker", "", log)
	if err != nil {
		return nil, err
	}
	if _, err := wire(ctx, c, db, qr.Runner, log); err != nil {
		qr.closeQueue()
		return nil, err
	}
	qr.serveQueue(ctx, jobs.ServeConfig{Jobs: c.concurrency, Shards: q.shards}, log)
	return qr, nil
}

// redactNATS drops the user, password or token of each server of a NATS
// URL list for logs.
func redactNATS(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		switch {
		case err != nil:
			parts[i] = "(unreadable URL)"
		case u.User != nil:
			u.User = nil
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
