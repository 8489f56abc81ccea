package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rxlab/rxlab/store"
)

// State is a job's life-cycle state, spelled as the GraphQL enum JobState.
type State string

// The job states.
const (
	Queued    State = "QUEUED"
	Running   State = "RUNNING"
	Succeeded State = "SUCCEEDED"
	Failed    State = "FAILED"
	Cancelled State = "CANCELLED"
)

// Final reports whether the state can no longer change.
func (s State) Final() bool { return s == Succeeded || s == Failed || s == Cancelled }

// Job is the persisted state of one job.
type Job struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	State    State           `json:"state"`
	Progress float64         `json:"progress"`
	Message  string          `json:"message,omitempty"`
	Error    string          `json:"error,omitempty"`
	Owner    string          `json:"owner"`
	Params   json.RawMessage `json:"params,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	// ResultID is the id of what the job made (a model, a policy, an
	// evaluation); ResultKind names what it is. Set by SetResultID.
	ResultID   string     `json:"resultId,omitempty"`
	ResultKind string     `json:"resultKind,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Attempts counts how often the job was started (resumes included).
	Attempts int `json:"attempts"`
	// LeaseUntil is when the runner that holds the job (on a Queue) stops
	// being presumed alive unless its heartbeat renews it.
	LeaseUntil *time.Time `json:"leaseUntil,omitempty"`
	// Node is the runner node that enqueued the job (Config.Node); empty
	// on a store only one process uses.
	Node string `json:"node,omitempty"`
}

// Handle is what a running job sees of itself.
type Handle struct {
	r   *Runner
	job Job
	mu  sync.Mutex
	// last progress write, to throttle store writes.
	lastWrite time.Time
}

// Job returns a copy of the job's record as it was when it started.
func (h *Handle) Job() Job { return h.job }

// Progress records progress p in 0..1 with a message. Writes are throttled
// to a few per second; the final state is always written by the runner.
func (h *Handle) Progress(ctx context.Context, p float64, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p < 0 {
		p = 0
	}
	if p > 1 {
		p = 1
	}
	h.job.Progress, h.job.Message = p, msg
	if time.Since(h.lastWrite) < 200*time.Millisecond {
		return
	}
	h.lastWrite = time.Now()
	j := h.job
	if err := h.r.update(context.WithoutCancel(ctx), j.ID, func(cur *Job) {
		cur.Progress, cur.Message = j.Progress, j.Message
	}); err != nil {
		h.r.log.Warn("job progress", "job", j.ID, "err", err)
	}
}

// SetResult stores a JSON result with the job (e.g. the id of what it made).
func (h *Handle) SetResult(ctx context.Context, v any) error {
	p, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return h.r.update(context.WithoutCancel(ctx), h.job.ID, func(cur *Job) { cur.Result = p })
}

// SetResultID records what the job made: its kind ("model", "policy",
// "evaluation", …), its id and a JSON result (detail, may be nil). When the
// job succeeds its message says so ("made model <id>"), replacing the last
// progress message.
func (h *Handle) SetResultID(ctx context.Context, kind, id string, detail any) error {
	var p json.RawMessage
	if detail != nil {
		var err error
		if p, err = json.Marshal(detail); err != nil {
			return err
		}
	}
	return h.r.update(context.WithoutCancel(ctx), h.job.ID, func(cur *Job) {
		cur.ResultKind, cur.ResultID = kind, id
		if p != nil {
			cur.Result = p
		}
	})
}

// succeededMessage is a finished job's message: what it made, if it said.
func succeededMessage(j Job) string {
	if j.ResultID == "" {
		return "succeeded"
	}
	return fmt.Sprintf("succeeded: made %s %s", j.ResultKind, j.ResultID)
}

// Func does a job's work. It must return promptly when ctx is done; a
// resumable kind saves a checkpoint first.
type Func func(ctx context.Context, h *Handle) error

// Kind describes one kind of job.
type Kind struct {
	// Name is the kind, e.g. "training".
	Name string
	// Run does the work.
	Run Func
	// Resumable kinds continue from their own checkpoint after a restart;
	// the others are marked FAILED when the process died under them.
	Resumable bool
	// Shard, when set, computes one shard of a job of this kind (see
	// Handle.RunShards); with a Queue any runner may compute it.
	Shard ShardFunc
}

