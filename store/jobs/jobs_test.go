package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

func newRunner(t *testing.T, db *store.DB, conc int) *Runner {
	t.Helper()
	r, err := New(Config{DB: db, Concurrency: conc})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitState(t *testing.T, r *Runner, id string, want State) Job {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		j, err := r.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == want {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s %s), want %s", id, j.State, j.Message, j.Error, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := newRunner(t, db, 1)
	release := make(chan struct{})
	r.Register(Kind{Name: "ok", Run: func(ctx context.Context, h *Handle) error {
		h.Progress(ctx, 0.5, "half")
		return h.SetResult(ctx, map[string]string{"made": "x"})
	}})
	r.Register(Kind{Name: "fail", Run: func(ctx context.Context, h *Handle) error { return errors.New("bad thing") }})
	r.Register(Kind{Name: "block", Run: func(ctx context.Context, h *Handle) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-release:
			return nil
		}
	}})
	r.Register(Kind{Name: "panic", Run: func(ctx context.Context, h *Handle) error { panic("oops") }})
	if err := r.Register(Kind{Name: "ok", Run: func(context.Context, *Handle) error { return nil }}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate kind = %v", err)
	}
	if _, err := r.Start(ctx, "nope", "u", nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown kind = %v", err)
	}

	okJob, _ := r.Start(ctx, "ok", "u1", map[string]int{"n": 1})
	j := waitState(t, r, okJob.ID, Succeeded)
	if j.Progress != 1 || string(j.Result) != `{"made":"x"}` || j.FinishedAt == nil {
		t.Errorf("succeeded job = %+v", j)
	}
	failJob, _ := r.Start(ctx, "fail", "u1", nil)
	if j := waitState(t, r, failJob.ID, Failed); j.Error != "bad thing" {
		t.Errorf("failed job error = %q", j.Error)
	}
	pj, _ := r.Start(ctx, "panic", "u1", nil)
	if j := waitState(t, r, pj.ID, Failed); !strings.Contains(j.Error, "internal error") {
		t.Errorf("panicking job error = %q", j.Error)
	}

	// Concurrency 1: the second blocking job waits QUEUED; cancel both.
	b1, _ := r.Start(ctx, "block", "u2", nil)
	waitState(t, r, b1.ID, Running)
	b2, _ := r.Start(ctx, "block", "u2", nil)
	time.Sleep(20 * time.Millisecond)
	if j, _ := r.Get(ctx, b2.ID); j.State != Queued {
		t.Errorf("second job with one slot is %s, want QUEUED", j.State)
	}
	if j, err := r.Cancel(ctx, b1.ID); err != nil || j.State != Cancelled {
		t.Errorf("Cancel(running) = %+v, %v", j.State, err)
	}
	waitState(t, r, b2.ID, Running)
	close(release)
	waitState(t, r, b2.ID, Succeeded)

	list, _ := r.List(ctx, "", "u2", 10)
	if len(list) != 2 {
		t.Errorf("List(owner u2) = %d jobs, want 2", len(list))
	}
	if _, err := r.Get(ctx, "J999"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
	r.Shutdown(ctx)
}

func TestRecoverAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, _ := store.Open(store.Config{Dir: dir, GCInterval: -1})
	// Simulate a crash: jobs persisted RUNNING with no process behind them.
	db.Update(ctx, func(tx *store.Txn) error {
		tx.Put(jobKey("J1"), Job{ID: "J1", Kind: "plain", State: Running, CreatedAt: time.Now()})
		return tx.Put(jobKey("J2"), Job{ID: "J2", Kind: "resumable", State: Running, CreatedAt: time.Now()})
	})
	r := newRunner(t, db, 2)
	resumedRan := make(chan int, 1)
	r.Register(Kind{Name: "plain", Run: func(context.Context, *Handle) error { return nil }})
	r.Register(Kind{Name: "resumable", Resumable: true, Run: func(ctx context.Context, h *Handle) error {
		resumedRan <- h.Job().Attempts
		return nil
	}})
	resumed, failed, err := r.Recover(ctx)
	if err != nil || resumed != 1 || failed != 1 {
		t.Fatalf("Recover = %d resumed, %d failed, %v", resumed, failed, err)
	}
	if j := waitState(t, r, "J1", Failed); !strings.Contains(j.Error, "interrupted") {
		t.Errorf("J1 error = %q", j.Error)
	}
	waitState(t, r, "J2", Succeeded)
	r.Shutdown(ctx)
	db.Close()
}

