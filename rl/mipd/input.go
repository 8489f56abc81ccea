package mipd

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/errs"
)

// Default budgets of an Estimator (Config fields left zero take these).
const (
	DefaultMaxDoses        = 1000
	DefaultMaxObservations = 200
	DefaultMaxHistoryDays  = 730
	DefaultMaxHorizonDays  = 180
	DefaultMaxSamples      = 5000
	DefaultSIRSamples      = 1000
	DefaultDraws           = 200
	// DefaultMaxWork bounds the simulated patient-hours of one call
	// (draws × candidates × simulated hours): about 10 s of docetaxel.
	DefaultMaxWork = 40_000_000
)

// Config configures an Estimator. Zero fields take the defaults above.
type Config struct {
	// WarfarinStepsPerDay is the warfarin integration grid (must divide
	// 1440; 24 = 1-h steps, within 0.12 % of the converged INR). Dose and
	// observation hours are rounded to this grid.
	WarfarinStepsPerDay int
	// DocetaxelFineStepsPerHour is docetaxel's RK4 step while drug is
	// present (default 16). Docetaxel hours are rounded to whole hours.
	DocetaxelFineStepsPerHour int
	// MaxDoses, MaxObservations, MaxHistoryDays and MaxHorizonDays bound an
	// input; MaxSamples bounds SIR proposals and forecast draws; MaxWork
	// bounds draws × candidates × simulated hours of a forecast or a dose
	// search, and SIR proposals × history hours of an individualization.
	// Inputs above a bound answer a LimitError.
	MaxDoses, MaxObservations, MaxHistoryDays, MaxHorizonDays, MaxSamples int
	MaxWork                                                               int64
	// SIRSamples is the default number of SIR proposals (1000).
	SIRSamples int
	// Draws is the default number of posterior draws of a forecast or dose
	// search (200).
	Draws int
	// MaxIterations bounds the quasi-Newton iterations (default 200).
	MaxIterations int
	// Workers is the number of goroutines one call simulates batches on
	// (gradients, Hessian, SIR, forecast draws); default 1.
	Workers int
}

func (c Config) withDefaults() (Config, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.WarfarinStepsPerDay, 24)
	def(&c.DocetaxelFineStepsPerHour, 16)
	def(&c.MaxDoses, DefaultMaxDoses)
	def(&c.MaxObservations, DefaultMaxObservations)
	def(&c.MaxHistoryDays, DefaultMaxHistoryDays)
	def(&c.MaxHorizonDays, DefaultMaxHorizonDays)
	def(&c.MaxSamples, DefaultMaxSamples)
	def(&c.SIRSamples, DefaultSIRSamples)
	def(&c.Draws, DefaultDraws)
	def(&c.MaxIterations, 200)
	def(&c.Workers, 1)
	if c.MaxWork == 0 {
		c.MaxWork = DefaultMaxWork
	}
	if c.WarfarinStepsPerDay < 1 || 1440%c.WarfarinStepsPerDay != 0 || c.WarfarinStepsPerDay%24 != 0 {
		return c, fmt.Errorf("config.warfarinStepsPerDay must be a multiple of 24 dividing 1440: %w", errs.Invalid)
	}
	for _, v := range []int{c.DocetaxelFineStepsPerHour, c.MaxDoses, c.MaxObservations, c.MaxHistoryDays,
		c.MaxHorizonDays, c.MaxSamples, c.SIRSamples, c.Draws, c.MaxIterations, c.Workers} {
		if v < 1 {
			return c, fmt.Errorf("config: budgets and steps must be positive: %w", errs.Invalid)
		}
	}
	if c.Workers > 64 {
		return c, fmt.Errorf("config.workers must be within 1–64: %w", errs.Invalid)
	}
	if c.MaxWork < 1 {
		return c, fmt.Errorf("config.maxWork must be positive: %w", errs.Invalid)
	}
	return c, nil
}

// LimitError is an input over one of the Estimator's budgets. It names the
// field and the limit, answers with the code LIMIT_EXCEEDED and wraps
// errs.Invalid.
type LimitError struct {
	// Field is the input that is over, e.g. "observations".
	Field string
	// Limit is the largest value allowed.
	Limit int64
	// Unit says what Limit counts, e.g. "observations".
	Unit string
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s is over the budget: at most %d %s: %v", e.Field, e.Limit, e.Unit, errs.Invalid)
}

