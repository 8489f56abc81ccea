package rl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// hookTwins is a Twins over a synthetic pool (the real one, over stored
// patients, is in package server): the pool is a Ravvaz population with
// some patients made minors and some stripped of weight and height.
type hookTwins struct {
	calls  []string
	minors int
	noBody int
}

func (h *hookTwins) Check(ctx context.Context, criteria json.RawMessage) error {
	if string(criteria) == `{"few":true}` {
		return fmt.Errorf("too few: %w", store.ErrInvalid)
	}
	return nil
}

func (h *hookTwins) Draw(ctx context.Context, req TwinsRequest) (TwinsResult, error) {
	h.calls = append(h.calls, string(req.Criteria))
	if string(req.Criteria) == `{"none":true}` {
		return TwinsResult{}, nil
	}
	pool, err := dosing.RavvazPopulation(60, req.Seed)
	if err != nil {
		return TwinsResult{}, err
	}
	for i := range h.minors {
		pool[i].Age = 12
	}
	for i := h.minors; i < h.minors+h.noBody; i++ {
		pool[i].WeightKg, pool[i].HeightCm = 0, 0
	}
	res := TwinsResult{Skipped: map[string]int{}}
	var ok []*dosing.Patient
	for _, p := range pool {
		if why := req.Eligible(p); why != "" {
			res.Skipped[why]++
			continue
		}
		ok = append(ok, p)
	}
	for i := range req.N {
		res.Patients = append(res.Patients, ok[i%len(ok)])
	}
	return res, nil
}

func TestTwinsHook(t *testing.T) {
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	runner, _ := jobs.New(jobs.Config{DB: db})
	tw := &hookTwins{minors: 2, noBody: 3}
	svc, err := New(Config{DB: db, Jobs: runner, Twins: tw})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{db: db, runner: runner, svc: svc}
	t.Cleanup(h.close)
	ctx := context.Background()
	in := tiny(1)
	in.Population.Criteria = json.RawMessage(`{"sex":"FEMALE"}`)
	run, err := svc.StartTraining(ctx, "tester", in)
	if err != nil {
		t.Fatal(err)
	}
	if j := h.wait(t, run.Job, time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("job %s: %s", j.State, j.Error)
	}
	if len(tw.calls) != 1 || tw.calls[0] != `{"sex":"FEMALE"}` {
		t.Fatalf("twins calls = %q", tw.calls)
	}
	// Warfarin training needs adults only: the minors are skipped.
	run, _ = svc.TrainingRun(ctx, run.ID)
	if want := []SkipCount{{SkipUnderAge, 2}}; !reflect.DeepEqual(run.Skipped, want) {
		t.Errorf("training skipped %v, want %v", run.Skipped, want)
	}
	// An evaluation with the IWPC method also needs weight and height.
	ev, err := svc.EvaluatePolicy(ctx, "tester", EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{"fixed", "iwpc-pgx"},
		Population: PopulationInput{Size: 20, Seed: 4, Criteria: json.RawMessage(`{"sex":"MALE"}`)}, Days: 10})
	if err != nil {
		t.Fatal(err)
	}
	if j := h.wait(t, ev.Job, time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("evaluation job %s: %s", j.State, j.Error)
	}
	ev, _ = svc.Evaluation(ctx, ev.ID)
	if want := []SkipCount{{SkipUnderAge, 2}, {SkipBodySize, 3}}; !reflect.DeepEqual(ev.Skipped, want) {
		t.Errorf("evaluation skipped %v, want %v", ev.Skipped, want)
	}
	if len(ev.Arms) != 2 || ev.Arms[0].Patients != 20 {
		t.Errorf("arms %+v", ev.Arms)
	}
	in.Population.Criteria = json.RawMessage(`{"none":true}`)
	run, err = svc.StartTraining(ctx, "tester", in)
	if err != nil {
		t.Fatal(err)
	}
	if j := h.wait(t, run.Job, time.Minute); j.State != jobs.Failed {
		t.Fatalf("a criteria matching nobody: job %s, want FAILED", j.State)
	}
	in.Population.Criteria = json.RawMessage(`{"few":true}`)
	if _, err := svc.StartTraining(ctx, "tester", in); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "input.population.criteria") {
		t.Fatalf("Check's error before the job: %v", err)
	}
	if _, err := svc.EvaluatePolicy(ctx, "tester", EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{"aurora"},
		Population: PopulationInput{Size: 5, Criteria: json.RawMessage(`{"broken"`)}, Days: 10}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("broken criteria JSON: %v", err)
	}
}

