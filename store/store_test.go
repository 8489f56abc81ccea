package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T, dir string, key []byte) *DB {
	t.Helper()
	db, err := Open(Config{Dir: dir, EncryptionKey: key, GCInterval: -1})
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	return db
}

type thing struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func TestRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	err := db.Update(ctx, func(tx *Txn) error {
		for i := 1; i <= 3; i++ {
			id, err := tx.NextID("thing")
			if err != nil {
				return err
			}
			if err := tx.Put([]byte("t/"+Hex16(id)), thing{Name: "x", N: i}); err != nil {
				return err
			}
		}
		return tx.PutRaw([]byte("r/blob"), []byte{1, 2, 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []thing
	err = db.View(ctx, func(tx *Txn) error {
		var miss thing
		if err := tx.Get([]byte("t/none"), &miss); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(missing) = %v, want ErrNotFound", err)
		}
		raw, err := tx.GetRaw([]byte("r/blob"))
		if err != nil || !bytes.Equal(raw, []byte{1, 2, 3}) {
			t.Errorf("GetRaw = %v, %v", raw, err)
		}
		if err := tx.Get([]byte("r/blob"), &miss); !errors.Is(err, ErrInvalid) {
			t.Errorf("Get of a raw record = %v, want ErrInvalid (codec)", err)
		}
		return tx.Scan([]byte("t/"), nil, func(r Record) error {
			var v thing
			if err := r.Decode(&v); err != nil {
				return err
			}
			got = append(got, v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].N != 1 || got[2].N != 3 {
		t.Fatalf("scan = %+v, want three things in order", got)
	}
}

func TestNewerRecordAndFormatRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTest(t, dir, nil)
	// A record and a format written by a future build.
	err := db.Update(ctx, func(tx *Txn) error {
		if err := tx.set([]byte("t/future"), []byte{RecordVersion + 1, codecJSON, '{', '}'}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *Txn) error {
		var v thing
		return tx.Get([]byte("t/future"), &v)
	})
	if err == nil || !strings.Contains(err.Error(), "newer") && !strings.Contains(err.Error(), "record version") {
		t.Errorf("reading a newer record = %v, want a clear version error", err)
	}
	err = db.Update(ctx, func(tx *Txn) error { return tx.Put([]byte("meta/format"), FormatVersion+1) })
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(Config{Dir: dir, GCInterval: -1})
	if err == nil || !strings.Contains(err.Error(), "format version 2") {
		t.Fatalf("Open of a newer database = %v, want a format version error", err)
	}
}

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	actx := WithAudit(ctx, AuditInfo{Actor: "tok1", Role: "admin", Operation: "mutation test"})
	for i := 0; i < 5; i++ {
		err := db.Update(actx, func(tx *Txn) error {
			tx.Touch("thing:" + strconv.Itoa(i))
			return tx.Put([]byte("t/"+strconv.Itoa(i)), thing{N: i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A failed write leaves no data and no "ok" record.
	boom := errors.New("boom")
	if err := db.Update(actx, func(tx *Txn) error {
		tx.Put([]byte("t/failed"), thing{})
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, AuditInfo{Actor: "tok1", Role: "admin", Operation: "mutation test"}, "error: BAD_USER_INPUT"); err != nil {
		t.Fatal(err)
	}
	n, err := db.VerifyAudit(ctx)
	if err != nil || n != 6 {
		t.Fatalf("VerifyAudit = %d, %v; want 6, nil", n, err)
	}
	log, err := db.AuditLog(ctx, 0, 100)
	if err != nil || len(log) != 6 || log[2].Targets[0] != "thing:2" || log[5].Outcome != "error: BAD_USER_INPUT" {
		t.Fatalf("AuditLog = %+v, %v", log, err)
	}

	// Flip one byte of one record's payload: verification must name it.
	err = db.Update(ctx, func(tx *Txn) error {
		item, err := tx.t.Get(auditKeyFor(3))
		if err != nil {
			return err
		}
		val, _ := item.ValueCopy(nil)
		i := bytes.Index(val, []byte("thing:2"))
		val[i+6] = '9'
		return tx.set(auditKeyFor(3), val)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(ctx); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "record 3") {
		t.Fatalf("VerifyAudit after a flipped byte = %v, want ErrTampered naming record 3", err)
	}
}

func TestAuditDeletionDetected(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir(), nil)
	defer db.Close()
	for i := 0; i < 3; i++ {
		if err := db.Audit(ctx, AuditInfo{Actor: "a", Operation: "query patient"}, "ok"); err != nil {
			t.Fatal(err)
		}
	}
	db.Update(ctx, func(tx *Txn) error { return tx.Delete(auditKeyFor(3)) })
	if _, err := db.VerifyAudit(ctx); !errors.Is(err, ErrTampered) {
		t.Fatalf("VerifyAudit after deleting the last record = %v, want ErrTampered", err)
	}
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	src := openTest(t, t.TempDir(), nil)
	actx := WithAudit(ctx, AuditInfo{Actor: "a", Operation: "mutation x"})
	for i := 0; i < 100; i++ {
		if err := src.Update(actx, func(tx *Txn) error { return tx.Put([]byte("t/"+Hex16(uint64(i))), thing{N: i}) }); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := src.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	src.Close()

	dst := t.TempDir()
	if err := Restore(ctx, Config{Dir: dst}, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	// A second restore into the same directory must refuse, not overwrite.
	if err := Restore(ctx, Config{Dir: dst}, bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrConflict) {
		t.Fatalf("restore into a non-empty dir = %v, want ErrConflict", err)
	}
	db := openTest(t, dst, nil)
	defer db.Close()
	count := 0
	db.View(ctx, func(tx *Txn) error {
		return tx.Scan([]byte("t/"), nil, func(r Record) error { count++; return nil })
	})
	if count != 100 {
		t.Fatalf("restored %d records, want 100", count)
	}
	if n, err := db.VerifyAudit(ctx); err != nil || n != 100 {
		t.Fatalf("VerifyAudit after restore = %d, %v", n, err)
	}
}

func TestEncryptionAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	const marker = "PLAINTEXT-MARKER-7f3a9c"
	db := openTest(t, dir, key)
	for i := 0; i < 50; i++ {
		if err := db.Update(ctx, func(tx *Txn) error {
			return tx.Put([]byte("t/"+strconv.Itoa(i)), thing{Name: marker + strings.Repeat("x", 100)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s holds the plaintext marker", filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Config{Dir: dir, GCInterval: -1}); err == nil {
		t.Fatal("an encrypted store opened without its key")
	}
	wrong := make([]byte, 32)
	if _, err := Open(Config{Dir: dir, EncryptionKey: wrong, GCInterval: -1}); err == nil {
		t.Fatal("an encrypted store opened with a wrong key")
	}
	db = openTest(t, dir, key)
	defer db.Close()
	var v thing
	if err := db.View(ctx, func(tx *Txn) error { return tx.Get([]byte("t/7"), &v) }); err != nil || !strings.HasPrefix(v.Name, marker) {
		t.Fatalf("read back = %v, %v", v.Name[:10], err)
	}
}

func TestReadKeyFile(t *testing.T) {
	dir := t.TempDir()
	hexKey := filepath.Join(dir, "hex")
	os.WriteFile(hexKey, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if k, err := ReadKeyFile(hexKey); err != nil || len(k) != 32 || k[0] != 0xab {
		t.Errorf("hex key = %x, %v", k, err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("short"), 0o600)
	if _, err := ReadKeyFile(bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("short key = %v, want ErrInvalid", err)
	}
}

// TestKillDuringWrites writes from a child process, kills it with SIGKILL
// mid-stream, and checks that every write the child acknowledged is there.
func TestKillDuringWrites(t *testing.T) {
	if dir := os.Getenv("RXLAB_STORE_CHILD_DIR"); dir != "" {
		childWriter(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$")
	cmd.Env = append(os.Environ(), "RXLAB_STORE_CHILD_DIR="+dir)
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
		line := sc.Text()
		if k, ok := strings.CutPrefix(line, "ACK "); ok {
			acked[k] = true
			if len(acked) == 300 {
				cmd.Process.Kill()
				break
			}
		}
	}
	cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d writes before it ended", len(acked))
	}
	db := openTest(t, dir, nil)
	defer db.Close()
	ctx := context.Background()
	missing := 0
	db.View(ctx, func(tx *Txn) error {
		for k := range acked {
			if ok, _ := tx.Has([]byte(k)); !ok {
				missing++
			}
		}
		return nil
	})
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost after kill -9", missing, len(acked))
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("audit chain after kill -9: %v", err)
	}
}

func childWriter(dir string) {
	db, err := Open(Config{Dir: dir, GCInterval: -1})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ctx := WithAudit(context.Background(), AuditInfo{Actor: "child", Operation: "mutation write"})
	for i := 0; ; i++ {
		k := "t/" + Hex16(uint64(i))
		if err := db.Update(ctx, func(tx *Txn) error { return tx.Put([]byte(k), thing{N: i}) }); err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("ACK", k)
		if i > 100000 {
			time.Sleep(time.Millisecond)
		}
	}
}
