package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rxlab/rxlab/store"
)

// errAbandoned is returned by writes of an abandoned runner.
var errAbandoned = errors.New("jobs: runner abandoned")

// ServeConfig says how much of the queue's work one runner takes.
type ServeConfig struct {
	// Jobs is how many jobs it runs at once; 0 takes no jobs (a worker
	// that only computes shards). The runner's Concurrency still bounds it.
	Jobs int
	// Shards is how many shards it computes at once; 0 takes none.
	Shards int
	// Resubmit is how often QUEUED jobs that no runner ever claimed (their
	// submit failed, e.g. NATS was down) are submitted again; default one
	// minute, negative never.
	Resubmit time.Duration
}

// Serve takes jobs and shards from the Queue until ctx ends or Shutdown,
// running each job here as if launched here and each shard with its kind's
// Shard func. While a delivery is worked on, the runner tells the queue so
// every AckWait/4 (a runner that dies stops telling, and the queue hands the
// work to another after AckWait); a job cancelled elsewhere is noticed at
// the same beat. It returns nil when ctx ends or the runner shuts down.
func (r *Runner) Serve(ctx context.Context, sc ServeConfig) error {
	if r.q == nil {
		return fmt.Errorf("jobs: %w: Serve needs a Queue", store.ErrInvalid)
	}
	if sc.Jobs < 0 || sc.Shards < 0 || sc.Jobs+sc.Shards == 0 {
		return fmt.Errorf("jobs: %w: Serve needs Jobs or Shards > 0", store.ErrInvalid)
	}
	var wg sync.WaitGroup
	if sc.Jobs > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); r.takeLoop(ctx, min(sc.Jobs, r.conc), false) }()
	}
	if sc.Shards > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); r.takeLoop(ctx, sc.Shards, true) }()
	}
	if sc.Resubmit == 0 {
		sc.Resubmit = time.Minute
	}
	if sc.Jobs > 0 && sc.Resubmit > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); r.resubmitLoop(ctx, sc.Resubmit) }()
	}
	wg.Wait()
	return nil
}

// resubmitLoop submits again, every period, the QUEUED jobs older than a
// period that no runner ever claimed; a second submit of a queued job is a
// no-op or dropped by the claim.
func (r *Runner) resubmitLoop(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.life.Done(): // Shutdown or Abandon: do not hold up the stop for a tick
			return
		case <-t.C:
		}
		if r.stopped() {
			return
		}
		queued, err := r.List(ctx, Queued, "", 1000)
		if err != nil {
			r.log.Warn("job resubmit", "err", err)
			continue
		}
		for _, j := range queued {
			if j.LeaseUntil == nil && time.Since(j.CreatedAt) > period {
				if err := r.q.Submit(ctx, j.ID); err != nil {
					r.log.Warn("job resubmit", "job", j.ID, "err", err)
				}
			}
		}
	}
}

// stopped reports whether the runner no longer takes work.
func (r *Runner) stopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopping || r.dead.Load()
}