// Config configures a Runner.
type Config struct {
	DB *store.DB
	// Concurrency bounds how many jobs run at once; default 1.
	Concurrency int
	Logger      *slog.Logger
	// Queue, when set, carries launched jobs and shards to whichever
	// runner serves it (Serve): other API nodes and workers. Nil runs
	// every job in this process, as before.
	Queue Queue
	// ShardConcurrency bounds the shards this runner computes at once for
	// its own jobs when there is no Queue; default 1.
	ShardConcurrency int
	// Node names this runner's node when several processes share the store
	// (SQL) without a durable Queue. Its jobs carry it, and Recover then
	// takes over only this node's jobs: another node's RUNNING job belongs
	// to that node, which recovers it when it starts again. Empty (one
	// process per store) recovers every job, as before.
	Node string
}

// Runner executes jobs with bounded concurrency, first come first served.
type Runner struct {
	db   *store.DB
	log  *slog.Logger
	conc int
	node string

	mu    sync.Mutex
	kinds map[string]Kind
	// running holds the cancel func of every launched job, waiting or not.
	running map[string]context.CancelCauseFunc
	// queue holds the launched jobs waiting for a slot, oldest first;
	// active counts the slots in use.
	queue    []waiting
	active   int
	stopping bool
	wg       sync.WaitGroup

	q         Queue
	shardConc int
	// deliveries holds the queue deliveries of the jobs running here.
	deliveries map[string]Delivery
	// beats stops the heartbeat of each delivered job running here.
	beats map[string]func()
	// dead is set by Abandon: nothing more is written or acknowledged.
	dead atomic.Bool
	// inShard counts the shards this runner is computing right now.
	inShard atomic.Int32
	// life ends at Shutdown or Abandon: shards computed here stop.
	life    context.Context
	endLife context.CancelCauseFunc
}

// waiting is a launched job waiting for a slot; start is closed when it
// gets one.
type waiting struct {
	id    string
	start chan struct{}
}

// errShutdown is the cancellation cause used by Shutdown.
var errShutdown = errors.New("server shutting down")

// msgInterrupted is the error of a job of a kind that cannot resume when
// the server stopped while it ran.
const msgInterrupted = "interrupted: the server stopped while this job ran, and jobs of this kind do not resume; start it again"

// New returns a Runner; register kinds, call Recover, then Start jobs.
func New(cfg Config) (*Runner, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("jobs: %w: nil store", store.ErrInvalid)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.ShardConcurrency <= 0 {
		cfg.ShardConcurrency = 1
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	life, endLife := context.WithCancelCause(context.Background())
	return &Runner{
		life: life, endLife: endLife,
		db:      cfg.DB,
		log:     log,
		conc:    cfg.Concurrency,
		node:    cfg.Node,
		kinds:   map[string]Kind{},
		running: map[string]context.CancelCauseFunc{},

		q: cfg.Queue, shardConc: cfg.ShardConcurrency, deliveries: map[string]Delivery{}, beats: map[string]func(){},
	}, nil
}

// Register adds a kind of job. Registering a name twice is an error.
func (r *Runner) Register(k Kind) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k.Name == "" || k.Run == nil {
		return fmt.Errorf("jobs: %w: kind needs a name and a Run func", store.ErrInvalid)
	}
	if _, dup := r.kinds[k.Name]; dup {
		return fmt.Errorf("jobs: %w: kind %q registered twice", store.ErrConflict, k.Name)
	}
	r.kinds[k.Name] = k
	return nil
}

func jobKey(id string) []byte { return []byte("job/" + id) }

// Start persists a new QUEUED job of the kind with params and runs it when a
// slot frees up. The caller's audit context (if any) audits the creation.
func (r *Runner) Start(ctx context.Context, kind, owner string, params any) (Job, error) {
	var j Job
	err := r.db.Update(ctx, func(tx *store.Txn) error {
		var err error
		j, err = r.Enqueue(tx, kind, owner, params)
		return err
	})
	if err != nil {
		return Job{}, err
	}
	r.Launch(j)
	return j, nil
}

