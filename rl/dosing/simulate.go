package dosing

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/cockroachdb/apd/v3"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
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
	// SampleEveryHours is the output grid (a divisor of 24; 0 means 24).
	SampleEveryHours int
	// Monitoring is the measurement schedule ("" means PROTOCOL: the
	// method's own re-test intervals). The method sees a measurement only
	// on visit days.
	Monitoring Monitoring
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
	Hour float64
	// Amount is the administered amount in the model's DoseUnit (mg).
	Amount *apd.Decimal
	// Level is the dose in the model's LevelUnit (mg/m² for docetaxel; the
	// same as Amount for warfarin).
	Level *apd.Decimal
	// Rationale is the dosing method's explanation.
	Rationale string
}

// Endpoints are docetaxel's pharmacometric endpoints over the simulated
// time (hourly resolution whatever the output grid).
type Endpoints struct {
	// NadirANC is the lowest ANC (cells/µL) and NadirDay when it occurred.
	NadirANC, NadirDay float64
	// Grade3 and Grade4 report whether ANC fell below 1,000 and 500/µL.
	Grade3, Grade4 bool
	// DeliveredPerM2 is the exact sum of the dose levels given (mg/m²);
	// PlannedPerM2 is 75 mg/m² for every 21-day cycle that starts within
	// the simulated days; RelativeDoseIntensity is their ratio.
	DeliveredPerM2        *apd.Decimal
	PlannedPerM2          *apd.Decimal
	RelativeDoseIntensity float64
}

// Simulation is a single-patient result.
type Simulation struct {
	Model  string
	Points []SimPoint
	Doses  []DoseEvent
	// Observations are the measurements the dosing method saw (with
	// residual error when variability is on); their Dose is in mg.
	Observations []Observation
	// Monitoring is the schedule the measurements followed.
	Monitoring Monitoring
	// TimeInRange, TimeAbove and TimeBelow are fractions of the simulated
	// time, by Rosendaal linear interpolation between the output points.
	TimeInRange, TimeAbove, TimeBelow float64
	// TotalDose is the exact cumulative dose (mg); MeanDailyDose is
	// TotalDose/Days.
	TotalDose     *apd.Decimal
	MeanDailyDose float64
	// Endpoints are docetaxel's (nil for warfarin).
	Endpoints *Endpoints
	// Decisions counts the controller's decisions on visit days (with a
	// measurement); GuardrailBound those whose raw choice a guardrail
	// lowered.
	Decisions, GuardrailBound int
}

// PlannedPerM2Cycle is docetaxel's planned dose per 21-day cycle (mg/m²),
// the denominator of relative dose intensity.
const PlannedPerM2Cycle = 75

// simRun is one Simulate call's state.
type simRun struct {
	m       *DrugModel
	p       *Patient
	ctl     Controller
	sched   *Schedule
	sim     *simulator
	rng     *pkpd.RNG
	levels  []*apd.Decimal
	lv      []float64
	levelOf []*apd.Decimal // the model level (LevelUnit) of each patient level
	every   int
	out     *Simulation
	doses   []*apd.Decimal
	ep      *Endpoints
}

// Simulate runs one virtual patient under a regimen. Invalid input (unknown
// model, out-of-range covariates, days beyond MaxDays, a dose not in the
// model's levels, an output grid that does not divide 24 h) gives an error
// naming the field and wrapping errs.Invalid (errs.NotFound for an
// unknown model).
func Simulate(ctx context.Context, in SimulationInput) (*Simulation, error) {
	r, err := newSimRun(in, nil)
	if err != nil {
		return nil, err
	}
	for day := 0; day < in.Days; day++ {
		if day%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := r.step(day); err != nil {
			return nil, err
		}
	}
	return r.finish(in.Days)
}

