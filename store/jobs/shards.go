package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rxlab/rxlab/store"
)

// ShardFunc computes shard index of job j and returns its result, at most
// MaxShardResultBytes. It must be deterministic: a shard may be computed
// twice (a runner died after finishing it) and either result is used.
type ShardFunc func(ctx context.Context, j Job, index int) ([]byte, error)

// Shard limits.
const (
	// MaxShards bounds the shards of one job.
	MaxShards = 10000
	// MaxShardResultBytes bounds one shard's result.
	MaxShardResultBytes = 32 << 20
)

// shardPrefix is where a job's shard records live: the result of shard i
// (raw bytes) at jobshard/<job>/r/<i>, a shard's error message at
// jobshard/<job>/e/<i>.
func shardPrefix(id string) []byte { return []byte("jobshard/" + id + "/") }

func shardKey(id string, i int) []byte { return fmt.Appendf(shardPrefix(id), "r/%06d", i) }

func shardErrKey(id string, i int) []byte { return fmt.Appendf(shardPrefix(id), "e/%06d", i) }

// RunShards computes shards 0..n-1 of this job with its kind's Shard func
// and returns their results in index order. Without a Queue they run in
// this process, ShardConcurrency at once. With one, every missing shard is
// queued for all runners that serve shards, and this call waits for the
// results in the store; shards finished by an earlier attempt of the job
// (it was redelivered after its runner died) are not run again. progress,
// when set, hears how many are done. Call ClearShards once the combined
// result is stored.
func (h *Handle) RunShards(ctx context.Context, n int, progress func(done, total int)) ([][]byte, error) {
	r := h.r
	r.mu.Lock()
	k := r.kinds[h.job.Kind]
	r.mu.Unlock()
	switch {
	case k.Shard == nil:
		return nil, fmt.Errorf("jobs: %w: kind %s has no Shard func", store.ErrInvalid, h.job.Kind)
	case n < 1 || n > MaxShards:
		return nil, fmt.Errorf("jobs: %w: %d shards, want 1..%d", store.ErrInvalid, n, MaxShards)
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	if r.q == nil {
		return r.shardsHere(ctx, k.Shard, h.job, n, progress)
	}
	return r.shardsQueued(ctx, h.job.ID, n, progress)
}

// shardsHere computes the shards in this process.
func (r *Runner) shardsHere(ctx context.Context, fn ShardFunc, j Job, n int, progress func(done, total int)) ([][]byte, error) {
	out := make([][]byte, n)
	errs := make([]error, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	next := make(chan int)
	for range min(r.shardConc, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = callShard(ctx, fn, j, i)
				if errs[i] != nil {
					cancel()
				}
				mu.Lock()
				done++
				progress(done, n)
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// callShard runs fn, turning a panic into an error and bounding the result.
func callShard(ctx context.Context, fn ShardFunc, j Job, i int) (res []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in shard %d of job %s (%s)", i, j.ID, j.Kind)
		}
	}()
	res, err = fn(ctx, j, i)
	if err == nil && len(res) > MaxShardResultBytes {
		err = fmt.Errorf("jobs: shard %d: result of %d bytes over the limit of %d", i, len(res), MaxShardResultBytes)
	}
	return res, err
}

// shardsQueued queues the missing shards and waits for all results.
func (r *Runner) shardsQueued(ctx context.Context, id string, n int, progress func(done, total int)) ([][]byte, error) {
	submitted := time.Time{}
	last := -1
	for {
		have, err := r.shardsDone(ctx, id, n)
		if err != nil {
			return nil, err
		}
		if len(have) != last {
			last = len(have)
			progress(last, n)
		}
		if len(have) == n {
			return r.shardResults(ctx, id, n)
		}
		// Queue the missing ones now and again every two ack waits: a
		// second submit while one is queued is a no-op.
		if time.Since(submitted) > 2*r.q.AckWait() {
			for i := range n {
				if !have[i] {
					if err := r.q.SubmitShard(ctx, id, i); err != nil {
						return nil, err
					}
				}
			}
			submitted = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// shardsDone lists the shards with a stored result; a stored error fails.
func (r *Runner) shardsDone(ctx context.Context, id string, n int) (map[int]bool, error) {
	have := map[int]bool{}
	var failed error
	err := r.db.View(ctx, func(tx *store.Txn) error {
		pre := len(shardPrefix(id))
		return tx.ScanKeys(shardPrefix(id), func(k []byte) error {
			var i int
			if len(k) < pre+3 {
				return nil
			}
			if _, err := fmt.Sscanf(string(k[pre+2:]), "%d", &i); err != nil || i < 0 || i >= n {
				return nil
			}
			if k[pre] == 'e' && failed == nil {
				msg, err := tx.GetRaw(k)
				if err != nil {
					return err
				}
				failed = fmt.Errorf("shard %d: %s", i, msg)
			}
			have[i] = true
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return have, failed
}

func (r *Runner) shardResults(ctx context.Context, id string, n int) ([][]byte, error) {
	out := make([][]byte, n)
	err := r.db.View(ctx, func(tx *store.Txn) error {
		for i := range n {
			v, err := tx.GetRaw(shardKey(id, i))
			if err != nil {
				return err
			}
			out[i] = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}

// ClearShards deletes the job's stored shard results.
func (h *Handle) ClearShards(ctx context.Context) error {
	if h.r.q == nil {
		return nil
	}
	return h.r.db.Update(ctx, func(tx *store.Txn) error {
		var keys [][]byte
		err := tx.ScanKeys(shardPrefix(h.job.ID), func(k []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// runShardDelivery computes a delivered shard and stores its result.
func (r *Runner) runShardDelivery(ctx context.Context, d Delivery) {
	j, err := r.Get(ctx, d.JobID())
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.Term()
		return
	case err != nil:
		d.Nak()
		return
	case j.State.Final():
		d.Ack() // nobody waits for it
		return
	}
	r.mu.Lock()
	k, known := r.kinds[j.Kind]
	r.mu.Unlock()
	if !known || k.Shard == nil {
		d.Nak()
		return
	}
	key := shardKey(j.ID, d.Shard())
	var done bool
	if err := r.db.View(ctx, func(tx *store.Txn) error { done, err = tx.Has(key); return err }); err == nil && done {
		d.Ack()
		return
	}
	if d.Attempt() > MaxDeliveries {
		msg := fmt.Sprintf("given up: delivered %d times, its runner stopped each time (limit %d)", d.Attempt()-1, MaxDeliveries)
		if err := r.db.Update(ctx, func(tx *store.Txn) error { return tx.PutRaw(shardErrKey(j.ID, d.Shard()), []byte(msg)) }); err != nil {
			d.Nak()
			return
		}
		d.Term()
		return
	}
	if d.Attempt() > 1 {
		r.log.Info("shard redelivered", "job", j.ID, "shard", d.Shard(), "attempt", d.Attempt())
	}
	stop := r.beat(d, j.ID)
	defer stop()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.life, cancel)() // Shutdown and Abandon stop it
	r.inShard.Add(1)
	res, err := callShard(sctx, k.Shard, j, d.Shard())
	r.inShard.Add(-1)
	if r.dead.Load() {
		return
	}
	if sctx.Err() != nil { // shutting down: another runner takes it
		d.Nak()
		return
	}
	if err != nil {
		key, res = shardErrKey(j.ID, d.Shard()), []byte(err.Error())
	}
	if err := r.db.Update(context.WithoutCancel(ctx), func(tx *store.Txn) error { return tx.PutRaw(key, res) }); err != nil {
		r.log.Warn("shard result", "job", j.ID, "shard", d.Shard(), "err", err)
		d.Nak()
		return
	}
	d.Ack()
}

// ShardsRunning is how many shards this runner is computing right now.
func (r *Runner) ShardsRunning() int { return int(r.inShard.Load()) }
