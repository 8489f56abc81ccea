package rl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

type harness struct {
	db     *store.DB
	runner *jobs.Runner
	svc    *Service
	closed bool
}

func open(t testing.TB, dir string) *harness {
	t.Helper()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{DB: db, Jobs: runner})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{db: db, runner: runner, svc: svc}
	t.Cleanup(func() { h.close() })
	return h
}

func (h *harness) close() {
	if h.closed {
		return
	}
	h.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = h.runner.Shutdown(ctx)
	_ = h.db.Close()
}

func (h *harness) wait(t testing.TB, jobID string, limit time.Duration) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		j, err := h.runner.Get(context.Background(), jobID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Final() {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish within %v", jobID, limit)
	return jobs.Job{}
}

// tiny is a training input small enough for unit tests.
func tiny(iterations int) TrainingInput {
	return TrainingInput{Model: dosing.WarfarinHamberg, Population: PopulationInput{Size: 300, Seed: 3}, Iterations: iterations, Seed: 5,
		Hyperparameters: map[string]any{"envs": 24.0, "episodeSteps": 40.0, "hidden": []any{24.0, 24.0}, "minibatch": 240.0, "checkpointEvery": 2.0, "learningRate": 1e-3}}
}

func TestStartTrainingValidation(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	mod := func(f func(*TrainingInput)) TrainingInput { in := tiny(3); f(&in); return in }
	cases := []struct {
		name  string
		in    TrainingInput
		field string
		kind  error
	}{
		{"unknown model", mod(func(in *TrainingInput) { in.Model = "aspirin" }), "input.model", store.ErrInvalid},
		{"algorithm", mod(func(in *TrainingInput) { in.Algorithm = "dqn" }), "input.algorithm", store.ErrInvalid},
		{"zero iterations", mod(func(in *TrainingInput) { in.Iterations = 0 }), "input.iterations", store.ErrInvalid},
		{"too many iterations", mod(func(in *TrainingInput) { in.Iterations = 10001 }), "input.iterations", store.ErrInvalid},
		{"population size", mod(func(in *TrainingInput) { in.Population.Size = 100001 }), "input.population.size", store.ErrInvalid},
		{"empty population", mod(func(in *TrainingInput) { in.Population.Size = 0 }), "input.population.size", store.ErrInvalid},
		{"negative seed", mod(func(in *TrainingInput) { in.Seed = -1 }), "input.seed", store.ErrInvalid},
		{"unknown hyperparameter", mod(func(in *TrainingInput) { in.Hyperparameters["batchsize"] = 3.0 }), "input.hyperparameters.batchsize", store.ErrInvalid},
		{"gamma range", mod(func(in *TrainingInput) { in.Hyperparameters["gamma"] = 1.5 }), "input.hyperparameters.gamma", store.ErrInvalid},
		{"fractional epochs", mod(func(in *TrainingInput) { in.Hyperparameters["epochs"] = 2.5 }), "input.hyperparameters.epochs", store.ErrInvalid},
		{"string clip", mod(func(in *TrainingInput) { in.Hyperparameters["clip"] = "big" }), "input.hyperparameters.clip", store.ErrInvalid},
		{"hidden width", mod(func(in *TrainingInput) { in.Hyperparameters["hidden"] = []any{64.0, 0.0} }), "input.hyperparameters.hidden[1]", store.ErrInvalid},
		{"criteria without twins", mod(func(in *TrainingInput) { in.Population.Criteria = json.RawMessage(`{"sex":"FEMALE"}`) }), "input.population.criteria", store.ErrNotImplemented},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.svc.StartTraining(ctx, "tester", c.in)
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("err = %v, want %v naming %s", err, c.kind, c.field)
			}
		})
	}
	runs, err := h.svc.TrainingRuns(ctx)
	if err != nil || len(runs) != 0 {
		t.Fatalf("rejected inputs stored runs: %d, %v", len(runs), err)
	}
	if _, err := h.svc.TrainingRun(ctx, "R404"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing run: %v", err)
	}
	if _, err := h.svc.Policy(ctx, "P404"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing policy: %v", err)
	}
}

