package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rxlab/rxlab/store"
)

// Queue carries launched jobs, and the shards jobs split into, to the
// runners that take them: any API node or worker that serves the queue
// (Runner.Serve). Two implementations: NATSQueue (JetStream; durable,
// shared by processes, redelivers what a dead runner held) and MemQueue
// (this process only). A Runner without a Queue (Config.Queue nil) runs its
// jobs itself as it always did.
type Queue interface {
	// Submit queues job id to run. Submitting an id that is still queued
	// queues it once.
	Submit(ctx context.Context, id string) error
	// SubmitShard queues shard index of job id; again at most once while
	// queued.
	SubmitShard(ctx context.Context, id string, index int) error
	// NextJob and NextShard deliver the next job or shard, waiting up to
	// wait; (nil, nil) when none came.
	NextJob(ctx context.Context, wait time.Duration) (Delivery, error)
	NextShard(ctx context.Context, wait time.Duration) (Delivery, error)
	// AckWait is how long a delivery may go without InProgress before the
	// queue hands it to another runner.
	AckWait() time.Duration
	// Durable reports whether queued work outlives this process (then a
	// job left RUNNING by a dead process comes back by redelivery, and
	// Recover leaves it alone).
	Durable() bool
}

// Delivery is one job or shard handed to a runner. Exactly one of Ack, Nak
// and Term ends it; a delivery that is never ended (the process died) is
// delivered again after AckWait.
type Delivery interface {
	// JobID is the job; Shard is the shard index, -1 for the job itself.
	JobID() string
	Shard() int
	// Attempt counts deliveries of this message, from 1.
	Attempt() int
	// InProgress tells the queue the work goes on (resets AckWait).
	InProgress() error
	// Ack: done. Nak: give it to a runner again now. Term: never again.
	Ack() error
	Nak() error
	Term() error
}

// MemQueue is a Queue inside one process: first in, first out, nothing
// survives the process.
type MemQueue struct {
	mu     sync.Mutex
	jobs   []*memDelivery
	shards []*memDelivery
	queued map[string]bool
	wake   chan struct{}
}

// NewMemQueue returns an empty in-process queue.
func NewMemQueue() *MemQueue {
	return &MemQueue{queued: map[string]bool{}, wake: make(chan struct{})}
}

type memDelivery struct {
	q       *MemQueue
	id      string
	shard   int
	attempt int
}

func (d *memDelivery) key() string       { return fmt.Sprintf("%s/%d", d.id, d.shard) }
func (d *memDelivery) JobID() string     { return d.id }
func (d *memDelivery) Shard() int        { return d.shard }
func (d *memDelivery) Attempt() int      { return d.attempt }
func (d *memDelivery) InProgress() error { return nil }
func (d *memDelivery) Ack() error        { return nil }
func (d *memDelivery) Term() error       { return nil }
func (d *memDelivery) Nak() error {
	d.q.push(&memDelivery{q: d.q, id: d.id, shard: d.shard, attempt: d.attempt})
	return nil
}
func (q *MemQueue) AckWait() time.Duration { return time.Minute }

// Durable is false: the queue dies with the process.
func (q *MemQueue) Durable() bool { return false }

// Submit queues a job.
func (q *MemQueue) Submit(ctx context.Context, id string) error {
	q.push(&memDelivery{q: q, id: id, shard: -1})
	return nil
}

// SubmitShard queues a shard.
func (q *MemQueue) SubmitShard(ctx context.Context, id string, index int) error {
	if index < 0 {
		return fmt.Errorf("jobs: %w: shard index %d", store.ErrInvalid, index)
	}
	q.push(&memDelivery{q: q, id: id, shard: index})
	return nil
}

func (q *MemQueue) push(d *memDelivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.queued[d.key()] {
		return
	}
	q.queued[d.key()] = true
	if d.shard < 0 {
		q.jobs = append(q.jobs, d)
	} else {
		q.shards = append(q.shards, d)
	}
	close(q.wake)
	q.wake = make(chan struct{})
}

// NextJob takes the oldest queued job.
func (q *MemQueue) NextJob(ctx context.Context, wait time.Duration) (Delivery, error) {
	return q.next(ctx, wait, false)
}

// NextShard takes the oldest queued shard.
func (q *MemQueue) NextShard(ctx context.Context, wait time.Duration) (Delivery, error) {
	return q.next(ctx, wait, true)
}

func (q *MemQueue) next(ctx context.Context, wait time.Duration, shard bool) (Delivery, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		q.mu.Lock()
		list := &q.jobs
		if shard {
			list = &q.shards
		}
		if len(*list) > 0 {
			d := (*list)[0]
			*list = (*list)[1:]
			delete(q.queued, d.key())
			q.mu.Unlock()
			d.attempt++
			return d, nil
		}
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-wake:
		case <-t.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
