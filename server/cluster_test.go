package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/rxlab/rxlab/graphql"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
	"github.com/rxlab/rxlab/store/pgtest"
)

// startNATS runs a NATS server with JetStream (in a temp dir) on loopback
// inside the test process; the subprocesses connect to its URL.
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

var workerReadyRe = regexp.MustCompile(`"msg":"rxlab worker ready"`)

// startProc runs the server binary (this test binary) with args as a
// subprocess and waits for ready in its log; a first submatch is its
// address. It is killed when tb ends.
func startProc(t testing.TB, ready *regexp.Regexp, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RXLAB_TEST_SERVE=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), log: &bytes.Buffer{}}
	ready2 := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.log.WriteString(sc.Text() + "\n")
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				m = append(m, "")
				ready2 <- m[1]
			}
		}
		cmd.Wait()
		close(c.done)
	}()
	select {
	case c.addr = <-ready2:
	case <-c.done:
		t.Fatalf("%s exited early: %s", args[0], c.log)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s did not start: %s", args[0], c.log)
	}
	t.Cleanup(func() { cmd.Process.Kill(); <-c.done })
	return c
}

// clusterEvalInput is the acceptance evaluation: n virtual warfarin
// patients, two baselines.
func clusterEvalInput(n int) rl.EvaluationInput {
	return rl.EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{dosing.MethodFixed, dosing.MethodAurora},
		Population: rl.PopulationInput{Size: n, Seed: 11}, Days: 7, Monitoring: string(dosing.MonitoringOutpatient)}
}

// oneProcess evaluates in on a private Badger store in this process.
func oneProcess(t testing.TB, in rl.EvaluationInput) rl.EvaluationResult {
	t.Helper()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	svc, err := rl.New(rl.Config{DB: db, Jobs: r})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Evaluate(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const evaluateQ = `mutation($in: EvaluationInput!) { evaluatePolicy(input: $in) { id job { id } } }`
const evaluationQ = `query($id: ID!) { evaluation(id: $id) { arms { name patients timeInRange timeInRangeLow95 timeInRangeHigh95 timeAbove timeBelow meanDailyDose timeSevere visitsPerPatient } } }`

func evalVars(in rl.EvaluationInput) map[string]any {
	return map[string]any{"in": map[string]any{"model": in.Model, "baselines": in.Baselines, "days": in.Days,
		"monitoring": in.Monitoring, "population": map[string]any{"size": in.Population.Size, "seed": in.Population.Seed}}}
}

// sameArms compares the API's arms with one process's, number by number
// (JSON carries a float64 exactly).
func sameArms(t *testing.T, got []any, want []rl.EvaluationArm) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d arms, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i].(map[string]any)
		pairs := map[string]float64{"patients": float64(w.Patients), "timeInRange": w.TimeInRange, "timeInRangeLow95": w.TimeInRangeLow95,
			"timeInRangeHigh95": w.TimeInRangeHigh95, "timeAbove": w.TimeAbove, "timeBelow": w.TimeBelow,
			"meanDailyDose": w.MeanDailyDose, "timeSevere": w.TimeSevere, "visitsPerPatient": w.VisitsPerPatient}
		for k, v := range pairs {
			if g[k] != v {
				t.Errorf("arm %s %s: cluster %v, one process %v", w.Name, k, g[k], v)
			}
		}
	}
}

// startCluster starts PostgreSQL (skipping without it), NATS, two API
// nodes that run jobs but compute no shards, and the workers.
func startCluster(t testing.TB, workers int) (nodes, ws []*child, token, pgURL string) {
	pg := pgtest.Start(t, pgtest.Options{Fast: true})
	pgURL = pg.NewDB(t)
	natsURL := startNATS(t)
	common := []string{"-store", pgURL, "-nats", natsURL, "-nats-ack-wait", "2s"}
	dirA := t.TempDir()
	for _, dir := range []string{dirA, t.TempDir()} {
		args := append([]string{"serve", "-data", dir, "-addr", "127.0.0.1:0", "-demo=false", "-jobs", "1", "-shards", "0"}, common...)
		nodes = append(nodes, startProc(t, listenRe, args...))
	}
	tok, err := os.ReadFile(dirA + "/admin.token")
	if err != nil {
		t.Fatal(err)
	}
	token = strings.TrimSpace(string(tok))
	for range workers {
		ws = append(ws, startProc(t, workerReadyRe, append([]string{"worker", "-data", t.TempDir(), "-jobs", "0", "-shards", "1"}, common...)...))
	}
	return nodes, ws, token, pgURL
}

