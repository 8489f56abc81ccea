package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// skipAwaiting skips a case listed in awaitingFix.
func skipAwaiting(t *testing.T, id string) {
	t.Helper()
	if why, ok := awaitingFix[id]; ok {
		t.Skip("awaiting fix: " + why)
	}
}

const importQ = `mutation($d: String!) { importPatients(format: "matchminer-clinical", data: $d) { accepted rejected } }`

// TestHostileLargeImport is row 2: 110,000 MatchMiner clinical rows on an
// empty store either store all they report or nothing; later imports
// work; the next start opens the store and finds the same patients. It is
// also row 11's last part: a spool a killed process left is removed at start.
func TestHostileLargeImport(t *testing.T) {
	skipAwaiting(t, "2")
	if testing.Short() {
		t.Skip("110,000-row import: not in -short")
	}
	s := hxStart(t)
	csv := compactCSV("B", 110000)
	mem := startMem(s.c.cmd.Process.Pid)
	a := s.gq(t, s.admin, importQ, map[string]any{"d": csv}, 120*time.Second)
	t.Logf("import of %d bytes: %s; peak extra memory %.0f MB", len(csv), a, mem.extraMB())
	got := s.counts(t).patients
	switch {
	case a.err != nil:
		t.Fatalf("no answer: %s", a)
	case a.status == 200 && len(a.codes) == 0:
		if a.get("importPatients", "accepted") != 110000.0 || got != 110000 {
			t.Fatalf("import answered %v accepted, store has %d patients", a.get("importPatients"), got)
		}
	default:
		if got != 0 {
			t.Fatalf("the import failed (%v) yet %d patients are stored", a.codes, got)
		}
	}
	s.gq(t, s.admin, importQ, map[string]any{"d": clinicalCSV("SMALL-", 0, 10, func(int) int { return 1960 })}, 60*time.Second).ok(t, "a later import")
	if n := s.counts(t).patients; n != got+10 {
		t.Fatalf("after a 10-patient import: %d patients, want %d", n, got+10)
	}
	t.Run("2b_streamed_import", func(t *testing.T) {
		skipAwaiting(t, "2b")
		streamed(t, s, got+10)
	})
	got = s.counts(t).patients - 10
	s.auditOK(t)
	// The default spool directory is DATA/spool (-spool-dir).
	spool := filepath.Join(s.dir, "spool", "rxlab-import-stale")
	if err := os.MkdirAll(filepath.Dir(spool), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spool, []byte("left by kill -9"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.restart(t)
	if n := s.counts(t).patients; n != got+10 {
		t.Fatalf("after a restart: %d patients, want %d", n, got+10)
	}
	s.healthz(t)
	t.Run("11c_stale_spool_removed", func(t *testing.T) {
		skipAwaiting(t, "11c")
		if _, err := os.Stat(spool); err == nil {
			t.Errorf("a stale spool file in %s survived the restart", filepath.Dir(spool))
		}
	})
}

// streamed sends 110,000 rows to POST /import/patients: once with one bad
// record at the end (the whole file refused, nothing stored), once clean
// (all stored); have is the patient count before.
func streamed(t *testing.T, s *hxServer, have int) {
	path := "/import/patients?format=matchminer-clinical"
	bad := compactCSV("SB", 110000) + "SB-BAD,not-a-date,M\n"
	mem := startMem(s.c.cmd.Process.Pid)
	a := s.send(t, "POST", path, s.admin, []byte(bad), 120*time.Second)
	if a.err != nil || a.status != 400 || !a.hasCode("BAD_USER_INPUT") {
		t.Errorf("a file with one bad record: %s", a)
	}
	if n := s.counts(t).patients; n != have {
		t.Fatalf("after a refused file: %d patients, want %d", n, have)
	}
	a = s.send(t, "POST", path, s.admin, []byte(compactCSV("SG", 110000)), 120*time.Second)
	if a.err != nil || a.status != 200 || len(a.codes) > 0 {
		t.Fatalf("a clean file of 110,000 rows: %s", a)
	}
	if n := s.counts(t).patients; n != have+110000 {
		t.Errorf("after a clean file: %d patients, want %d (answer %s)", n, have+110000, a)
	}
	if extra := mem.extraMB(); extra > hxCeilingMB {
		t.Errorf("streamed imports peaked %.0f MB above the start (ceiling %d MB)", extra, hxCeilingMB)
	}
	s.healthz(t)
}

// TestHostileQueuedWriter is row 6 (-request-timeout 2s): heavy counts
// and imports at once; health answers every role within the deadline
// throughout, and an import that answered TIMEOUT stored nothing.
func TestHostileQueuedWriter(t *testing.T) {
	skipAwaiting(t, "6")
	s := hxStart(t, "-request-timeout", "2s")
	s.gq(t, s.admin, importQ, map[string]any{"d": clinicalCSV("Q-", 0, 3000, func(i int) int { return 1930 + i%70 })}, 60*time.Second).ok(t, "import")
	base := s.counts(t).patients
	heavy := map[string]any{"atLeast": map[string]any{"n": 5000, "of": criteriaRules(10000)}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var committed, timeouts, counts atomic.Int64
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s.gq(t, s.admin, countQ, map[string]any{"c": heavy}, 10*time.Second)
				counts.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// The first import is large enough to pass the 2 s deadline on
			// a slow machine, so "TIMEOUT stored nothing" gets exercised.
			csv := clinicalCSV(fmt.Sprintf("W%d-", i), 0, 300, func(int) int { return 1970 })
			if i == 0 {
				csv = compactCSV("W0-", 100000)
			}
			a := s.gq(t, s.admin, importQ, map[string]any{"d": csv}, 20*time.Second)
			switch {
			case a.status == 200 && len(a.codes) == 0:
				committed.Add(int64(a.get("importPatients", "accepted").(float64)))
			case a.hasCode("TIMEOUT"):
				timeouts.Add(1)
			default:
				t.Errorf("import %d: %s", i, a)
			}
		}
	}()
	deadline := time.Now().Add(6 * time.Second)
	for _, role := range []string{"designer", "clinician", "admin"} {
		s.token(t, role)
	}
	for i := 0; time.Now().Before(deadline); i++ {
		role := []string{"designer", "clinician", "admin"}[i%3]
		a := s.gq(t, s.token(t, role), `{ health { ok } }`, nil, 5*time.Second)
		if a.err != nil || a.status != 200 || len(a.codes) > 0 || a.elapsed > 2500*time.Millisecond {
			t.Errorf("health as %s while counts and imports run: %s", role, a)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if got := s.counts(t).patients; got != base+int(committed.Load()) {
		t.Errorf("patients %d, want %d + %d acknowledged (%d imports answered TIMEOUT)", got, base, committed.Load(), timeouts.Load())
	}
	t.Logf("%d heavy counts, %d patients imported, %d imports TIMEOUT", counts.Load(), committed.Load(), timeouts.Load())
	s.healthz(t)
	s.auditOK(t)
}

const startTrainingHX = `mutation($in: TrainingInput!) { startTraining(input: $in) { id job { id state } } }`

func hxTraining(iterations int) map[string]any {
	return map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "iterations": iterations, "seed": 3,
		"population":      map[string]any{"size": 16, "seed": 5},
		"hyperparameters": map[string]any{"envs": 8, "episodeSteps": 20, "hidden": []any{16}}}}
}

// waitJob polls job(id:) until its state is one of want or d passes.
func waitJob(t *testing.T, s *hxServer, id string, d time.Duration, want ...string) map[string]any {
	t.Helper()
	end := time.Now().Add(d)
	for {
		a := s.gq(t, s.admin, `query($id: ID!) { job(id: $id) { id state error message } }`, map[string]any{"id": id}, 10*time.Second).ok(t, "job")
		j, _ := a.get("job").(map[string]any)
		for _, w := range want {
			if j != nil && j["state"] == w {
				return j
			}
		}
		if time.Now().After(end) {
			t.Fatalf("job %s is %v, want one of %v", id, j, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestHostileJobs is rows 13 and 12: an evaluation over stored patients,
// two of them minors, succeeds and counts them as skipped; a job still
// queued at shutdown is still queued (never failed) after the restart.
func TestHostileJobs(t *testing.T) {
	s := hxStart(t, "-jobs", "1")
	t.Run("13_evaluatePolicy_with_minors", func(t *testing.T) {
		skipAwaiting(t, "13")
		year := time.Now().Year()
		csv := clinicalCSV("M-", 0, 80, func(i int) int {
			if i == 10 || i == 20 {
				return year - 12
			}
			return 1950 + i%30
		})
		s.gq(t, s.admin, importQ, map[string]any{"d": csv}, 30*time.Second).ok(t, "import")
		ev := s.gq(t, s.admin, `mutation { evaluatePolicy(input: {model: "warfarin-hamberg", baselines: ["fixed"], population: {size: 60, seed: 3, criteria: {sex: [MALE]}}, days: 7}) { id job { id } } }`, nil, 30*time.Second).ok(t, "evaluatePolicy")
		j := waitJob(t, s, ev.get("evaluatePolicy", "job", "id").(string), 120*time.Second, "SUCCEEDED", "FAILED")
		if j["state"] != "SUCCEEDED" {
			t.Fatalf("the evaluation over stored patients with two minors: %v", j)
		}
		got := s.gq(t, s.admin, `query($id: ID!) { evaluation(id: $id) { skipped } }`, map[string]any{"id": ev.get("evaluatePolicy", "id")}, 10*time.Second).ok(t, "evaluation")
		if got.get("evaluation", "skipped") != 2.0 {
			t.Errorf("skipped: %s", got)
		}
	})
	t.Run("12_queued_job_survives_shutdown", func(t *testing.T) {
		skipAwaiting(t, "12")
		long := s.gq(t, s.admin, startTrainingHX, hxTraining(5000), 30*time.Second).ok(t, "long training")
		waitJob(t, s, long.get("startTraining", "job", "id").(string), 60*time.Second, "RUNNING")
		ev := s.gq(t, s.admin, `mutation { evaluatePolicy(input: {model: "warfarin-hamberg", baselines: ["fixed"], population: {size: 12, seed: 8}, days: 5}) { id job { id state } } }`, nil, 30*time.Second).ok(t, "queued evaluation")
		evJob := ev.get("evaluatePolicy", "job", "id").(string)
		s.restart(t, "-jobs", "1")
		a := s.gq(t, s.admin, `query($id: ID!) { job(id: $id) { state error } }`, map[string]any{"id": evJob}, 10*time.Second).ok(t, "job after restart")
		if st := a.get("job", "state"); st == "FAILED" || st == "CANCELLED" || st == nil {
			t.Errorf("a job queued at shutdown, after the restart: %s", a)
		}
		s.gq(t, s.admin, `mutation($id: ID!) { cancelJob(id: $id) { state } }`, map[string]any{"id": long.get("startTraining", "job", "id")}, 10*time.Second)
	})
	s.healthz(t)
	s.auditOK(t)
}

// TestHostileTrainFull is row 3: split "full" with the default
// architecture trains and saves for each property dataset. Minutes of
// training: only with RXLAB_HOSTILE_SLOW=1 (RXLAB_HOSTILE_DATASETS="esol"
// picks datasets).
func TestHostileTrainFull(t *testing.T) {
	skipAwaiting(t, "3")
	if !hxSlow() || testing.Short() {
		t.Skip("trains four models for minutes: set RXLAB_HOSTILE_SLOW=1")
	}
	s := hxStart(t)
	sets := strings.Fields(os.Getenv("RXLAB_HOSTILE_DATASETS")) // e.g. "esol"; default all four
	if len(sets) == 0 {
		sets = []string{"esol", "freesolv", "lipo", "bbbp"}
	}
	for _, ds := range sets {
		a := s.gq(t, s.admin, `mutation($d: String!) { trainResponseModel(input: {dataset: $d, split: "full"}) { id state } }`, map[string]any{"d": ds}, 30*time.Second).ok(t, ds)
		j := waitJob(t, s, a.get("trainResponseModel", "id").(string), 60*time.Minute, "SUCCEEDED", "FAILED", "CANCELLED")
		if j["state"] != "SUCCEEDED" {
			t.Errorf("%s full: %v", ds, j)
		}
		if msg, _ := j["error"].(string); strings.Contains(msg, "too big") {
			t.Errorf("%s: %s", ds, msg)
		}
	}
}
