package rl

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/jobs"
)

var (
	mipdGoal     = flag.Bool("mipd.goal", false, "run issue 26's in-virtual-trials goal: train the posterior-aware policy, then evaluate it, map-bayes and every protocol on held-out patients")
	mipdPatients = flag.Int("mipd.patients", 1000, "held-out patients of the -mipd.goal evaluation")
	mipdIters    = flag.Int("mipd.iters", 60, "training iterations of the -mipd.goal policy (0: evaluate map-bayes and the protocols only)")
	mipdEnvs     = flag.Int("mipd.envs", 64, "parallel patients per training iteration of the -mipd.goal policy")
	mipdLR       = flag.Float64("mipd.lr", 0.001, "learning rate of the -mipd.goal policy (0: PPO's default)")
)

// TestMIPDGoal is issue 26's goal, measured: warfarin under equal
// information (every arm on the shared outpatient schedule), held-out
// virtual patients (seed 1001; training used seed 1), 90 days. The
// map-bayes arm should beat the best protocol by ≥ 10 points of time in
// range, and the posterior-aware learned policy should beat both.
// Measured on 1,000 patients (idle 2 cores, 584 s training, 535 s
// evaluation): map-bayes 77.8 % vs iwpc-pgx 58.0 % (+19.8 points, met);
// the policy of 60 iterations × 64 envs 70.9 %: +12.9 over the best
// protocol, −6.8 under map-bayes (missed).
//
//	go test ./rl -run TestMIPDGoal -mipd.goal -timeout 3h -v
func TestMIPDGoal(t *testing.T) {
	if !*mipdGoal {
		t.Skip("long goal check: go test ./rl -run TestMIPDGoal -mipd.goal -timeout 3h -v")
	}
	h := open(t, t.TempDir())
	defer h.close()
	ctx := context.Background()
	m, _ := dosing.Model(dosing.WarfarinHamberg)
	in := EvaluationInput{Model: m.ID, Baselines: append(append([]string(nil), m.Baselines...), MethodMAPBayes),
		Population: PopulationInput{Size: *mipdPatients, Seed: 1001}, Days: 90, Monitoring: string(dosing.MonitoringOutpatient)}
	if *mipdIters > 0 {
		tin := TrainingInput{Model: m.ID, Population: PopulationInput{Size: 10000, Seed: 1}, Iterations: *mipdIters, Seed: 1,
			Monitoring: string(dosing.MonitoringOutpatient), Posterior: true,
			Hyperparameters: map[string]any{"envs": float64(*mipdEnvs), "checkpointEvery": 10.0}}
		if *mipdLR > 0 {
			tin.Hyperparameters["learningRate"] = *mipdLR
		}
		start := time.Now()
		run, err := h.svc.StartTraining(ctx, "goal", tin)
		if err != nil {
			t.Fatal(err)
		}
		if j := h.wait(t, run.Job, 3*time.Hour); j.State != jobs.Succeeded {
			t.Fatalf("training %s: %s", j.State, j.Error)
		}
		run, _ = h.svc.TrainingRun(ctx, run.ID)
		for _, mt := range run.Metrics {
			if mt.Iteration%5 == 0 || mt.Iteration == len(run.Metrics) {
				t.Logf("iteration %3d  return %7.2f  in range %.3f  entropy %.3f  %.1f s", mt.Iteration, mt.MeanReturn, mt.TimeInRange, mt.Entropy, mt.Seconds)
			}
		}
		t.Logf("posterior-aware training: %d iterations × %d envs × 90 days in %.0f s", run.Iteration, *mipdEnvs, time.Since(start).Seconds())
		in.PolicyID = run.Policy
	}
	start := time.Now()
	res, err := h.svc.Evaluate(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("evaluation: %d arms × %d held-out patients × 90 days, OUTPATIENT, in %.0f s", len(res.Arms), *mipdPatients, time.Since(start).Seconds())
	var pol, mb, best *EvaluationArm
	for i := range res.Arms {
		a := &res.Arms[i]
		t.Logf("%-16s TIR %5.1f %% [%5.1f, %5.1f]  above %5.1f %%  below %5.1f %%  INR>4 %5.2f %%  dose %.2f  visits %.1f",
			a.Name, 100*a.TimeInRange, 100*a.TimeInRangeLow95, 100*a.TimeInRangeHigh95, 100*a.TimeAbove, 100*a.TimeBelow, 100*a.TimeSevere, a.MeanDailyDose, a.VisitsPerPatient)
		switch {
		case a.Name == MethodMAPBayes:
			mb = a
		case in.PolicyID != "" && a.Name == "policy "+in.PolicyID:
			pol = a
		case best == nil || a.TimeInRange > best.TimeInRange:
			best = a
		}
	}
	for _, sg := range res.Subgroups {
		if sg.Arm == MethodMAPBayes || sg.Gap != nil {
			t.Logf("subgroup %-8s %-16s %-14s n=%4d TIR %5.1f %%", sg.Dimension, sg.Value, sg.Arm, sg.Patients, 100*sg.TimeInRange)
		}
	}
	t.Logf("map-bayes − best protocol (%s): %+.1f points", best.Name, 100*(mb.TimeInRange-best.TimeInRange))
	if mb.TimeInRange < best.TimeInRange+0.10 {
		t.Errorf("goal missed: map-bayes TIR %.3f, best protocol %s %.3f (want +0.10)", mb.TimeInRange, best.Name, best.TimeInRange)
	}
	if pol != nil {
		t.Logf("posterior-aware policy − map-bayes: %+.1f points; − best protocol: %+.1f points", 100*(pol.TimeInRange-mb.TimeInRange), 100*(pol.TimeInRange-best.TimeInRange))
		if pol.TimeInRange <= mb.TimeInRange || pol.TimeInRange <= best.TimeInRange {
			t.Errorf("goal missed: posterior-aware policy TIR %.3f does not beat map-bayes %.3f and %s %.3f", pol.TimeInRange, mb.TimeInRange, best.Name, best.TimeInRange)
		}
	}
}
