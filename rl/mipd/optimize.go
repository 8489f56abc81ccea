package mipd

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store/errs"
)

// Criterion chooses how OptimizeDose ranks the candidate regimens.
type Criterion string

// Criteria.
const (
	// ProbInRange maximizes the posterior probability of being in the
	// target range (warfarin: averaged over the horizon's daily pre-dose
	// INRs; docetaxel: of the nadir ANC over the horizon).
	ProbInRange Criterion = "PROB_IN_RANGE"
	// ExpectedLoss minimizes the expected squared distance outside the
	// range, in units of the range's width.
	ExpectedLoss Criterion = "EXPECTED_LOSS"
)

// Target is the range to reach (zero: the model's TargetLow–TargetHigh).
type Target struct{ Low, High float64 }

// DoseSchedule places the regimen's doses: every IntervalHours (0: the
// model's interval, 24 h warfarin, 504 h docetaxel) from StartHour (nil:
// one interval after the last history dose) until the horizon ends.
type DoseSchedule struct {
	StartHour     *float64
	IntervalHours float64
}

// OptimizeInput asks for the dose level that best reaches the target.
type OptimizeInput struct {
	Input
	Target      Target
	HorizonDays int
	Schedule    DoseSchedule
	Criterion   Criterion
	// Draws is the number of posterior draws (0: Config.Draws).
	Draws int
}

// Candidate is one weighed regimen: the same dose level at every
// scheduled dose.
type Candidate struct {
	// Level is the dose in the model's LevelUnit (exact decimal);
	// AmountMg the administered amount.
	Level, AmountMg *apd.Decimal
	// Allowed is false when a guardrail excludes the level; Guardrail
	// says why (the candidate is then not simulated).
	Allowed   bool
	Guardrail string
	// ProbInRange, ProbBelow and ProbAbove are posterior probabilities;
	// ExpectedLoss the criterion's loss; Median the posterior median of the
	// scored value (warfarin: the INR at the horizon; docetaxel: the
	// nadir ANC) and Mode its value at the MAP η.
	ProbInRange, ProbBelow, ProbAbove, ExpectedLoss float64
	Median, Mode                                    float64
}

// DoseChoice is OptimizeDose's answer.
type DoseChoice struct {
	Result *Result
	// Best indexes Candidates (-1 when no level is allowed).
	Best       int
	Candidates []Candidate
	Criterion  Criterion
	Target     Target
	// StartHour, IntervalHours and Doses describe the schedule used.
	StartHour, IntervalHours float64
	Doses, Draws             int
	Warnings                 []string
}

// OptimizeDose individualizes in.Input, then searches the model's dose
// levels (exact decimals, within the guardrails) for the regimen that
// best reaches the target over HorizonDays, and returns every level
// weighed with its scores.
func (e *Estimator) OptimizeDose(ctx context.Context, in OptimizeInput) (*DoseChoice, error) {
	rec, err := e.prepare(&in.Input)
	if err != nil {
		return nil, err
	}
	if err := e.checkOptimize(&in, rec); err != nil {
		return nil, err
	}
	res, err := e.individualize(ctx, &in.Input, rec)
	if err != nil {
		return nil, err
	}
	return e.optimize(ctx, in, rec, res)
}

// OptimizeDoseFrom is OptimizeDose from an existing individualization of
// the same in.Input.
func (e *Estimator) OptimizeDoseFrom(ctx context.Context, in OptimizeInput, res *Result) (*DoseChoice, error) {
	rec, err := e.prepareFrom(&in.Input, res)
	if err != nil {
		return nil, err
	}
	if err := e.checkOptimize(&in, rec); err != nil {
		return nil, err
	}
	return e.optimize(ctx, in, rec, res)
}

