package env

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/errs"
)

// recorder is an ActFunc that remembers every observation it saw and picks
// a dose from the most recent measurement.
type recorder struct {
	obs  [][]float32
	pick func(o []float32) int
}

func (r *recorder) act(o []float32, mask []bool) (int, error) {
	r.obs = append(r.obs, slices.Clone(o))
	a := r.pick(o)
	if !mask[a] {
		for b := len(mask) - 1; b >= 0; b-- {
			if mask[b] {
				return b, nil
			}
		}
	}
	return a, nil
}

// TestPolicyMatchesEnv checks that a policy served through dosing.Simulate
// sees exactly the observations an Env produces for the same patient and
// doses the same (typical patient, no noise).
func TestPolicyMatchesEnv(t *testing.T) {
	cases := []struct {
		model string
		p     *dosing.Patient
		steps int
		pick  func(o []float32) int
	}{
		{dosing.WarfarinHamberg, patient("*1/*3", "G/A", 66), 40, func(o []float32) int {
			if o[0] < 0 { // INR < 2.5
				return 12
			}
			return 6
		}},
		{dosing.DocetaxelFriberg, &dosing.Patient{Age: 58, WeightKg: 68, HeightCm: 165}, 4, func(o []float32) int {
			if o[0] < -1.2 { // nadir below ~1,500
				return 12
			}
			return 18
		}},
	}
	for _, c := range cases {
		cfg := Config{Model: c.model, Envs: 1, Typical: true, EpisodeSteps: c.steps, Population: []*dosing.Patient{c.p}}
		e := mustNew(t, cfg)
		envRec := &recorder{pick: c.pick}
		var envDoses []float64
		for range c.steps - 1 { // the last step would reset the episode
			a, _ := envRec.act(slices.Clone(e.Observations()), e.Mask())
			if _, _, _, err := e.Step([]int32{int32(a)}); err != nil {
				t.Fatal(err)
			}
			envDoses = append(envDoses, e.lastDose[0])
		}
		polRec := &recorder{pick: c.pick}
		pol, err := NewPolicy(cfg, polRec.act)
		if err != nil {
			t.Fatal(err)
		}
		days := c.steps - 1
		if c.model == dosing.DocetaxelFriberg {
			days = 21*(c.steps-1) - 20
		}
		sim, err := dosing.Simulate(context.Background(), dosing.SimulationInput{Model: c.model, Patient: *c.p, Regimen: dosing.Regimen{Policy: pol}, Days: days})
		if err != nil {
			t.Fatal(err)
		}
		if len(polRec.obs) != len(envRec.obs) {
			t.Fatalf("%s: policy asked %d times, env %d", c.model, len(polRec.obs), len(envRec.obs))
		}
		for s := range envRec.obs {
			for j := range envRec.obs[s] {
				if d := polRec.obs[s][j] - envRec.obs[s][j]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("%s step %d feature %d: policy %v, env %v", c.model, s, j, polRec.obs[s], envRec.obs[s])
				}
			}
		}
		var simLevels []float64
		for _, d := range sim.Doses {
			f, _ := d.Amount.Float64()
			simLevels = append(simLevels, f)
		}
		if c.model == dosing.WarfarinHamberg {
			var nonzero []float64
			for _, d := range envDoses {
				if d > 0 {
					nonzero = append(nonzero, d)
				}
			}
			if !slices.Equal(nonzero, simLevels) {
				t.Errorf("warfarin doses differ: env %v sim %v", nonzero, simLevels)
			}
		}
		t.Logf("%s: %d decisions identical; doses %v", c.model, len(envRec.obs), simLevels)
	}
}

func TestNewPolicyErrors(t *testing.T) {
	if _, err := NewPolicy(Config{Model: dosing.WarfarinHamberg}, nil); !errors.Is(err, errs.Invalid) {
		t.Error("nil act accepted")
	}
	if _, err := NewPolicy(Config{Model: "x"}, func([]float32, []bool) (int, error) { return 0, nil }); !errors.Is(err, errs.NotFound) {
		t.Error("unknown model accepted")
	}
	pol, _ := NewPolicy(Config{Model: dosing.WarfarinHamberg}, func([]float32, []bool) (int, error) { return 99, nil })
	_, err := dosing.Simulate(context.Background(), dosing.SimulationInput{Model: dosing.WarfarinHamberg,
		Patient: *patient("*1/*1", "G/G", 60), Regimen: dosing.Regimen{Policy: pol}, Days: 3})
	if !errors.Is(err, errs.Invalid) {
		t.Errorf("out-of-range action: %v", err)
	}
	m, _ := dosing.Model(dosing.DocetaxelFriberg)
	if _, err := pol.NewController(m, patient("*1/*1", "G/G", 60)); !errors.Is(err, errs.Invalid) {
		t.Errorf("model mismatch: %v", err)
	}
}
