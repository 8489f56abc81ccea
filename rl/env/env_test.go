package env

import (
	"errors"
	"math"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/errs"
)

func mustNew(t testing.TB, cfg Config) *Env {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func patient(cyp, vk string, age float64) *dosing.Patient {
	return &dosing.Patient{Age: age, WeightKg: 75, HeightCm: 170, Genotypes: map[string]string{"CYP2C9": cyp, "VKORC1": vk}}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		kind error
	}{
		{"model", Config{Model: "x", Envs: 1}, errs.NotFound},
		{"envs", Config{Model: dosing.WarfarinHamberg}, errs.Invalid},
		{"history", Config{Model: dosing.WarfarinHamberg, Envs: 1, History: 100}, errs.Invalid},
		{"episode", Config{Model: dosing.WarfarinHamberg, Envs: 1, EpisodeSteps: 400}, errs.Invalid},
		{"docetaxel episode", Config{Model: dosing.DocetaxelFriberg, Envs: 1, EpisodeSteps: 20}, errs.Invalid},
		{"bad patient", Config{Model: dosing.WarfarinHamberg, Envs: 1, Population: []*dosing.Patient{{Age: -1}}}, errs.Invalid},
		{"no BSA", Config{Model: dosing.DocetaxelFriberg, Envs: 1, Population: []*dosing.Patient{{Age: 50}}}, errs.Invalid},
	}
	for _, c := range cases {
		if _, err := New(c.cfg); !errors.Is(err, c.kind) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.kind)
		}
	}
	e := mustNew(t, Config{Model: dosing.WarfarinHamberg, Envs: 2, PopulationSize: 10})
	if _, _, _, err := e.Step([]int32{1}); !errors.Is(err, errs.Invalid) {
		t.Error("short action slice accepted")
	}
	if _, _, _, err := e.Step([]int32{1, 31}); !errors.Is(err, errs.Invalid) {
		t.Error("action out of range accepted")
	}
}

func TestWarfarinObservationLayout(t *testing.T) {
	e := mustNew(t, Config{Model: dosing.WarfarinHamberg, Envs: 3, Seed: 1, Typical: true,
		Population: []*dosing.Patient{patient("*1/*3", "A/A", 80)}, Shield: Shield{MaxDose: 15, MaxChange: 2.5, HoldAbove: 4}})
	k, dim := 7, e.ObsDim()
	if dim != 2*k+12 || e.NumActions() != 31 {
		t.Fatalf("dim %d actions %d", dim, e.NumActions())
	}
	o := e.Observations()[:dim]
	if o[0] != float32((1-2.5)/1.5) || o[2*k] != 0 || o[2*k+1+2] != 1 || o[2*k+7+2] != 1 || o[2*k+10] != 1 {
		t.Fatalf("initial observation %v", o)
	}
	act := []int32{10, 10, 10} // 5 mg
	for range 3 {
		if _, _, _, err := e.Step(act); err != nil {
			t.Fatal(err)
		}
	}
	o = e.Observations()[:dim]
	if math.Abs(float64(o[2*k])-3.0/90) > 1e-6 || o[k] != 5.0/15 || o[k+2] != 5.0/15 || o[k+3] != 0 {
		t.Errorf("after 3 days: %v", o)
	}
	if !(o[0] > o[1] && o[1] > o[2]) {
		t.Errorf("INR history not most-recent-first rising: %v", o[:k])
	}
}

func TestDeterminism(t *testing.T) {
	run := func(seed uint64) []float32 {
		e := mustNew(t, Config{Model: dosing.WarfarinHamberg, Envs: 8, Seed: seed, PopulationSize: 50, EpisodeSteps: 20})
		act := make([]int32, 8)
		var trace []float32
		for s := range 45 {
			for i := range act {
				act[i] = int32((s + i) % 20)
			}
			_, r, _, err := e.Step(act)
			if err != nil {
				t.Fatal(err)
			}
			trace = append(trace, r...)
		}
		return append(trace, e.Observations()...)
	}
	a, b, c := run(3), run(3), run(4)
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != c[i]
	}
	if !same || !diff {
		t.Errorf("same seed same=%v, different seed differs=%v", same, diff)
	}
}

