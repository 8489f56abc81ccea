package dosing

import (
	"fmt"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/rxlab/rxlab/store/errs"
)

// Observation is one measurement of the model's observable, optionally with
// the dose the patient was taking then.
type Observation struct {
	Hour  float64
	Value float64
	Dose  *apd.Decimal
}

// Decision is a controller's answer for one day.
type Decision struct {
	// Dose is the amount to give now, in the model's DoseUnit; it must be
	// one of the patient's dose levels.
	Dose float64
	// NextCheckHours is the time until the next measurement; the simulator
	// reads it on days with a measurement.
	NextCheckHours float64
	// Rationale explains the decision in a clinician's words.
	Rationale string
	// Guardrail says why a guardrail lowered the policy's raw choice
	// (empty when it did not).
	Guardrail string
}

// Controller doses one patient. Decide is called once per day, in order,
// at hour 24·day; obs is the measurement taken just before (nil on days
// without one).
type Controller interface {
	Decide(day int, obs *Observation) (Decision, error)
}

// Policy creates a Controller per patient. Baseline methods and trained RL
// policies both implement it.
type Policy interface {
	NewController(m *DrugModel, p *Patient) (Controller, error)
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(m *DrugModel, p *Patient) (Controller, error)

// NewController calls f.
func (f PolicyFunc) NewController(m *DrugModel, p *Patient) (Controller, error) { return f(m, p) }

// ControllerFunc adapts a function to Controller.
type ControllerFunc func(day int, obs *Observation) (Decision, error)

// Decide calls f.
func (f ControllerFunc) Decide(day int, obs *Observation) (Decision, error) { return f(day, obs) }

// Method returns the named baseline of the model; unknown names give an
// error naming field and wrapping errs.Invalid.
func Method(m *DrugModel, field, name string) (Policy, error) {
	if !m.HasBaseline(name) {
		return nil, fmt.Errorf("%s: %q is not a baseline of %s (%v): %w", field, name, m.ID, m.Baselines, errs.Invalid)
	}
	switch m.ID + "/" + name {
	case WarfarinHamberg + "/" + MethodFixed:
		return PolicyFunc(func(*DrugModel, *Patient) (Controller, error) {
			return ControllerFunc(func(_ int, obs *Observation) (Decision, error) {
				why := "fixed 5 mg/day (35 mg/week), no titration"
				if obs != nil {
					why = fmt.Sprintf("fixed 5 mg/day (35 mg/week): this method does not titrate, so the INR of %.1f does not change the dose", obs.Value)
				}
				return Decision{Dose: 5, NextCheckHours: 7 * 24, Rationale: why}, nil
			}), nil
		}), nil
	case WarfarinHamberg + "/" + MethodIWPCClinical:
		return iwpcTitration(false), nil
	case WarfarinHamberg + "/" + MethodIWPCPGx:
		return iwpcTitration(true), nil
	case WarfarinHamberg + "/" + MethodAurora:
		return PolicyFunc(func(m *DrugModel, p *Patient) (Controller, error) {
			if !(p.Age > 0) {
				return nil, fmt.Errorf("patient.age is required by the aurora nomogram: %w", errs.Invalid)
			}
			init := 5.0
			if p.Age < 65 {
				init = 10
			}
			return newAurora(m, init, "initiation (Aurora age rule)", true), nil
		}), nil
	case WarfarinHamberg + "/" + MethodIntermountain:
		return PolicyFunc(newIntermountain), nil
	case DocetaxelFriberg + "/" + MethodFixed:
		return PolicyFunc(func(m *DrugModel, p *Patient) (Controller, error) { return newDocetaxelQ3W(m, p, false) }), nil
	case DocetaxelFriberg + "/" + MethodReduceGrade4:
		return PolicyFunc(func(m *DrugModel, p *Patient) (Controller, error) { return newDocetaxelQ3W(m, p, true) }), nil
	}
	return nil, fmt.Errorf("%s: %q has no implementation for %s: %w", field, name, m.ID, errs.NotImplemented)
}

// iwpcTitration starts at the IWPC 2009 clinical or pharmacogenetic dose
// (weekly dose / 7, nearest level, at least 0.5 mg) and titrates with the
// Aurora table from the day-3 INR on, as the genotype-guided protocols of
// Ravvaz 2017 do (IWPC initiation, clinic nomogram for maintenance).
func iwpcTitration(pgx bool) Policy {
	return PolicyFunc(func(m *DrugModel, p *Patient) (Controller, error) {
		in, err := IWPCInputOf(p)
		if err != nil {
			return nil, err
		}
		w, why := IWPCClinical(in), "IWPC clinical"
		if pgx {
			w, why = IWPCPharmacogenetic(in), "IWPC pharmacogenetic"
			if !in.CYP2C9Known || !in.VKORC1Known {
				why += " (genotype-unknown terms)"
			}
		}
		lv := levelFloats(m.DoseLevels)
		d := lv[max(1, nearestLevel(lv, w/7))]
		return newAurora(m, d, fmt.Sprintf("%s initiation %.1f mg/week", why, w), false), nil
	})
}

// FixedDosePolicy gives dose every intervalHours (a positive multiple of 24)
// starting at hour 0; dose is in the model's LevelUnit (mg/m² for
// docetaxel) and must be one of its DoseLevels.
func FixedDosePolicy(dose *apd.Decimal, intervalHours float64) Policy {
	return PolicyFunc(func(m *DrugModel, p *Patient) (Controller, error) {
		amount, err := m.LevelToMg("regimen.fixedDose", p, dose)
		if err != nil {
			return nil, err
		}
		if !(intervalHours >= 24) || intervalHours > MaxDays*24 || math.Mod(intervalHours, 24) != 0 {
			return nil, fmt.Errorf("regimen.intervalHours must be a positive multiple of 24: %w", errs.Invalid)
		}
		every := int(intervalHours / 24)
		mg, _ := amount.Float64()
		why := fmt.Sprintf("fixed %s %s every %g h", dose.Text('f'), m.LevelUnit, intervalHours)
		if m.LevelUnit != m.DoseUnit {
			why = fmt.Sprintf("fixed %s %s (%s %s for this patient) every %g h", dose.Text('f'), m.LevelUnit, amount.Text('f'), m.DoseUnit, intervalHours)
		}
		return ControllerFunc(func(day int, _ *Observation) (Decision, error) {
			d := 0.0
			if day%every == 0 {
				d = mg
			}
			return Decision{Dose: d, NextCheckHours: 7 * 24, Rationale: why}, nil
		}), nil
	})
}

// aurora is the Aurora anticoagulation-clinic nomogram as simulated by
// Ravvaz 2017 (dosing notes §1.3): 10 mg/day (age < 65) or 5 mg/day for days
// 0–2; INR on day 3 (≥ 2 → 5 mg/day, else the table); afterwards the dosing
// table scales the dose by INR band, INR 4–5 skips two doses, INR > 5 holds
// until INR ≤ 3 (re-test every 2 days) and then lowers the dose by 15 %, and
// the re-test interval grows with consecutive stable days (1, 5, 7, 14, 28).
type aurora struct {
	lv        []float64
	initWhy   string
	fiveRule  bool // day-3 INR ≥ 2 → 5 mg/day (Aurora initiation)
	dose      float64
	stable    int
	lastCheck int
	lastINR   float64
	lastDose  float64
	skip      int
	redFlag   bool
	nextDay   int
}

func newAurora(m *DrugModel, init float64, why string, fiveRule bool) *aurora {
	return &aurora{lv: levelFloats(m.DoseLevels), dose: init, initWhy: why, fiveRule: fiveRule, lastINR: math.NaN(), lastCheck: -1, nextDay: 3}
}

// adjust scales the dose by factor on the level grid, moving at least one
// level in the direction of the change.
func (a *aurora) adjust(factor float64) float64 {
	i := nearestLevel(a.lv, a.dose*factor)
	cur := nearestLevel(a.lv, a.dose)
	if factor > 1 && i <= cur {
		i = min(cur+1, len(a.lv)-1)
	}
	if factor < 1 && i >= cur {
		i = max(cur-1, 1)
	}
	return a.lv[i]
}

// Decide implements Controller; between measurements it reports the time
// left until the scheduled one.
func (a *aurora) Decide(day int, obs *Observation) (Decision, error) {
	dec, err := a.decide(day, obs)
	if err != nil {
		return dec, err
	}
	if obs != nil {
		a.nextDay = day + max(1, int(math.Round(dec.NextCheckHours/24)))
	} else {
		dec.NextCheckHours = float64(max(0, a.nextDay-day)) * 24
	}
	return dec, nil
}

func (a *aurora) decide(day int, obs *Observation) (Decision, error) {
	if obs != nil && obs.Dose != nil {
		if d, err := obs.Dose.Float64(); err == nil && d > 0 {
			a.dose = d
		}
	}
	if obs == nil {
		switch {
		case a.redFlag:
			return Decision{Dose: 0, Rationale: "holding: INR was above 5"}, nil
		case a.skip > 0:
			a.skip--
			return Decision{Dose: 0, Rationale: "skipping dose after INR 4–5"}, nil
		}
		if day < 3 {
			return Decision{Dose: a.dose, Rationale: fmt.Sprintf("%s: %s mg/day; INR on day 3", a.initWhy, decimalOf(a.dose))}, nil
		}
		return Decision{Dose: a.dose, Rationale: fmt.Sprintf("continue %s mg/day", decimalOf(a.dose))}, nil
	}
	inr := obs.Value
	prevINR, interval := a.lastINR, day-a.lastCheck
	doseChanged := a.dose != a.lastDose
	a.lastINR, a.lastCheck = inr, day
	defer func() { a.lastDose = a.dose }()
	switch {
	case day == 0:
		return Decision{Dose: a.dose, NextCheckHours: 3 * 24,
			Rationale: fmt.Sprintf("%s: %s mg/day; INR on day 3", a.initWhy, decimalOf(a.dose))}, nil
	case day < 3 && inr <= 3:
		return Decision{Dose: a.dose, NextCheckHours: float64(3-day) * 24,
			Rationale: fmt.Sprintf("INR %.1f on day %d, not above 3 during initiation: %s mg/day; INR on day 3", inr, day, decimalOf(a.dose))}, nil
	case a.redFlag:
		if inr > 3 {
			return Decision{Dose: 0, NextCheckHours: 48, Rationale: fmt.Sprintf("INR %.1f still above 3: hold, re-test in 2 days", inr)}, nil
		}
		a.redFlag = false
		a.dose = a.adjust(0.85)
		return Decision{Dose: a.dose, NextCheckHours: 7 * 24, Rationale: fmt.Sprintf("INR %.1f back to ≤ 3: resume at %s mg/day (−15 %%)", inr, decimalOf(a.dose))}, nil
	case day < 5 && inr >= 2 && inr <= 3:
		a.stable = 1
		if a.fiveRule {
			a.dose = 5
		}
		return Decision{Dose: a.dose, NextCheckHours: 48, Rationale: fmt.Sprintf("INR %.1f in range after initiation: %s mg/day, re-test in 2 days", inr, decimalOf(a.dose))}, nil
	case inr >= 2 && inr <= 3:
		if prevINR >= 2 && prevINR <= 3 && !doseChanged {
			a.stable += interval
		} else {
			a.stable = 1
		}
		next := 1
		for _, s := range []int{2, 7, 14, 28} {
			if a.stable >= s {
				next = map[int]int{2: 5, 7: 7, 14: 14, 28: 28}[s]
			}
		}
		return Decision{Dose: a.dose, NextCheckHours: float64(next) * 24,
			Rationale: fmt.Sprintf("INR %.1f in range (%d stable days): keep %s mg/day, re-test in %d days", inr, a.stable, decimalOf(a.dose), next)}, nil
	}
	a.stable = 0
	var factor float64
	switch r := math.Round(inr*100) / 100; {
	case r < 1.5:
		factor = 1.15
	case r < 1.8:
		factor = 1.10
	case r < 2.0:
		factor = 1.075
	case r < 3.4:
		factor = 0.925
	case r < 4.0:
		factor = 0.90
	case r <= 5.0:
		a.dose = a.adjust(0.875)
		a.skip = 1 // this decision is the first skipped dose
		return Decision{Dose: 0, NextCheckHours: 7 * 24, Rationale: fmt.Sprintf("INR %.1f (4–5): skip 2 doses, then %s mg/day (−12.5 %%)", inr, decimalOf(a.dose))}, nil
	default:
		a.redFlag = true
		return Decision{Dose: 0, NextCheckHours: 48, Rationale: fmt.Sprintf("INR %.1f above 5: hold, re-test in 2 days", inr)}, nil
	}
	if day < 5 { // day-3 adjustment: re-test in 2 days
		a.dose = a.adjust(factor)
		return Decision{Dose: a.dose, NextCheckHours: 48, Rationale: fmt.Sprintf("INR %.1f after initiation: %s mg/day (×%.3g), re-test in 2 days", inr, decimalOf(a.dose), factor)}, nil
	}
	a.dose = a.adjust(factor)
	return Decision{Dose: a.dose, NextCheckHours: 7 * 24, Rationale: fmt.Sprintf("INR %.1f out of range: %s mg/day (×%.3g), re-test in 7 days", inr, decimalOf(a.dose), factor)}, nil
}

// docetaxelQ3W gives 75 mg/m² every 21 days (rounded to 1 mg of the
// patient's BSA), with ANC checks on days 7, 14 and 21 of each cycle. With
// reduce set it lowers the per-m² level by 25 % (to the 5 mg/m² grid, down)
// after any cycle with grade-4 neutropenia (ANC < 500), and delays a cycle by
// a week while the pre-cycle ANC is below 1,500.
type docetaxelQ3W struct {
	reduce   bool
	bsa      float64
	perM2    float64
	nextDose int
	grade4   bool
	lastANC  float64
}

func newDocetaxelQ3W(m *DrugModel, p *Patient, reduce bool) (Controller, error) {
	bsa, err := p.BSA()
	if err != nil {
		return nil, err
	}
	return &docetaxelQ3W{reduce: reduce, bsa: bsa, perM2: 75, lastANC: math.NaN()}, nil
}

// Decide implements Controller.
func (c *docetaxelQ3W) Decide(day int, obs *Observation) (Decision, error) {
	if obs != nil {
		c.lastANC = obs.Value
		if obs.Value < 500 {
			c.grade4 = true
		}
	}
	if day < c.nextDose {
		return Decision{Dose: 0, NextCheckHours: 7 * 24, Rationale: "between cycles: monitor ANC weekly"}, nil
	}
	note := ""
	if c.reduce {
		if day > 0 && c.lastANC < 1500 {
			c.nextDose = day + 7
			return Decision{Dose: 0, NextCheckHours: 7 * 24, Rationale: fmt.Sprintf("pre-cycle ANC %.0f < 1,500/µL: delay one week", c.lastANC)}, nil
		}
		if c.grade4 {
			c.perM2 = math.Max(5, math.Floor(c.perM2*0.75/5)*5)
			note = " (−25 % after grade-4 neutropenia)"
		}
	}
	c.grade4 = false
	c.nextDose = day + 21
	mg := math.Round(c.perM2 * c.bsa)
	return Decision{Dose: mg, NextCheckHours: 7 * 24,
		Rationale: fmt.Sprintf("docetaxel %g mg/m² × BSA %.2f m² = %.0f mg over 1 h%s; next cycle in 21 days", c.perM2, c.bsa, mg, note)}, nil
}
