package graphql

import (
	"context"
	"fmt"
	"math"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/mipd"
	"github.com/rxlab/rxlab/store"
)

// MIPD serves model-informed precision dosing: individualize, forecast and
// optimizeDose. They are stateless queries on the caller's data and need
// the dosing permission simulate and recommendDose need.
type MIPD struct {
	// Estimator is the MAP estimator; nil builds one with the defaults.
	Estimator *mipd.Estimator
}

// mipdRecord is the record part every MIPD input shares.
type mipdRecord struct {
	Model        string          `json:"model"`
	Patient      *virtualPatient `json:"patient"`
	Doses        []mipdDose      `json:"doses"`
	Observations []mipdObs       `json:"observations"`
	SIRSamples   *int            `json:"sirSamples"`
	Seed         *int            `json:"seed"`
}

type mipdDose struct {
	Hour   float64 `json:"hour"`
	Amount string  `json:"amount"`
	Unit   string  `json:"unit"`
}

type mipdObs struct {
	Hour     float64  `json:"hour"`
	Value    *float64 `json:"value"`
	Unit     string   `json:"unit"`
	BelowLOQ bool     `json:"belowLoq"`
}

// doses converts dose inputs; field names the list.
func mipdDoses(ds []mipdDose, field string) ([]mipd.Dose, error) {
	out := make([]mipd.Dose, len(ds))
	for i, d := range ds {
		dec, err := dosing.ParseDose(fmt.Sprintf("%s[%d].amount", field, i), d.Amount)
		if err != nil {
			return nil, err
		}
		f, _ := dec.Float64()
		out[i] = mipd.Dose{Hour: d.Hour, Amount: f, Unit: d.Unit}
	}
	return out, nil
}

// input converts the record; errors carry the input.* field path.
func (r *mipdRecord) input() (mipd.Input, error) {
	var in mipd.Input
	if r.Patient == nil {
		return in, fmt.Errorf("input.patient: required: %w", store.ErrInvalid)
	}
	p, err := r.Patient.patient("input.patient")
	if err != nil {
		return in, err
	}
	in.Model, in.Patient = r.Model, *p
	if in.Doses, err = mipdDoses(r.Doses, "doses"); err != nil {
		return in, fmt.Errorf("input.%w", err)
	}
	for i, o := range r.Observations {
		v := math.NaN()
		if o.Value != nil {
			v = *o.Value
		} else if !o.BelowLOQ {
			return in, fmt.Errorf("input.observations[%d].value: required unless belowLoq: %w", i, store.ErrInvalid)
		}
		in.Observations = append(in.Observations, mipd.Observation{Hour: o.Hour, Value: v, Unit: o.Unit, BelowLOQ: o.BelowLOQ})
	}
	if r.SIRSamples != nil {
		in.SIRSamples, in.SkipSIR = *r.SIRSamples, *r.SIRSamples == 0
	}
	if r.Seed != nil {
		if *r.Seed < 0 {
			return in, fmt.Errorf("input.seed: must not be negative: %w", store.ErrInvalid)
		}
		in.Seed = uint64(*r.Seed)
	}
	return in, nil
}

// Register adds the MIPD resolvers.
func (d *MIPD) Register(r *Registry) error {
	if d.Estimator == nil {
		e, err := mipd.New(mipd.Config{})
		if err != nil {
			return err
		}
		d.Estimator = e
	}
	return registerAll(r, []field{
		{"Query", "individualize", Resolver{Perm: auth.DosingRead, Fn: d.individualize}},
		{"Query", "forecast", Resolver{Perm: auth.DosingRead, Fn: d.forecast}},
		{"Query", "optimizeDose", Resolver{Perm: auth.DosingRead, Fn: d.optimizeDose}},
	})
}

func (d *MIPD) individualize(ctx context.Context, p gql.ResolveParams) (any, error) {
	var rec mipdRecord
	if err := DecodeArg(p.Args["input"], &rec); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	in, err := rec.input()
	if err != nil {
		return nil, err
	}
	res, err := d.Estimator.Individualize(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("input.%w", err)
	}
	return individualizationView(res), nil
}

type forecastArgs struct {
	mipdRecord
	Regimen     []mipdDose `json:"regimen"`
	HorizonDays int        `json:"horizonDays"`
	EveryHours  *float64   `json:"everyHours"`
	Level       *float64   `json:"level"`
	Draws       *int       `json:"draws"`
}

func (d *MIPD) forecast(ctx context.Context, p gql.ResolveParams) (any, error) {
	var a forecastArgs
	if err := DecodeArg(p.Args["input"], &a); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	in, err := a.input()
	if err != nil {
		return nil, err
	}
	fi := mipd.ForecastInput{Input: in, HorizonDays: a.HorizonDays}
	if fi.Regimen, err = mipdDoses(a.Regimen, "regimen"); err != nil {
		return nil, fmt.Errorf("input.%w", err)
	}
	if a.EveryHours != nil {
		fi.EveryHours = *a.EveryHours
	}
	if a.Level != nil {
		fi.Level = *a.Level
	}
	if a.Draws != nil {
		fi.Draws = *a.Draws
	}
	f, err := d.Estimator.Forecast(ctx, fi)
	if err != nil {
		return nil, fmt.Errorf("input.%w", err)
	}
	points := make([]any, len(f.Points))
	for i, pt := range f.Points {
		points[i] = map[string]any{"hour": pt.Hour, "mode": pt.Mode, "median": pt.Median, "lower": pt.Lower, "upper": pt.Upper,
			"lowerModel": pt.LowerModel, "upperModel": pt.UpperModel}
	}
	return map[string]any{"individualization": individualizationView(f.Result), "points": points, "level": f.Level,
		"draws": f.Draws, "startHour": f.StartHour, "warnings": nonNil(f.Warnings)}, nil
}

