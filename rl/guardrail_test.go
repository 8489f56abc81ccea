package rl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/ppo"
	"github.com/rxlab/rxlab/store/jobs"
)

// TestGuardrailFirstWeek checks issue 24's guardrail acceptance test: the
// CYP2C9 *3/*3, VKORC1 A/A 71-year-old typical patient's first-week doses
// stay within the guardrail under a policy trained with it and under
// untrained policies whose shield lacks it (as policies stored before the
// guardrail); recommendDose says when the guardrail bound the dose; the
// policy checks count bound decisions and test monotonicity.
func TestGuardrailFirstWeek(t *testing.T) {
	h := open(t, t.TempDir())
	ctx := context.Background()
	run, err := h.svc.StartTraining(ctx, "tester", tiny(1))
	if err != nil {
		t.Fatal(err)
	}
	if j := h.wait(t, run.Job, time.Minute); j.State != jobs.Succeeded {
		t.Fatalf("training %s: %s", j.State, j.Error)
	}
	run, _ = h.svc.TrainingRun(ctx, run.ID)
	_, trained, err := h.svc.loadPolicy(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if !trained.Spec.Shield.Guardrail {
		t.Fatal("new policies must train with the guardrail")
	}
	pats, _ := dosing.RavvazPopulation(50, 1)
	policies := map[string]*ppo.Policy{"trained": trained}
	for seed := uint64(1); seed <= 6; seed++ {
		tr, err := ppo.New(ppo.Config{Model: dosing.WarfarinHamberg, Population: pats, Seed: seed,
			Shield: env.Shield{MaxDose: 15, MaxChange: 2.5, HoldAbove: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if policies[string(rune('a'+seed))], err = tr.Policy(); err != nil {
			t.Fatal(err)
		}
	}
	p := dosing.Patient{Age: 71, Genotypes: map[string]string{"CYP2C9": "*3/*3", "VKORC1": "A/A"}}
	m, _ := dosing.Model(dosing.WarfarinHamberg)
	boundSeen := false
	for name, pol := range policies {
		l := newLearned(name, pol)
		sim, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: m.ID, Patient: p, Regimen: dosing.Regimen{Policy: l}, Days: 7, Monitoring: dosing.MonitoringDaily})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range sim.Doses {
			day := int(d.Hour / 24)
			capMg, _ := dosing.PatientGuardrail(&p, day)
			if mg, _ := d.Amount.Float64(); mg > capMg {
				t.Errorf("%s: day %d dose %g mg above the guardrail %g mg", name, day, mg, capMg)
			}
		}
		rec, err := dosing.RecommendWith(m, l, &p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Guardrail != "" {
			boundSeen = true
			if !strings.Contains(rec.Guardrail, "*3/*3") || !strings.Contains(rec.Rationale, "guardrail") || rec.Dose.String() == "" {
				t.Errorf("%s: guardrail explanation %q / %q", name, rec.Guardrail, rec.Rationale)
			}
		}
	}
	if !boundSeen {
		t.Error("no untrained policy's day-0 choice was above 2 mg: the guardrail explanation went untested")
	}
	c, err := h.svc.Checks(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if c.Decisions != checkPatients*checkDays || c.BoundFraction < 0 || c.BoundFraction > 1 || c.Monotone != (len(c.Violations) == 0) {
		t.Errorf("checks %+v", c)
	}
	t.Logf("tiny policy: guardrail bound %d of %d decisions; monotone %v, %d violations", c.GuardrailBound, c.Decisions, c.Monotone, len(c.Violations))
}

// TestMonotonicity checks the dose-table rule on hand-made tables.
func TestMonotonicity(t *testing.T) {
	lo, mid, hi := 2.0, 2.5, 3.0
	cell := func(from int, low, high *float64, med float64) DoseCell {
		return DoseCell{DayFrom: from, DayTo: from + 6, Low: low, High: high, Group: "normal", Decisions: 50, MedianDose: med}
	}
	cases := []struct {
		name   string
		cells  []DoseCell
		rising bool
		want   int
	}{
		{"falling with INR", []DoseCell{cell(7, &lo, &mid, 5), cell(7, &mid, &hi, 4.5), cell(7, &hi, nil, 0)}, false, 0},
		{"rises at a higher INR", []DoseCell{cell(7, &lo, &mid, 5), cell(7, &mid, &hi, 5.5)}, false, 1},
		{"initiation is exempt", []DoseCell{cell(0, &lo, &mid, 5), cell(0, &mid, &hi, 10)}, false, 0},
		{"docetaxel dose falls with ANC", []DoseCell{cell(1, &lo, &mid, 75), cell(1, &mid, &hi, 60)}, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if v := monotonicity(DoseTable{Cells: c.cells, Unit: "mg/day", Observable: "INR"}, c.rising); len(v) != c.want {
				t.Errorf("violations %v, want %d", v, c.want)
			}
		})
	}
}