// Code implements errs.Coder.
func (e *LimitError) Code() string { return "LIMIT_EXCEEDED" }

// Unwrap makes the error an input error (errors.Is(err, errs.Invalid)).
func (e *LimitError) Unwrap() error { return errs.Invalid }

// Dose is one administered dose of the history or of a regimen.
type Dose struct {
	// Hour is the time of the dose (h) on the caller's clock (≥ 0).
	Hour float64
	// Amount is the administered amount in Unit.
	Amount float64
	// Unit is "mg" (the default) or, for docetaxel, "mg/m2" (converted with
	// the patient's body-surface area).
	Unit string
}

// Observation is one measurement of the model's observable.
type Observation struct {
	// Hour is the sampling time (h) on the doses' clock. A sample at the
	// hour of a dose is taken before that dose (a trough).
	Hour float64
	// Value is the measurement in Unit; ignored when BelowLOQ.
	Value float64
	// Unit is the model's unit when empty: INR ("" or "INR"); ANC in
	// cells/µL ("cells/uL", "/uL", "/mm3") or 10⁹/L ("10^9/L", "G/L").
	Unit string
	// BelowLOQ marks a result reported as below the assay's limit of
	// quantification (censored, M3). ANC values under ANCLowerLOQ are
	// censored even without the flag.
	BelowLOQ bool
}

// Input is one patient's record: the model, covariates, the dose history
// and the measurements.
type Input struct {
	// Model is a dosing model id (dosing.WarfarinHamberg,
	// dosing.DocetaxelFriberg).
	Model string
	// Patient holds the covariates (warfarin: age, CYP2C9, VKORC1;
	// docetaxel: weight and height for mg/m² doses).
	Patient dosing.Patient
	// Doses is the dose history (at least one, in any order).
	Doses []Dose
	// Observations are the measurements (at least one, none before the
	// first dose).
	Observations []Observation
	// SIRSamples is the number of SIR proposals (0: the Config default);
	// SkipSIR answers with the Laplace approximation only.
	SIRSamples int
	SkipSIR    bool
	// Seed drives SIR and posterior draws (deterministic for a seed).
	Seed uint64
}

// maxSingleDose is the largest administered amount (mg) one dose may have.
var maxSingleDose = map[string]float64{dosing.WarfarinHamberg: 100, dosing.DocetaxelFriberg: 1000}

// obsRange is the plausible range of a measurement in the model's unit.
var obsRange = map[string][2]float64{dosing.WarfarinHamberg: {0.5, 25}, dosing.DocetaxelFriberg: {0, 100000}}

// obsDatum is one observation as the likelihood uses it.
type obsDatum struct {
	step     int     // grid index relative to the first dose
	logY     float64 // log of the value (log LOQ when censored)
	censored bool
	value    float64 // in the model's unit (LOQ when censored)
	hour     float64 // as given
}

// record is a validated input on the model grid.
type record struct {
	m       *model
	p       *dosing.Patient
	t0      float64 // hour of the first dose (grid origin)
	doses   []gridDose
	obs     []obsDatum
	lastDay int // history length in days
	warn    []string
}

type gridDose struct {
	step int
	mg   float64
	hour float64
}

// doseMg converts a dose amount to mg; the error names field.
func doseMg(m *model, p *dosing.Patient, field string, d Dose) (float64, error) {
	if math.IsNaN(d.Amount) || math.IsInf(d.Amount, 0) || d.Amount < 0 {
		return 0, fmt.Errorf("%s.amount: must be a finite, non-negative amount: %w", field, errs.Invalid)
	}
	mg := d.Amount
	switch strings.ToLower(strings.ReplaceAll(d.Unit, " ", "")) {
	case "", "mg":
	case "mg/m2", "mg/m²":
		if m.desc.LevelUnit != "mg/m2" {
			return 0, fmt.Errorf("%s.unit: mg/m2 is not a unit of %s doses (mg): %w", field, m.desc.ID, errs.Invalid)
		}
		bsa, err := p.BSA()
		if err != nil {
			return 0, fmt.Errorf("%s.unit: %w", field, err)
		}
		mg = math.Round(d.Amount * bsa)
	default:
		return 0, fmt.Errorf("%s.unit: unknown unit (use mg%s): %w", field, map[bool]string{true: " or mg/m2"}[m.desc.LevelUnit == "mg/m2"], errs.Invalid)
	}
	if mg > maxSingleDose[m.desc.ID] {
		return 0, fmt.Errorf("%s.amount: above the largest single dose the model accepts (%g mg): %w", field, maxSingleDose[m.desc.ID], errs.Invalid)
	}
	return mg, nil
}