type optimizeArgs struct {
	mipdRecord
	Target *struct {
		Low  float64 `json:"low"`
		High float64 `json:"high"`
	} `json:"target"`
	HorizonDays int `json:"horizonDays"`
	Schedule    *struct {
		StartHour     *float64 `json:"startHour"`
		IntervalHours *float64 `json:"intervalHours"`
	} `json:"schedule"`
	Criterion string `json:"criterion"`
	Draws     *int   `json:"draws"`
}

func (d *MIPD) optimizeDose(ctx context.Context, p gql.ResolveParams) (any, error) {
	var a optimizeArgs
	if err := DecodeArg(p.Args["input"], &a); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	in, err := a.input()
	if err != nil {
		return nil, err
	}
	oi := mipd.OptimizeInput{Input: in, HorizonDays: a.HorizonDays, Criterion: mipd.Criterion(a.Criterion)}
	if a.Target != nil {
		oi.Target = mipd.Target{Low: a.Target.Low, High: a.Target.High}
	}
	if s := a.Schedule; s != nil {
		oi.Schedule.StartHour = s.StartHour
		if s.IntervalHours != nil {
			oi.Schedule.IntervalHours = *s.IntervalHours
		}
	}
	if a.Draws != nil {
		oi.Draws = *a.Draws
	}
	ch, err := d.Estimator.OptimizeDose(ctx, oi)
	if err != nil {
		return nil, fmt.Errorf("input.%w", err)
	}
	m, _ := dosing.Model(ch.Result.Model)
	cands := make([]any, len(ch.Candidates))
	var best any
	for i, c := range ch.Candidates {
		v := map[string]any{"dose": c.Level.Text('f'), "unit": m.LevelUnit, "amountMg": c.AmountMg.Text('f'), "allowed": c.Allowed}
		if c.Allowed {
			v["probInRange"], v["probBelow"], v["probAbove"] = c.ProbInRange, c.ProbBelow, c.ProbAbove
			v["expectedLoss"], v["median"], v["mode"] = c.ExpectedLoss, c.Median, c.Mode
		} else {
			v["guardrail"] = c.Guardrail
		}
		cands[i] = v
		if i == ch.Best {
			best = v
		}
	}
	return map[string]any{"individualization": individualizationView(ch.Result), "best": best, "candidates": cands,
		"criterion": string(ch.Criterion), "targetLow": ch.Target.Low, "targetHigh": ch.Target.High, "startHour": ch.StartHour,
		"intervalHours": ch.IntervalHours, "doses": ch.Doses, "draws": ch.Draws, "warnings": nonNil(ch.Warnings)}, nil
}

// finiteOrNil maps NaN (no SIR) to null.
func finiteOrNil(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// individualizationView is the API's Individualization.
func individualizationView(r *mipd.Result) map[string]any {
	toAny := func(m map[string]float64) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	preds := make([]any, len(r.Predictions))
	for i, p := range r.Predictions {
		preds[i] = map[string]any{"hour": p.Hour, "observed": p.Observed, "censored": p.Censored, "ipred": p.IPRED, "pred": p.PRED,
			"residual": p.Residual, "iwres": p.IWRES}
	}
	ivs := make([]any, len(r.Intervals))
	for i, iv := range r.Intervals {
		ivs[i] = map[string]any{"name": iv.Name, "level": iv.Level, "laplaceLow": iv.LaplaceLow, "laplaceHigh": iv.LaplaceHigh,
			"sirLow": finiteOrNil(iv.SIRLow), "sirHigh": finiteOrNil(iv.SIRHigh)}
	}
	cov := make([]any, len(r.Covariance))
	for i, row := range r.Covariance {
		c := make([]any, len(row))
		for j, v := range row {
			c[j] = v
		}
		cov[i] = c
	}
	out := map[string]any{"model": r.Model, "names": r.Names, "eta": toAny(r.Eta), "etaMean": toAny(r.EtaMean),
		"parameters": toAny(r.Parameters), "typical": toAny(r.Typical), "objective": r.Objective, "omega": toAny(r.Omega),
		"posteriorSd": toAny(r.PosteriorSD), "shrinkage": toAny(r.ShrinkageRatio), "covariance": cov, "intervals": ivs,
		"predictions": preds, "converged": r.Converged, "iterations": r.Iterations, "evaluations": r.Evaluations,
		"sigma": r.Sigma, "warnings": nonNil(r.Warnings)}
	if r.SIR != nil {
		out["sir"] = map[string]any{"proposals": r.SIR.Proposals, "samples": r.SIR.Samples, "ess": r.SIR.ESS}
	}
	return out
}