// TestClusterEvaluation is the acceptance test of jobs past one machine:
// two API nodes and two workers (subprocesses) on one PostgreSQL and one
// NATS. An evaluation of 20,000 virtual patients, the size (4,000
// with -short; RXLAB_CLUSTER_PATIENTS sets another), started
// on node A is sharded over the workers; one worker is killed with SIGKILL
// mid-job, the survivor takes its shard after the ack wait, and the numbers
// read on node B equal one process's to the bit. Node A is then killed and
// node B still serves; audit verify passes over the shared store. Before
// the evaluation, a patient imported on node A must be counted on node B
// within a second.
func TestClusterEvaluation(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	if v := os.Getenv("RXLAB_CLUSTER_PATIENTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n < 2000 || n > 200000 {
			t.Fatalf("RXLAB_CLUSTER_PATIENTS=%q: want 2000..200000", v)
		}
	}
	nodes, ws, token, pgURL := startCluster(t, 2)
	importCountedOnOtherNode(t, nodes[0].addr, nodes[1].addr, token)
	in := clusterEvalInput(n)
	ev := must(t, nodes[0].addr, token, evaluateQ, evalVars(in))["evaluatePolicy"].(map[string]any)
	jobID := ev["job"].(map[string]any)["id"].(string)

	// Kill a worker once some shards are done.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j := must(t, nodes[1].addr, token, `query($id: ID!) { job(id: $id) { state message progress } }`, map[string]any{"id": jobID})["job"].(map[string]any)
		if p, _ := j["progress"].(float64); p > 0 && j["state"] == "RUNNING" {
			break
		}
		if j["state"] != "QUEUED" && j["state"] != "RUNNING" || time.Now().After(deadline) {
			t.Fatalf("job before the kill: %v", j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ws[0].cmd.Process.Kill()
	<-ws[0].done

	want := oneProcess(t, in) // meanwhile, the same evaluation in one process
	j := jobState(t, nodes[1].addr, token, jobID, "SUCCEEDED", "FAILED", "CANCELLED")
	if j["state"] != "SUCCEEDED" {
		t.Fatalf("job after the worker's death: %v", j)
	}
	got := must(t, nodes[1].addr, token, evaluationQ, map[string]any{"id": ev["id"]})["evaluation"].(map[string]any)
	sameArms(t, got["arms"].([]any), want.Arms)
	if !strings.Contains(ws[1].log.String(), `"msg":"shard redelivered"`) {
		t.Error("the survivor never took over the dead worker's shard")
	}

	nodes[0].cmd.Process.Kill()
	<-nodes[0].done
	if h := must(t, nodes[1].addr, token, `{ health { ok } }`, nil)["health"].(map[string]any); h["ok"] != true {
		t.Errorf("node B after node A's death: %v", h)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"audit", "verify", "-store", pgURL, "-data", t.TempDir()}, &out, &out); err != nil {
		t.Errorf("audit verify: %v (%s)", err, out.String())
	}
}

// BenchmarkClusterEvaluation measures evaluation throughput (simulated
// patients per second, 2 arms each) with 1 and 2 workers on one
// PostgreSQL and one NATS; the goal is ≥ 1.8× with two on a 2-core machine.
// Set RXLAB_BENCH_PATIENTS to change the population (default 20,000) and
// RXLAB_BENCH_DAYS the days each patient is followed (default 7; a
// warfarin initiation is judged over 28 or more).
func BenchmarkClusterEvaluation(b *testing.B) {
	n, days := 20000, 7
	if v := os.Getenv("RXLAB_BENCH_PATIENTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	if v := os.Getenv("RXLAB_BENCH_DAYS"); v != "" {
		fmt.Sscan(v, &days)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			nodes, _, token, _ := startCluster(b, workers)
			in := clusterEvalInput(n)
			in.Days = days
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				in.Population.Seed = int64(100 + i)
				out, err := fedPost(nodes[0].addr, token, evaluateQ, evalVars(in))
				if err != nil {
					b.Fatal(err)
				}
				jobID := out["data"].(map[string]any)["evaluatePolicy"].(map[string]any)["job"].(map[string]any)["id"].(string)
				for {
					o, err := fedPost(nodes[0].addr, token, `query($id: ID!) { job(id: $id) { state error } }`, map[string]any{"id": jobID})
					if err != nil {
						b.Fatal(err)
					}
					jb := o["data"].(map[string]any)["job"].(map[string]any)
					if jb["state"] == "SUCCEEDED" {
						break
					}
					if jb["state"] == "FAILED" || jb["state"] == "CANCELLED" {
						b.Fatalf("job: %v", jb)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "patients/s")
		})
	}
}

