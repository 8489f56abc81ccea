package dosing

import (
	"fmt"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/rxlab/rxlab/store/errs"
)

// Recommendation is the dose to give now (the API's DoseRecommendation).
type Recommendation struct {
	// Dose is in Unit, the model's LevelUnit (mg/m² for docetaxel).
	Dose *apd.Decimal
	Unit string
	// DoseMg is the administered amount in mg for this patient.
	DoseMg         *apd.Decimal
	NextCheckHours float64
	Rationale      string
	// Guardrail says why a guardrail bound the dose (empty when none did).
	Guardrail string
}

// Recommend answers "what dose today?" for a patient on day day (0 = first
// dose) with a named baseline method. The method's controller is replayed
// from day 0 over the history (the last observation in each day's 24 hours
// counts as that day's measurement). Errors name the offending field and wrap
// errs.Invalid.
func Recommend(modelID string, p *Patient, method string, history []Observation, day int) (*Recommendation, error) {
	m, err := Model(modelID)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if method == "" {
		return nil, fmt.Errorf("method is required (one of %v) unless a policy is given: %w", m.Baselines, errs.Invalid)
	}
	pol, err := Method(m, "method", method)
	if err != nil {
		return nil, err
	}
	return RecommendWith(m, pol, p, history, day)
}

// RecommendWith is Recommend for any Policy (for example a trained one).
func RecommendWith(m *DrugModel, pol Policy, p *Patient, history []Observation, day int) (*Recommendation, error) {
	if day < 0 || day > MaxDays {
		return nil, fmt.Errorf("day must be within 0–%d: %w", MaxDays, errs.Invalid)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	levels, err := m.PatientDoseLevels(p)
	if err != nil {
		return nil, err
	}
	history = append([]Observation(nil), history...) // doses are converted in place
	byDay := make(map[int]*Observation, len(history))
	for i := range history {
		o := &history[i]
		if math.IsNaN(o.Hour) || o.Hour < 0 || o.Hour > float64(24*day)+1e-9 {
			return nil, fmt.Errorf("history[%d].hour must be within 0–%d (day·24): %w", i, 24*day, errs.Invalid)
		}
		if math.IsNaN(o.Value) || math.IsInf(o.Value, 0) || o.Value < 0 {
			return nil, fmt.Errorf("history[%d].value must be a finite non-negative number: %w", i, errs.Invalid)
		}
		if o.Dose != nil {
			mg, err := m.LevelToMg(fmt.Sprintf("history[%d].dose", i), p, o.Dose)
			if err != nil {
				return nil, err
			}
			history[i].Dose = mg // controllers work in administered mg
		}
		d := int(math.Ceil(o.Hour/24 - 1e-9))
		if prev, ok := byDay[d]; !ok || prev.Hour <= o.Hour {
			byDay[d] = o
		}
	}
	ctl, err := pol.NewController(m, p.clone())
	if err != nil {
		return nil, err
	}
	var dec Decision
	for d := 0; d <= day; d++ {
		if dec, err = ctl.Decide(d, byDay[d]); err != nil {
			return nil, err
		}
	}
	lv := levelFloats(levels)
	i := nearestLevel(lv, dec.Dose)
	if math.Abs(lv[i]-dec.Dose) > 1e-9 {
		return nil, fmt.Errorf("policy returned a dose outside the model's levels: %w", errs.Invalid)
	}
	level, ok := m.MgToLevel(p, lv[i])
	if !ok {
		return nil, fmt.Errorf("policy returned a dose outside the model's levels: %w", errs.Invalid)
	}
	return &Recommendation{Dose: level, Unit: m.LevelUnit, DoseMg: levels[i], NextCheckHours: dec.NextCheckHours, Rationale: dec.Rationale, Guardrail: dec.Guardrail}, nil
}
