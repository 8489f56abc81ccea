package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/rxlab/rxlab/store"
)

// startNATS runs a NATS server with JetStream in a temp dir on loopback.
func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// cluster is one store shared by an API node and workers, each a Runner
// with its own connection to the queue (as separate processes would have).
type cluster struct {
	t      *testing.T
	db     *store.DB
	newQ   func() (Queue, func())
	killed map[*Runner]func()
	// gate, when set for a runner, blocks its shards and steps until ctx
	// ends, after telling started (a worker about to die).
	mu      sync.Mutex
	gate    map[*Runner]chan struct{}
	started chan string
}

func newCluster(t *testing.T, impl string) *cluster {
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &cluster{t: t, db: db, killed: map[*Runner]func(){}, gate: map[*Runner]chan struct{}{}, started: make(chan string, 16)}
	switch impl {
	case "memory":
		mq := NewMemQueue()
		c.newQ = func() (Queue, func()) { return mq, func() {} }
	case "nats":
		url := startNATS(t)
		c.newQ = func() (Queue, func()) {
			q, err := NewNATSQueue(context.Background(), NATSConfig{URL: url, AckWait: time.Second, Name: t.Name()})
			if err != nil {
				t.Fatal(err)
			}
			return q, q.Close
		}
	}
	return c
}

// sumShard is shard i's part of the test sum: 1000 terms of a series whose
// float sum depends on the order of addition.
func sumShard(i int) float64 {
	var s float64
	for k := i * 1000; k < (i+1)*1000; k++ {
		s += 1 / math.Sqrt(float64(k)+1)
	}
	return s
}

const testShards = 12

func checkpointKey(id string) []byte { return []byte("test/ckpt/" + id) }

