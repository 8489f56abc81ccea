package dosing

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/cockroachdb/apd/v3"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store"
)

// Regimen chooses how a simulated patient is dosed: exactly one of Method,
// Policy or FixedDose.
type Regimen struct {
	// Method is a named baseline of the model.
	Method string
	// Policy is a trained or custom policy (the API resolves policyId to it).
	Policy Policy
	// FixedDose is repeated every IntervalHours (zero means the model's
	// DoseIntervalHours: 24 for warfarin, 504 for docetaxel).
	FixedDose     *apd.Decimal
	IntervalHours float64
}

// SimulationInput is one single-patient simulation request.
type SimulationInput struct {
	Model   string
	Patient Patient
	Regimen Regimen
	// Days is the simulated length (1–MaxDays).
	Days int
	// Seed drives between-subject variability and residual error.
	Seed uint64
	// Variability turns on between-subject and residual variability;
	// false simulates the typical patient and exact measurements.
	Variability bool
}

// SimPoint is the model state at one hour: the observable (without residual
// error) and the drug concentration (mg/L).
type SimPoint struct {
	Hour          float64
	Observable    float64
	Concentration float64
}

// DoseEvent is one administered dose.
type DoseEvent struct {
	Hour   float64
	Amount *apd.Decimal
	// Rationale is the dosing method's explanation.
	Rationale string
}

// Simulation is a single-patient result.
type Simulation struct {
	Model  string
	Points []SimPoint
	Doses  []DoseEvent
	// Observations are the measurements the dosing method saw (with
	// residual error when variability is on).
	Observations []Observation
	// TimeInRange, TimeAbove and TimeBelow are fractions of the simulated
	// time, by Rosendaal linear interpolation between the daily points.
	TimeInRange, TimeAbove, TimeBelow float64
	// TotalDose is the exact cumulative dose; MeanDailyDose is TotalDose/Days.
	TotalDose     *apd.Decimal
	MeanDailyDose float64
}

// Simulate runs one virtual patient under a regimen. Invalid input (unknown
// model, out-of-range covariates, days beyond MaxDays, a dose not in the
// model's levels) gives an error naming the field and wrapping
// store.ErrInvalid (store.ErrNotFound for an unknown model).
func Simulate(ctx context.Context, in SimulationInput) (*Simulation, error) {
	m, err := Model(in.Model)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if in.Days < 1 || in.Days > MaxDays {
		return nil, fmt.Errorf("days must be within 1–%d: %w", MaxDays, store.ErrInvalid)
	}
	if err := in.Patient.Validate(); err != nil {
		return nil, err
	}
	pol, err := regimenPolicy(m, in.Regimen)
	if err != nil {
		return nil, err
	}
	p := in.Patient.clone()
	ctl, err := pol.NewController(m, p)
	if err != nil {
		return nil, err
	}
	levels, err := m.PatientDoseLevels(p)
	if err != nil {
		return nil, err
	}
	rng := pkpd.NewRNG(in.Seed)
	sim, err := newSimulator(m, p, in.Variability, rng)
	if err != nil {
		return nil, err
	}
	out := &Simulation{Model: m.ID, Points: make([]SimPoint, 0, in.Days+1)}
	lv := levelFloats(levels)
	var doses []*apd.Decimal
	nextCheck := 0
	for day := 0; day < in.Days; day++ {
		if day%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		hour := float64(24 * day)
		out.Points = append(out.Points, SimPoint{Hour: hour, Observable: sim.value(), Concentration: sim.conc()})
		var obs *Observation
		if day == nextCheck {
			o := Observation{Hour: hour, Value: sim.observe(rng)}
			if len(doses) > 0 {
				o.Dose = doses[len(doses)-1]
			}
			out.Observations = append(out.Observations, o)
			obs = &out.Observations[len(out.Observations)-1]
		}
		dec, err := ctl.Decide(day, obs)
		if err != nil {
			return nil, err
		}
		if obs != nil {
			nextCheck = day + max(1, int(math.Round(dec.NextCheckHours/24)))
		}
		i := sort.SearchFloat64s(lv, dec.Dose-1e-9)
		if i == len(lv) || math.Abs(lv[i]-dec.Dose) > 1e-9 {
			return nil, fmt.Errorf("regimen: dose %g %s on day %d is not one of the model's dose levels: %w", dec.Dose, m.DoseUnit, day, store.ErrInvalid)
		}
		if dec.Dose > 0 {
			amt := levels[i]
			doses = append(doses, amt)
			out.Doses = append(out.Doses, DoseEvent{Hour: hour, Amount: amt, Rationale: dec.Rationale})
			sim.dose(dec.Dose, m.InfusionHours)
		}
		sim.advanceDay()
	}
	out.Points = append(out.Points, SimPoint{Hour: float64(24 * in.Days), Observable: sim.value(), Concentration: sim.conc()})
	hours, vals := make([]float64, len(out.Points)), make([]float64, len(out.Points))
	for i, pt := range out.Points {
		hours[i], vals[i] = pt.Hour, pt.Observable
	}
	out.TimeInRange, out.TimeAbove, out.TimeBelow = Rosendaal(hours, vals, m.TargetLow, m.TargetHigh)
	if out.TotalDose, err = SumDoses(doses); err != nil {
		return nil, err
	}
	tot, _ := out.TotalDose.Float64()
	out.MeanDailyDose = tot / float64(in.Days)
	return out, nil
}