// TestClusterEvaluationBadger is the same scenario where PostgreSQL is
// absent: an API node and two workers in this process share one Badger
// handle and one NATS (each its own connection, as processes would). One
// worker is abandoned mid-shard (nothing more written or acknowledged, its
// connection closed, as a crash); the evaluation still finishes and equals
// one process to the bit.
func TestClusterEvaluationBadger(t *testing.T) {
	ctx := context.Background()
	natsURL := startNATS(t)
	dir := t.TempDir()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	c := &config{data: dir, smallCell: 11, concurrency: 1, timeout: time.Minute}

	// The API node: runs jobs, computes no shards.
	node, err := newRunner(ctx, db, &queueConfig{nats: natsURL, ackWait: time.Second}, 1, "node", "", log)
	if err != nil {
		t.Fatal(err)
	}
	defer node.stop(ctx, log)
	w, err := wire(ctx, c, db, node.Runner, log)
	if err != nil {
		t.Fatal(err)
	}
	node.serveQueue(ctx, jobs.ServeConfig{Jobs: 1}, log)
	toks, err := auth.NewTokens(db)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := toks.Create(ctx, auth.Admin, "test")
	if err != nil {
		t.Fatal(err)
	}
	api, err := graphql.New(graphql.Config{DB: db, Jobs: node.Runner, Tokens: toks, Logger: log, Domains: w.domains, RequestTimeout: c.timeout})
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(api, c.timeout, log)
	defer srv.Close()
	addr := serveOn(t, srv)

	// Two workers: shards only.
	wc := *c
	wc.concurrency = 0
	var workers []*queuedRunner
	logs := []*lockedBuffer{{}, {}}
	for i := range 2 {
		wlog := slog.New(slog.NewTextHandler(logs[i], nil))
		w, err := startWorker(ctx, &wc, &queueConfig{nats: natsURL, ackWait: time.Second, shards: 1}, db, wlog)
		if err != nil {
			t.Fatal(err)
		}
		defer w.stop(ctx, log)
		workers = append(workers, w)
	}

	in := clusterEvalInput(6000)
	ev := must(t, addr, admin, evaluateQ, evalVars(in))["evaluatePolicy"].(map[string]any)
	jobID := ev["job"].(map[string]any)["id"].(string)
	// Abandon the first worker while it computes a shard, so that shard
	// must be redelivered to the survivor.
	for workers[0].ShardsRunning() == 0 {
		j, err := node.Get(ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Final() {
			t.Fatalf("the job ended (%s) before the first worker took a shard", j.State)
		}
		time.Sleep(time.Millisecond)
	}
	workers[0].Abandon()
	workers[0].closeQueue()
	want := oneProcess(t, in)
	j := jobState(t, addr, admin, jobID, "SUCCEEDED", "FAILED", "CANCELLED")
	if j["state"] != "SUCCEEDED" {
		t.Fatalf("job after the worker's death: %v", j)
	}
	got := must(t, addr, admin, evaluationQ, map[string]any{"id": ev["id"]})["evaluation"].(map[string]any)
	sameArms(t, got["arms"].([]any), want.Arms)
	if !strings.Contains(logs[1].String(), "shard redelivered") {
		t.Error("the survivor never took over the abandoned worker's shard")
	}
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestClusterTrainingResumes: a training job runs on a worker (the API
// node takes no jobs) over PostgreSQL and NATS; the worker is killed with
// SIGKILL after a checkpoint, and a worker started later gets the job by
// redelivery and resumes from the checkpoint: the first iterations keep
// the dead worker's wall times (not recomputed) and the run completes.
func TestClusterTrainingResumes(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{Fast: true})
	pgURL := pg.NewDB(t)
	natsURL := startNATS(t)
	common := []string{"-store", pgURL, "-nats", natsURL, "-nats-ack-wait", "2s"}
	dir := t.TempDir()
	node := startProc(t, listenRe, append([]string{"serve", "-data", dir, "-addr", "127.0.0.1:0", "-demo=false", "-jobs", "0", "-shards", "0"}, common...)...)
	tok, err := os.ReadFile(dir + "/admin.token")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))
	worker := func() *child {
		return startProc(t, workerReadyRe, append([]string{"worker", "-data", t.TempDir(), "-jobs", "1", "-shards", "0"}, common...)...)
	}
	first := worker()
	in := trainingInput(60, nil)
	in["in"].(map[string]any)["hyperparameters"].(map[string]any)["checkpointEvery"] = 2
	run := must(t, node.addr, token, startTrainingQ, in)["startTraining"].(map[string]any)
	const runQ = `query($id: ID!) { trainingRun(id: $id) { iteration metrics { seconds } job { id state } } }`
	var seconds0 any
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r := must(t, node.addr, token, runQ, map[string]any{"id": run["id"]})["trainingRun"].(map[string]any)
		if it := r["iteration"].(float64); it >= 4 && it < 50 {
			seconds0 = r["metrics"].([]any)[0].(map[string]any)["seconds"]
			break
		}
		if time.Now().After(deadline) || r["job"].(map[string]any)["state"] == "SUCCEEDED" {
			t.Fatalf("no kill point: %v", r["iteration"])
		}
		time.Sleep(10 * time.Millisecond)
	}
	first.cmd.Process.Kill()
	<-first.done
	worker()
	j := jobState(t, node.addr, token, run["job"].(map[string]any)["id"].(string), "SUCCEEDED", "FAILED", "CANCELLED")
	if j["state"] != "SUCCEEDED" {
		t.Fatalf("training after the worker's death: %v", j)
	}
	r := must(t, node.addr, token, runQ, map[string]any{"id": run["id"]})["trainingRun"].(map[string]any)
	ms := r["metrics"].([]any)
	if r["iteration"].(float64) != 60 || len(ms) != 60 {
		t.Fatalf("resumed run: iteration %v, %d metrics", r["iteration"], len(ms))
	}
	if got := ms[0].(map[string]any)["seconds"]; got != seconds0 {
		t.Errorf("iteration 1 took %v, the dead worker measured %v: training restarted instead of resuming", got, seconds0)
	}
}

