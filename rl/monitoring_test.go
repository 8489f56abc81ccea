package rl

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/jobs"
)

// recorder wraps a policy and records, per patient, the days on which the
// controller was shown a measurement and the dose it chose each day.
type recorder struct {
	pol   dosing.Policy
	seen  [][]int
	doses [][]float64
}

func (r *recorder) NewController(m *dosing.DrugModel, p *dosing.Patient) (dosing.Controller, error) {
	c, err := r.pol.NewController(m, p)
	if err != nil {
		return nil, err
	}
	k := len(r.seen)
	r.seen, r.doses = append(r.seen, nil), append(r.doses, nil)
	return dosing.ControllerFunc(func(day int, obs *dosing.Observation) (dosing.Decision, error) {
		if obs != nil {
			r.seen[k] = append(r.seen[k], day)
		}
		d, err := c.Decide(day, obs)
		r.doses[k] = append(r.doses[k], d.Dose)
		return d, err
	}), nil
}

// onSchedule reports whether the visit days follow the schedule's rules:
// every day (DAILY), or days 0, 3, 5, 7, 10, 14 and then gaps of 7 or 14
// days (OUTPATIENT).
func onSchedule(mon dosing.Monitoring, days []int) bool {
	start := map[int]bool{0: true, 3: true, 5: true, 7: true, 10: true, 14: true}
	for i, d := range days {
		switch mon {
		case dosing.MonitoringDaily:
			if d != i {
				return false
			}
		case dosing.MonitoringOutpatient:
			if d <= 14 && !start[d] {
				return false
			}
			if d > 14 && (d-days[i-1] != 7 && d-days[i-1] != 14) {
				return false
			}
		}
	}
	return len(days) > 0 && days[0] == 0
}

// TestMonitoringEqualInformation checks issue 24's first acceptance test:
// under a shared schedule no arm, policy or protocol, sees a measurement
// off its visit days, and the policy changes its dose only at visits.
func TestMonitoringEqualInformation(t *testing.T) {
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
	learned, err := h.svc.PolicyFor(ctx, run.Policy)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := dosing.Model(dosing.WarfarinHamberg)
	pats, err := dosing.RavvazPopulation(12, 9)
	if err != nil {
		t.Fatal(err)
	}
	arms := map[string]dosing.Policy{"policy": learned}
	for _, b := range m.Baselines {
		arms[b], _ = dosing.Method(m, "baseline", b)
	}
	for _, mon := range []dosing.Monitoring{dosing.MonitoringDaily, dosing.MonitoringOutpatient} {
		for name, pol := range arms {
			rec := &recorder{pol: pol}
			for k, p := range pats {
				if _, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: m.ID, Patient: *p, Regimen: dosing.Regimen{Policy: rec},
					Days: 90, Seed: uint64(k), Variability: true, Monitoring: mon}); err != nil {
					t.Fatal(err)
				}
			}
			for k, days := range rec.seen {
				if !onSchedule(mon, days) {
					t.Errorf("%s, %s, patient %d: measurements on days %v", mon, name, k, days)
				}
				if name != "policy" {
					continue
				}
				visit := map[int]bool{}
				for _, d := range days {
					visit[d] = true
				}
				for d := 1; d < len(rec.doses[k]); d++ {
					if !visit[d] && rec.doses[k][d] != rec.doses[k][d-1] {
						t.Errorf("%s, patient %d: the policy changed the dose on day %d, not a visit", mon, k, d)
						break
					}
				}
			}
		}
	}
	// The evaluation reports the schedule of every arm, puts the policy on
	// the outpatient schedule under PROTOCOL, and adds up its subgroups.
	for _, mon := range []dosing.Monitoring{dosing.MonitoringOutpatient, dosing.MonitoringProtocol, dosing.MonitoringDaily} {
		res, err := h.svc.Evaluate(ctx, EvaluationInput{PolicyID: run.Policy, Model: m.ID, Baselines: []string{"aurora", "intermountain"},
			Population: PopulationInput{Size: 40, Seed: 11}, Days: 60, Monitoring: string(mon)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Arms {
			want := mon
			if mon == dosing.MonitoringProtocol && a.Name == "policy "+run.Policy {
				want = dosing.MonitoringOutpatient
			}
			if a.Monitoring != string(want) || (mon == dosing.MonitoringDaily && a.VisitsPerPatient != 60) {
				t.Errorf("%s: arm %s ran under %s with %.1f visits", mon, a.Name, a.Monitoring, a.VisitsPerPatient)
			}
		}
		checkSubgroupsAddUp(t, res)
	}
}

// checkSubgroupsAddUp checks that, per dimension and arm, the subgroups
// partition the arm: counts add up and patient-weighted means equal the
// arm's; and that the policy's subgroups carry their gap to the best
// baseline.
func checkSubgroupsAddUp(t *testing.T, res EvaluationResult) {
	t.Helper()
	type key struct{ dim, arm string }
	n, tir, above := map[key]int{}, map[key]float64{}, map[key]float64{}
	dims := map[string]bool{}
	for _, sg := range res.Subgroups {
		k := key{sg.Dimension, sg.Arm}
		n[k] += sg.Patients
		tir[k] += float64(sg.Patients) * sg.TimeInRange
		above[k] += float64(sg.Patients) * sg.TimeAbove
		dims[sg.Dimension] = true
		if !(sg.TimeInRangeLow95 <= sg.TimeInRange+1e-12 && sg.TimeInRange <= sg.TimeInRangeHigh95+1e-12) {
			t.Errorf("subgroup %+v: interval does not hold its mean", sg)
		}
		if (sg.Gap != nil) != (sg.Arm[:6] == "policy") || (sg.Gap != nil && sg.WorseThanBest != (*sg.Gap < 0)) {
			t.Errorf("subgroup %+v: gap/flag", sg)
		}
	}
	if len(dims) != 5 {
		t.Errorf("dimensions %v, want CYP2C9, VKORC1, ageBand, sex, ancestry", dims)
	}
	for _, a := range res.Arms {
		for d := range dims {
			k := key{d, a.Name}
			if n[k] != a.Patients || math.Abs(tir[k]/float64(n[k])-a.TimeInRange) > 1e-9 || math.Abs(above[k]/float64(n[k])-a.TimeAbove) > 1e-9 {
				t.Errorf("%s by %s: %d patients, TIR %.6f, above %.6f; arm %d, %.6f, %.6f", a.Name, d, n[k], tir[k]/float64(n[k]), above[k]/float64(n[k]), a.Patients, a.TimeInRange, a.TimeAbove)
			}
		}
	}
}