func TestShutdownKeepsResumableJobs(t *testing.T) {
	ctx := context.Background()
	db, _ := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	defer db.Close()
	r := newRunner(t, db, 2)
	r.Register(Kind{Name: "train", Resumable: true, Run: func(ctx context.Context, h *Handle) error { <-ctx.Done(); return ctx.Err() }})
	r.Register(Kind{Name: "eval", Run: func(ctx context.Context, h *Handle) error { <-ctx.Done(); return ctx.Err() }})
	a, _ := r.Start(ctx, "train", "u", nil)
	b, _ := r.Start(ctx, "eval", "u", nil)
	waitState(t, r, a.ID, Running)
	waitState(t, r, b.ID, Running)
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if j, _ := r.Get(ctx, a.ID); j.State != Running || !strings.Contains(j.Message, "resumes") {
		t.Errorf("resumable job after shutdown = %s %q", j.State, j.Message)
	}
	if j, _ := r.Get(ctx, b.ID); j.State != Failed {
		t.Errorf("plain job after shutdown = %s", j.State)
	}
	if _, err := r.Start(ctx, "eval", "u", nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Start after shutdown = %v", err)
	}
}

// TestQueuedJobsSurviveRestart stops a runner while one job runs and two
// wait for the single slot, reopens the store with a new runner, and checks
// that the waiting jobs were never failed and run after Recover, while the
// interrupted job of a non-resumable kind fails with a clear message.
func TestQueuedJobsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, db, 1)
	block := func(ctx context.Context, h *Handle) error { <-ctx.Done(); return ctx.Err() }
	r.Register(Kind{Name: "eval", Run: block})
	r.Register(Kind{Name: "train", Resumable: true, Run: block})
	running, _ := r.Start(ctx, "eval", "u", nil)
	waitState(t, r, running.ID, Running)
	q1, _ := r.Start(ctx, "eval", "u", map[string]int{"n": 1})
	q2, _ := r.Start(ctx, "train", "u", nil)
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{q1.ID, q2.ID} {
		j, _ := r.Get(ctx, id)
		if j.State != Queued || j.Attempts != 0 || j.Error != "" || !strings.Contains(j.Message, "next start") {
			t.Errorf("queued job %s after shutdown: %s attempts %d %q %q", id, j.State, j.Attempts, j.Message, j.Error)
		}
	}
	if j, _ := r.Get(ctx, running.ID); j.State != Failed || !strings.Contains(j.Error, "start it again") {
		t.Errorf("interrupted non-resumable job: %s %q", j.State, j.Error)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r = newRunner(t, db, 1)
	ran := make(chan string, 2)
	done := func(ctx context.Context, h *Handle) error { ran <- h.Job().ID; return nil }
	r.Register(Kind{Name: "eval", Run: done})
	r.Register(Kind{Name: "train", Resumable: true, Run: done})
	resumed, failed, err := r.Recover(ctx)
	if err != nil || resumed != 2 || failed != 0 {
		t.Fatalf("Recover = %d resumed, %d failed, %v", resumed, failed, err)
	}
	for _, id := range []string{q1.ID, q2.ID} {
		if j := waitState(t, r, id, Succeeded); j.Attempts != 1 || j.Message == msgStillQueued {
			t.Errorf("job %s after restart: attempts %d, message %q", id, j.Attempts, j.Message)
		}
	}
	if a, b := <-ran, <-ran; a != q1.ID || b != q2.ID {
		t.Errorf("ran %s then %s, want creation order %s, %s", a, b, q1.ID, q2.ID)
	}
	if j, _ := r.Get(ctx, running.ID); j.State != Failed {
		t.Errorf("failed job changed at restart: %s", j.State)
	}
	r.Shutdown(ctx)
}