func (e *Estimator) checkOptimize(in *OptimizeInput, rec *record) error {
	m := rec.m.desc
	if in.Criterion == "" {
		in.Criterion = ProbInRange
	}
	if in.Criterion != ProbInRange && in.Criterion != ExpectedLoss {
		return fmt.Errorf("criterion: must be PROB_IN_RANGE or EXPECTED_LOSS: %w", errs.Invalid)
	}
	if in.Target == (Target{}) {
		in.Target = Target{m.TargetLow, m.TargetHigh}
	}
	t := in.Target
	if math.IsNaN(t.Low) || math.IsNaN(t.High) || math.IsInf(t.High, 0) || t.Low < 0 || !(t.High > t.Low) {
		return fmt.Errorf("target: low must be non-negative and below a finite high: %w", errs.Invalid)
	}
	if in.HorizonDays < 1 {
		return fmt.Errorf("horizonDays: must be at least 1: %w", errs.Invalid)
	}
	if in.HorizonDays > e.cfg.MaxHorizonDays {
		return &LimitError{Field: "horizonDays", Limit: int64(e.cfg.MaxHorizonDays), Unit: "days"}
	}
	if in.Schedule.IntervalHours == 0 {
		in.Schedule.IntervalHours = m.DoseIntervalHours
	}
	iv := in.Schedule.IntervalHours
	if math.IsNaN(iv) || iv < 1 || iv > 24*float64(in.HorizonDays) || iv < m.InfusionHours {
		return fmt.Errorf("schedule.intervalHours: must be at least 1 h (and the infusion) and within the horizon: %w", errs.Invalid)
	}
	if s := in.Schedule.StartHour; s != nil {
		if err := checkHour("schedule.startHour", *s); err != nil {
			return err
		}
	}
	if in.Draws < 0 {
		return fmt.Errorf("draws: must not be negative: %w", errs.Invalid)
	}
	if in.Draws > e.cfg.MaxSamples {
		return &LimitError{Field: "draws", Limit: int64(e.cfg.MaxSamples), Unit: "draws"}
	}
	n := int(math.Ceil(24 * float64(in.HorizonDays) / iv))
	if len(in.Doses)+n > e.cfg.MaxDoses {
		return &LimitError{Field: "horizonDays / schedule.intervalHours", Limit: int64(e.cfg.MaxDoses), Unit: "doses (history and regimen)"}
	}
	return nil
}

// scored is one candidate's simulation summary.
type scored struct {
	in, below, above, loss, median, mode float64
}

func (e *Estimator) optimize(ctx context.Context, in OptimizeInput, rec *record, res *Result) (*DoseChoice, error) {
	m := rec.m.desc
	start := rec.t0 + float64(rec.doses[len(rec.doses)-1].step)*rec.m.grid + in.Schedule.IntervalHours
	if in.Schedule.StartHour != nil {
		start = *in.Schedule.StartHour
	}
	var hours []float64
	for h := start; h < start+24*float64(in.HorizonDays)-1e-9; h += in.Schedule.IntervalHours {
		hours = append(hours, h)
	}
	draws, err := e.draws(res, in.Draws, in.Seed)
	if err != nil {
		return nil, err
	}
	levels := m.DoseLevels
	endStep := int(math.Round((start + 24*float64(in.HorizonDays) - rec.t0) / rec.m.grid))
	if work := int64(len(levels)) * int64(len(draws)+1) * int64(float64(endStep)*rec.m.grid); work > e.cfg.MaxWork {
		return nil, &LimitError{Field: "draws × dose levels × (history + horizonDays)", Limit: e.cfg.MaxWork, Unit: "simulated patient-hours"}
	}
	ch := &DoseChoice{Result: res, Best: -1, Criterion: in.Criterion, Target: in.Target, StartHour: start,
		IntervalHours: in.Schedule.IntervalHours, Doses: len(hours), Draws: len(draws), Warnings: fut0Warnings(rec)}
	run, err := rec.m.newPool(e.cfg.Workers)
	if err != nil {
		return nil, err
	}
	etas := append([][]float64{res.eta}, draws...)
	for _, level := range levels {
		c, err := e.candidate(ctx, in, rec, run, etas, level, hours, endStep)
		if err != nil {
			return nil, err
		}
		ch.Candidates = append(ch.Candidates, c)
	}
	ch.Best = best(ch.Candidates, in.Criterion)
	return ch, nil
}