func TestShieldAndReward(t *testing.T) {
	// A *3/*3 A/A patient on the maximum dose overshoots INR 4 quickly.
	// (guardrail off: this test is about the other shield limits)
	e := mustNew(t, Config{Model: dosing.WarfarinHamberg, Envs: 1, Typical: true, EpisodeSteps: 60,
		Population: []*dosing.Patient{patient("*3/*3", "A/A", 80)}, Shield: Shield{MaxDose: 15, MaxChange: 2.5, HoldAbove: 4}})
	mask := e.Mask()
	if !mask[30] {
		t.Fatal("day 0: 15 mg should be allowed")
	}
	_, r, _, _ := e.Step([]int32{20}) // 10 mg
	if r[0] >= 0 {
		t.Errorf("INR below range should give a negative reward, got %v", r[0])
	}
	mask = e.Mask()
	if mask[30] || !mask[25] || mask[26] || !mask[15] || mask[14] {
		t.Errorf("max-change mask around 10 mg wrong: %v", mask)
	}
	before := e.Interventions()
	if _, _, _, err := e.Step([]int32{30}); err != nil { // 15 mg: replaced by 12.5 mg
		t.Fatal(err)
	}
	if e.Interventions() != before+1 {
		t.Errorf("interventions %d, want %d", e.Interventions(), before+1)
	}
	held := false
	for range 40 {
		if _, _, _, err := e.Step([]int32{25}); err != nil {
			t.Fatal(err)
		}
		if e.lastMeas[0] > 4 {
			held = true
			m := e.Mask()
			for a := 1; a < len(m); a++ {
				if m[a] {
					t.Fatalf("INR %.2f > 4 but action %d allowed", e.lastMeas[0], a)
				}
			}
			if !m[0] || e.Observations()[e.ObsDim()-1] != 1 {
				t.Fatal("hold not offered or not observed")
			}
			break
		}
	}
	if !held {
		t.Error("INR never exceeded 4 on 12.5 mg/day")
	}
	// In range with an unchanged dose: reward exactly +1.
	g := mustNew(t, Config{Model: dosing.WarfarinHamberg, Envs: 1, Typical: true, EpisodeSteps: 60,
		Population: []*dosing.Patient{patient("*1/*1", "A/A", 71)}})
	var last float32
	for range 40 {
		_, r, _, _ := g.Step([]int32{10})
		last = r[0]
	}
	if last != 1 {
		t.Errorf("steady in-range reward %v, want 1 (day-40 INR %.2f)", last, g.lastMeas[0])
	}
}

func TestDocetaxelEnv(t *testing.T) {
	e := mustNew(t, Config{Model: dosing.DocetaxelFriberg, Envs: 2, Typical: true,
		Population: []*dosing.Patient{{Age: 60, WeightKg: 70, HeightCm: 175}}})
	if e.ObsDim() != 12 || e.NumActions() != 21 || e.ActionDose(15) != 75 {
		t.Fatalf("dim %d actions %d", e.ObsDim(), e.NumActions())
	}
	// 75 mg/m² (138 mg): typical nadir ≈ 1,100 (above target): dose term only.
	_, r, done, err := e.Step([]int32{15, 0})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(r[0])-0.5) > 1e-6 || r[1] != 0 || done[0] {
		t.Errorf("rewards %v done %v (nadir %.0f)", r, done, e.measHist[0])
	}
	if n := e.measHist[0]; n < 1000 || n > 1400 {
		t.Errorf("typical 138 mg nadir %.0f", n)
	}
	if e.measHist[e.k] != 5050 {
		t.Errorf("undosed patient nadir %.0f, want baseline 5050", e.measHist[e.k])
	}
	// Max change 25 mg/m²: 100 is allowed after 75; after 0 only up to 25.
	m := e.Mask()
	if !m[20] || m[21+20] || !m[21+5] || m[21+6] {
		t.Errorf("docetaxel max-change mask wrong: %v", m)
	}
	for range 5 {
		_, _, done, err = e.Step([]int32{20, 0})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !done[0] || !done[1] {
		t.Error("episode of 6 cycles did not end")
	}
}

func TestStepAllocs(t *testing.T) {
	for _, model := range []string{dosing.WarfarinHamberg, dosing.DocetaxelFriberg} {
		e := mustNew(t, Config{Model: model, Envs: 16, Seed: 2, PopulationSize: 100, EpisodeSteps: 3})
		act := make([]int32, 16)
		for i := range act {
			act[i] = 10
		}
		if a := testing.AllocsPerRun(20, func() {
			if _, _, _, err := e.Step(act); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: Step allocates %v times per call (including episode resets)", model, a)
		}
	}
}