// Enqueue persists a new QUEUED job inside the caller's transaction, so a
// record that names the job (a training run, an evaluation) and the job
// itself land together or not at all. Call Launch with the job once the
// transaction has committed; a job that is never launched stays QUEUED and
// runs after the next start (Recover).
func (r *Runner) Enqueue(tx *store.Txn, kind, owner string, params any) (Job, error) {
	r.mu.Lock()
	_, ok := r.kinds[kind]
	stopping := r.stopping
	r.mu.Unlock()
	if !ok {
		return Job{}, fmt.Errorf("jobs: %w: unknown job kind %q", store.ErrInvalid, kind)
	}
	if stopping {
		return Job{}, fmt.Errorf("jobs: %w: the server is shutting down", store.ErrConflict)
	}
	p, err := json.Marshal(params)
	if err != nil {
		return Job{}, fmt.Errorf("jobs: params: %w", err)
	}
	n, err := tx.NextID("job")
	if err != nil {
		return Job{}, err
	}
	j := Job{ID: fmt.Sprintf("J%d", n), Kind: kind, State: Queued, Owner: owner, Params: p, CreatedAt: time.Now().UTC(), Node: r.node}
	tx.Touch("job:" + j.ID)
	return j, tx.Put(jobKey(j.ID), j)
}

// Launch runs a job that Enqueue persisted, when a slot frees up. During
// shutdown it does nothing: the job stays QUEUED for the next start.
//
// With a Queue the job is submitted there (waiting at most 5 s) and runs on
// whichever runner takes it; a failed submit leaves it QUEUED, and serving
// runners submit it again (Serve) as does Recover.
func (r *Runner) Launch(j Job) {
	if r.q != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.q.Submit(ctx, j.ID); err != nil {
			r.log.Error("job submit failed; it stays QUEUED and is submitted again", "job", j.ID, "err", err)
		}
		return
	}
	r.launch(j)
}

func (r *Runner) launch(j Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return
	}
	if _, dup := r.running[j.ID]; dup {
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r.running[j.ID] = cancel
	w := waiting{id: j.ID, start: make(chan struct{})}
	r.queue = append(r.queue, w)
	r.wg.Add(1)
	go r.run(ctx, j, w.start)
	r.dispatchLocked()
}

// dispatchLocked hands free slots to the longest-waiting jobs.
func (r *Runner) dispatchLocked() {
	for r.active < r.conc && len(r.queue) > 0 {
		w := r.queue[0]
		r.queue = r.queue[1:]
		r.active++
		close(w.start)
	}
}

// leave takes a job that stopped waiting out of the queue, or gives back
// its slot when the dispatcher had already handed it one.
func (r *Runner) leave(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, w := range r.queue {
		if w.id == id {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			return
		}
	}
	r.active--
	r.dispatchLocked()
}

// done gives back a slot.
func (r *Runner) done() {
	r.mu.Lock()
	r.active--
	r.dispatchLocked()
	r.mu.Unlock()
}

// msgStillQueued is the message of a job that shutdown caught before it
// started: it keeps its place and runs after the next start.
const msgStillQueued = "queued: the server stopped before this job started; it runs after the next start"

// stayQueued records that a queued job was left for the next start.
func (r *Runner) stayQueued(id string) {
	err := r.update(context.Background(), id, func(cur *Job) {
		if cur.State == Queued {
			cur.Message = msgStillQueued
		}
	})
	if err != nil {
		r.log.Error("job left queued", "job", id, "err", err)
	}
}