// candidate weighs one dose level (or reports the guardrail excluding it).
func (e *Estimator) candidate(ctx context.Context, in OptimizeInput, rec *record, run *pool, etas [][]float64,
	level *apd.Decimal, hours []float64, endStep int) (Candidate, error) {
	m := rec.m.desc
	amt, err := m.LevelToMg("doseLevel", rec.p, level)
	if err != nil {
		return Candidate{}, err
	}
	mg, _ := amt.Float64()
	c := Candidate{Level: level, AmountMg: amt, Allowed: true}
	if m.ID == dosing.WarfarinHamberg {
		for _, h := range hours {
			day := int(math.Floor((h - rec.t0) / 24))
			if bound, why := dosing.PatientGuardrail(rec.p, day); mg > bound+1e-9 {
				c.Allowed, c.Guardrail = false, why
				return c, nil
			}
		}
	}
	reg := make([]Dose, len(hours))
	for i, h := range hours {
		reg[i] = Dose{Hour: h, Amount: mg}
	}
	fut, _, err := rec.future(reg, "schedule")
	if err != nil {
		return Candidate{}, err
	}
	sc, err := e.score(ctx, in, rec, run, etas, fut, endStep)
	if err != nil {
		return Candidate{}, err
	}
	c.ProbInRange, c.ProbBelow, c.ProbAbove, c.ExpectedLoss, c.Median, c.Mode = sc.in, sc.below, sc.above, sc.loss, sc.median, sc.mode
	return c, nil
}

// score simulates etas under history + fut and summarizes the scored
// values: warfarin's daily INR over the horizon, docetaxel's hourly nadir.
func (e *Estimator) score(ctx context.Context, in OptimizeInput, rec *record, run *pool, etas [][]float64, fut []gridDose, endStep int) (scored, error) {
	startStep := endStep - int(math.Round(24*float64(in.HorizonDays)/rec.m.grid))
	every := int(math.Round(24 / rec.m.grid))
	nadir := rec.m.desc.ID == dosing.DocetaxelFriberg
	if nadir {
		every = 1
	}
	var steps []int
	for s := startStep + every; s <= endStep; s += every {
		steps = append(steps, s)
	}
	pl := newPlan(append(append([]gridDose(nil), rec.doses...), fut...), steps)
	out := make([][]float64, len(etas))
	for i := range out {
		out[i] = make([]float64, len(steps))
	}
	if err := run.run(ctx, etas, pl, out); err != nil {
		return scored{}, err
	}
	lo, hi := in.Target.Low, in.Target.High
	w := hi - lo
	var sc scored
	var n float64
	vals := make([]float64, 0, len(etas)-1)
	for d, row := range out {
		series := row
		if nadir {
			mn := math.Inf(1)
			for _, v := range row {
				mn = math.Min(mn, v)
			}
			series = []float64{mn}
		}
		if d == 0 {
			sc.mode = series[len(series)-1]
			continue
		}
		vals = append(vals, series[len(series)-1])
		for _, v := range series {
			n++
			switch {
			case v < lo:
				sc.below++
				sc.loss += (lo - v) * (lo - v) / (w * w)
			case v > hi:
				sc.above++
				sc.loss += (v - hi) * (v - hi) / (w * w)
			default:
				sc.in++
			}
		}
	}
	sc.in, sc.below, sc.above, sc.loss = sc.in/n, sc.below/n, sc.above/n, sc.loss/n
	sort.Float64s(vals)
	sc.median = quantile(vals, 0.5)
	return sc, nil
}

// best returns the index of the best allowed candidate (ties: the other
// criterion, then the lower dose).
func best(cs []Candidate, crit Criterion) int {
	b := -1
	better := func(x, y Candidate) bool {
		p, q := x.ProbInRange, y.ProbInRange
		l, k := x.ExpectedLoss, y.ExpectedLoss
		if crit == ExpectedLoss {
			if math.Abs(l-k) > 1e-12 {
				return l < k
			}
			return p > q+1e-12
		}
		if math.Abs(p-q) > 1e-12 {
			return p > q
		}
		return l < k-1e-12
	}
	for i, c := range cs {
		if c.Allowed && (b < 0 || better(c, cs[b])) {
			b = i
		}
	}
	return b
}