func regimenPolicy(m *DrugModel, r Regimen) (Policy, error) {
	n := 0
	if r.Method != "" {
		n++
	}
	if r.Policy != nil {
		n++
	}
	if r.FixedDose != nil {
		n++
	}
	if n != 1 {
		return nil, fmt.Errorf("regimen: give exactly one of method, policyId, fixedDose: %w", store.ErrInvalid)
	}
	switch {
	case r.Method != "":
		return Method(m, "regimen.method", r.Method)
	case r.Policy != nil:
		return r.Policy, nil
	}
	iv := r.IntervalHours
	if iv == 0 {
		iv = m.DoseIntervalHours
	}
	return FixedDosePolicy(r.FixedDose, iv), nil
}

// simulator wraps a one-patient pkpd batch of either model.
type simulator struct {
	w     *pkpd.WarfarinBatch
	d     *pkpd.DocetaxelBatch
	noisy bool
}

func newSimulator(m *DrugModel, p *Patient, variability bool, rng *pkpd.RNG) (*simulator, error) {
	s := &simulator{noisy: variability}
	switch m.ID {
	case WarfarinHamberg:
		cov, _, _, err := p.WarfarinCovariates()
		if err != nil {
			return nil, err
		}
		var wp pkpd.WarfarinParams
		if variability {
			wp, err = pkpd.SampleWarfarin(cov, rng)
		} else {
			wp, err = pkpd.TypicalWarfarin(cov)
		}
		if err != nil {
			return nil, fmt.Errorf("patient: %w", err)
		}
		if s.w, err = pkpd.NewWarfarinBatch(pkpd.WarfarinConfig{Patients: 1}); err != nil {
			return nil, err
		}
		if err := s.w.SetPatient(0, wp); err != nil {
			return nil, err
		}
	case DocetaxelFriberg:
		dp := pkpd.TypicalDocetaxel()
		if variability {
			dp = pkpd.SampleDocetaxel(rng)
		}
		var err error
		if s.d, err = pkpd.NewDocetaxelBatch(pkpd.DocetaxelConfig{Patients: 1}); err != nil {
			return nil, err
		}
		if err := s.d.SetPatient(0, dp); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("model %q has no simulator: %w", m.ID, store.ErrNotImplemented)
	}
	return s, nil
}

func (s *simulator) value() float64 {
	if s.w != nil {
		return s.w.INR(0)
	}
	return s.d.ANC(0)
}

func (s *simulator) conc() float64 {
	if s.w != nil {
		return s.w.Conc(0)
	}
	return s.d.Conc(0)
}

func (s *simulator) observe(rng *pkpd.RNG) float64 {
	if !s.noisy {
		return s.value()
	}
	if s.w != nil {
		return s.w.Observe(0, rng)
	}
	return s.d.Observe(0, rng)
}

func (s *simulator) dose(mg, infusionHours float64) {
	if s.w != nil {
		s.w.Dose(0, mg)
		return
	}
	_ = s.d.Infuse(0, mg, infusionHours) // amounts and durations are validated above
}

func (s *simulator) advanceDay() {
	if s.w != nil {
		s.w.AdvanceAll(s.w.StepsPerDay())
		return
	}
	s.d.AdvanceAll(24)
}
