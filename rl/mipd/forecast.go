package mipd

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// ForecastInput asks for the observable's trajectory under a proposed
// regimen, from the patient's posterior.
type ForecastInput struct {
	Input
	// Regimen are the proposed future doses (hours on the history's clock,
	// none before the last history dose).
	Regimen []Dose
	// HorizonDays is the forecast length from the end of the history
	// (last dose or observation), 1–MaxHorizonDays.
	HorizonDays int
	// EveryHours is the output grid (0: 24).
	EveryHours float64
	// Level is the central prediction-interval level (0: 0.9).
	Level float64
	// Draws is the number of posterior draws used (0: Config.Draws; at
	// most the SIR samples available).
	Draws int
}

// ForecastPoint is the forecast at one hour.
type ForecastPoint struct {
	Hour float64
	// Mode is the prediction at the MAP η; Median the median over draws;
	// Lower and Upper the prediction interval over draws with residual
	// error; LowerModel and UpperModel the same without residual error.
	Mode, Median, Lower, Upper, LowerModel, UpperModel float64
}

// Forecast is a forecast and the individualization it rests on.
type Forecast struct {
	Result *Result
	Points []ForecastPoint
	Level  float64
	Draws  int
	// StartHour is where the forecast begins (the end of the history).
	StartHour float64
	Warnings  []string
}

// Forecast individualizes in.Input, then forecasts the regimen.
func (e *Estimator) Forecast(ctx context.Context, in ForecastInput) (*Forecast, error) {
	rec, err := e.prepare(&in.Input)
	if err != nil {
		return nil, err
	}
	if err := e.checkForecast(&in); err != nil {
		return nil, err
	}
	res, err := e.individualize(ctx, &in.Input, rec)
	if err != nil {
		return nil, err
	}
	return e.forecast(ctx, in, rec, res)
}

// ForecastFrom forecasts the regimen from an existing individualization
// of the same in.Input (res from Individualize), without re-estimating.
func (e *Estimator) ForecastFrom(ctx context.Context, in ForecastInput, res *Result) (*Forecast, error) {
	rec, err := e.prepareFrom(&in.Input, res)
	if err != nil {
		return nil, err
	}
	if err := e.checkForecast(&in); err != nil {
		return nil, err
	}
	return e.forecast(ctx, in, rec, res)
}

func (e *Estimator) checkForecast(in *ForecastInput) error {
	if in.HorizonDays < 1 {
		return fmt.Errorf("horizonDays: must be at least 1: %w", errs.Invalid)
	}
	if in.HorizonDays > e.cfg.MaxHorizonDays {
		return &LimitError{Field: "horizonDays", Limit: int64(e.cfg.MaxHorizonDays), Unit: "days"}
	}
	if in.EveryHours == 0 {
		in.EveryHours = 24
	}
	if math.IsNaN(in.EveryHours) || in.EveryHours < 1 || in.EveryHours > 24*float64(in.HorizonDays) {
		return fmt.Errorf("everyHours: must be between 1 and the horizon: %w", errs.Invalid)
	}
	if in.Level == 0 {
		in.Level = 0.9
	}
	if !(in.Level > 0 && in.Level < 1) {
		return fmt.Errorf("level: must be strictly between 0 and 1: %w", errs.Invalid)
	}
	if in.Draws < 0 {
		return fmt.Errorf("draws: must not be negative: %w", errs.Invalid)
	}
	if in.Draws > e.cfg.MaxSamples {
		return &LimitError{Field: "draws", Limit: int64(e.cfg.MaxSamples), Unit: "draws"}
	}
	if len(in.Doses)+len(in.Regimen) > e.cfg.MaxDoses {
		return &LimitError{Field: "regimen", Limit: int64(e.cfg.MaxDoses), Unit: "doses (history and regimen)"}
	}
	return nil
}

// draws returns up to n posterior draws (res.Draws, topped up with
// Laplace draws when more are asked for than SIR kept).
func (e *Estimator) draws(res *Result, n int, seed uint64) ([][]float64, error) {
	if n == 0 {
		n = e.cfg.Draws
	}
	if n <= len(res.Draws) {
		return res.Draws[:n], nil
	}
	return laplaceDraws(res, n, seed)
}

