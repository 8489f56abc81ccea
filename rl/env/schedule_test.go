package env

import (
	"errors"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
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
	if _, err := New(Config{Model: dosing.WarfarinHamberg, Envs: 1, Monitoring: dosing.MonitoringProtocol}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("PROTOCOL as a training schedule: %v", err)
	}
	if _, err := New(Config{Model: dosing.WarfarinHamberg, Envs: 1, Monitoring: "WEEKLY"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown schedule: %v", err)
	}
}