// newSimRun validates in and prepares a run; shared, when not nil, is the
// patient's place in a population's batch (else the run owns a batch of
// one).
func newSimRun(in SimulationInput, shared *simulator) (*simRun, error) {
	m, err := Model(in.Model)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if in.Days < 1 || in.Days > MaxDays {
		return nil, fmt.Errorf("days must be within 1–%d: %w", MaxDays, errs.Invalid)
	}
	every := in.SampleEveryHours
	if every == 0 {
		every = 24
	}
	if every < 1 || 24%every != 0 {
		return nil, fmt.Errorf("sampleEveryHours must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24): %w", errs.Invalid)
	}
	if err := in.Patient.Validate(); err != nil {
		return nil, err
	}
	pol, err := regimenPolicy(m, in.Regimen)
	if err != nil {
		return nil, err
	}
	sched, err := NewSchedule(m, in.Monitoring)
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
	sim := shared
	if sim == nil {
		sim, err = newSimulator(m, p, in.Variability, rng)
	} else {
		err = sim.setPatient(m, p, rng)
	}
	if err != nil {
		return nil, err
	}
	r := &simRun{m: m, p: p, ctl: ctl, sched: sched, sim: sim, rng: rng, levels: levels, lv: levelFloats(levels), every: every,
		out: &Simulation{Model: m.ID, Monitoring: sched.Kind(), Points: make([]SimPoint, 0, in.Days*24/every+1)}}
	r.levelOf = levels
	if m.LevelUnit != m.DoseUnit {
		r.levelOf = make([]*apd.Decimal, len(levels))
		for i, mg := range r.lv {
			r.levelOf[i], _ = m.MgToLevel(p, mg)
		}
	}
	if m.ID == DocetaxelFriberg {
		r.ep = &Endpoints{NadirANC: sim.value(), DeliveredPerM2: new(apd.Decimal)}
	}
	return r, nil
}

// step measures (on visit days), asks the controller, doses and advances
// one day.
func (r *simRun) step(day int) error {
	if err := r.decide(day); err != nil {
		return err
	}
	r.advanceDay(float64(24 * day))
	return nil
}

// decide measures (on visit days), asks the controller and doses.
func (r *simRun) decide(day int) error {
	hour := float64(24 * day)
	var obs *Observation
	if r.sched.IsVisit(day) {
		o := Observation{Hour: hour, Value: r.sim.observe(r.rng)}
		if len(r.doses) > 0 {
			o.Dose = r.doses[len(r.doses)-1]
		}
		r.out.Observations = append(r.out.Observations, o)
		obs = &r.out.Observations[len(r.out.Observations)-1]
	}
	dec, err := r.ctl.Decide(day, obs)
	if err != nil {
		return err
	}
	if obs != nil {
		r.out.Decisions++
	}
	if dec.Guardrail != "" {
		r.out.GuardrailBound++
	}
	if obs != nil {
		r.sched.Visited(day, obs.Value, dec.NextCheckHours)
	}
	i := sort.SearchFloat64s(r.lv, dec.Dose-1e-9)
	if i == len(r.lv) || math.Abs(r.lv[i]-dec.Dose) > 1e-9 {
		return fmt.Errorf("regimen: dose %g %s on day %d is not one of the model's dose levels: %w", dec.Dose, r.m.DoseUnit, day, errs.Invalid)
	}
	if dec.Dose > 0 {
		amt := r.levels[i]
		level := r.levelOf[i]
		r.doses = append(r.doses, amt)
		r.out.Doses = append(r.out.Doses, DoseEvent{Hour: hour, Amount: amt, Level: level, Rationale: dec.Rationale})
		r.sim.dose(dec.Dose, r.m.InfusionHours)
		if r.ep != nil && level != nil {
			if _, err := decCtx.Add(r.ep.DeliveredPerM2, r.ep.DeliveredPerM2, level); err != nil {
				return fmt.Errorf("dose sum: %w", err)
			}
		}
	}
	return nil
}

// advanceDay records the output grid over the day starting at hour and
// integrates to its end; docetaxel's nadir is tracked hourly.
func (r *simRun) advanceDay(hour float64) {
	if r.ep == nil && r.every == 24 {
		r.out.Points = append(r.out.Points, SimPoint{Hour: hour, Observable: r.sim.value(), Concentration: r.sim.conc()})
		r.sim.advanceHours(24)
		return
	}
	for h := 0; h < 24; h++ {
		if h%r.every == 0 {
			r.out.Points = append(r.out.Points, SimPoint{Hour: hour + float64(h), Observable: r.sim.value(), Concentration: r.sim.conc()})
		}
		r.sim.advanceHours(1)
		if r.ep != nil {
			if v := r.sim.value(); v < r.ep.NadirANC {
				r.ep.NadirANC, r.ep.NadirDay = v, (hour+float64(h)+1)/24
			}
		}
	}
}

