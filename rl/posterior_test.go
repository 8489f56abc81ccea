package rl

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// TestPosteriorObservation: with the rl/mipd posterior, the environment
// appends η̂/ω and SD/ω (prior 0 and 1 until a measurement after a dose),
// the data shrink the posterior SD below the prior, and a served policy
// (env.NewPolicyContext through dosing.Simulate) sees exactly the
// environment's observations for the same patient and doses.
func TestPosteriorObservation(t *testing.T) {
	h := open(t, t.TempDir())
	defer h.close()
	post, err := h.svc.posterior()
	if err != nil {
		t.Fatal(err)
	}
	p := &dosing.Patient{Age: 58, Genotypes: map[string]string{"CYP2C9": "*1/*2", "VKORC1": "A/A"}}
	const steps = 16
	cfg := env.Config{Model: dosing.WarfarinHamberg, Envs: 1, Typical: true, EpisodeSteps: steps, Population: []*dosing.Patient{p},
		Monitoring: dosing.MonitoringDaily, Posterior: post}
	e, err := env.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	P := len(post.Omega())
	if e.PosteriorDim() != 2*P || e.ObsDim() != 2*7+12+2*P {
		t.Fatalf("posterior dim %d, obs dim %d", e.PosteriorDim(), e.ObsDim())
	}
	base := e.ObsDim() - 2*P
	pick := func(o []float32) int {
		if o[0] < 0 { // INR below 2.5
			return 10
		}
		return 6
	}
	var envObs [][]float32
	for range steps - 1 {
		o := slices.Clone(e.Observations())
		envObs = append(envObs, o)
		if _, _, _, err := e.Step([]int32{int32(pick(o))}); err != nil {
			t.Fatal(err)
		}
	}
	first, last := envObs[0], envObs[len(envObs)-1]
	for k := range P {
		if first[base+k] != 0 || first[base+P+k] != 1 {
			t.Fatalf("day 0 posterior features %v, want the prior", first[base:])
		}
	}
	if !(last[base+P] < 0.9) || !(last[base+P+5] < 0.9) { // CL and EC50 learned something
		t.Errorf("posterior SD ratios after %d INRs: %v, want CL and EC50 below 0.9", steps-2, last[base+P:])
	}
	var polObs [][]float32
	pol, err := env.NewPolicyContext(context.Background(), cfg, func(o []float32, mask []bool) (int, error) {
		polObs = append(polObs, slices.Clone(o))
		return pick(o), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dosing.Simulate(context.Background(), dosing.SimulationInput{Model: dosing.WarfarinHamberg, Patient: *p,
		Regimen: dosing.Regimen{Policy: pol}, Days: steps - 1, Monitoring: dosing.MonitoringDaily}); err != nil {
		t.Fatal(err)
	}
	if len(polObs) != len(envObs) {
		t.Fatalf("policy acted %d times, env %d", len(polObs), len(envObs))
	}
	for d := range envObs {
		for j := range envObs[d] {
			if diff := polObs[d][j] - envObs[d][j]; diff > 1e-5 || diff < -1e-5 {
				t.Fatalf("day %d entry %d: policy sees %g, env %g", d, j, polObs[d][j], envObs[d][j])
			}
		}
	}
}

// TestPosteriorTrainingInput: the option is warfarin-only and budgeted; a
// tiny run trains, stores a policy that records its posterior entries, and
// the policy serves through PolicyFor.
func TestPosteriorTrainingInput(t *testing.T) {
	h := open(t, t.TempDir())
	defer h.close()
	ctx := context.Background()
	bad := []struct {
		name string
		in   TrainingInput
		want string
	}{
		{"docetaxel", TrainingInput{Model: dosing.DocetaxelFriberg, Posterior: true, Iterations: 1, Population: PopulationInput{Size: 10, Seed: 1}}, "input.posterior"},
		{"over budget", TrainingInput{Model: dosing.WarfarinHamberg, Posterior: true, Iterations: 2000, Monitoring: string(dosing.MonitoringDaily),
			Population: PopulationInput{Size: 10, Seed: 1}, Hyperparameters: map[string]any{"envs": 128.0}}, "posterior"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.svc.StartTraining(ctx, "t", c.in)
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want invalid naming %q", err, c.want)
			}
		})
	}
	in := TrainingInput{Model: dosing.WarfarinHamberg, Posterior: true, Iterations: 1, Seed: 3, Monitoring: string(dosing.MonitoringOutpatient),
		Population: PopulationInput{Size: 50, Seed: 5}, Hyperparameters: map[string]any{"envs": 4.0, "episodeSteps": 21.0, "minibatch": 16.0}}
	run, err := h.svc.StartTraining(ctx, "t", in)
	if err != nil {
		t.Fatal(err)
	}
	if j := h.wait(t, run.Job, time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("training %s: %s", j.State, j.Error)
	}
	run, _ = h.svc.TrainingRun(ctx, run.ID)
	_, p, err := h.svc.loadPolicy(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.PosteriorDim != 12 || p.Spec.History != 7 {
		t.Fatalf("policy spec %+v, want 12 posterior entries and history 7", p.Spec)
	}
	pol, err := h.svc.PolicyFor(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: dosing.WarfarinHamberg, Patient: dosing.Patient{Age: 70},
		Regimen: dosing.Regimen{Policy: pol}, Days: 14, Seed: 1, Variability: true, Monitoring: dosing.MonitoringOutpatient})
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.Observations) != 5 { // days 0, 3, 5, 7, 10
		t.Errorf("%d visits in 14 outpatient days, want 5", len(sim.Observations))
	}
	if _, err := h.svc.DoseTable(ctx, run.Policy); !errors.Is(err, store.ErrNotImplemented) {
		t.Errorf("dose table of a posterior policy: %v, want not implemented", err)
	}
}