// TestTrainEvaluateServe runs the whole path: a training job, its metrics
// and policy, the policy as a dosing.Policy in Simulate, a dose table and an
// evaluation job against baselines.
func TestTrainEvaluateServe(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	run, err := h.svc.StartTraining(ctx, "tester", tiny(4))
	if err != nil {
		t.Fatal(err)
	}
	if run.ID == "" || run.Job == "" || run.Algorithm != "ppo" {
		t.Fatalf("run = %+v", run)
	}
	if j := h.wait(t, run.Job, time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("training job %s: %s", j.State, j.Error)
	}
	run, err = h.svc.TrainingRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Iteration != 4 || len(run.Metrics) != 4 || run.Policy == "" || run.Checkpoint != 4 {
		t.Fatalf("finished run: iteration %d, %d metrics, policy %q, checkpoint %d", run.Iteration, len(run.Metrics), run.Policy, run.Checkpoint)
	}
	for i, m := range run.Metrics {
		if m.Iteration != i+1 || m.EnvSteps != int64((i+1)*24*40) || !(m.Seconds > 0) || !(m.Entropy > 0) {
			t.Errorf("metric %d = %+v", i, m)
		}
	}
	pol, err := h.svc.Policy(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if pol.Model != dosing.WarfarinHamberg || pol.TrainingRun != run.ID || pol.Parameters != (26*24+24)+(24*24+24)+(24*31+31) {
		t.Fatalf("policy = %+v (parameters %d)", pol, pol.Parameters)
	}
	dp, err := h.svc.PolicyFor(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: dosing.WarfarinHamberg,
		Patient: dosing.Patient{Age: 70, Genotypes: map[string]string{"CYP2C9": "*1/*3", "VKORC1": "G/A"}},
		Regimen: dosing.Regimen{Policy: dp}, Days: 40, Seed: 1, Variability: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.Observations) != 40 || len(sim.Points) != 41 {
		t.Errorf("policy simulation: %d observations, %d points (want daily INR)", len(sim.Observations), len(sim.Points))
	}
	if _, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: dosing.DocetaxelFriberg,
		Patient: dosing.Patient{Age: 60, WeightKg: 70, HeightCm: 170}, Regimen: dosing.Regimen{Policy: dp}, Days: 21}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("warfarin policy on docetaxel: err = %v, want ErrInvalid", err)
	}

	table, err := h.svc.DoseTable(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	decisions := 0
	for _, c := range table.Cells {
		decisions += c.Decisions
		if c.MedianDose < 0 || c.MedianDose > 15 {
			t.Errorf("cell %+v outside 0–15 mg", c)
		}
	}
	if decisions != doseTablePatients*40 || table.Unit != "mg/day" {
		t.Errorf("dose table: %d decisions, unit %q", decisions, table.Unit)
	}

	bad := EvaluationInput{PolicyID: run.Policy, Model: dosing.WarfarinHamberg, Baselines: []string{"aurora"}, Population: PopulationInput{Size: 30, Seed: 3}, Days: 40}
	if _, err := h.svc.EvaluatePolicy(ctx, "tester", bad); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "input.population.seed") {
		t.Fatalf("evaluation on the training seed: err = %v", err)
	}
	bad.Population.Seed, bad.Baselines = 4, []string{"q3w-reduce-grade4"}
	if _, err := h.svc.EvaluatePolicy(ctx, "tester", bad); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "input.baselines[0]") {
		t.Fatalf("foreign baseline: err = %v", err)
	}
	bad.Baselines, bad.Days = []string{"aurora"}, 0
	if _, err := h.svc.EvaluatePolicy(ctx, "tester", bad); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "input.days") {
		t.Fatalf("zero days: err = %v", err)
	}
	in := EvaluationInput{PolicyID: run.Policy, Model: dosing.WarfarinHamberg, Baselines: []string{"fixed", "aurora"}, Population: PopulationInput{Size: 30, Seed: 4}, Days: 40}
	ev, err := h.svc.EvaluatePolicy(ctx, "tester", in)
	if err != nil {
		t.Fatal(err)
	}
	if j := h.wait(t, ev.Job, time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("evaluation job %s: %s", j.State, j.Error)
	}
	ev, err = h.svc.Evaluation(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Arms) != 3 || ev.Arms[0].Name != "policy "+run.Policy || ev.Arms[2].Name != "aurora" {
		t.Fatalf("arms = %+v", ev.Arms)
	}
	for _, a := range ev.Arms {
		if a.Patients != 30 || !(a.TimeInRangeLow95 <= a.TimeInRange && a.TimeInRange <= a.TimeInRangeHigh95) ||
			a.TimeInRange+a.TimeAbove+a.TimeBelow < 0.999 || a.TimeSevere > a.TimeAbove+1e-12 || !(a.MeanDailyDose > 0) {
			t.Errorf("arm %+v", a)
		}
	}
}