func TestDocetaxelPolicyServes(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	in := TrainingInput{Model: dosing.DocetaxelFriberg, Population: PopulationInput{Size: 50, Seed: 2}, Iterations: 1, Seed: 1,
		Hyperparameters: map[string]any{"envs": 8, "episodeSteps": 3, "hidden": []int{16}, "minibatch": 8}}
	run, err := h.svc.StartTraining(ctx, "tester", in)
	if err != nil {
		t.Fatal(err)
	}
	if j := h.wait(t, run.Job, time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("job %s: %s", j.State, j.Error)
	}
	run, _ = h.svc.TrainingRun(ctx, run.ID)
	pol, err := h.svc.PolicyFor(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	pat := dosing.Patient{Age: 58, WeightKg: 72, HeightCm: 168}
	sim, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: dosing.DocetaxelFriberg, Patient: pat,
		Regimen: dosing.Regimen{Policy: pol}, Days: 63, Seed: 3, Variability: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range sim.Doses {
		if int(d.Hour)%(24*cycleDays) != 0 {
			t.Errorf("dose at hour %g is not at a cycle start", d.Hour)
		}
	}
	if len(sim.Observations) != 63 {
		t.Errorf("%d ANC measurements, want daily", len(sim.Observations))
	}
	table, err := h.svc.DoseTable(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range table.Cells {
		n += c.Decisions
		if c.MedianDose < 0 || c.MedianDose > 100 {
			t.Errorf("cell %+v outside 0–100 mg/m²", c)
		}
	}
	if n != doseTablePatients*3 || table.Unit != "mg/m2 per cycle" || table.Observable != "ANC" {
		t.Errorf("table: %d decisions, unit %q, observable %q", n, table.Unit, table.Observable)
	}
}

func FuzzParseHyperparameters(f *testing.F) {
	f.Add(`{"envs": 64, "hidden": [32, 32], "gamma": 0.99}`)
	f.Add(`{"learningRate": 1e-3, "checkpointEvery": 3, "clip": 0.1}`)
	f.Add(`{"epochs": 2.5}`)
	f.Add(`{"hidden": "wide"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		st, err := parseHyperparameters(m)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := st.hp.WithDefaults().Validate("x"); err != nil {
			t.Fatalf("accepted invalid hyperparameters: %v", err)
		}
	})
}

// TestPolicyConcurrentUse simulates with one trained policy from several
// goroutines: the results equal the sequential ones.
func TestPolicyConcurrentUse(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	run, err := h.svc.StartTraining(ctx, "tester", tiny(1))
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, run.Job, time.Minute)
	run, _ = h.svc.TrainingRun(ctx, run.ID)
	pol, err := h.svc.PolicyFor(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	sim := func(seed uint64) float64 {
		s, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: dosing.WarfarinHamberg,
			Patient: dosing.Patient{Age: 66, Genotypes: map[string]string{"CYP2C9": "*1/*2", "VKORC1": "A/A"}},
			Regimen: dosing.Regimen{Policy: pol}, Days: 30, Seed: seed, Variability: true})
		if err != nil {
			t.Error(err)
			return -1
		}
		tot, _ := s.TotalDose.Float64()
		return tot + s.TimeInRange
	}
	want := make([]float64, 8)
	for i := range want {
		want[i] = sim(uint64(i))
	}
	got := make([]float64, 8)
	done := make(chan struct{})
	for i := range got {
		go func() { got[i] = sim(uint64(i)); done <- struct{}{} }()
	}
	for range got {
		<-done
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("patient %d: concurrent %g, sequential %g", i, got[i], want[i])
		}
	}
}