// runner starts a runner serving jobs and shards, with the test kinds.
func (c *cluster) runner(jobs, shards int) *Runner {
	t := c.t
	q, closeQ := c.newQ()
	r, err := New(Config{DB: c.db, Concurrency: 2, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	blocked := func(ctx context.Context, what string) error {
		c.mu.Lock()
		g := c.gate[r]
		c.mu.Unlock()
		if g == nil {
			return nil
		}
		c.started <- what
		<-ctx.Done()
		return ctx.Err()
	}
	r.Register(Kind{Name: "sum", Run: func(ctx context.Context, h *Handle) error {
		res, err := h.RunShards(ctx, testShards, nil)
		if err != nil {
			return err
		}
		var total float64
		for _, b := range res {
			var part float64
			if err := json.Unmarshal(b, &part); err != nil {
				return err
			}
			total += part
		}
		if err := h.SetResult(ctx, total); err != nil {
			return err
		}
		return h.ClearShards(ctx)
	}, Shard: func(ctx context.Context, j Job, i int) ([]byte, error) {
		if err := blocked(ctx, "shard "+strconv.Itoa(i)); err != nil {
			return nil, err
		}
		return json.Marshal(sumShard(i))
	}})
	r.Register(Kind{Name: "steps", Resumable: true, Run: func(ctx context.Context, h *Handle) error {
		id := h.Job().ID
		var from int
		c.db.View(ctx, func(tx *store.Txn) error { tx.Get(checkpointKey(id), &from); return nil })
		for step := from; step < 6; step++ {
			if step == 3 {
				if err := blocked(ctx, "step 3"); err != nil {
					return err
				}
			}
			if err := c.db.Update(ctx, func(tx *store.Txn) error { return tx.Put(checkpointKey(id), step+1) }); err != nil {
				return err
			}
		}
		return h.SetResult(ctx, map[string]int{"resumedFrom": from})
	}})
	r.Register(Kind{Name: "wait", Run: func(ctx context.Context, h *Handle) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Serve(ctx, ServeConfig{Jobs: jobs, Shards: shards}) }()
	stop := func() { cancel(); closeQ(); <-done }
	c.killed[r] = stop
	t.Cleanup(func() {
		r.Shutdown(context.Background())
		stop()
	})
	return r
}

// block makes r's next shard or step wait for its death.
func (c *cluster) block(r *Runner) {
	c.mu.Lock()
	c.gate[r] = make(chan struct{})
	c.mu.Unlock()
}

// kill stops r as a crash would: nothing more written or acknowledged, its
// connection to the queue gone.
func (c *cluster) kill(r *Runner) {
	r.Abandon()
	c.killed[r]()
}

func waitFinal(t *testing.T, r *Runner, id string, timeout time.Duration) Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j, err := r.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Final() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after %s (%s)", id, j.State, timeout, j.Message)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestQueue runs the same scenarios on both queues: an API node that only
// starts jobs and two workers sharing its store. A sharded job's result is
// the one-process sum to the last bit; a job cancelled on the node stops on
// the worker and stays CANCELLED; no shard records are left behind.
func TestQueue(t *testing.T) {
	var want float64
	for i := range testShards {
		want += sumShard(i)
	}
	for _, impl := range []string{"memory", "nats"} {
		t.Run(impl, func(t *testing.T) {
			c := newCluster(t, impl)
			node := c.runner(0, 0+1)
			c.runner(1, 1)
			c.runner(1, 1)
			ctx := context.Background()

			j, err := node.Start(ctx, "sum", "u", nil)
			if err != nil {
				t.Fatal(err)
			}
			got := waitFinal(t, node, j.ID, 20*time.Second)
			var total float64
			json.Unmarshal(got.Result, &total)
			if got.State != Succeeded || total != want {
				t.Errorf("sharded sum: %s %s, %v want %v", got.State, got.Error, total, want)
			}
			c.db.View(ctx, func(tx *store.Txn) error {
				return tx.ScanKeys(shardPrefix(j.ID), func(k []byte) error {
					t.Errorf("shard record left: %s", k)
					return nil
				})
			})

			w, err := node.Start(ctx, "wait", "u", nil)
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, node, w.ID, Running)
			// A second submit of a running job (a node's Recover) is
			// dropped by the lease: it does not start again elsewhere.
			if err := node.q.Submit(ctx, w.ID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			if j, _ := node.Get(ctx, w.ID); j.Attempts != 1 || j.State != Running || j.LeaseUntil == nil {
				t.Errorf("after a second submit: %s, %d attempts, lease %v", j.State, j.Attempts, j.LeaseUntil)
			}
			if _, err := node.Cancel(ctx, w.ID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(600 * time.Millisecond) // past a heartbeat of the worker
			if j := waitFinal(t, node, w.ID, 5*time.Second); j.State != Cancelled {
				t.Errorf("cancelled on the node: %s", j.State)
			}
		})
	}
}

// TestNATSRedelivery kills a worker in the middle of a shard and another in
// the middle of a resumable job: the queue hands both to the survivor after
// the ack wait, the sharded job still gives the exact sum and the resumable
// one continues from its checkpoint.
func TestNATSRedelivery(t *testing.T) {
	ctx := context.Background()
	var want float64
	for i := range testShards {
		want += sumShard(i)
	}
	cases := []struct {
		name, kind, started string
	}{
		{"worker dies in a shard", "sum", "shard"},
		{"worker dies in a job", "steps", "step 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, "nats")
			node := c.runner(0, 0+1)
			victim := c.runner(1, 1)
			c.block(victim)
			j, err := node.Start(ctx, tc.kind, "u", nil)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case what := <-c.started:
				if len(what) < len(tc.started) || what[:len(tc.started)] != tc.started {
					t.Fatalf("victim blocked in %q", what)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the victim never took the work")
			}
			c.kill(victim)
			c.runner(1, 1) // the survivor starts after the death
			got := waitFinal(t, node, j.ID, 30*time.Second)
			if got.State != Succeeded {
				t.Fatalf("after the death: %s %s", got.State, got.Error)
			}
			switch tc.kind {
			case "sum":
				var total float64
				json.Unmarshal(got.Result, &total)
				if total != want {
					t.Errorf("sum %v, want %v", total, want)
				}
			case "steps":
				var res map[string]int
				json.Unmarshal(got.Result, &res)
				if res["resumedFrom"] != 3 || got.Attempts != 2 {
					t.Errorf("resumed from %d after %d attempts, want 3 and 2", res["resumedFrom"], got.Attempts)
				}
			}
		})
	}
}

// TestShardsInProcess checks RunShards without a queue: results in order,
// a failing shard fails the job naming the shard, bad shard counts refused.
func TestShardsInProcess(t *testing.T) {
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := New(Config{DB: db, ShardConcurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	cases := []struct {
		name    string
		n       int
		failAt  int
		wantErr string
	}{
		{"twelve shards", 12, -1, ""},
		{"one shard", 1, -1, ""},
		{"shard 5 fails", 12, 5, "shard 5 broke"},
		{"no shards", 0, -1, "0 shards"},
		{"too many shards", MaxShards + 1, -1, "shards, want"},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kind := "k" + strconv.Itoa(ci)
			var got []byte
			r.Register(Kind{Name: kind, Run: func(ctx context.Context, h *Handle) error {
				res, err := h.RunShards(ctx, tc.n, nil)
				if err != nil {
					return err
				}
				for _, b := range res {
					got = append(got, b...)
				}
				return nil
			}, Shard: func(ctx context.Context, j Job, i int) ([]byte, error) {
				if i == tc.failAt {
					return nil, fmt.Errorf("shard %d broke", i)
				}
				return []byte{byte('a' + i%26)}, nil
			}})
			j, err := r.Start(context.Background(), kind, "u", nil)
			if err != nil {
				t.Fatal(err)
			}
			fin := waitFinal(t, r, j.ID, 5*time.Second)
			if tc.wantErr != "" {
				if fin.State != Failed || !contains(fin.Error, tc.wantErr) {
					t.Errorf("%s %q, want failure with %q", fin.State, fin.Error, tc.wantErr)
				}
				return
			}
			want := ""
			for i := range tc.n {
				want += string(rune('a' + i%26))
			}
			if fin.State != Succeeded || string(got) != want {
				t.Errorf("%s, results %q want %q", fin.State, got, want)
			}
		})
	}
	if _, err := (&Handle{r: r, job: Job{Kind: "nope"}}).RunShards(context.Background(), 1, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("kind without Shard: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestParseBody(t *testing.T) {
	cases := []struct {
		shard bool
		body  string
		id    string
		index int
		ok    bool
	}{
		{false, "J12", "J12", -1, true},
		{true, "J12/3", "J12", 3, true},
		{true, "J12", "", 0, false},
		{true, "/3", "", 0, false},
		{true, "J1/-1", "", 0, false},
		{true, "J1/99999999999999999999", "", 0, false},
		{false, "", "", 0, false},
		{false, "J1/2", "", 0, false},
		{false, string(make([]byte, 65)), "", 0, false},
	}
	for _, tc := range cases {
		id, i, err := parseBody(tc.shard, tc.body)
		if (err == nil) != tc.ok || (tc.ok && (id != tc.id || i != tc.index)) {
			t.Errorf("parseBody(%v, %q) = %q, %d, %v", tc.shard, tc.body, id, i, err)
		}
		if err != nil && !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%q: error without ErrInvalid: %v", tc.body, err)
		}
	}
}

// FuzzParseBody: any message body gives an id and index or an error
// wrapping ErrInvalid, never a panic; what parses round-trips.
func FuzzParseBody(f *testing.F) {
	f.Add(true, "J12/3")
	f.Add(false, "J1")
	f.Add(true, "a/b/c/9")
	f.Fuzz(func(t *testing.T, shard bool, body string) {
		id, i, err := parseBody(shard, body)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatal(err)
			}
			return
		}
		again := id
		if shard {
			again = id + "/" + strconv.Itoa(i)
		}
		if id2, i2, err := parseBody(shard, again); err != nil || id2 != id || i2 != i {
			t.Fatalf("%q does not round-trip: %q %d %v", body, id2, i2, err)
		}
	})
}

// TestResubmitQueued: a job persisted QUEUED whose submit never reached the
// queue (Enqueue without Launch, as when NATS was down) is submitted again
// by a serving runner and runs once.
func TestResubmitQueued(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := New(Config{DB: db, Queue: NewMemQueue()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	var runs atomic.Int32
	r.Register(Kind{Name: "once", Run: func(ctx context.Context, h *Handle) error { runs.Add(1); return nil }})
	var j Job
	if err := db.Update(ctx, func(tx *store.Txn) error { j, err = r.Enqueue(tx, "once", "u", nil); return err }); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.Serve(sctx, ServeConfig{Jobs: 1, Resubmit: 100 * time.Millisecond}) }()
	defer func() { cancel(); <-done }()
	if got := waitFinal(t, r, j.ID, 5*time.Second); got.State != Succeeded {
		t.Fatalf("resubmitted job: %s %s", got.State, got.Error)
	}
	time.Sleep(300 * time.Millisecond) // further resubmits would run it again
	if n := runs.Load(); n != 1 {
		t.Errorf("ran %d times", n)
	}
}
