package graphql

import (
	"context"
	"fmt"
	"math"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
)

// Dosing serves drug models, simulation and dose recommendation.
type Dosing struct {
	// Policies resolves a trained policy id to a dosing policy; nil until
	// the RL service is wired, in which case policyId answers NOT_IMPLEMENTED.
	Policies func(ctx context.Context, id string) (dosing.Policy, error)
}

// virtualPatient mirrors the contract's VirtualPatientInput.
type virtualPatient struct {
	Age           *float64          `json:"age"`
	Sex           *string           `json:"sex"`
	WeightKg      *float64          `json:"weightKg"`
	HeightCm      *float64          `json:"heightCm"`
	Race          *string           `json:"race"`
	Genotypes     map[string]string `json:"genotypes"`
	CrClMlMin     *float64          `json:"crclMlMin"`
	Amiodarone    *bool             `json:"amiodarone"`
	EnzymeInducer *bool             `json:"enzymeInducer"`
}

func (v virtualPatient) patient(field string) (*dosing.Patient, error) {
	p := &dosing.Patient{Genotypes: v.Genotypes}
	f := func(x *float64) float64 {
		if x == nil {
			return 0
		}
		return *x
	}
	// Zero means "not given" to the simulators, so an explicit zero or a
	// negative number is an input error here, where the field is known.
	for name, x := range map[string]*float64{"age": v.Age, "weightKg": v.WeightKg, "heightCm": v.HeightCm, "crclMlMin": v.CrClMlMin} {
		if x != nil && (*x <= 0 || math.IsNaN(*x) || math.IsInf(*x, 0)) {
			return nil, fmt.Errorf("%s.%s: %w: must be a positive number", field, name, store.ErrInvalid)
		}
	}
	p.Age, p.WeightKg, p.HeightCm, p.CrClMlMin = f(v.Age), f(v.WeightKg), f(v.HeightCm), f(v.CrClMlMin)
	if v.Sex != nil {
		p.Sex = *v.Sex
	}
	if v.Race != nil {
		p.Race = *v.Race
	}
	p.Amiodarone = v.Amiodarone != nil && *v.Amiodarone
	p.EnzymeInducer = v.EnzymeInducer != nil && *v.EnzymeInducer
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return p, nil
}

func decodePatient(v any, field string) (*dosing.Patient, error) {
	var vp virtualPatient
	if err := DecodeArg(v, &vp); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return vp.patient(field)
}

func (d *Dosing) policy(ctx context.Context, id string) (dosing.Policy, error) {
	if d.Policies == nil {
		return nil, fmt.Errorf("trained policies: %w", store.ErrNotImplemented)
	}
	return d.Policies(ctx, id)
}

func drugModelView(m *dosing.DrugModel) map[string]any {
	levels := make([]any, len(m.DoseLevels))
	for i, l := range m.DoseLevels {
		levels[i] = l.Text('f')
	}
	unit := m.DoseUnit
	if m.LevelUnit != "" {
		unit = m.LevelUnit
	}
	headline := "timeInRange"
	if m.ID == dosing.DocetaxelFriberg {
		headline = "relativeDoseIntensity"
	}
	return map[string]any{
		"id": m.ID, "drug": m.Drug, "description": m.Description, "observable": m.Observable,
		"targetLow": m.TargetLow, "targetHigh": m.TargetHigh, "doseUnit": unit,
		"doseLevels": levels, "baselines": m.Baselines, "headline": headline,
	}
}

// observations converts the contract's ObservationInput list.
func observations(v any, field string) ([]dosing.Observation, error) {
	list, _ := v.([]any)
	out := make([]dosing.Observation, 0, len(list))
	for i, e := range list {
		m, _ := e.(map[string]any)
		hour, _ := m["hour"].(float64)
		val, _ := m["value"].(float64)
		o := dosing.Observation{Hour: hour, Value: val}
		if s, ok := m["dose"].(string); ok {
			dose, err := dosing.ParseDose(fmt.Sprintf("%s[%d].dose", field, i), s)
			if err != nil {
				return nil, err
			}
			o.Dose = dose
		}
		out = append(out, o)
	}
	return out, nil
}