func (r *simRun) finish(days int) (*Simulation, error) {
	out := r.out
	out.Points = append(out.Points, SimPoint{Hour: float64(24 * days), Observable: r.sim.value(), Concentration: r.sim.conc()})
	hours, vals := make([]float64, len(out.Points)), make([]float64, len(out.Points))
	for i, pt := range out.Points {
		hours[i], vals[i] = pt.Hour, pt.Observable
	}
	out.TimeInRange, out.TimeAbove, out.TimeBelow = Rosendaal(hours, vals, r.m.TargetLow, r.m.TargetHigh)
	var err error
	if out.TotalDose, err = SumDoses(r.doses); err != nil {
		return nil, err
	}
	tot, _ := out.TotalDose.Float64()
	out.MeanDailyDose = tot / float64(days)
	if ep := r.ep; ep != nil {
		ep.Grade3, ep.Grade4 = ep.NadirANC < 1000, ep.NadirANC < 500
		cycles := int64((days + 20) / 21)
		ep.PlannedPerM2 = apd.New(PlannedPerM2Cycle*cycles, 0)
		d, _ := ep.DeliveredPerM2.Float64()
		ep.RelativeDoseIntensity = d / float64(PlannedPerM2Cycle*cycles)
		out.Endpoints = ep
	}
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
		return nil, fmt.Errorf("regimen: give exactly one of method, policyId, fixedDose: %w", errs.Invalid)
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

// simulator is one patient (index i) of a pkpd batch of either model; a
// single simulation owns a batch of one, a population simulation shares
// one batch among all its patients.
type simulator struct {
	w     *pkpd.WarfarinBatch
	d     *pkpd.DocetaxelBatch
	i     int
	noisy bool
}

// newBatch allocates the batch for n patients of model m.
func newBatch(m *DrugModel, n int) (*pkpd.WarfarinBatch, *pkpd.DocetaxelBatch, error) {
	switch m.ID {
	case WarfarinHamberg:
		w, err := pkpd.NewWarfarinBatch(pkpd.WarfarinConfig{Patients: n})
		return w, nil, err
	case DocetaxelFriberg:
		d, err := pkpd.NewDocetaxelBatch(pkpd.DocetaxelConfig{Patients: n})
		return nil, d, err
	}
	return nil, nil, fmt.Errorf("model %q has no simulator: %w", m.ID, errs.NotImplemented)
}

func newSimulator(m *DrugModel, p *Patient, variability bool, rng *pkpd.RNG) (*simulator, error) {
	w, d, err := newBatch(m, 1)
	if err != nil {
		return nil, err
	}
	s := &simulator{w: w, d: d, noisy: variability}
	return s, s.setPatient(m, p, rng)
}

// setPatient draws (or takes the typical) parameters of p into the batch.
func (s *simulator) setPatient(m *DrugModel, p *Patient, rng *pkpd.RNG) error {
	if s.w != nil {
		cov, _, _, err := p.WarfarinCovariates()
		if err != nil {
			return err
		}
		var wp pkpd.WarfarinParams
		if s.noisy {
			wp, err = pkpd.SampleWarfarin(cov, rng)
		} else {
			wp, err = pkpd.TypicalWarfarin(cov)
		}
		if err != nil {
			return fmt.Errorf("patient: %w", err)
		}
		return s.w.SetPatient(s.i, wp)
	}
	dp := pkpd.TypicalDocetaxel()
	if s.noisy {
		dp = pkpd.SampleDocetaxel(rng)
	}
	return s.d.SetPatient(s.i, dp)
}

func (s *simulator) value() float64 {
	if s.w != nil {
		return s.w.INR(s.i)
	}
	return s.d.ANC(s.i)
}

func (s *simulator) conc() float64 {
	if s.w != nil {
		return s.w.Conc(s.i)
	}
	return s.d.Conc(s.i)
}

func (s *simulator) observe(rng *pkpd.RNG) float64 {
	if !s.noisy {
		return s.value()
	}
	if s.w != nil {
		return s.w.Observe(s.i, rng)
	}
	return s.d.Observe(s.i, rng)
}

func (s *simulator) dose(mg, infusionHours float64) {
	if s.w != nil {
		s.w.Dose(s.i, mg)
		return
	}
	_ = s.d.Infuse(s.i, mg, infusionHours) // amounts and durations are validated above
}

// advanceHours integrates this patient's batch of one by hours (1–24;
// warfarin's steps per day are a multiple of 24).
func (s *simulator) advanceHours(hours int) {
	if s.w != nil {
		s.w.AdvanceAll(s.w.StepsPerDay() / 24 * hours)
		return
	}
	s.d.AdvanceAll(hours)
}
