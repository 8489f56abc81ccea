package rl

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/store/jobs"
)

// TestVisitChoosingPolicy trains a policy that chooses the days to its
// next INR (TrainingInput.Monitoring PROTOCOL) and checks that the served
// controller sees exactly the environment's observations and masks on the
// visits the policy chose, keeps its dose between them, and that an
// evaluation under PROTOCOL lets it keep its own visits.
func TestVisitChoosingPolicy(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	in := tiny(1)
	in.Monitoring = string(dosing.MonitoringProtocol)
	run, err := h.svc.StartTraining(ctx, "tester", in)
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
	sp := p.Spec
	if sp.Monitoring != string(dosing.MonitoringProtocol) || sp.Actions != 31*len(env.VisitIntervals()) {
		t.Fatalf("spec %+v", sp)
	}
	m, _ := dosing.Model(sp.Model)
	pat := &dosing.Patient{Age: 66, Genotypes: map[string]string{"CYP2C9": "*1/*2", "VKORC1": "G/A"}}
	e, err := env.New(env.Config{Model: sp.Model, Envs: 1, Seed: 9, EpisodeSteps: sp.EpisodeSteps, History: sp.History,
		Shield: sp.Shield, Population: []*dosing.Patient{pat}, Monitoring: dosing.Monitoring(sp.Monitoring)})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := newLearned(run.Policy, p.Clone()).NewController(m, pat)
	if err != nil {
		t.Fatal(err)
	}
	c := ctl.(*controller)
	visits := 0
	for day := 0; day < sp.EpisodeSteps; day++ {
		var o *dosing.Observation
		if e.Visit(0) {
			visits++
			o = &dosing.Observation{Hour: float64(24 * day), Value: float64(e.Observations()[0])*1.5 + 2.5}
		}
		dec, err := c.Decide(day, o)
		if err != nil {
			t.Fatal(err)
		}
		a := int(math.Round(dec.Dose / 0.5))
		if o != nil {
			for j, v := range e.Observations() {
				if math.Abs(float64(v-c.obs[j])) > 1e-5 {
					t.Fatalf("day %d: observation[%d] %g, env %g", day, j, c.obs[j], v)
				}
			}
			for b, ok := range e.Mask() {
				if c.mask[b] != ok {
					t.Fatalf("day %d: mask[%d] %v, env %v", day, b, c.mask[b], ok)
				}
			}
			iv := slices.Index(env.VisitIntervals(), int(dec.NextCheckHours/24))
			if iv < 0 {
				t.Fatalf("day %d: next check in %g h is not a visit interval", day, dec.NextCheckHours)
			}
			a += iv * e.NumLevels()
		}
		if !e.Mask()[a] {
			t.Fatalf("day %d: the controller's action %d is masked in the environment", day, a)
		}
		if _, _, _, err := e.Step([]int32{int32(a)}); err != nil {
			t.Fatal(err)
		}
	}
	if visits < 2 || visits == sp.EpisodeSteps {
		t.Errorf("%d visits in %d days", visits, sp.EpisodeSteps)
	}
	res, err := h.svc.Evaluate(ctx, EvaluationInput{PolicyID: run.Policy, Model: m.ID, Baselines: []string{"aurora"}, Monitoring: string(dosing.MonitoringProtocol),
		Population: PopulationInput{Size: 20, Seed: 8}, Days: 40}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Arms[0]; a.Monitoring != string(dosing.MonitoringProtocol) || !(a.VisitsPerPatient >= 40.0/14) || a.VisitsPerPatient > 40.0/2+1 {
		t.Errorf("policy arm under PROTOCOL: %s, %.1f visits", a.Monitoring, a.VisitsPerPatient)
	}
}