// obsScale returns the factor converting unit to the model's unit.
func obsScale(m *model, unit string) (float64, bool) {
	u := strings.ToLower(strings.ReplaceAll(unit, " ", ""))
	if m.warf != nil {
		return 1, u == "" || u == "inr" || u == "ratio"
	}
	switch u {
	case "", "cells/ul", "cells/µl", "/ul", "/µl", "/mm3", "cells/mm3":
		return 1, true
	case "10^9/l", "x10^9/l", "×10^9/l", "g/l", "10e9/l":
		return 1000, true
	}
	return 0, false
}

// maxHour is the latest hour a dose, observation or schedule may have on
// the caller's clock (about 114,000 years): later hours would overflow the
// integration grid's step index and slip past the history budget.
const maxHour = 1e9

func checkHour(field string, h float64) error {
	if math.IsNaN(h) || math.IsInf(h, 0) {
		return fmt.Errorf("%s: must be a finite number of hours: %w", field, errs.Invalid)
	}
	if h < 0 {
		return fmt.Errorf("%s: must not be negative: %w", field, errs.Invalid)
	}
	if h > maxHour {
		return fmt.Errorf("%s: must be at most %g hours: %w", field, float64(maxHour), errs.Invalid)
	}
	return nil
}

// prepare validates in against the budgets (before any simulation) and
// puts it on the model's grid.
func (e *Estimator) prepare(in *Input) (*record, error) {
	if len(in.Doses) > e.cfg.MaxDoses {
		return nil, &LimitError{Field: "doses", Limit: int64(e.cfg.MaxDoses), Unit: "doses"}
	}
	if len(in.Observations) > e.cfg.MaxObservations {
		return nil, &LimitError{Field: "observations", Limit: int64(e.cfg.MaxObservations), Unit: "observations"}
	}
	if in.SIRSamples < 0 {
		return nil, fmt.Errorf("sirSamples: must not be negative: %w", errs.Invalid)
	}
	if in.SIRSamples > e.cfg.MaxSamples {
		return nil, &LimitError{Field: "sirSamples", Limit: int64(e.cfg.MaxSamples), Unit: "samples"}
	}
	if len(in.Doses) == 0 {
		return nil, fmt.Errorf("doses: at least one dose is required: %w", errs.Invalid)
	}
	if len(in.Observations) == 0 {
		return nil, fmt.Errorf("observations: at least one observation is required: %w", errs.Invalid)
	}
	p := in.Patient
	m, warn, err := newModel(e.cfg, in.Model, &p)
	if err != nil {
		return nil, err
	}
	r := &record{m: m, p: &p, warn: warn, t0: math.Inf(1)}
	if err := r.addDoses(in.Doses, "doses"); err != nil {
		return nil, err
	}
	if err := r.addObservations(in.Observations); err != nil {
		return nil, err
	}
	last := r.doses[len(r.doses)-1].step
	for _, o := range r.obs {
		last = max(last, o.step)
	}
	if span := float64(last) * m.grid; span > float64(e.cfg.MaxHistoryDays)*24 {
		return nil, &LimitError{Field: "doses/observations", Limit: int64(e.cfg.MaxHistoryDays), Unit: "days of history"}
	}
	if !in.SkipSIR {
		n := in.SIRSamples
		if n == 0 {
			n = e.cfg.SIRSamples
		}
		// Every SIR proposal simulates the whole history.
		if work := int64(n) * int64(math.Ceil(float64(last)*m.grid)); work > e.cfg.MaxWork {
			return nil, &LimitError{Field: "sirSamples × history", Limit: e.cfg.MaxWork, Unit: "simulated patient-hours"}
		}
	}
	r.lastDay = int(math.Ceil(float64(last) * m.grid / 24))
	if len(r.obs) == 1 {
		r.warn = append(r.warn, "one observation only: the estimate is shrunk toward the population (posterior close to the prior for most parameters)")
	}
	return r, nil
}

