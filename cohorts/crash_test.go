package cohorts

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

var crashCycles = flag.Int("crash.cycles", 0, "kill -9 cycles of TestCrashCycles (default 3, or RXLAB_CRASH_CYCLES)")

// Crash-cycle workload: imports of crashImport patients and raw blobs of
// crashBlob bytes, alternately, each one staged write.
const (
	crashImport = 3_000
	crashBlob   = 12 << 20
)

func crashBlobData(k int) []byte {
	r := rand.New(rand.NewPCG(uint64(k), 99))
	p := make([]byte, crashBlob)
	for i := 0; i < len(p); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	return p
}

// TestCrashCycles kills a child process with SIGKILL at random moments
// while it imports patients and saves large raw blobs, then checks that the
// store opens, every import and blob is wholly there or wholly absent (and
// there whenever the child reported its commit), the index matches the
// records, and the audit chain verifies. Cycles: 3, or 20 (any number) with
// -crash.cycles=N or RXLAB_CRASH_CYCLES=N.
func TestCrashCycles(t *testing.T) {
	if dir := os.Getenv("RXLAB_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	n := 3
	if *crashCycles > 0 {
		n = *crashCycles
	} else if v, err := strconv.Atoi(os.Getenv("RXLAB_CRASH_CYCLES")); err == nil && v > 0 {
		n = v
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("%d cycles, seed %d", n, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	acked := map[string]bool{}
	for cycle := range n {
		wait := time.Duration(300+rng.IntN(3700)) * time.Millisecond
		got := runCrashChild(t, dir, wait)
		for k := range got {
			acked[k] = true
		}
		t.Logf("cycle %d: killed %v after ready, %d commits reported", cycle, wait, len(got))
		checkAfterCrash(t, dir, acked, cycle)
	}
}

// runCrashChild starts the child, kills it wait after it is ready, and
// returns the writes it reported committed.
func runCrashChild(t *testing.T, dir string, wait time.Duration) map[string]bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashCycles$")
	cmd.Env = append(os.Environ(), "RXLAB_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	got := map[string]bool{}
	var timer <-chan time.Time
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("child ended before it was killed")
			}
			switch {
			case l == "READY":
				timer = time.After(wait)
			case strings.HasPrefix(l, "DONE "):
				got[strings.TrimPrefix(l, "DONE ")] = true
			case strings.HasPrefix(l, "ERR "):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child: %s", l)
			}
		case <-timer:
			cmd.Process.Kill() // SIGKILL
			for range lines {
			}
			cmd.Wait()
			return got
		}
	}
}

// checkAfterCrash opens the store and the service as a restart would.
func checkAfterCrash(t *testing.T, dir string, acked map[string]bool, cycle int) {
	t.Helper()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatalf("cycle %d: store does not open: %v", cycle, err)
	}
	defer db.Close()
	s, err := New(Config{DB: db, Now: fixedNow("2026-01-15")})
	if err != nil {
		t.Fatalf("cycle %d: cohorts do not open: %v", cycle, err)
	}
	imports := map[string]int{}
	blobs := 0
	err = db.View(bg, func(tx *store.Txn) error {
		err := tx.ScanKeys([]byte("pat/r/"), func(k []byte) error {
			id := string(k[len("pat/r/"):])
			imports[id[:strings.IndexByte(id, '-')]]++
			return nil
		})
		if err != nil {
			return err
		}
		return tx.ScanKeys([]byte("crash/blob/"), func(k []byte) error {
			blobs++
			name := string(k[len("crash/blob/"):])
			n, _ := strconv.Atoi(name[1:])
			p, err := tx.GetRaw(k)
			if err != nil || !bytes.Equal(p, crashBlobData(n)) {
				return fmt.Errorf("blob %s is not whole: %d bytes, %v", name, len(p), err)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for k, c := range imports {
		if c != crashImport {
			t.Fatalf("cycle %d: import %s is half there: %d of %d patients", cycle, k, c, crashImport)
		}
		total += c
	}
	if s.PatientCount() != total {
		t.Fatalf("cycle %d: index has %d patients, store %d", cycle, s.PatientCount(), total)
	}
	for k := range acked {
		if strings.HasPrefix(k, "I") && imports[k] == 0 {
			t.Fatalf("cycle %d: import %s was reported committed but is absent", cycle, k)
		}
		if strings.HasPrefix(k, "B") {
			err := db.View(bg, func(tx *store.Txn) error { _, err := tx.GetRaw([]byte("crash/blob/" + k)); return err })
			if err != nil {
				t.Fatalf("cycle %d: blob %s was reported committed: %v", cycle, k, err)
			}
		}
	}
	if n, err := db.VerifyAudit(bg); err != nil {
		t.Fatalf("cycle %d: audit: %v", cycle, err)
	} else {
		t.Logf("cycle %d: %d imports (%d patients), %d blobs, %d audit records verified", cycle, len(imports), total, blobs, n)
	}
}

// crashChild imports and saves blobs until it is killed, printing DONE
// after each commit.
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		fail(err)
	}
	s, err := New(Config{DB: db, Now: fixedNow("2026-01-15")})
	if err != nil {
		fail(err)
	}
	ctx := store.WithAudit(context.Background(), store.AuditInfo{Actor: "crash", Operation: "crash workload"})
	fmt.Println("READY")
	for k := int(time.Now().UnixNano() % 1e9); ; k++ {
		name := fmt.Sprintf("I%d", k)
		res, err := s.ImportPatientStream(ctx, FormatMatchMinerClinical, strings.NewReader(mmClinicalCSV(name, crashImport)), StreamOptions{})
		if err != nil || !res.Committed {
			fail(fmt.Errorf("import %s: %v", name, err))
		}
		fmt.Println("DONE", name)
		blob := fmt.Sprintf("B%d", k)
		st, err := db.BeginStage(ctx, "crash blob")
		if err == nil {
			err = st.PutRaw([]byte("crash/blob/"+blob), crashBlobData(k))
		}
		if err == nil {
			err = st.Commit(ctx, nil)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			fail(fmt.Errorf("blob %s: %v", blob, err))
		}
		fmt.Println("DONE", blob)
	}
}
