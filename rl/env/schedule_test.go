package env

import (
	"errors"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/errs"
)

// TestOutpatientMonitoring checks training under the outpatient schedule:
// between visits the mask allows only the current dose and the
// observation does not change; at visits the shield's usual mask applies.
func TestOutpatientMonitoring(t *testing.T) {
	e, err := New(Config{Model: dosing.WarfarinHamberg, Envs: 4, Seed: 3, EpisodeSteps: 40, Monitoring: dosing.MonitoringOutpatient, PopulationSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	visits := map[int]bool{0: true, 3: true, 5: true, 7: true, 10: true, 14: true}
	acts := make([]int32, e.NumEnvs())
	prev := append([]float32(nil), e.Observations()...)
	dim, na := e.ObsDim(), e.NumActions()
	for day := 0; day < 20; day++ {
		mask := e.Mask()
		for i := range acts {
			allowed := 0
			for a := range na {
				if mask[i*na+a] {
					allowed++
					acts[i] = int32(a) // the highest allowed level: moves the dose when it may
				}
			}
			if v := e.Visit(i); v != (visits[day] || day > 14 && v) {
				t.Errorf("day %d env %d: visit %v", day, i, v)
			}
			if !e.Visit(i) && allowed != 1 {
				t.Errorf("day %d env %d: %d actions allowed between visits", day, i, allowed)
			}
			// The INR history (first K entries) moves only on visit days.
			k := (dim - 12) / 2
			if day > 0 && !e.Visit(i) {
				for j := range k {
					if e.Observations()[i*dim+j] != prev[i*dim+j] {
						t.Errorf("day %d env %d: INR history changed without a visit", day, i)
						break
					}
				}
			}
		}
		copy(prev, e.Observations())
		if _, _, _, err := e.Step(acts); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(Config{Model: dosing.DocetaxelFriberg, Envs: 1, Monitoring: dosing.MonitoringOutpatient}); !errors.Is(err, errs.Invalid) {
		t.Errorf("docetaxel under OUTPATIENT: %v", err)
	}
	if _, err := New(Config{Model: dosing.WarfarinHamberg, Envs: 1, Monitoring: "WEEKLY"}); !errors.Is(err, errs.Invalid) {
		t.Errorf("unknown schedule: %v", err)
	}
}

// TestVisitChoosingAgent checks the PROTOCOL environment: actions are a
// dose and the days to the next INR; between visits only the current dose
// (first interval) is allowed; each measurement costs VisitWeight.
func TestVisitChoosingAgent(t *testing.T) {
	e, err := New(Config{Model: dosing.WarfarinHamberg, Envs: 1, Seed: 3, Typical: true, EpisodeSteps: 30, Monitoring: dosing.MonitoringProtocol,
		Population: []*dosing.Patient{patient("*1/*1", "G/A", 60)}, Reward: Reward{BelowWeight: 1, AboveWeight: 2, VisitWeight: 100}})
	if err != nil {
		t.Fatal(err)
	}
	nl, ivs := e.NumLevels(), VisitIntervals()
	if e.NumActions() != nl*len(ivs) || e.ActionDose(10+2*nl) != 5 || e.NextVisitDays(10+2*nl) != 7 {
		t.Fatalf("actions %d, levels %d", e.NumActions(), nl)
	}
	a := int32(10 + 2*nl) // 5 mg, next INR in 7 days
	for day := 0; day < 15; day++ {
		visit := day == 0 || day == 7 || day == 14
		if e.Visit(0) != visit {
			t.Fatalf("day %d: visit %v", day, e.Visit(0))
		}
		mask := e.Mask()
		allowed := 0
		for b, ok := range mask {
			if ok {
				allowed++
				if !visit && (b >= nl || e.ActionDose(b) != 5) {
					t.Errorf("day %d: action %d allowed between visits", day, b)
				}
			}
		}
		if !visit && allowed != 1 {
			t.Errorf("day %d: %d actions allowed between visits", day, allowed)
		}
		act := a
		if !visit {
			act = 10
		}
		_, r, _, err := e.Step([]int32{act})
		if err != nil {
			t.Fatal(err)
		}
		// The step that ends on a visit day pays the visit's cost.
		if paid := r[0] < -50; paid != (day+1 == 7 || day+1 == 14) {
			t.Errorf("day %d: reward %v (visit cost paid %v)", day, r[0], paid)
		}
	}
}
