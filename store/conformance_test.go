package store_test

// The conformance suite: every test here runs against both backends, the
// embedded Badger directory and a PostgreSQL database (a private cluster
// started from Debian's binaries by store/pgtest; the PostgreSQL half
// skips, saying why, when they are absent).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/pgtest"
)

var sharedPG = pgtest.NewShared(pgtest.Options{})

func TestMain(m *testing.M) {
	code := m.Run()
	sharedPG.Stop()
	os.Exit(code)
}

// backend makes fresh databases of one kind.
type backend struct {
	name string
	srv  *pgtest.Server // nil for Badger
	// fresh returns the Config of a new, empty database.
	fresh func(t *testing.T) store.Config
}

func badgerBackend() backend {
	return backend{name: "badger", fresh: func(t *testing.T) store.Config {
		return store.Config{Dir: filepath.Join(t.TempDir(), "db"), GCInterval: -1}
	}}
}

func pgBackend(srv *pgtest.Server) backend {
	return backend{name: "postgres", srv: srv, fresh: func(t *testing.T) store.Config {
		return store.Config{URL: srv.NewDB(t), GCInterval: -1}
	}}
}

// eachBackend runs fn once per backend, as subtests named after them.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Run("badger", func(t *testing.T) { fn(t, badgerBackend()) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgBackend(sharedPG.Get(t))) })
}