func (r *Runner) run(ctx context.Context, j Job, start <-chan struct{}) {
	defer r.wg.Done()
	defer r.settle(j.ID)
	defer func() {
		r.mu.Lock()
		if c, ok := r.running[j.ID]; ok {
			c(nil)
			delete(r.running, j.ID)
		}
		r.mu.Unlock()
	}()
	select {
	case <-start:
	case <-ctx.Done():
		r.leave(j.ID)
		if errors.Is(context.Cause(ctx), errShutdown) {
			r.stayQueued(j.ID)
			return
		}
		r.finish(j.ID, ctx, nil)
		return
	}
	defer r.done()
	if ctx.Err() != nil { // cancelled or shut down while it took the slot
		if errors.Is(context.Cause(ctx), errShutdown) {
			r.stayQueued(j.ID)
		} else {
			r.finish(j.ID, ctx, nil)
		}
		return
	}

	r.mu.Lock()
	k := r.kinds[j.Kind]
	r.mu.Unlock()
	now := time.Now().UTC()
	err := r.update(context.Background(), j.ID, func(cur *Job) {
		cur.State, cur.StartedAt = Running, &now
		cur.Attempts++
		if cur.Message == msgStillQueued {
			cur.Message = ""
		}
	})
	if err != nil {
		r.log.Error("job start", "job", j.ID, "err", err)
		return
	}
	j.State, j.StartedAt = Running, &now
	j.Attempts++
	if j.Message == msgStillQueued {
		j.Message = ""
	}
	h := &Handle{r: r, job: j}
	runErr := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("internal error in job %s (%v)", j.Kind, p)
				r.log.Error("job panic", "job", j.ID, "kind", j.Kind, "panic", fmt.Sprint(p))
			}
		}()
		return k.Run(ctx, h)
	}()
	h.mu.Lock()
	prog, msg := h.job.Progress, h.job.Message
	h.mu.Unlock()
	r.finishWith(j.ID, ctx, runErr, prog, msg, k.Resumable)
}

func (r *Runner) finish(id string, ctx context.Context, runErr error) {
	r.finishWith(id, ctx, runErr, -1, "", false)
}

func (r *Runner) finishWith(id string, ctx context.Context, runErr error, prog float64, msg string, resumable bool) {
	cause := context.Cause(ctx)
	now := time.Now().UTC()
	err := r.update(context.Background(), id, func(cur *Job) {
		if cur.State.Final() { // cancelled on another node meanwhile
			return
		}
		if prog >= 0 {
			cur.Progress, cur.Message = prog, msg
		}
		switch {
		case runErr == nil && ctx.Err() == nil:
			cur.State, cur.Progress, cur.Message = Succeeded, 1, succeededMessage(*cur)
		case errors.Is(cause, errShutdown) && resumable:
			// Left RUNNING on purpose: Recover requeues it at the next start.
			cur.Message = "paused by shutdown; resumes at the next start"
			return
		case errors.Is(cause, errShutdown):
			cur.State, cur.Error = Failed, msgInterrupted
		case ctx.Err() != nil:
			cur.State, cur.Message = Cancelled, "cancelled"
		default:
			cur.State, cur.Error = Failed, runErr.Error()
		}
		cur.FinishedAt = &now
	})
	if err != nil {
		r.log.Error("job finish", "job", id, "err", err)
	}
}

func (r *Runner) update(ctx context.Context, id string, fn func(*Job)) error {
	if r.dead.Load() {
		return errAbandoned
	}
	return r.db.Update(ctx, func(tx *store.Txn) error {
		var j Job
		if err := tx.Get(jobKey(id), &j); err != nil {
			return err
		}
		fn(&j)
		return tx.Put(jobKey(id), j)
	})
}

// Get returns the job with id, or an error wrapping store.ErrNotFound.
func (r *Runner) Get(ctx context.Context, id string) (Job, error) {
	var j Job
	err := r.db.View(ctx, func(tx *store.Txn) error { return tx.Get(jobKey(id), &j) })
	if errors.Is(err, store.ErrNotFound) {
		return Job{}, fmt.Errorf("job %s: %w", id, store.ErrNotFound)
	}
	return j, err
}

// List returns up to first jobs, newest first, optionally only those in
// state and (when owner is not empty) only the owner's.
func (r *Runner) List(ctx context.Context, state State, owner string, first int) ([]Job, error) {
	var out []Job
	err := r.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("job/"), nil, func(rec store.Record) error {
			var j Job
			if err := rec.Decode(&j); err != nil {
				return err
			}
			if (state == "" || j.State == state) && (owner == "" || j.Owner == owner) {
				out = append(out, j)
			}
			return nil
		})
	})
	sort.Slice(out, func(a, b int) bool { return out[a].CreatedAt.After(out[b].CreatedAt) })
	if len(out) > first {
		out = out[:first]
	}
	return out, err
}