// TestControllerMatchesEnv checks that the deployed controller rebuilds the
// environment's observations and shield mask from the measurements alone.
func TestControllerMatchesEnv(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	run, err := h.svc.StartTraining(ctx, "tester", tiny(1))
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, run.Job, time.Minute)
	run, _ = h.svc.TrainingRun(ctx, run.ID)
	checkControllerMatchesEnv(t, h.svc, run.Policy)
}

// TestKilledTrainingResumes starts training in a child process, kills it
// with SIGKILL after a checkpoint, and resumes it from a new runner on the
// same store.
func TestKilledTrainingResumes(t *testing.T) {
	if dir := os.Getenv("RL_TRAINING_CHILD"); dir != "" {
		trainingChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledTrainingResumes$")
	cmd.Env = append(os.Environ(), "RL_TRAINING_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var runID string
	var ckpt int
	var firstSeconds float64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "CHECKPOINT %s %d %g", &runID, &ckpt, &firstSeconds); err == nil {
			break
		}
	}
	if runID == "" {
		_ = cmd.Process.Kill()
		t.Fatal("the child never reported a checkpoint")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no final checkpoint
		t.Fatal(err)
	}
	_ = cmd.Wait()

	h := open(t, dir)
	before, err := h.svc.TrainingRun(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if before.Policy != "" || before.Checkpoint < ckpt || before.Checkpoint >= childIterations {
		t.Fatalf("after the kill: checkpoint %d (reported %d), policy %q", before.Checkpoint, ckpt, before.Policy)
	}
	resumed, failed, err := h.runner.Recover(context.Background())
	if err != nil || resumed != 1 || failed != 0 {
		t.Fatalf("Recover = %d resumed, %d failed, %v", resumed, failed, err)
	}
	j := h.wait(t, before.Job, 2*time.Minute)
	if j.State != jobs.Succeeded || j.Attempts != 2 {
		t.Fatalf("resumed job: %s (attempts %d) %s", j.State, j.Attempts, j.Error)
	}
	after, err := h.svc.TrainingRun(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Iteration != childIterations || len(after.Metrics) != childIterations || after.Policy == "" {
		t.Fatalf("resumed run: iteration %d, %d metrics, policy %q", after.Iteration, len(after.Metrics), after.Policy)
	}
	// iterations up to the checkpoint were not recomputed: their wall times
	// are the child's
	if after.Metrics[0].Seconds != firstSeconds {
		t.Errorf("iteration 1 was recomputed (%.6f s, child measured %.6f s): training restarted instead of resuming", after.Metrics[0].Seconds, firstSeconds)
	}
	// and the resumed trajectory equals an uninterrupted run's
	h2 := open(t, t.TempDir())
	ref, err := h2.svc.StartTraining(context.Background(), "tester", childInput())
	if err != nil {
		t.Fatal(err)
	}
	h2.wait(t, ref.Job, 2*time.Minute)
	ref, _ = h2.svc.TrainingRun(context.Background(), ref.ID)
	for i := range ref.Metrics {
		a, b := ref.Metrics[i], after.Metrics[i]
		a.Seconds, b.Seconds = 0, 0
		if a != b {
			t.Errorf("iteration %d: resumed %+v, uninterrupted %+v", i+1, b, a)
		}
	}
	p1, _ := h.svc.Policy(context.Background(), after.Policy)
	p2, _ := h2.svc.Policy(context.Background(), ref.Policy)
	if string(p1.Weights) != string(p2.Weights) {
		t.Error("the resumed run's policy differs from the uninterrupted run's")
	}
}

const childIterations = 24

func childInput() TrainingInput {
	in := tiny(childIterations)
	in.Hyperparameters["envs"] = 48.0
	in.Hyperparameters["episodeSteps"] = 60.0
	return in
}

// trainingChild is the child process of TestKilledTrainingResumes: it
// starts training, reports the first checkpoint on stdout and keeps
// training until it is killed.
func trainingChild(dir string) {
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	runner, _ := jobs.New(jobs.Config{DB: db})
	svc, err := New(Config{DB: db, Jobs: runner})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	run, err := svc.StartTraining(ctx, "child", childInput())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for {
		r, err := svc.TrainingRun(ctx, run.ID)
		if err == nil && r.Checkpoint >= 4 {
			fmt.Printf("CHECKPOINT %s %d %v\n", r.ID, r.Checkpoint, r.Metrics[0].Seconds)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(time.Minute) // killed long before
	os.Exit(3)
}

// TestShutdownCheckpointsAndResumes stops the runner mid-training (a
// graceful shutdown): the job saves the last completed iteration and a new
// runner resumes it to the same result as an uninterrupted run.
func TestShutdownCheckpointsAndResumes(t *testing.T) {
	dir := t.TempDir()
	h := open(t, dir)
	ctx := context.Background()
	run, err := h.svc.StartTraining(ctx, "tester", childInput())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		r, err := h.svc.TrainingRun(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Iteration >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("training made no progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.close()

	h = open(t, dir)
	mid, err := h.svc.TrainingRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if mid.Policy != "" || mid.Checkpoint != len(mid.Metrics) || mid.Checkpoint < 3 {
		t.Fatalf("after shutdown: checkpoint %d, %d metrics, policy %q", mid.Checkpoint, len(mid.Metrics), mid.Policy)
	}
	if resumed, _, err := h.runner.Recover(ctx); err != nil || resumed != 1 {
		t.Fatalf("Recover: %d resumed, %v", resumed, err)
	}
	if j := h.wait(t, run.Job, 2*time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("resumed job %s: %s", j.State, j.Error)
	}
	after, _ := h.svc.TrainingRun(ctx, run.ID)
	if len(after.Metrics) != childIterations || after.Policy == "" {
		t.Fatalf("resumed run: %d metrics, policy %q", len(after.Metrics), after.Policy)
	}
	for i := 0; i < mid.Checkpoint; i++ {
		if after.Metrics[i] != mid.Metrics[i] {
			t.Errorf("iteration %d was recomputed after the shutdown checkpoint", i+1)
		}
	}
}

// TestJobBudgets checks that inputs over a job's budget are refused before
// anything is stored or queued, with LIMIT_EXCEEDED naming the field and
// the limit.
func TestJobBudgets(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	train := func(f func(*TrainingInput)) func() error {
		return func() error {
			in := tiny(3)
			f(&in)
			_, err := h.svc.StartTraining(ctx, "tester", in)
			return err
		}
	}
	eval := func(f func(*EvaluationInput)) func() error {
		return func() error {
			in := EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{"fixed"}, Population: PopulationInput{Size: 10, Seed: 2}, Days: 10}
			f(&in)
			_, err := h.svc.EvaluatePolicy(ctx, "tester", in)
			return err
		}
	}
	cases := []struct {
		name  string
		try   func() error
		field string
		limit string
	}{
		{"iterations", train(func(in *TrainingInput) { in.Iterations = MaxIterations + 1 }), "input.iterations", "10000 iterations"},
		{"training population", train(func(in *TrainingInput) { in.Population.Size = MaxPopulationSize + 1 }), "input.population.size", "100000 patients"},
		{"training work", train(func(in *TrainingInput) {
			in.Iterations = MaxIterations
			in.Hyperparameters = map[string]any{"envs": 4096.0}
		}), "iterations × hyperparameters.envs", "200000000 simulated patient-days"},
		{"docetaxel cycles count 21 days", train(func(in *TrainingInput) {
			in.Model, in.Iterations = dosing.DocetaxelFriberg, 5000
			in.Hyperparameters = map[string]any{"envs": 512.0, "episodeSteps": 6.0}
		}), "iterations × hyperparameters.envs", "simulated patient-days"},
		{"evaluation days", eval(func(in *EvaluationInput) { in.Days = MaxEvaluationDays + 1 }), "input.days", "365 days"},
		{"evaluation population", eval(func(in *EvaluationInput) { in.Population.Size = MaxPopulationSize + 1 }), "input.population.size", "100000 patients"},
		{"evaluation work", eval(func(in *EvaluationInput) {
			in.Population.Size, in.Days = MaxPopulationSize, 365
			in.Baselines = []string{"fixed", "aurora"}
		}), "population.size × days × arms", "20000000 simulated patient-days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.try()
			var le *LimitError
			if !errors.As(err, &le) || le.Code() != "LIMIT_EXCEEDED" || !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("err = %v, want a LimitError", err)
			}
			if !strings.Contains(err.Error(), c.field) || !strings.Contains(err.Error(), c.limit) {
				t.Fatalf("err = %q, want it to name %q and %q", err, c.field, c.limit)
			}
		})
	}
	runs, _ := h.svc.TrainingRuns(ctx)
	list, _ := h.runner.List(ctx, "", "", 100)
	if len(runs) != 0 || len(list) != 0 {
		t.Fatalf("over-budget inputs stored %d runs and %d jobs", len(runs), len(list))
	}
	// Within budget: the largest default-sized docetaxel run is accepted by validation.
	in := tiny(3)
	in.Model, in.Iterations = dosing.DocetaxelFriberg, 60
	in.Hyperparameters = map[string]any{"envs": 256.0}
	if _, err := in.validate(); err != nil {
		t.Fatalf("the docetaxel goal run is over budget: %v", err)
	}
}