func mustOpen(t *testing.T, cfg store.Config) *store.DB {
	t.Helper()
	db, err := store.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type rec struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func TestConformanceRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := mustOpen(t, b.fresh(t))
		big := make([]byte, 2<<20+17) // chunked: over the 1 MB chunk size
		rand.Read(big)
		err := db.Update(ctx, func(tx *store.Txn) error {
			for i := 1; i <= 5; i++ {
				id, err := tx.NextID("rec")
				if err != nil {
					return err
				}
				if err := tx.Put([]byte("r/"+store.Hex16(id)), rec{Name: "r", N: i}); err != nil {
					return err
				}
			}
			if err := tx.Put([]byte("rz"), rec{N: 99}); err != nil { // outside the prefix r/
				return err
			}
			if err := tx.PutRaw([]byte("blob/big"), big); err != nil {
				return err
			}
			return tx.PutRaw([]byte("blob/small"), []byte{1, 2, 3})
		})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			start string
			want  []int
		}{
			{"whole prefix", "", []int{1, 2, 3, 4, 5}},
			{"from the third", "r/" + store.Hex16(3), []int{3, 4, 5}},
			{"past the end", "r/" + store.Hex16(9), nil},
		}
		for _, c := range cases {
			var got []int
			err := db.View(ctx, func(tx *store.Txn) error {
				var start []byte
				if c.start != "" {
					start = []byte(c.start)
				}
				return tx.Scan([]byte("r/"), start, func(r store.Record) error {
					var v rec
					if err := r.Decode(&v); err != nil {
						return err
					}
					got = append(got, v.N)
					return nil
				})
			})
			if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: Scan = %v, %v; want %v", c.name, got, err, c.want)
			}
		}
		err = db.View(ctx, func(tx *store.Txn) error {
			var v rec
			if err := tx.Get([]byte("r/none"), &v); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(missing) = %v, want ErrNotFound", err)
			}
			if err := tx.Put([]byte("x"), 1); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Put in View = %v, want ErrInvalid", err)
			}
			raw, err := tx.GetRaw([]byte("blob/big"))
			if err != nil || !bytes.Equal(raw, big) {
				t.Errorf("GetRaw(big) = %d bytes, %v; want %d bytes back", len(raw), err, len(big))
			}
			n := 0
			err = tx.Scan([]byte("blob/"), nil, func(r store.Record) error {
				p, err := r.Raw()
				if err != nil {
					return err
				}
				n += len(p)
				return nil
			})
			if err != nil || n != len(big)+3 {
				t.Errorf("Scan blob/ = %d bytes, %v; want %d", n, err, len(big)+3)
			}
			keys := 0
			err = tx.ScanKeys([]byte("r/"), func([]byte) error {
				if keys++; keys == 2 {
					return store.ErrStop
				}
				return nil
			})
			if err != nil || keys != 2 {
				t.Errorf("ScanKeys with ErrStop: %d keys, %v", keys, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Delete removes the chunks too; a failed fn writes nothing.
		boom := errors.New("boom")
		err = db.Update(ctx, func(tx *store.Txn) error {
			if err := tx.Put([]byte("r/never"), rec{}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returning an error = %v", err)
		}
		if err := db.Update(ctx, func(tx *store.Txn) error { return tx.Delete([]byte("blob/big")) }); err != nil {
			t.Fatal(err)
		}
		db.View(ctx, func(tx *store.Txn) error {
			for _, p := range []string{"chk/", "r/never"} {
				tx.ScanKeys([]byte(p), func(k []byte) error {
					t.Errorf("key %q left behind", k)
					return nil
				})
			}
			return nil
		})
	})
}

func TestConformanceConcurrentWriters(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := store.WithAudit(context.Background(), store.AuditInfo{Actor: "t", Operation: "mutation inc"})
		db := mustOpen(t, b.fresh(t))
		const workers, each = 6, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					err := db.Update(ctx, func(tx *store.Txn) error {
						var n int
						if err := tx.Get([]byte("counter"), &n); err != nil && !errors.Is(err, store.ErrNotFound) {
							return err
						}
						return tx.Put([]byte("counter"), n+1)
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var n int
		db.View(ctx, func(tx *store.Txn) error { return tx.Get([]byte("counter"), &n) })
		if n != workers*each {
			t.Fatalf("counter = %d after %d increments: a lost update", n, workers*each)
		}
		if got, err := db.VerifyAudit(ctx); err != nil || got != workers*each+0 {
			t.Fatalf("VerifyAudit = %d, %v; want %d records", got, err, workers*each)
		}
	})
}

func TestConformanceAuditChain(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := mustOpen(t, b.fresh(t))
		actx := store.WithAudit(ctx, store.AuditInfo{Actor: "tok1", Role: "analyst", Operation: "mutation save"})
		for i := 0; i < 3; i++ {
			if err := db.Update(actx, func(tx *store.Txn) error {
				tx.Touch("cohort:c" + fmt.Sprint(i))
				return tx.Put([]byte("c/"+fmt.Sprint(i)), i)
			}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := db.Audit(ctx, store.AuditInfo{Actor: "tok2", Operation: "query patient"}, "ok"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		n, err := db.VerifyAudit(ctx)
		if err != nil || n != 23 {
			t.Fatalf("VerifyAudit = %d, %v; want 23", n, err)
		}
		log, err := db.AuditLog(ctx, 0, 3)
		if err != nil || len(log) != 3 || log[1].Targets[0] != "cohort:c1" {
			t.Fatalf("AuditLog = %+v, %v", log, err)
		}
		// A record changed after it was written breaks the chain.
		tampered := log[1]
		tampered.Actor = "someone-else"
		if err := db.Update(ctx, func(tx *store.Txn) error { return tx.Put([]byte("aud/"+store.Hex16(2)), tampered) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifyAudit(ctx); !errors.Is(err, store.ErrTampered) {
			t.Fatalf("VerifyAudit after tampering = %v, want ErrTampered", err)
		}
	})
}

func TestConformanceStage(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := mustOpen(t, b.fresh(t))
		actx := store.WithAudit(ctx, store.AuditInfo{Actor: "tok", Operation: "mutation import"})
		const n = 40000 // over one batch (30,000 entries)
		st, err := db.BeginStage(ctx, "test import")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := st.Put([]byte("p/"+store.Hex16(uint64(i))), rec{N: i}); err != nil {
				t.Fatal(err)
			}
			st.Touch("patient:" + store.Hex16(uint64(i)))
		}
		var v rec
		if err := st.Get([]byte("p/"+store.Hex16(7)), &v); err != nil || v.N != 7 {
			t.Fatalf("Stage.Get of its own write = %+v, %v", v, err)
		}
		count := func() int {
			c := 0
			db.View(ctx, func(tx *store.Txn) error {
				return tx.ScanKeys([]byte("p/"), func([]byte) error { c++; return nil })
			})
			return c
		}
		if c := count(); c != 0 {
			t.Fatalf("%d staged records visible before the commit", c)
		}
		err = st.Commit(actx, func(tx *store.Txn) error { return tx.Put([]byte("meta/imported"), n) })
		if err != nil {
			t.Fatal(err)
		}
		if c := count(); c != n {
			t.Fatalf("%d records after the commit, want %d", c, n)
		}
		if got, err := db.VerifyAudit(ctx); err != nil || got != 1 {
			t.Fatalf("VerifyAudit = %d, %v", got, err)
		}
		// An aborted stage and one whose context ended leave nothing.
		for _, how := range []string{"abort", "cancelled"} {
			st, err := db.BeginStage(ctx, "test "+how)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 35000; i++ {
				st.Put([]byte("q/"+store.Hex16(uint64(i))), i)
			}
			st.Delete([]byte("p/" + store.Hex16(1)))
			if how == "abort" {
				err = st.Abort()
			} else {
				cctx, cancel := context.WithCancel(actx)
				cancel()
				if err = st.Commit(cctx, nil); !errors.Is(err, context.Canceled) {
					t.Fatalf("Commit with a cancelled context = %v", err)
				}
				err = nil
			}
			if err != nil {
				t.Fatal(err)
			}
			db.View(ctx, func(tx *store.Txn) error {
				if ok, _ := tx.Has([]byte("p/" + store.Hex16(1))); !ok {
					t.Errorf("%s: a staged delete landed", how)
				}
				return tx.ScanKeys([]byte("q/"), func([]byte) error { return fmt.Errorf("%s: staged record visible", how) })
			})
		}
		if got, err := db.VerifyAudit(ctx); err != nil || got != 1 {
			t.Fatalf("VerifyAudit after aborts = %d, %v", got, err)
		}
	})
}

func fill(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := store.WithAudit(context.Background(), store.AuditInfo{Actor: "t", Operation: "mutation fill"})
	for i := 0; i < 20; i++ {
		err := db.Update(ctx, func(tx *store.Txn) error {
			id, err := tx.NextID("x")
			if err != nil {
				return err
			}
			return tx.Put([]byte("x/"+store.Hex16(id)), rec{Name: "secret-value", N: i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 150000) // 2.4 MB, chunked
	if err := db.Update(ctx, func(tx *store.Txn) error { return tx.PutRaw([]byte("blob/b"), big) }); err != nil {
		t.Fatal(err)
	}
}

// dump lists every record of db (key = value) for comparison.
func dump(t *testing.T, db *store.DB) string {
	t.Helper()
	var sb strings.Builder
	err := db.View(context.Background(), func(tx *store.Txn) error {
		return tx.ScanKeys(nil, func(k []byte) error {
			if bytes.HasPrefix(k, []byte("stg/")) {
				return nil
			}
			fmt.Fprintf(&sb, "%s\n", k)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func TestConformanceBackupRestore(t *testing.T) {
	eachBackend(t, func(t *testing.T, src backend) {
		ctx := context.Background()
		db := mustOpen(t, src.fresh(t))
		fill(t, db)
		want := dump(t, db)
		var exp, native bytes.Buffer
		if err := db.Export(ctx, &exp); err != nil {
			t.Fatal(err)
		}
		if err := db.Backup(ctx, &native); err != nil {
			t.Fatal(err)
		}
		targets := []backend{badgerBackend()}
		if src.srv != nil {
			targets = append(targets, src)
		} else if srv := pgOrNil(t); srv != nil {
			targets = append(targets, pgBackend(srv))
		}
		for _, dst := range targets {
			for _, c := range []struct {
				name string
				data []byte
			}{{"export", exp.Bytes()}, {"backup", native.Bytes()}} {
				if c.name == "backup" && src.srv == nil && dst.srv != nil {
					continue // Badger's stream format restores only into Badger
				}
				cfg := dst.fresh(t)
				if err := store.Restore(ctx, cfg, bytes.NewReader(c.data)); err != nil {
					t.Fatalf("%s -> %s (%s): %v", src.name, dst.name, c.name, err)
				}
				r := mustOpen(t, cfg)
				if got := dump(t, r); got != want {
					t.Errorf("%s -> %s (%s): restored keys differ", src.name, dst.name, c.name)
				}
				if n, err := r.VerifyAudit(ctx); err != nil || n != 21 {
					t.Errorf("%s -> %s (%s): VerifyAudit = %d, %v", src.name, dst.name, c.name, n, err)
				}
				var raw []byte
				r.View(ctx, func(tx *store.Txn) (err error) { raw, err = tx.GetRaw([]byte("blob/b")); return })
				if len(raw) != 2400000 {
					t.Errorf("%s -> %s (%s): chunked blob %d bytes", src.name, dst.name, c.name, len(raw))
				}
				// A second restore into the same database is refused.
				if err := store.Restore(ctx, cfg, bytes.NewReader(exp.Bytes())); !errors.Is(err, store.ErrConflict) {
					t.Errorf("restore over data = %v, want ErrConflict", err)
				}
			}
			// A truncated or altered export is refused and leaves nothing.
			for _, bad := range [][]byte{exp.Bytes()[:exp.Len()/2], flip(exp.Bytes(), exp.Len()/3)} {
				cfg := dst.fresh(t)
				if err := store.Restore(ctx, cfg, bytes.NewReader(bad)); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("%s: restore of a damaged export = %v, want ErrInvalid", dst.name, err)
				}
				r := mustOpen(t, cfg)
				if got := dump(t, r); got != "meta/format\n" {
					t.Errorf("%s: a refused restore left %q", dst.name, got)
				}
			}
		}
	})
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x5a
	return out
}

// pgOrNil returns the shared cluster, or nil when PostgreSQL cannot run.
func pgOrNil(t *testing.T) *pgtest.Server {
	var srv *pgtest.Server
	t.Run("pg-available", func(t *testing.T) { srv = sharedPG.Get(t) })
	return srv
}

func TestConformanceEncryptionAtRest(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		key := make([]byte, 32)
		rand.Read(key)
		cfg := b.fresh(t)
		cfg.EncryptionKey = key
		db, err := store.Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		marker := "PLAINTEXT-" + hex.EncodeToString(key[:6])
		if err := db.Update(ctx, func(tx *store.Txn) error { return tx.Put([]byte("pat/r/P1"), rec{Name: marker}) }); err != nil {
			t.Fatal(err)
		}
		st, _ := db.BeginStage(ctx, "left open")
		for i := 0; i < 31000; i++ { // one batch written to the stage table
			st.Put([]byte("pat/r/S"+fmt.Sprint(i)), rec{Name: marker})
		}
		if b.srv == nil {
			st.Abort()
		}
		if b.srv != nil {
			db.Close()
			db = nil
			name := cfg.URL[strings.LastIndex(cfg.URL, "/")+1 : strings.Index(cfg.URL, "?")]
			out, err := b.srv.PsqlDB(name, fmt.Sprintf(`SELECT (SELECT count(*) FROM rx_kv WHERE position('\x%x'::bytea in val) > 0) + (SELECT count(*) FROM rx_stage WHERE position('\x%x'::bytea in val) > 0), (SELECT count(*) FROM rx_stage)`, marker, marker))
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(out) != "0|30000" { // one batch of 30,000 entries written, the rest buffered
				t.Fatalf("plaintext rows, staged rows = %q; want 0|30000", out)
			}
		} else {
			db.Close()
			filepath.Walk(cfg.Dir, func(p string, info os.FileInfo, err error) error {
				if err == nil && !info.IsDir() {
					if data, _ := os.ReadFile(p); bytes.Contains(data, []byte(marker)) {
						t.Errorf("%s holds the plaintext", filepath.Base(p))
					}
				}
				return nil
			})
		}
		wrong := make([]byte, 32)
		for _, c := range []struct {
			name string
			key  []byte
		}{{"no key", nil}, {"wrong key", wrong}} {
			cfg2 := cfg
			cfg2.EncryptionKey = c.key
			if db, err := store.Open(cfg2); !errors.Is(err, store.ErrPermission) {
				if db != nil {
					db.Close()
				}
				t.Errorf("Open with %s = %v, want ErrPermission", c.name, err)
			}
		}
		db = mustOpen(t, cfg)
		var v rec
		if err := db.View(ctx, func(tx *store.Txn) error { return tx.Get([]byte("pat/r/P1"), &v) }); err != nil || v.Name != marker {
			t.Fatalf("read back with the key = %+v, %v", v, err)
		}
	})
}

// TestConformanceKill9 kills a writing child process with SIGKILL and
// checks that every write it acknowledged is there, with its audit record.
func TestConformanceKill9(t *testing.T) {
	if spec := os.Getenv("RXLAB_CONFORMANCE_CHILD"); spec != "" {
		conformanceChild(spec)
		return
	}
	eachBackend(t, func(t *testing.T, b backend) {
		cfg := b.fresh(t)
		spec, _ := json.Marshal(map[string]string{"dir": cfg.Dir, "url": cfg.URL})
		cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceKill9$")
		cmd.Env = append(os.Environ(), "RXLAB_CONFORMANCE_CHILD="+string(spec))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]bool{}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
				if acked[k] = true; len(acked) == 200 {
					cmd.Process.Kill()
					break
				}
			}
		}
		cmd.Wait()
		if len(acked) < 200 {
			t.Fatalf("child acknowledged only %d writes before it ended", len(acked))
		}
		db := mustOpen(t, cfg)
		ctx := context.Background()
		missing := 0
		db.View(ctx, func(tx *store.Txn) error {
			for k := range acked {
				if ok, _ := tx.Has([]byte(k)); !ok {
					missing++
				}
			}
			// The child's stage was never committed: none of it is visible.
			return tx.ScanKeys([]byte("staged/"), func([]byte) error { return errors.New("a stage of the killed child is visible") })
		})
		if missing > 0 {
			t.Fatalf("%d of %d acknowledged writes lost after kill -9", missing, len(acked))
		}
		if n, err := db.VerifyAudit(ctx); err != nil || n < len(acked) {
			t.Fatalf("audit chain after kill -9: %d records, %v", n, err)
		}
	})
}

func conformanceChild(spec string) {
	var s map[string]string
	json.Unmarshal([]byte(spec), &s)
	db, err := store.Open(store.Config{Dir: s["dir"], URL: s["url"], GCInterval: -1})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ctx := store.WithAudit(context.Background(), store.AuditInfo{Actor: "child", Operation: "mutation write"})
	st, err := db.BeginStage(ctx, "never committed")
	if err == nil {
		for i := 0; i < 31000; i++ {
			st.Put([]byte("staged/"+store.Hex16(uint64(i))), i)
		}
	}
	for i := 0; ; i++ {
		k := "t/" + store.Hex16(uint64(i))
		if err := db.Update(ctx, func(tx *store.Txn) error { return tx.Put([]byte(k), rec{N: i}) }); err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("ACK", k)
		if i > 100000 {
			time.Sleep(time.Millisecond)
		}
	}
}
