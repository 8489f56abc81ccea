package mipd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// TestOmegaMatchesSimulator replays pkpd's samplers with the same seed: the
// log ratio to the typical value over this package's ω must be the RNG's
// normal draws in order, so the prior is the one the simulators draw from.
func TestOmegaMatchesSimulator(t *testing.T) {
	cov := pkpd.WarfarinCovariates{Age: 60, CYP2C9: pkpd.CYP2C9_13, VKORC1: pkpd.VKORC1_AA}
	typ, _ := pkpd.TypicalWarfarin(cov)
	s, _ := pkpd.SampleWarfarin(cov, pkpd.NewRNG(11))
	z := pkpd.NewRNG(11)
	for i, v := range [][2]float64{{s.CL, typ.CL}, {s.V1, typ.V1}, {s.V2, typ.V2}, {s.MTT1, typ.MTT1}, {s.MTT2, typ.MTT2}, {s.EC50, typ.EC50}} {
		if want := z.Norm(); math.Abs(math.Log(v[0]/v[1])/warfarinOmega[i]-want) > 1e-9 {
			t.Errorf("warfarin ω of %s differs from pkpd's", warfarinNames[i])
		}
	}
	d, dt := pkpd.SampleDocetaxel(pkpd.NewRNG(12)), pkpd.TypicalDocetaxel()
	z = pkpd.NewRNG(12)
	for i, v := range [][2]float64{{d.CL, dt.CL}, {d.Q, dt.Q}, {d.V1, dt.V1}, {d.V2, dt.V2}, {d.Circ0, dt.Circ0}, {d.MTT, dt.MTT}, {d.Gamma, dt.Gamma}, {d.Emax, dt.Emax}, {d.EC50, dt.EC50}} {
		if want := z.Norm(); math.Abs(math.Log(v[0]/v[1])/docetaxelOmega[i]-want) > 1e-9 {
			t.Errorf("docetaxel ω of %s differs from pkpd's", docetaxelNames[i])
		}
	}
}

func warfarinInput() Input {
	in := Input{Model: dosing.WarfarinHamberg, Seed: 3,
		Patient: dosing.Patient{Age: 70, Genotypes: map[string]string{"CYP2C9": "*1/*1", "VKORC1": "G/G"}}}
	for d := range 21 {
		in.Doses = append(in.Doses, Dose{Hour: float64(24 * d), Amount: 6})
	}
	for i, d := range []int{3, 5, 7, 10, 14, 21} {
		in.Observations = append(in.Observations, Observation{Hour: float64(24 * d), Value: []float64{1.2, 1.45, 1.7, 2.0, 2.3, 2.5}[i]})
	}
	return in
}

func TestInputErrors(t *testing.T) {
	e, _ := New(Config{MaxObservations: 10})
	tests := []struct {
		name, field string
		limit       bool
		edit        func(in *Input)
	}{
		{"observation before first dose", "observations[3].hour: before the first dose", false, func(in *Input) {
			in.Doses = in.Doses[2:]
			in.Observations[3].Hour = 12
		}},
		{"negative observation hour", "observations[1].hour: must not be negative", false, func(in *Input) { in.Observations[1].Hour = -5 }},
		{"negative value", "observations[2].value: must not be negative", false, func(in *Input) { in.Observations[2].Value = -1 }},
		{"NaN value", "observations[0].value: must be a finite", false, func(in *Input) { in.Observations[0].Value = math.NaN() }},
		{"unknown unit", "observations[4].unit: unknown unit", false, func(in *Input) { in.Observations[4].Unit = "mmol/L" }},
		{"INR has no LOQ", "observations[0].belowLoq", false, func(in *Input) { in.Observations[0].BelowLOQ = true }},
		{"implausible INR", "observations[5].value: outside the plausible INR range", false, func(in *Input) { in.Observations[5].Value = 40 }},
		{"negative dose", "doses[2].amount", false, func(in *Input) { in.Doses[2].Amount = -2 }},
		{"huge dose", "doses[7].amount: above the largest single dose", false, func(in *Input) { in.Doses[7].Amount = 500 }},
		{"dose unit", "doses[0].unit: mg/m2 is not a unit of warfarin", false, func(in *Input) { in.Doses[0].Unit = "mg/m2" }},
		{"no doses", "doses: at least one", false, func(in *Input) { in.Doses = nil }},
		{"no observations", "observations: at least one", false, func(in *Input) { in.Observations = nil }},
		{"missing age", "patient.age", false, func(in *Input) { in.Patient.Age = 0 }},
		{"unknown model", "model", false, func(in *Input) { in.Model = "vancomycin" }},
		{"too many observations", "observations", true, func(in *Input) {
			for i := range 5 {
				in.Observations = append(in.Observations, Observation{Hour: float64(30 + i), Value: 1.5})
			}
		}},
		{"too many SIR samples", "sirSamples", true, func(in *Input) { in.SIRSamples = 1 << 20 }},
		{"history too long", "doses/observations", true, func(in *Input) { in.Observations[0].Hour = 24 * 800 }},
		// 5000 proposals × 700 days is 84 M simulated patient-hours, over
		// MaxWork: SIR was bounded by sample count only.
		{"SIR work", "sirSamples × history", true, func(in *Input) {
			in.SIRSamples = 5000
			in.Observations[5].Hour = 24 * 700
		}},
		// Hours past the grid's int range once slipped past the history
		// budget (the step index overflowed to a negative number).
		{"dose hour overflows the grid", "doses[21].hour: must be at most", false, func(in *Input) {
			in.Doses = append(in.Doses, Dose{Hour: 1e300, Amount: 5})
		}},
		{"observation hour overflows the grid", "observations[6].hour: must be at most", false, func(in *Input) {
			in.Observations = append(in.Observations, Observation{Hour: 1e19, Value: 2})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := warfarinInput()
			tc.edit(&in)
			_, err := e.Individualize(context.Background(), in)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want one naming %q", err, tc.field)
			}
			var le *LimitError
			if errors.As(err, &le) != tc.limit || (!errors.Is(err, errs.Invalid) && !errors.Is(err, errs.NotFound)) {
				t.Errorf("err %v: limit error %v, want %v; kind", err, errors.As(err, &le), tc.limit)
			}
		})
	}
}