// Cancel asks a queued or running job to stop. Cancelling a finished job
// returns it unchanged.
func (r *Runner) Cancel(ctx context.Context, id string) (Job, error) {
	j, err := r.Get(ctx, id)
	if err != nil || j.State.Final() {
		return j, err
	}
	r.mu.Lock()
	c, ok := r.running[id]
	r.mu.Unlock()
	if ok {
		c(context.Canceled)
		// Wait briefly for the job to record its own end.
		for i := 0; i < 100; i++ {
			if j, err = r.Get(ctx, id); err != nil || j.State.Final() {
				return j, err
			}
			time.Sleep(20 * time.Millisecond)
		}
		return j, nil
	}
	now := time.Now().UTC()
	err = r.update(ctx, id, func(cur *Job) {
		if !cur.State.Final() {
			cur.State, cur.Message, cur.FinishedAt = Cancelled, "cancelled", &now
		}
	})
	if err != nil {
		return Job{}, err
	}
	return r.Get(ctx, id)
}

// Recover handles the jobs that were QUEUED or RUNNING when the process
// last stopped (shut down or crashed). With a durable Queue (NATS) it only
// submits the QUEUED ones again (a second submit of a queued job is a
// no-op): RUNNING jobs belong to a live runner or are redelivered by the
// queue when theirs died. Queued jobs never started: they keep
// their place and run now. Running jobs of resumable kinds are queued again
// and continue from their own checkpoints; running jobs of other kinds are
// marked FAILED with a message saying to start them again. Jobs of a kind no
// longer registered fail too. Call it once at start-up after registering the
// kinds; resumed counts the jobs launched again. On a store several nodes
// share without a durable Queue (Config.Node set), only this node's jobs
// are recovered.
func (r *Runner) Recover(ctx context.Context) (resumed, failed int, err error) {
	stale, err := r.List(ctx, "", "", 1<<30)
	if err != nil {
		return 0, 0, err
	}
	sort.SliceStable(stale, func(a, b int) bool { return stale[a].CreatedAt.Before(stale[b].CreatedAt) })
	for _, j := range stale {
		if err := ctx.Err(); err != nil {
			return resumed, failed, err
		}
		if j.State.Final() {
			continue
		}
		if r.q != nil && r.q.Durable() {
			// Other runners share the store and the queue: a RUNNING job
			// belongs to a live runner or comes back by redelivery.
			if j.State == Queued {
				if err := r.q.Submit(ctx, j.ID); err != nil {
					return resumed, failed, err
				}
				resumed++
			}
			continue
		}
		if r.node != "" && j.Node != "" && j.Node != r.node {
			// Another node's job on a shared store: it recovers its own.
			continue
		}
		r.mu.Lock()
		k, ok := r.kinds[j.Kind]
		r.mu.Unlock()
		var reason string
		switch {
		case !ok:
			reason = "interrupted: this server no longer runs jobs of this kind"
		case j.State == Queued:
			r.Launch(j)
			resumed++
			continue
		case k.Resumable:
			err := r.update(ctx, j.ID, func(cur *Job) { cur.State, cur.Message = Queued, "resuming after restart" })
			if err != nil {
				return resumed, failed, err
			}
			j.State = Queued
			r.Launch(j)
			resumed++
			continue
		default:
			reason = msgInterrupted
		}
		now := time.Now().UTC()
		err := r.update(ctx, j.ID, func(cur *Job) {
			cur.State, cur.FinishedAt, cur.Error = Failed, &now, reason
		})
		if err != nil {
			return resumed, failed, err
		}
		failed++
	}
	return resumed, failed, nil
}

// Shutdown stops accepting jobs, cancels the running ones with a shutdown
// cause (resumable kinds checkpoint and stay resumable) and waits for them
// until ctx ends.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.stopping = true
	for _, c := range r.running {
		c(errShutdown)
	}
	r.mu.Unlock()
	r.endLife(errShutdown)
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: shutdown: %w", ctx.Err())
	}
}
