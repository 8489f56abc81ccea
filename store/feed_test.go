package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/pgtest"
)

// TestChangeFeed opens two "nodes" on one PostgreSQL database: a write on A
// wakes B's WaitChanges and is listed by B's Changes with A's origin and
// keys, and so is a stage; a snapshot's FeedSeq is where
// following must start; a pruned feed says ErrFeedGap.
func TestChangeFeed(t *testing.T) {
	srv := sharedPG.Get(t)
	ctx := context.Background()
	url := srv.NewDB(t)
	a := mustOpen(t, store.Config{URL: url, GCInterval: -1})
	b := mustOpen(t, store.Config{URL: url, GCInterval: -1})
	if !a.Shared() || a.Origin() == b.Origin() {
		t.Fatalf("Shared = %v, origins %q %q", a.Shared(), a.Origin(), b.Origin())
	}
	var since uint64
	if err := b.View(ctx, func(tx *store.Txn) (err error) { since, err = tx.FeedSeq(); return }); err != nil {
		t.Fatal(err)
	}
	woke := make(chan uint64, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		h, _ := b.WaitChanges(wctx, since)
		woke <- h
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := a.Update(ctx, func(tx *store.Txn) error { return tx.Put([]byte("pat/r/P1"), 1) }); err != nil {
		t.Fatal(err)
	}
	if h := <-woke; h != since+1 {
		t.Fatalf("WaitChanges woke with head %d, want %d", h, since+1)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("B saw A's write after %v, want under a second", d)
	}
	st, _ := a.BeginStage(ctx, "big")
	for i := 0; i < 5000; i++ {
		st.Put([]byte("idx/r/"+store.Hex16(uint64(i))), i)
	}
	if err := st.Commit(ctx, nil); err != nil {
		t.Fatal(err)
	}
	chs, err := b.Changes(ctx, since, 100)
	if err != nil || len(chs) != 2 {
		t.Fatalf("Changes = %+v, %v; want 2", chs, err)
	}
	c0, c1 := chs[0], chs[1]
	if c0.Origin != a.Origin() || len(c0.Keys) != 1 || string(c0.Keys[0]) != "pat/r/P1" || !c0.Touches("pat/") || c0.Touches("idx/") {
		t.Errorf("first change: origin %s, %d keys, prefixes %v", c0.Origin, len(c0.Keys), c0.Prefixes)
	}
	if c1.Truncated || len(c1.Keys) != 5000 || !c1.Touches("idx/r/") || c1.Touches("pat/") || c1.Seq != c0.Seq+1 {
		t.Errorf("staged change: seq %d, %d keys, prefixes %v, truncated %v", c1.Seq, len(c1.Keys), c1.Prefixes, c1.Truncated)
	}
	// Reads write nothing to the feed.
	b.View(ctx, func(tx *store.Txn) error { _, err := tx.Has([]byte("x")); return err })
	if h, _ := b.FeedHead(ctx); h != c1.Seq {
		t.Errorf("head %d after a read, want %d", h, c1.Seq)
	}
	if _, err := srv.PsqlDB(dbName(url), "DELETE FROM rx_changes"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Changes(ctx, since, 100); !errors.Is(err, store.ErrFeedGap) {
		t.Fatalf("Changes over a pruned feed = %v, want ErrFeedGap", err)
	}
}

func dbName(url string) string {
	i, j := len(url), len(url)
	for k := len(url) - 1; k >= 0; k-- {
		if url[k] == '?' {
			j = k
		}
		if url[k] == '/' {
			i = k + 1
			break
		}
	}
	return url[i:j]
}

// TestSQLServerCrash cuts the PostgreSQL server's power (immediate stop,
// no checkpoint) under acknowledged audited writes: every one is there
// after the restart, the chain verifies, and the open DB's pool reconnects.
func TestSQLServerCrash(t *testing.T) {
	srv := pgtest.Start(t, pgtest.Options{}) // durable settings: fsync and synchronous commit on
	ctx := store.WithAudit(context.Background(), store.AuditInfo{Actor: "t", Operation: "mutation write"})
	url := srv.NewDB(t)
	db := mustOpen(t, store.Config{URL: url, GCInterval: -1})
	const n = 20
	for i := 0; i < n; i++ {
		if err := db.Update(ctx, func(tx *store.Txn) error { return tx.Put([]byte("k/"+store.Hex16(uint64(i))), i) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Crash(); err != nil {
		t.Fatal(err)
	}
	var err error
	for try := 0; try < 50; try++ { // the first use of each pooled connection finds it dead
		if err = db.Update(ctx, func(tx *store.Txn) error { return tx.Put([]byte("k/after"), 1) }); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("write after the server restarted: %v", err)
	}
	fresh := mustOpen(t, store.Config{URL: url, GCInterval: -1})
	found := 0
	fresh.View(context.Background(), func(tx *store.Txn) error {
		return tx.ScanKeys([]byte("k/"), func([]byte) error { found++; return nil })
	})
	if found != n+1 {
		t.Fatalf("%d of %d acknowledged writes after the crash", found, n+1)
	}
	if got, err := fresh.VerifyAudit(context.Background()); err != nil || got != n+1 {
		t.Fatalf("VerifyAudit after the crash = %d, %v", got, err)
	}
}

// TestSQLStageCleanup: a committed stage leaves no rows once its cleanup
// ran (Close waits for it), and a stage abandoned by a crash is dropped by
// the next Open once its head is an hour old, head and rows.
func TestSQLStageCleanup(t *testing.T) {
	srv := sharedPG.Get(t)
	ctx := context.Background()
	url := srv.NewDB(t)
	name := dbName(url)
	count := func() string {
		out, err := srv.PsqlDB(name, "SELECT (SELECT count(*) FROM rx_stage) || '/' || (SELECT count(*) FROM rx_stage_head)")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	db, err := store.Open(store.Config{URL: url, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, commit := range []bool{true, false} {
		st, err := db.BeginStage(ctx, "cleanup")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 31000; i++ { // one batch flushed
			st.Put([]byte("s/"+store.Hex16(uint64(i))), i)
		}
		if commit {
			if err := st.Commit(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close() // the uncommitted stage is left as a crash would leave it
	if got := count(); got != "30000/1" {
		t.Fatalf("stage rows/heads after close = %s, want 30000/1 (the abandoned stage only)", got)
	}
	again := mustOpen(t, store.Config{URL: url, GCInterval: -1})
	if got := count(); got != "30000/1" {
		t.Fatalf("a fresh stage's rows were dropped at Open: %s", got)
	}
	again.Close()
	if _, err := srv.PsqlDB(name, "UPDATE rx_stage_head SET touched = now() - interval '2 hours'"); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, store.Config{URL: url, GCInterval: -1})
	if got := count(); got != "0/0" {
		t.Fatalf("stage rows/heads after Open dropped the abandoned stage = %s, want 0/0", got)
	}
}

// TestStageGuardBadKeys: a change whose key list cannot be read counts as
// touching everything under its prefixes, so the guard refuses the stage
// rather than let it pass unchecked.
func TestStageGuardBadKeys(t *testing.T) {
	srv := sharedPG.Get(t)
	ctx := context.Background()
	url := srv.NewDB(t)
	a := mustOpen(t, store.Config{URL: url, GCInterval: -1})
	b := mustOpen(t, store.Config{URL: url, GCInterval: -1})
	var since uint64
	if err := b.View(ctx, func(tx *store.Txn) (err error) { since, err = tx.FeedSeq(); return }); err != nil {
		t.Fatal(err)
	}
	if err := a.Update(ctx, func(tx *store.Txn) error { return tx.Put([]byte("idx/r/x"), 1) }); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PsqlDB(dbName(url), `UPDATE rx_changes SET keys = '\xff'::bytea`); err != nil {
		t.Fatal(err)
	}
	st, err := b.BeginStage(ctx, "guarded")
	if err != nil {
		t.Fatal(err)
	}
	st.Put([]byte("idx/r/y"), 2)
	st.Guard(since, "idx/r/x")
	if err := st.Commit(ctx, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("guarded commit over an unreadable change = %v, want ErrConflict", err)
	}
}