// TestCancelQueuedAndRunning cancels a job waiting for a slot, one running,
// and one persisted QUEUED that no runner has launched.
func TestCancelQueuedAndRunning(t *testing.T) {
	ctx := context.Background()
	db, _ := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	defer db.Close()
	r := newRunner(t, db, 1)
	r.Register(Kind{Name: "block", Run: func(ctx context.Context, h *Handle) error { <-ctx.Done(); return ctx.Err() }})
	run, _ := r.Start(ctx, "block", "u", nil)
	waitState(t, r, run.ID, Running)
	queued, _ := r.Start(ctx, "block", "u", nil)
	var idle Job
	err := db.Update(ctx, func(tx *store.Txn) error {
		var err error
		idle, err = r.Enqueue(tx, "block", "u", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   string
	}{{"waiting for a slot", queued.ID}, {"running", run.ID}, {"never launched", idle.ID}} {
		j, err := r.Cancel(ctx, tc.id)
		if err != nil || j.State != Cancelled || j.FinishedAt == nil {
			t.Errorf("Cancel(%s) = %s, %v", tc.name, j.State, err)
		}
	}
	if j, _ := r.Cancel(ctx, run.ID); j.State != Cancelled {
		t.Errorf("Cancel of a finished job changed it: %s", j.State)
	}
	r.Shutdown(ctx)
}

// TestResultID: a job that records what it made is SUCCEEDED with that id
// and a message naming it (not its last progress message); one that made
// nothing says "succeeded"; a failed job keeps its id out of the message.
func TestResultID(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := newRunner(t, db, 1)
	defer r.Shutdown(ctx)
	for _, c := range []struct {
		name, kind, id string
		fail           bool
		state          State
		msg, result    string
	}{
		{"model", "model", "esol.logS.random.s1.e5", false, Succeeded, "succeeded: made model esol.logS.random.s1.e5", `{"detail":1}`},
		{"nothing made", "", "", false, Succeeded, "succeeded", ""},
		{"failed after recording", "policy", "P7", true, Failed, "evaluating", `{"detail":1}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			kind := "k-" + strings.ReplaceAll(c.name, " ", "-")
			if err := r.Register(Kind{Name: kind, Run: func(ctx context.Context, h *Handle) error {
				h.Progress(ctx, 0.9, "evaluating")
				if c.id != "" {
					if err := h.SetResultID(ctx, c.kind, c.id, map[string]int{"detail": 1}); err != nil {
						return err
					}
				}
				if c.fail {
					return errors.New("late failure")
				}
				return nil
			}}); err != nil {
				t.Fatal(err)
			}
			j, err := r.Start(ctx, kind, "u", nil)
			if err != nil {
				t.Fatal(err)
			}
			j = waitState(t, r, j.ID, c.state)
			if j.ResultID != c.id || j.ResultKind != c.kind || j.Message != c.msg || string(j.Result) != c.result {
				t.Errorf("job = id %q kind %q message %q result %s; want %q %q %q %s", j.ResultID, j.ResultKind, j.Message, j.Result, c.id, c.kind, c.msg, c.result)
			}
		})
	}
}

// TestRecoverOnlyOwnNode: on a store several nodes share without a durable
// queue, a node's Recover leaves another node's RUNNING and QUEUED jobs to
// that node, and the node that enqueued a job recovers it when it restarts.
func TestRecoverOnlyOwnNode(t *testing.T) {
	ctx := context.Background()
	db, _ := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	defer db.Close()
	db.Update(ctx, func(tx *store.Txn) error {
		tx.Put(jobKey("J1"), Job{ID: "J1", Kind: "resumable", State: Running, Node: "a", CreatedAt: time.Now()})
		tx.Put(jobKey("J2"), Job{ID: "J2", Kind: "resumable", State: Queued, Node: "a", CreatedAt: time.Now()})
		return tx.Put(jobKey("J3"), Job{ID: "J3", Kind: "resumable", State: Running, Node: "b", CreatedAt: time.Now()})
	})
	ran := make(chan string, 3)
	newNode := func(node string) *Runner {
		r, err := New(Config{DB: db, Node: node})
		if err != nil {
			t.Fatal(err)
		}
		r.Register(Kind{Name: "resumable", Resumable: true, Run: func(ctx context.Context, h *Handle) error {
			ran <- h.Job().ID
			return nil
		}})
		return r
	}
	b := newNode("b")
	if resumed, failed, err := b.Recover(ctx); err != nil || resumed != 1 || failed != 0 {
		t.Fatalf("node b Recover = %d resumed, %d failed, %v; want only its own J3", resumed, failed, err)
	}
	waitState(t, b, "J3", Succeeded)
	for _, id := range []string{"J1", "J2"} {
		if j, _ := b.Get(ctx, id); j.State.Final() {
			t.Errorf("node b finished node a's %s", id)
		}
	}
	a := newNode("a")
	if resumed, _, err := a.Recover(ctx); err != nil || resumed != 2 {
		t.Fatalf("node a Recover = %d resumed, %v; want J1 and J2", resumed, err)
	}
	waitState(t, a, "J1", Succeeded)
	waitState(t, a, "J2", Succeeded)
	j, err := a.Start(ctx, "resumable", "u", nil)
	if err != nil || j.Node != "a" {
		t.Fatalf("Start on node a = %+v, %v; want the job to carry its node", j, err)
	}
	a.Shutdown(ctx)
	b.Shutdown(ctx)
}
