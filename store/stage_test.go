package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func blob(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func countPrefix(t *testing.T, db *DB, prefix string) int {
	t.Helper()
	n := 0
	err := db.View(context.Background(), func(tx *Txn) error {
		return tx.ScanKeys([]byte(prefix), func([]byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStageCommit stages far more than one transaction holds (records, a
// 12 MB raw value, deletes of committed keys) and checks that nothing is
// visible before Commit, everything after, and the audit stays verifiable.
func TestStageCommit(t *testing.T) {
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	ctx := WithAudit(context.Background(), AuditInfo{Actor: "t", Operation: "mutation big"})
	if err := db.Update(ctx, func(tx *Txn) error {
		for i := range 10 {
			if err := tx.Put(fmt.Appendf(nil, "x/old/%02d", i), thing{N: i}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st, err := db.BeginStage(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	const n = 30000
	for i := range n {
		k := fmt.Appendf(nil, "x/new/%06d", i)
		if err := st.Put(k, thing{Name: strings.Repeat("v", 100), N: i}); err != nil {
			t.Fatal(err)
		}
		st.Touch(fmt.Sprintf("thing:%d", i))
	}
	big := blob(12<<20, 7)
	if err := st.PutRaw([]byte("x/blob"), big); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := st.Delete(fmt.Appendf(nil, "x/old/%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Read-your-writes through the stage; nothing visible outside.
	var got thing
	if err := st.Get([]byte("x/new/000123"), &got); err != nil || got.N != 123 {
		t.Fatalf("stage Get = %+v, %v", got, err)
	}
	if err := st.Get([]byte("x/old/01"), &got); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stage Get of a staged delete = %v, want ErrNotFound", err)
	}
	if p, err := st.GetRaw([]byte("x/blob")); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("stage GetRaw: %d bytes, %v", len(p), err)
	}
	if c := countPrefix(t, db, "x/new/"); c != 0 {
		t.Fatalf("%d staged records visible before Commit", c)
	}
	if err := st.Commit(ctx, func(tx *Txn) error { return tx.Put([]byte("x/final"), thing{N: -1}) }); err != nil {
		t.Fatal(err)
	}
	if c := countPrefix(t, db, "x/new/"); c != n {
		t.Fatalf("%d of %d records visible after Commit", c, n)
	}
	if c := countPrefix(t, db, "x/old/"); c != 5 {
		t.Fatalf("%d old records left, want 5", c)
	}
	db.cleanup.Wait()
	if c := countPrefix(t, db, "stg/"); c != 0 {
		t.Fatalf("%d stage keys left after Commit's cleanup", c)
	}
	err = db.View(context.Background(), func(tx *Txn) error {
		p, err := tx.GetRaw([]byte("x/blob"))
		if err != nil || !bytes.Equal(p, big) {
			return fmt.Errorf("GetRaw after commit: %d bytes, %v", len(p), err)
		}
		return tx.Get([]byte("x/final"), &got)
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := db.AuditLog(context.Background(), 0, 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("audit log: %d records, %v", len(recs), err)
	}
	last := recs[1]
	if last.TargetCount != n || len(last.Targets) > stageAuditFirst+1 {
		t.Fatalf("stage audit record: count %d, %d targets listed", last.TargetCount, len(last.Targets))
	}
	if _, err := db.VerifyAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Tampering with the stored target list is detected.
	if err := db.bdb.Update(func(txn *badger.Txn) error {
		return txn.Delete([]byte(last.TargetsKey + "00000000"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(context.Background()); !errors.Is(err, ErrTampered) {
		t.Fatalf("VerifyAudit after removing a target chunk = %v, want ErrTampered", err)
	}
}

// TestStageRefused checks that an aborted stage, a done context and a
// stage whose flip is too big all leave nothing behind.
func TestStageRefused(t *testing.T) {
	cases := []struct {
		name  string
		ctx   func() (context.Context, context.CancelFunc)
		final func(tx *Txn) error
		abort bool
	}{
		{"abort", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, nil, true},
		{"deadline before flip", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, nil, false},
		{"final fails", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			func(tx *Txn) error { return fmt.Errorf("no: %w", ErrInvalid) }, false},
		{"final too big", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			func(tx *Txn) error {
				for i := range 64 {
					if err := tx.Put(fmt.Appendf(nil, "y/%d", i), strings.Repeat("z", 100<<10)); err != nil {
						return err
					}
				}
				return nil
			}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openTest(t, t.TempDir(), nil)
			defer db.Close()
			st, err := db.BeginStage(context.Background(), "t")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 20000 {
				if err := st.Put(fmt.Appendf(nil, "x/%06d", i), thing{N: i}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := c.ctx()
			defer cancel()
			if c.abort {
				err = st.Abort()
			} else {
				err = st.Commit(ctx, c.final)
				if err == nil {
					t.Fatal("Commit succeeded")
				}
				if c.name == "final too big" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "too big")) {
					t.Fatalf("too-big error does not wrap ErrInvalid: %v", err)
				}
			}
			if n := countPrefix(t, db, "x/") + countPrefix(t, db, "y/") + countPrefix(t, db, "stg/"); n != 0 {
				t.Fatalf("%d keys left after a refused stage (%v)", n, err)
			}
		})
	}
}

// TestStageRecoveryAtOpen leaves one stage committed but not rolled forward
// and one uncommitted, as a crash would, and checks what Open does.
func TestStageRecoveryAtOpen(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, nil)
	ctx := context.Background()
	mk := func(prefix string, commit bool) {
		st, err := db.BeginStage(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10000 {
			if err := st.Put(fmt.Appendf(nil, "%s/%05d", prefix, i), thing{N: i}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.PutRaw([]byte(prefix+"/blob"), blob(3<<20, 1)); err != nil {
			t.Fatal(err)
		}
		if err := st.flush(); err != nil {
			t.Fatal(err)
		}
		if commit {
			rec, _ := encodeJSON(stageCommit{Entries: st.entries})
			if err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(stageCommitKey(st.id), rec) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("a", true)
	mk("b", false)
	db.Close()
	start := time.Now()
	db = openTest(t, dir, nil)
	t.Logf("Open with one committed stage of 10,004 entries (3 MB blob): %v", time.Since(start))
	defer db.Close()
	if n := countPrefix(t, db, "a/"); n != 10001 {
		t.Fatalf("committed stage: %d of 10001 keys after Open", n)
	}
	if n := countPrefix(t, db, "b/") + countPrefix(t, db, "stg/"); n != 0 {
		t.Fatalf("uncommitted stage: %d keys left after Open", n)
	}
	err := db.View(ctx, func(tx *Txn) error {
		p, err := tx.GetRaw([]byte("a/blob"))
		if err == nil && !bytes.Equal(p, blob(3<<20, 1)) {
			err = errors.New("blob differs")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOverlayDuringRollForward freezes a roll-forward half way and checks
// that readers see the whole stage (gets, scans, deletes) meanwhile.
func TestOverlayDuringRollForward(t *testing.T) {
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *Txn) error {
		for i := range 100 {
			if err := tx.Put(fmt.Appendf(nil, "k/%03d", i), thing{N: i}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st, _ := db.BeginStage(ctx, "t")
	for i := 50; i < 150; i++ { // rewrite 50..99, add 100..149
		if err := st.Put(fmt.Appendf(nil, "k/%03d", i), thing{N: 1000 + i}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 { // delete 0..9
		if err := st.Delete(fmt.Appendf(nil, "k/%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.flush(); err != nil {
		t.Fatal(err)
	}
	// The flip, then half of a roll-forward, by hand.
	db.pending = append(db.pending, st.id)
	rec, _ := encodeJSON(stageCommit{})
	half, _ := encodeJSON(thing{N: 1060})
	if err := db.bdb.Update(func(txn *badger.Txn) error {
		if err := txn.Set(stageCommitKey(st.id), rec); err != nil {
			return err
		}
		if err := txn.Delete([]byte("k/000")); err != nil {
			return err
		}
		return txn.Set([]byte("k/060"), half)
	}); err != nil {
		t.Fatal(err)
	}
	err := db.View(ctx, func(tx *Txn) error {
		var seen []int
		if err := tx.Scan([]byte("k/"), nil, func(r Record) error {
			var v thing
			if err := r.Decode(&v); err != nil {
				return err
			}
			seen = append(seen, v.N)
			return nil
		}); err != nil {
			return err
		}
		if len(seen) != 140 || seen[0] != 10 || seen[40] != 1050 || seen[139] != 1149 {
			return fmt.Errorf("scan saw %d records (%v...)", len(seen), seen[:3])
		}
		keys := 0
		if err := tx.ScanKeys([]byte("k/"), func([]byte) error { keys++; return nil }); err != nil {
			return err
		}
		if keys != 140 {
			return fmt.Errorf("ScanKeys saw %d keys", keys)
		}
		var v thing
		if err := tx.Get([]byte("k/005"), &v); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("Get of a staged delete = %v", err)
		}
		if err := tx.Get([]byte("k/120"), &v); err != nil || v.N != 1120 {
			return fmt.Errorf("Get of a staged key = %v %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRawChunks round-trips raw values around the chunk size in a Txn and
// checks that overwrites and deletes leave no stale chunks.
func TestRawChunks(t *testing.T) {
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	ctx := context.Background()
	for _, size := range []int{0, 10, chunkSize, chunkSize + 1, 3*chunkSize + 5, 100} {
		p := blob(size, uint64(size))
		if err := db.Update(ctx, func(tx *Txn) error { return tx.PutRaw([]byte("r/x"), p) }); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		var got []byte
		var scanned []byte
		err := db.View(ctx, func(tx *Txn) error {
			var err error
			got, err = tx.GetRaw([]byte("r/x"))
			if err != nil {
				return err
			}
			return tx.Scan([]byte("r/"), nil, func(r Record) error {
				b, err := r.Raw()
				scanned = bytes.Clone(b)
				return err
			})
		})
		if err != nil || !bytes.Equal(got, p) || !bytes.Equal(scanned, p) {
			t.Fatalf("size %d: got %d/%d bytes, %v", size, len(got), len(scanned), err)
		}
		want := 0
		if size > chunkSize {
			want = (size + chunkSize - 1) / chunkSize
		}
		if n := countPrefix(t, db, "chk/"); n != want {
			t.Fatalf("size %d: %d chunk records, want %d", size, n, want)
		}
	}
	if err := db.Update(ctx, func(tx *Txn) error { return tx.PutRaw([]byte("r/x"), blob(2*chunkSize, 3)) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Txn) error { return tx.Delete([]byte("r/x")) }); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, db, "chk/") + countPrefix(t, db, "r/"); n != 0 {
		t.Fatalf("%d records left after Delete", n)
	}
	// Over one transaction (many values under Badger's value threshold):
	// refused with ErrInvalid, nothing written.
	err := db.Update(ctx, func(tx *Txn) error {
		for i := range 64 {
			if err := tx.PutRaw(fmt.Appendf(nil, "r/%02d", i), blob(100<<10, uint64(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Stage") {
		t.Fatalf("6.4 MB of PutRaw in one Update = %v, want ErrInvalid naming Stage", err)
	}
	if n := countPrefix(t, db, "chk/") + countPrefix(t, db, "r/"); n != 0 {
		t.Fatalf("%d records left after a refused write", n)
	}
}

// TestUpdateDeadlineBeforeCommit checks that a deadline passing while fn
// runs means nothing is written.
func TestUpdateDeadlineBeforeCommit(t *testing.T) {
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := db.Update(WithAudit(ctx, AuditInfo{Actor: "t"}), func(tx *Txn) error {
		<-ctx.Done()
		return tx.Put([]byte("d/x"), 1)
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update = %v, want DeadlineExceeded", err)
	}
	if n := countPrefix(t, db, "d/") + countPrefix(t, db, "aud/"); n != 0 {
		t.Fatalf("%d records written by a timed-out Update", n)
	}
}

// TestWritersDuringRollForward checks that a roll-forward blocks only the
// writers of its own keys, and that those write after it.
func TestWritersDuringRollForward(t *testing.T) {
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	ctx := WithAudit(context.Background(), AuditInfo{Actor: "t", Operation: "w"})
	st, _ := db.BeginStage(ctx, "t")
	if err := st.Put([]byte("k/1"), thing{N: 1}); err != nil {
		t.Fatal(err)
	}
	if err := st.flush(); err != nil {
		t.Fatal(err)
	}
	// Announce and flip by hand, as Commit does, and hold the roll-forward.
	r := &rollForward{id: st.id, done: make(chan struct{})}
	db.pending, db.rolling = append(db.pending, st.id), r
	rec, _ := encodeJSON(stageCommit{})
	if err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(stageCommitKey(st.id), rec) }); err != nil {
		t.Fatal(err)
	}
	// Another key, and an audited write: not blocked.
	if err := db.Update(ctx, func(tx *Txn) error { return tx.Put([]byte("other/x"), thing{N: 2}) }); err != nil {
		t.Fatal(err)
	}
	// The stage's key: waits for the roll-forward, then writes after it.
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx *Txn) error { return tx.Put([]byte("k/1"), thing{N: 3}) })
	}()
	select {
	case err := <-done:
		t.Fatalf("a write of a staged key did not wait for the roll-forward (%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := db.rollForward(st.id); err != nil {
		t.Fatal(err)
	}
	if err := db.uncommit(st.id); err != nil {
		t.Fatal(err)
	}
	db.endRoll(r)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var got thing
	if err := db.View(context.Background(), func(tx *Txn) error { return tx.Get([]byte("k/1"), &got) }); err != nil || got.N != 3 {
		t.Fatalf("k/1 = %+v, %v; want the write made after the roll-forward", got, err)
	}
	if _, err := db.VerifyAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
}
