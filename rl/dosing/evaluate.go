package dosing

import (
	"context"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/store/errs"
)

// Rosendaal returns the fractions of time in [lo, hi], above hi and below lo
// for a trajectory sampled at hours (ascending), interpolating linearly
// between samples (Rosendaal 1993). With fewer than two samples it returns
// zeros.
func Rosendaal(hours, values []float64, lo, hi float64) (in, above, below float64) {
	if len(hours) < 2 || len(hours) != len(values) {
		return 0, 0, 0
	}
	total := hours[len(hours)-1] - hours[0]
	if !(total > 0) {
		return 0, 0, 0
	}
	for k := 1; k < len(hours); k++ {
		dt := hours[k] - hours[k-1]
		if !(dt > 0) {
			continue
		}
		a, b := values[k-1], values[k]
		fb := fracBelow(a, b, lo)
		fa := 1 - fracBelow(a, b, hi)
		if a == b && a == hi { // on the boundary counts as in range
			fa = 0
		}
		below += fb * dt
		above += fa * dt
		in += math.Max(0, 1-fb-fa) * dt
	}
	return in / total, above / total, below / total
}

// fracBelow is the fraction of the segment a→b (linear) strictly below x.
func fracBelow(a, b, x float64) float64 {
	switch {
	case a < x && b < x:
		return 1
	case a >= x && b >= x:
		return 0
	case a < x: // rising through x
		return (x - a) / (b - a)
	default: // falling through x
		return (x - b) / (a - b)
	}
}

// Outcome is one patient's result in an evaluation arm.
type Outcome struct {
	TimeInRange, TimeAbove, TimeBelow float64
	MeanDailyDose                     float64
}

// ArmSummary is an evaluation arm: mean time in range with a 95 %
// confidence interval (normal approximation over patients), mean time above
// and below, and mean daily dose.
type ArmSummary struct {
	Name                                string
	Patients                            int
	TimeInRange                         float64
	TimeInRangeLow95, TimeInRangeHigh95 float64
	TimeAbove, TimeBelow, MeanDailyDose float64
}

// Summarize aggregates patient outcomes into an arm summary.
func Summarize(name string, outs []Outcome) ArmSummary {
	s := ArmSummary{Name: name, Patients: len(outs)}
	if len(outs) == 0 {
		return s
	}
	n := float64(len(outs))
	for _, o := range outs {
		s.TimeInRange += o.TimeInRange
		s.TimeAbove += o.TimeAbove
		s.TimeBelow += o.TimeBelow
		s.MeanDailyDose += o.MeanDailyDose
	}
	s.TimeInRange /= n
	s.TimeAbove /= n
	s.TimeBelow /= n
	s.MeanDailyDose /= n
	half := 0.0
	if len(outs) > 1 {
		ss := 0.0
		for _, o := range outs {
			d := o.TimeInRange - s.TimeInRange
			ss += d * d
		}
		half = 1.959963984540054 * math.Sqrt(ss/(n-1)/n)
	}
	s.TimeInRangeLow95 = math.Max(0, s.TimeInRange-half)
	s.TimeInRangeHigh95 = math.Min(1, s.TimeInRange+half)
	return s
}

// EvaluateArm simulates every patient under the regimen for days and
// summarizes the arm. Patient k uses seed+k, so arms compared on the same
// population and seed see the same virtual patients (common random numbers).
func EvaluateArm(ctx context.Context, name, model string, patients []*Patient, reg Regimen, days int, seed uint64, variability bool) (ArmSummary, error) {
	if len(patients) == 0 {
		return ArmSummary{}, fmt.Errorf("population is empty: %w", errs.Invalid)
	}
	outs := make([]Outcome, 0, len(patients))
	for k, p := range patients {
		if err := ctx.Err(); err != nil {
			return ArmSummary{}, err
		}
		sim, err := Simulate(ctx, SimulationInput{Model: model, Patient: *p, Regimen: reg, Days: days, Seed: seed + uint64(k), Variability: variability})
		if err != nil {
			return ArmSummary{}, fmt.Errorf("patient %d: %w", k, err)
		}
		outs = append(outs, Outcome{TimeInRange: sim.TimeInRange, TimeAbove: sim.TimeAbove, TimeBelow: sim.TimeBelow, MeanDailyDose: sim.MeanDailyDose})
	}
	return Summarize(name, outs), nil
}