// importCountedOnOtherNode imports two patients through node a's API and
// waits at most a second for node b's cohortCount to count them.
func importCountedOnOtherNode(t *testing.T, a, b, token string) {
	t.Helper()
	const countQ = `query($c: CriteriaInput!) { cohortCount(criteria: $c) { count } }`
	crit := map[string]any{"c": map[string]any{"age": map[string]any{"min": 0}}}
	count := func(addr string) float64 {
		return must(t, addr, token, countQ, crit)["cohortCount"].(map[string]any)["count"].(float64)
	}
	before := count(b)
	patient := func(id string) map[string]any {
		return map[string]any{"resource": map[string]any{"resourceType": "Patient", "id": id, "gender": "female", "birthDate": "1960-02-01"}}
	}
	bundle := map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{patient("CL1"), patient("CL2")}}
	imp := must(t, a, token, `mutation($b: JSON!) { importFHIR(bundle: $b) { accepted committed } }`, map[string]any{"b": bundle})["importFHIR"].(map[string]any)
	if imp["accepted"].(float64) != 2 || imp["committed"] != true {
		t.Fatalf("import on node A: %v", imp)
	}
	start := time.Now()
	for count(b) != before+2 {
		if time.Since(start) > time.Second {
			t.Fatalf("node B still counts %v a second after node A imported 2 patients (before: %v)", count(b), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("node B counted node A's import after %s", time.Since(start).Round(time.Millisecond))
}