// Register adds the dosing resolvers.
func (d *Dosing) Register(r *Registry) error {
	return registerAll(r, []field{
		{"Query", "drugModels", Resolver{Perm: auth.DosingRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			var out []any
			for _, m := range dosing.Models() {
				out = append(out, drugModelView(m))
			}
			return out, nil
		}}},
		{"Query", "simulate", Resolver{Perm: auth.DosingRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			in, _ := p.Args["input"].(map[string]any)
			pat, err := decodePatient(in["patient"], "input.patient")
			if err != nil {
				return nil, err
			}
			days, _ := in["days"].(int)
			seed, _ := in["seed"].(int)
			if seed < 0 {
				return nil, fmt.Errorf("input.seed: %w: must not be negative", store.ErrInvalid)
			}
			variability, _ := in["variability"].(bool)
			every, _ := in["sampleEveryHours"].(int)
			mon, err := dosing.ParseMonitoring("input.monitoring", argStringMap(in, "monitoring"))
			if err != nil {
				return nil, err
			}
			reg, err := d.regimen(ctx, in["regimen"], argStringMap(in, "model"))
			if err != nil {
				return nil, err
			}
			sim, err := dosing.Simulate(ctx, dosing.SimulationInput{
				Model: argStringMap(in, "model"), Patient: *pat, Regimen: reg, Days: days, Seed: uint64(seed), Variability: variability,
				SampleEveryHours: every, Monitoring: mon,
			})
			if err != nil {
				return nil, fmt.Errorf("input.%w", err)
			}
			return simulationView(sim), nil
		}}},
		{"Query", "recommendDose", Resolver{Perm: auth.DosingRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			in, _ := p.Args["input"].(map[string]any)
			pat, err := decodePatient(in["patient"], "input.patient")
			if err != nil {
				return nil, err
			}
			hist, err := observations(in["history"], "input.history")
			if err != nil {
				return nil, err
			}
			day, _ := in["day"].(int)
			model := argStringMap(in, "model")
			method := argStringMap(in, "method")
			var rec *dosing.Recommendation
			if pid := argStringMap(in, "policyId"); pid != "" {
				if method != "" {
					return nil, fmt.Errorf("input: %w: give method or policyId, not both", store.ErrInvalid)
				}
				m, err := dosing.Model(model)
				if err != nil {
					return nil, fmt.Errorf("input.model: %w", err)
				}
				pol, err := d.policy(ctx, pid)
				if err != nil {
					return nil, err
				}
				rec, err = dosing.RecommendWith(m, pol, pat, hist, day)
				if err != nil {
					return nil, err
				}
			} else {
				rec, err = dosing.Recommend(model, pat, method, hist, day)
				if err != nil {
					return nil, err
				}
			}
			out := map[string]any{"dose": rec.Dose.Text('f'), "doseMg": rec.DoseMg.Text('f'), "unit": rec.Unit, "rationale": rec.Rationale}
			if rec.NextCheckHours > 0 {
				out["nextCheckHours"] = rec.NextCheckHours
			}
			if rec.Guardrail != "" {
				out["guardrail"] = rec.Guardrail
			}
			return out, nil
		}}},
	})
}

// simulationView is the API's Simulation: doses in the model's unit and
// in mg, and docetaxel's endpoints.
func simulationView(sim *dosing.Simulation) map[string]any {
	points := make([]any, len(sim.Points))
	for i, pt := range sim.Points {
		points[i] = map[string]any{"hour": pt.Hour, "observable": pt.Observable, "concentration": pt.Concentration}
	}
	doses := make([]any, len(sim.Doses))
	for i, de := range sim.Doses {
		level := de.Amount
		if de.Level != nil {
			level = de.Level
		}
		doses[i] = map[string]any{"hour": de.Hour, "amount": level.Text('f'), "amountMg": de.Amount.Text('f')}
	}
	out := map[string]any{"model": sim.Model, "points": points, "doses": doses, "monitoring": string(sim.Monitoring),
		"timeInRange": sim.TimeInRange, "timeAbove": sim.TimeAbove, "timeBelow": sim.TimeBelow}
	if ep := sim.Endpoints; ep != nil {
		out["endpoints"] = map[string]any{"nadirAnc": ep.NadirANC, "nadirDay": ep.NadirDay, "grade3": ep.Grade3, "grade4": ep.Grade4,
			"deliveredPerM2": ep.DeliveredPerM2.Text('f'), "plannedPerM2": ep.PlannedPerM2.Text('f'), "relativeDoseIntensity": ep.RelativeDoseIntensity}
	}
	return out
}

// regimen converts the contract's RegimenInput. The contract defaults
// intervalHours to 24; for a model dosed in cycles (docetaxel every 21
// days) 24 is read as that default and the model's own interval applies,
// since a daily cytotoxic infusion is never what is meant.
func (d *Dosing) regimen(ctx context.Context, v any, model string) (dosing.Regimen, error) {
	m, _ := v.(map[string]any)
	reg := dosing.Regimen{Method: argStringMap(m, "method")}
	if ih, ok := m["intervalHours"].(float64); ok {
		reg.IntervalHours = ih
		if dm, err := dosing.Model(model); err == nil && ih == 24 && dm.DoseIntervalHours > 24 {
			reg.IntervalHours = 0
		}
	}
	if s, ok := m["fixedDose"].(string); ok {
		dose, err := dosing.ParseDose("input.regimen.fixedDose", s)
		if err != nil {
			return reg, err
		}
		reg.FixedDose = dose
	}
	if pid := argStringMap(m, "policyId"); pid != "" {
		pol, err := d.policy(ctx, pid)
		if err != nil {
			return reg, err
		}
		reg.Policy = pol
	}
	return reg, nil
}

func argStringMap(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}