// horizon returns the end of the history (step) and the regimen on the
// record's grid, with errors naming regimen positions.
func (rec *record) future(reg []Dose, field string) ([]gridDose, int, error) {
	end := rec.doses[len(rec.doses)-1].step
	for _, o := range rec.obs {
		end = max(end, o.step)
	}
	fut := &record{m: rec.m, p: rec.p, t0: rec.t0}
	if err := fut.addDoses(reg, field); err != nil {
		return nil, 0, err
	}
	lastHist := rec.doses[len(rec.doses)-1]
	for i, d := range fut.doses {
		if d.step < lastHist.step || (d.step == lastHist.step && rec.m.infus == 0) {
			return nil, 0, fmt.Errorf("%s: dose at position %d of the sorted regimen is not after the last history dose: %w", field, i, errs.Invalid)
		}
		if rec.m.infus > 0 && float64(d.step-lastHist.step)*rec.m.grid < rec.m.infus {
			return nil, 0, fmt.Errorf("%s: dose at position %d of the sorted regimen overlaps the last history infusion: %w", field, i, errs.Invalid)
		}
	}
	return fut.doses, end, nil
}

func (e *Estimator) forecast(ctx context.Context, in ForecastInput, rec *record, res *Result) (*Forecast, error) {
	fut, end, err := rec.future(in.Regimen, "regimen")
	if err != nil {
		return nil, err
	}
	every := max(1, int(math.Round(in.EveryHours/rec.m.grid)))
	horizon := int(math.Round(float64(in.HorizonDays) * 24 / rec.m.grid))
	var steps []int
	for s := end; s <= end+horizon; s += every {
		steps = append(steps, s)
	}
	draws, err := e.draws(res, in.Draws, in.Seed)
	if err != nil {
		return nil, err
	}
	work := int64(len(draws)+1) * int64(float64(end+horizon)*rec.m.grid)
	if work > e.cfg.MaxWork {
		return nil, &LimitError{Field: "draws × (history + horizonDays)", Limit: e.cfg.MaxWork, Unit: "simulated patient-hours"}
	}
	all := append(append([]gridDose(nil), rec.doses...), fut...)
	pl := newPlan(all, steps)
	run, err := rec.m.newPool(e.cfg.Workers)
	if err != nil {
		return nil, err
	}
	etas := append([][]float64{res.eta}, draws...)
	out := make([][]float64, len(etas))
	for i := range out {
		out[i] = make([]float64, len(steps))
	}
	if err := run.run(ctx, etas, pl, out); err != nil {
		return nil, err
	}
	f := &Forecast{Result: res, Level: in.Level, Draws: len(draws), StartHour: rec.t0 + float64(end)*rec.m.grid, Warnings: fut0Warnings(rec)}
	rng := pkpd.NewRNG(in.Seed ^ 0x666f7265)
	lo, hi := (1-in.Level)/2, (1+in.Level)/2
	col, noisy := make([]float64, len(draws)), make([]float64, len(draws))
	for k, s := range steps {
		for d := range draws {
			col[d] = out[d+1][k]
			noisy[d] = col[d] * math.Exp(rec.m.sigma*rng.Norm())
		}
		sort.Float64s(col)
		sort.Float64s(noisy)
		f.Points = append(f.Points, ForecastPoint{Hour: rec.t0 + float64(s)*rec.m.grid, Mode: out[0][k], Median: quantile(col, 0.5),
			Lower: quantile(noisy, lo), Upper: quantile(noisy, hi), LowerModel: quantile(col, lo), UpperModel: quantile(col, hi)})
	}
	return f, nil
}

func fut0Warnings(rec *record) []string { return append([]string(nil), rec.warn...) }

// prepareFrom prepares in for a forecast or dose choice that reuses res, an
// individualization of the same input from Individualize.
func (e *Estimator) prepareFrom(in *Input, res *Result) (*record, error) {
	if res == nil || res.cz == nil {
		return nil, fmt.Errorf("result: an individualization from Individualize is required: %w", errs.Invalid)
	}
	rec, err := e.prepare(in)
	if err != nil {
		return nil, err
	}
	if res.Model != rec.m.desc.ID {
		return nil, fmt.Errorf("result: individualized for another model: %w", errs.Invalid)
	}
	return rec, nil
}