// TestOneObservation: one INR still gives an estimate, shrunk toward the
// population, and says so.
func TestOneObservation(t *testing.T) {
	e, _ := New(Config{})
	in := warfarinInput()
	in.Observations = in.Observations[4:5]
	res, err := e.Individualize(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Warnings, ";"), "one observation only") {
		t.Errorf("warnings %v", res.Warnings)
	}
	full, _ := e.Individualize(context.Background(), warfarinInput())
	if res.ShrinkageRatio["EC50"] <= full.ShrinkageRatio["EC50"] || res.ShrinkageRatio["MTT1"] < 0.9 {
		t.Errorf("one observation shrinkage %v, six %v", res.ShrinkageRatio, full.ShrinkageRatio)
	}
}

// TestDocetaxelCensored: an ANC below the 100/µL LOQ is censored (M3) and
// pulls the estimate toward more myelosuppression than the LOQ itself.
func TestDocetaxelCensored(t *testing.T) {
	e, _ := New(Config{})
	in := Input{Model: dosing.DocetaxelFriberg, SkipSIR: true, Doses: []Dose{{Hour: 0, Amount: 150}},
		Observations: []Observation{{Hour: 0, Value: 5}, {Hour: 168, Value: 0.4, Unit: "10^9/L"}, {Hour: 216, BelowLOQ: true}, {Hour: 504, Value: 6000}}}
	in.Observations[0].Unit = "G/L"
	res, err := e.Individualize(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Predictions[2]
	if !p.Censored || p.Observed != ANCLowerLOQ || !(p.IPRED < 2*ANCLowerLOQ) || res.Predictions[1].Observed != 400 {
		t.Errorf("predictions %+v", res.Predictions)
	}
	if !strings.Contains(strings.Join(res.Warnings, ";"), "censored (M3)") {
		t.Errorf("warnings %v", res.Warnings)
	}
}

func TestForecastAndOptimize(t *testing.T) {
	e, _ := New(Config{})
	ctx := context.Background()
	in := warfarinInput()
	res, err := e.Individualize(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var reg []Dose
	for d := 21; d < 35; d++ {
		reg = append(reg, Dose{Hour: float64(24 * d), Amount: 6})
	}
	f, err := e.ForecastFrom(ctx, ForecastInput{Input: in, Regimen: reg, HorizonDays: 14}, res)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Points) != 15 || f.StartHour != 504 || math.Abs(f.Points[0].Mode-res.Predictions[5].IPRED) > 1e-9 {
		t.Errorf("forecast start %g, %d points, first %+v", f.StartHour, len(f.Points), f.Points[0])
	}
	for _, p := range f.Points {
		if !(p.Lower <= p.LowerModel+1e-9 || p.Lower <= p.Median) || !(p.Lower <= p.Median && p.Median <= p.Upper) {
			t.Errorf("point %+v", p)
		}
	}
	ch, err := e.OptimizeDoseFrom(ctx, OptimizeInput{Input: in, HorizonDays: 14, Draws: 100}, res)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Best < 0 || len(ch.Candidates) != 31 || ch.Doses != 14 {
		t.Fatalf("choice best %d of %d, %d doses", ch.Best, len(ch.Candidates), ch.Doses)
	}
	b := ch.Candidates[ch.Best]
	for _, c := range ch.Candidates {
		if c.Allowed && c.ProbInRange > b.ProbInRange+1e-12 {
			t.Errorf("%s mg beats the best %s mg", c.Level.Text('f'), b.Level.Text('f'))
		}
		if f, _ := c.Level.Float64(); f > 14 && c.Allowed {
			t.Errorf("%s mg allowed above the G/G *1/*1 guardrail", c.Level.Text('f'))
		}
	}
	// More drug never lowers the forecast INR (monotone model).
	for i := 1; i < len(ch.Candidates); i++ {
		if a, c := ch.Candidates[i-1], ch.Candidates[i]; a.Allowed && c.Allowed && c.Median < a.Median-1e-9 {
			t.Errorf("median INR falls from %s to %s mg", a.Level.Text('f'), c.Level.Text('f'))
		}
	}
	t.Logf("best %s mg/day: P(in range) %.2f", b.Level.Text('f'), b.ProbInRange)
}

func FuzzIndividualizeInput(f *testing.F) {
	f.Add(72.0, 1.4, 5.0, 0.0, "", false)
	f.Add(-1.0, -2.0, 1e9, 3.0, "mg/dL", true)
	f.Add(math.NaN(), math.Inf(1), math.NaN(), -7.0, "INR", false)
	e, _ := New(Config{SIRSamples: 20, MaxIterations: 5})
	f.Fuzz(func(t *testing.T, hour, value, amount, dhour float64, unit string, blq bool) {
		in := Input{Model: dosing.WarfarinHamberg, Patient: dosing.Patient{Age: 50}, SkipSIR: true,
			Doses:        []Dose{{Hour: dhour, Amount: amount}, {Hour: 24, Amount: 5}},
			Observations: []Observation{{Hour: hour, Value: value, Unit: unit, BelowLOQ: blq}}}
		res, err := e.Individualize(context.Background(), in)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error without the input kind: %v", err)
			}
			return
		}
		if math.IsNaN(res.Objective) || len(res.Eta) != 6 {
			t.Fatalf("result %+v", res)
		}
	})
}

