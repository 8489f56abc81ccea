package rl

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
)

// TestMAPBayesArm runs the map-bayes arm inside the evaluation machinery on
// a small population: it must beat the fixed-dose arm (same patients, same
// random numbers), dose only within the guardrail, and be deterministic
// for a seed.
func TestMAPBayesArm(t *testing.T) {
	h := open(t, t.TempDir())
	defer h.close()
	ctx := context.Background()
	in := EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{dosing.MethodFixed, MethodMAPBayes},
		Population: PopulationInput{Size: 12, Seed: 7}, Days: 42}
	start := time.Now()
	res, err := h.svc.Evaluate(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("12 patients × 42 days, two arms: %.1f s", time.Since(start).Seconds())
	fixed, mb := res.Arms[0], res.Arms[1]
	if mb.Name != MethodMAPBayes || mb.Monitoring != string(dosing.MonitoringOutpatient) || mb.Patients != 12 {
		t.Fatalf("map-bayes arm: %+v", mb)
	}
	t.Logf("fixed TIR %.3f, map-bayes TIR %.3f (above INR 4: %.4f vs %.4f)", fixed.TimeInRange, mb.TimeInRange, fixed.TimeSevere, mb.TimeSevere)
	if mb.TimeInRange <= fixed.TimeInRange {
		t.Errorf("map-bayes TIR %.3f does not beat the fixed dose's %.3f", mb.TimeInRange, fixed.TimeInRange)
	}
	if !slices.ContainsFunc(res.Subgroups, func(s SubgroupResult) bool { return s.Arm == MethodMAPBayes }) {
		t.Error("no subgroup rows for the map-bayes arm")
	}

	// Guardrail and determinism, patient by patient through dosing.Simulate.
	pol, err := h.svc.mapBayesPolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pats, err := dosing.RavvazPopulation(4, 11)
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range pats {
		sim := func() *dosing.Simulation {
			s, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: dosing.WarfarinHamberg, Patient: *p, Regimen: dosing.Regimen{Policy: pol},
				Days: 21, Seed: uint64(k), Variability: true, Monitoring: dosing.MonitoringOutpatient})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		a, b := sim(), sim()
		if len(a.Doses) != len(b.Doses) || a.TimeInRange != b.TimeInRange {
			t.Fatalf("patient %d: two runs with one seed differ", k)
		}
		for i, d := range a.Doses {
			mg, _ := d.Amount.Float64()
			capMg, _ := dosing.PatientGuardrail(p, int(d.Hour/24))
			if mg > capMg+1e-9 {
				t.Errorf("patient %d day %g: %g mg above the guardrail's %g", k, d.Hour/24, mg, capMg)
			}
			if e, _ := b.Doses[i].Amount.Float64(); e != mg || b.Doses[i].Hour != d.Hour {
				t.Fatalf("patient %d: dose %d differs between runs with one seed", k, i)
			}
		}
	}
}

// TestMAPBayesValidation: the arm is refused for docetaxel and over its fit
// budget (a LimitError naming the inputs), before any work.
func TestMAPBayesValidation(t *testing.T) {
	h := open(t, t.TempDir())
	defer h.close()
	cases := []struct {
		name  string
		in    EvaluationInput
		want  string
		limit bool
	}{
		{"docetaxel", EvaluationInput{Model: dosing.DocetaxelFriberg, Baselines: []string{MethodMAPBayes},
			Population: PopulationInput{Size: 10, Seed: 1}, Days: 42}, "input.baselines[0]", false},
		{"daily over budget", EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{MethodMAPBayes},
			Population: PopulationInput{Size: 1000, Seed: 1}, Days: 90, Monitoring: string(dosing.MonitoringDaily)}, "map-bayes", true},
		{"listed twice", EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{MethodMAPBayes, MethodMAPBayes},
			Population: PopulationInput{Size: 10, Seed: 1}, Days: 42}, "input.baselines[1]", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.svc.EvaluatePolicy(context.Background(), "t", c.in)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			var le *LimitError
			if errors.As(err, &le) != c.limit || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want limit=%v naming %q", err, c.limit, c.want)
			}
		})
	}
	// 1,000 patients × 90 days on the outpatient schedule fits.
	in := EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{MethodMAPBayes}, Population: PopulationInput{Size: 1000, Seed: 1}, Days: 90}
	if err := h.svc.validateEvaluation(context.Background(), in); err != nil {
		t.Errorf("the goal's evaluation is refused: %v", err)
	}
}

// TestMAPBayesCancel: a cancelled evaluation stops inside the arm.
func TestMAPBayesCancel(t *testing.T) {
	h := open(t, t.TempDir())
	defer h.close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	in := EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{MethodMAPBayes}, Population: PopulationInput{Size: 1000, Seed: 3}, Days: 90}
	start := time.Now()
	_, err := h.svc.Evaluate(ctx, in, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled evaluation returned after %v", d)
	}
}