// addDoses validates the history doses and puts them on the grid.
func (r *record) addDoses(ds []Dose, name string) error {
	type ix struct {
		i  int
		mg float64
	}
	list := make([]ix, 0, len(ds))
	for i, d := range ds {
		field := fmt.Sprintf("%s[%d]", name, i)
		if err := checkHour(field+".hour", d.Hour); err != nil {
			return err
		}
		mg, err := doseMg(r.m, r.p, field, d)
		if err != nil {
			return err
		}
		list = append(list, ix{i, mg})
		r.t0 = math.Min(r.t0, d.Hour)
	}
	sort.SliceStable(list, func(a, b int) bool { return ds[list[a].i].Hour < ds[list[b].i].Hour })
	rounded := false
	for k, x := range list {
		st, exact := r.step(ds[x.i].Hour)
		rounded = rounded || !exact
		if k > 0 && r.m.infus > 0 && float64(st-r.doses[k-1].step)*r.m.grid < r.m.infus {
			return fmt.Errorf("%s[%d].hour: overlaps the %g-h infusion of %s[%d]: %w", name, x.i, r.m.infus, name, list[k-1].i, errs.Invalid)
		}
		r.doses = append(r.doses, gridDose{step: st, mg: x.mg, hour: ds[x.i].Hour})
	}
	if rounded {
		r.warn = append(r.warn, fmt.Sprintf("%s: hours were rounded to the model's %g-h integration grid", name, r.m.grid))
	}
	return nil
}

// step returns the grid index of hour (relative to the first dose) and
// whether hour was on the grid.
func (r *record) step(hour float64) (int, bool) {
	x := (hour - r.t0) / r.m.grid
	s := math.Round(x)
	return int(s), math.Abs(x-s) < 1e-9
}

func (r *record) addObservations(os []Observation) error {
	m := r.m
	rng := obsRange[m.desc.ID]
	rounded := false
	for i, o := range os {
		field := fmt.Sprintf("observations[%d]", i)
		if err := checkHour(field+".hour", o.Hour); err != nil {
			return err
		}
		if o.Hour < r.t0 {
			return fmt.Errorf("%s.hour: before the first dose: %w", field, errs.Invalid)
		}
		scale, ok := obsScale(m, o.Unit)
		if !ok {
			return fmt.Errorf("%s.unit: unknown unit for %s: %w", field, m.desc.Observable, errs.Invalid)
		}
		d := obsDatum{hour: o.Hour}
		var exact bool
		d.step, exact = r.step(o.Hour)
		rounded = rounded || !exact
		v := o.Value * scale
		switch {
		case o.BelowLOQ && m.loq == 0:
			return fmt.Errorf("%s.belowLoq: the %s assay has no lower limit of quantification in this model: %w", field, m.desc.Observable, errs.Invalid)
		case o.BelowLOQ || (m.loq > 0 && v >= 0 && v < m.loq && !math.IsNaN(v)):
			d.censored, d.value, d.logY = true, m.loq, math.Log(m.loq)
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("%s.value: must be a finite number: %w", field, errs.Invalid)
		case v < 0:
			return fmt.Errorf("%s.value: must not be negative: %w", field, errs.Invalid)
		case v < rng[0] || v > rng[1] || v == 0:
			return fmt.Errorf("%s.value: outside the plausible %s range (%g–%g): %w", field, m.desc.Observable, math.Max(rng[0], 0), rng[1], errs.Invalid)
		default:
			d.value, d.logY = v, math.Log(v)
		}
		r.obs = append(r.obs, d)
	}
	if rounded {
		r.warn = append(r.warn, fmt.Sprintf("observations: hours were rounded to the model's %g-h integration grid", m.grid))
	}
	nc := 0
	for _, d := range r.obs {
		if d.censored {
			nc++
		}
	}
	if nc > 0 {
		r.warn = append(r.warn, fmt.Sprintf("%d observation(s) below the %s assay's limit of quantification (%g) enter as censored (M3)", nc, m.desc.Observable, m.loq))
	}
	return nil
}