// BenchmarkIndividualize: a warfarin patient with 10 INRs over 8 weeks on
// the default grid, Laplace only and with 1,000 SIR proposals, on one and
// two workers. Besides ns/op it reports the p50 and p99 latency of the
// calls (ms) and the process CPU time per call (the uncontended cost on a
// shared machine); the goal is p50 ≤ 20 ms, p99 ≤ 100 ms on 2 cores.
func BenchmarkIndividualize(b *testing.B) {
	in := warfarinInput()
	in.Doses = nil
	for d := range 56 {
		in.Doses = append(in.Doses, Dose{Hour: float64(24 * d), Amount: 6})
	}
	vals := []float64{1.2, 1.45, 1.7, 2.0, 2.3, 2.5, 2.6, 2.7, 2.6, 2.8}
	in.Observations = nil
	for i, d := range []int{3, 5, 7, 10, 14, 21, 28, 35, 42, 56} {
		in.Observations = append(in.Observations, Observation{Hour: float64(24 * d), Value: vals[i]})
	}
	for _, workers := range []int{1, 2} {
		for _, sir := range []bool{false, true} {
			name := fmt.Sprintf("laplace/workers=%d", workers)
			if sir {
				name = fmt.Sprintf("laplace+sir1000/workers=%d", workers)
			}
			b.Run(name, func(b *testing.B) {
				e, _ := New(Config{Workers: workers})
				in := in
				in.SkipSIR = !sir
				var evals, iters int
				var lat []float64
				cpu0 := cpuTime()
				for b.Loop() {
					t0 := time.Now()
					res, err := e.Individualize(context.Background(), in)
					if err != nil {
						b.Fatal(err)
					}
					lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
					evals, iters = evals+res.Evaluations, iters+res.Iterations
				}
				sort.Float64s(lat)
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(evals)/float64(b.N), "sims/op")
				b.ReportMetric(float64(iters)/float64(b.N), "iters/op")
				b.ReportMetric(quantile(lat, 0.5), "p50-ms")
				b.ReportMetric(quantile(lat, 0.99), "p99-ms")
			})
		}
	}
}

// TestHostileFutureHours: a schedule start past the grid's int range is
// refused by name (it once panicked with an empty record series), and a
// regimen dose far past the horizon is not simulated up to (it once held
// the call for as long as the gap).
func TestHostileFutureHours(t *testing.T) {
	e, _ := New(Config{})
	in := warfarinInput()
	in.SkipSIR = true
	start := 1e300
	oi := OptimizeInput{Input: in, HorizonDays: 10, Draws: 5}
	oi.Schedule.StartHour = &start
	if _, err := e.OptimizeDose(context.Background(), oi); err == nil || !strings.Contains(err.Error(), "schedule.startHour: must be at most") || !errors.Is(err, errs.Invalid) {
		t.Errorf("startHour 1e300: err = %v, want schedule.startHour out of range", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fi := ForecastInput{Input: in, HorizonDays: 10, Regimen: []Dose{{Hour: 9e8, Amount: 5}}, Draws: 5}
	t0 := time.Now()
	if _, err := e.Forecast(ctx, fi); err != nil {
		t.Fatalf("regimen dose past the horizon: %v", err)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("regimen dose past the horizon took %v", d)
	}
}