// takeLoop fetches a delivery whenever one of slots is free.
func (r *Runner) takeLoop(ctx context.Context, slots int, shards bool) {
	sem := make(chan struct{}, slots)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil && !r.stopped() {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		next := r.q.NextJob
		if shards {
			next = r.q.NextShard
		}
		d, err := next(ctx, 500*time.Millisecond)
		if err != nil || d == nil {
			<-sem
			if err != nil && ctx.Err() == nil {
				r.log.Warn("job queue", "err", err)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		if r.stopped() {
			d.Nak() // another runner takes it now
			<-sem
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if shards {
				r.runShardDelivery(ctx, d)
			} else {
				r.runJobDelivery(d)
			}
		}()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// runJobDelivery runs a delivered job here, unless it is already over.
func (r *Runner) runJobDelivery(d Delivery) {
	j, verdict, err := r.claim(d)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.Term()
		return
	case err != nil:
		r.log.Warn("job delivery", "job", d.JobID(), "err", err)
		d.Nak()
		return
	case verdict != "":
		r.log.Info("job delivery dropped", "job", j.ID, "why", verdict)
		d.Ack()
		return
	}
	stop := r.beat(d, j.ID)
	r.mu.Lock()
	_, known := r.kinds[j.Kind]
	_, here := r.running[j.ID]
	if known && !here {
		r.deliveries[j.ID], r.beats[j.ID] = d, stop
	}
	r.mu.Unlock()
	if !known || here {
		stop()
		d.Nak() // another runner knows the kind, or holds it already
		return
	}
	if d.Attempt() > 1 {
		r.log.Info("job redelivered; resuming", "job", j.ID, "attempt", d.Attempt())
	}
	r.launch(j)
	r.mu.Lock()
	_, launched := r.running[j.ID]
	if !launched { // shutting down: launch did nothing
		delete(r.deliveries, j.ID)
		delete(r.beats, j.ID)
	}
	r.mu.Unlock()
	if !launched {
		stop()
		d.Nak()
	}
}

// MaxDeliveries bounds how often one job or shard is delivered: one that
// killed its runner that often fails instead of killing the next.
const MaxDeliveries = 10

// claim takes the delivered job in one transaction: it leases it for
// AckWait (the heartbeat renews the lease) unless it is over, given up, or
// RUNNING under a live lease — a second submit of a job another runner
// holds — in which case verdict says why the delivery is dropped.
func (r *Runner) claim(d Delivery) (j Job, verdict string, err error) {
	now := time.Now().UTC()
	err = r.db.Update(context.Background(), func(tx *store.Txn) error {
		verdict = ""
		if err := tx.Get(jobKey(d.JobID()), &j); err != nil {
			return err
		}
		switch {
		case j.State.Final():
			verdict = "finished"
			return nil
		case j.LeaseUntil != nil && now.Before(*j.LeaseUntil) && d.Attempt() == 1:
			// A first delivery of a job under a live lease is a second
			// submit of a job another runner claimed (QUEUED or RUNNING).
			verdict = "held by another runner"
			return nil
		case d.Attempt() > MaxDeliveries:
			verdict = "given up"
			j.State, j.FinishedAt = Failed, &now
			j.Error = fmt.Sprintf("given up: delivered %d times, its runner stopped each time (limit %d)", d.Attempt()-1, MaxDeliveries)
			return tx.Put(jobKey(j.ID), j)
		}
		lease := now.Add(r.q.AckWait())
		j.LeaseUntil = &lease
		return tx.Put(jobKey(j.ID), j)
	})
	return j, verdict, err
}

// renewLease extends a running job's lease by AckWait.
func (r *Runner) renewLease(id string) {
	lease := time.Now().UTC().Add(r.q.AckWait())
	err := r.update(context.Background(), id, func(cur *Job) {
		if !cur.State.Final() {
			cur.LeaseUntil = &lease
		}
	})
	if err != nil && !errors.Is(err, errAbandoned) {
		r.log.Warn("job lease", "job", id, "err", err)
	}
}

// settle ends the delivery of a job that stopped running here: acknowledged
// when the job is over, handed back (Nak) when it was left to resume.
func (r *Runner) settle(id string) {
	r.mu.Lock()
	d, ok := r.deliveries[id]
	delete(r.deliveries, id)
	stop := r.beats[id]
	delete(r.beats, id)
	r.mu.Unlock()
	if stop != nil {
		stop()
	}
	if !ok || r.dead.Load() {
		return
	}
	j, err := r.Get(context.Background(), id)
	if err == nil && !j.State.Final() {
		d.Nak()
		return
	}
	d.Ack()
}

// beat tells the queue every AckWait/4 that the work on d goes on and, for
// a job, cancels it here when it was cancelled elsewhere. The returned func
// stops it.
func (r *Runner) beat(d Delivery, jobID string) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(r.q.AckWait() / 4)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if r.dead.Load() {
				return
			}
			if err := d.InProgress(); err != nil {
				r.log.Warn("job heartbeat", "job", jobID, "err", err)
			}
			if d.Shard() < 0 {
				r.renewLease(jobID)
			}
			if j, err := r.Get(context.Background(), jobID); err == nil && j.State.Final() {
				r.mu.Lock()
				if c, ok := r.running[jobID]; ok && d.Shard() < 0 {
					c(context.Canceled)
				}
				r.mu.Unlock()
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// Abandon stops this runner as a crash would: it takes no more work, stops
// its jobs and shards, and writes and acknowledges nothing more, so the
// queue hands what it held to other runners after AckWait. For tests of
// redelivery and for a process that lost its store.
func (r *Runner) Abandon() {
	r.dead.Store(true)
	r.mu.Lock()
	r.stopping = true
	for _, c := range r.running {
		c(errAbandoned)
	}
	r.mu.Unlock()
	r.endLife(errAbandoned)
}
