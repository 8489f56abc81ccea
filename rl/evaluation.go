package rl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// EvaluationInput compares a policy with baselines on a held-out virtual
// population (the API's EvaluationInput).
type EvaluationInput struct {
	// PolicyID is optional: without it only the baselines are compared.
	PolicyID   string          `json:"policyId,omitempty"`
	Model      string          `json:"model"`
	Baselines  []string        `json:"baselines"`
	Population PopulationInput `json:"population"`
	Days       int             `json:"days"`
	// Monitoring is the measurement schedule every arm shares (DAILY or
	// OUTPATIENT), or PROTOCOL: each baseline its own, the policy on the
	// outpatient schedule unless it was trained to choose its visits
	// (TrainingInput.Monitoring PROTOCOL). Empty means OUTPATIENT (equal
	// information).
	Monitoring string `json:"monitoring,omitempty"`
}

// EvaluationArm is one arm's result (the API's EvaluationArm). TimeSevere
// is the fraction of time in the range the safety shield guards against:
// INR above 4 for warfarin, ANC below 500/µL (grade-4 neutropenia) for
// docetaxel.
type EvaluationArm struct {
	Name              string  `json:"name"`
	Patients          int     `json:"patients"`
	TimeInRange       float64 `json:"timeInRange"`
	TimeInRangeLow95  float64 `json:"timeInRangeLow95"`
	TimeInRangeHigh95 float64 `json:"timeInRangeHigh95"`
	TimeAbove         float64 `json:"timeAbove"`
	TimeBelow         float64 `json:"timeBelow"`
	MeanDailyDose     float64 `json:"meanDailyDose"`
	TimeSevere        float64 `json:"timeSevere"`
	// Monitoring is the schedule this arm followed; VisitsPerPatient the
	// mean number of measurements per patient.
	Monitoring       string  `json:"monitoring,omitempty"`
	VisitsPerPatient float64 `json:"visitsPerPatient"`
	// Docetaxel endpoints (nil for warfarin): mean nadir ANC and its day,
	// the fraction of patients with grade 3 (ANC < 1,000/µL) and grade 4
	// (< 500/µL) neutropenia, and the mean relative dose intensity.
	NadirANC              *float64 `json:"nadirAnc,omitempty"`
	NadirDay              *float64 `json:"nadirDay,omitempty"`
	Grade3Incidence       *float64 `json:"grade3Incidence,omitempty"`
	Grade4Incidence       *float64 `json:"grade4Incidence,omitempty"`
	RelativeDoseIntensity *float64 `json:"relativeDoseIntensity,omitempty"`
}

// SubgroupResult is one arm's result in one subgroup (the API's
// SubgroupResult). WorseThanBest flags a policy subgroup whose time in
// range is below the best baseline's in the same subgroup; Gap is the
// policy's time in range minus that baseline's (set on policy rows only).
type SubgroupResult struct {
	Dimension         string   `json:"dimension"`
	Value             string   `json:"value"`
	Arm               string   `json:"arm"`
	Patients          int      `json:"patients"`
	TimeInRange       float64  `json:"timeInRange"`
	TimeInRangeLow95  float64  `json:"timeInRangeLow95"`
	TimeInRangeHigh95 float64  `json:"timeInRangeHigh95"`
	TimeAbove         float64  `json:"timeAbove"`
	WorseThanBest     bool     `json:"worseThanBest"`
	BestBaseline      string   `json:"bestBaseline,omitempty"`
	Gap               *float64 `json:"gap,omitempty"`
}

// EvaluationResult is what an evaluation computes.
type EvaluationResult struct {
	Arms       []EvaluationArm
	Subgroups  []SubgroupResult
	Skipped    []SkipCount
	Monitoring string
}

// Evaluation is a stored evaluation (Job is the job id; Arms and Skipped
// are filled when the job has finished).
type Evaluation struct {
	ID        string           `json:"id"`
	Job       string           `json:"job"`
	Owner     string           `json:"owner"`
	Input     EvaluationInput  `json:"input"`
	Arms      []EvaluationArm  `json:"arms"`
	Subgroups []SubgroupResult `json:"subgroups,omitempty"`
	CreatedAt time.Time        `json:"createdAt"`
	// Skipped counts, by reason, the matching stored patients left out of
	// a population drawn from stored patients (empty otherwise); nil until
	// the job has finished.
	Skipped []SkipCount `json:"skipped"`
}

func evalKey(id string) []byte { return []byte("rl/eval/" + id) }

func (s *Service) validateEvaluation(ctx context.Context, in EvaluationInput) error {
	m, err := checkModel("input.model", in.Model)
	if err != nil {
		return err
	}
	if in.PolicyID == "" && len(in.Baselines) == 0 {
		return fmt.Errorf("input.baselines: give at least one baseline or a policyId: %w", store.ErrInvalid)
	}
	seen := map[string]bool{}
	for i, b := range in.Baselines {
		if !m.HasBaseline(b) && b != MethodMAPBayes {
			return fmt.Errorf("input.baselines[%d]: %q is not a baseline of %s (known: %v, or %s): %w", i, b, m.ID, m.Baselines, MethodMAPBayes, store.ErrInvalid)
		}
		if seen[b] {
			return fmt.Errorf("input.baselines[%d]: %q is listed twice: %w", i, b, store.ErrInvalid)
		}
		seen[b] = true
	}
	if err := in.Population.validate("input.population"); err != nil {
		return err
	}
	if _, err := dosing.ParseMonitoring("input.monitoring", in.Monitoring); err != nil {
		return err
	}
	if err := checkRange("input.days", int64(in.Days), 1, MaxEvaluationDays, "days"); err != nil {
		return err
	}
	arms := int64(len(in.Baselines))
	if in.PolicyID != "" {
		arms++
	}
	if work(int64(in.Population.Size), int64(in.Days), arms) > MaxEvaluationPatientDays {
		return &LimitError{Field: "input (population.size × days × arms)", Limit: MaxEvaluationPatientDays, Unit: "simulated patient-days"}
	}
	if i := slices.Index(in.Baselines, MethodMAPBayes); i >= 0 {
		if err := checkMAPBayes(fmt.Sprintf("input.baselines[%d]", i), m, in.Population.Size, in.Days, mapBayesMonitoring(dosing.Monitoring(in.Monitoring))); err != nil {
			return err
		}
	}
	if in.Population.hasCriteria() && s.twins == nil {
		return fmt.Errorf("input.population.criteria: virtual twins of stored patients are not wired yet: %w", store.ErrNotImplemented)
	}
	if in.PolicyID != "" {
		rec, err := s.Policy(ctx, in.PolicyID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("input.policyId: no policy %s: %w", in.PolicyID, store.ErrInvalid)
		}
		if err != nil {
			return err
		}
		if rec.Model != m.ID {
			return fmt.Errorf("input.policyId: policy %s was trained for %s, not %s: %w", rec.ID, rec.Model, m.ID, store.ErrInvalid)
		}
		if !in.Population.hasCriteria() && in.Population.Seed == rec.PopulationSeed {
			return fmt.Errorf("input.population.seed must differ from the training population's seed (held-out patients): %w", store.ErrInvalid)
		}
	}
	return nil
}

// EvaluatePolicy validates the input (budgets included), stores the
// evaluation and queues its job in one transaction; Evaluation(ctx, id)
// returns the arms once the job has finished.
func (s *Service) EvaluatePolicy(ctx context.Context, owner string, in EvaluationInput) (Evaluation, error) {
	if in.Monitoring == "" {
		in.Monitoring = string(dosing.MonitoringOutpatient)
	}
	if err := s.validateEvaluation(ctx, in); err != nil {
		return Evaluation{}, err
	}
	if err := s.checkTwins(ctx, "input.population", in.Population); err != nil {
		return Evaluation{}, err
	}
	var ev Evaluation
	var job jobs.Job
	err := s.db.Update(ctx, func(tx *store.Txn) error {
		n, err := tx.NextID("rl-eval")
		if err != nil {
			return err
		}
		ev = Evaluation{ID: fmt.Sprintf("E%d", n), Owner: owner, Input: in, Arms: []EvaluationArm{}, CreatedAt: time.Now().UTC()}
		if job, err = s.jobs.Enqueue(tx, KindEvaluation, owner, jobParams{Evaluation: ev.ID}); err != nil {
			return err
		}
		ev.Job = job.ID
		tx.Touch("evaluation:" + ev.ID)
		return tx.Put(evalKey(ev.ID), ev)
	})
	if err != nil {
		return Evaluation{}, err
	}
	s.jobs.Launch(job)
	return ev, nil
}

// Evaluation returns a stored evaluation, or an error wrapping
// store.ErrNotFound.
func (s *Service) Evaluation(ctx context.Context, id string) (Evaluation, error) {
	var ev Evaluation
	err := s.db.View(ctx, func(tx *store.Txn) error { return tx.Get(evalKey(id), &ev) })
	if errors.Is(err, store.ErrNotFound) {
		return Evaluation{}, fmt.Errorf("evaluation %s: %w", id, store.ErrNotFound)
	}
	return ev, err
}

func (s *Service) runEvaluation(ctx context.Context, h *jobs.Handle) error {
	var p jobParams
	if err := json.Unmarshal(h.Job().Params, &p); err != nil || p.Evaluation == "" {
		return fmt.Errorf("rl-evaluation: job parameters lack the evaluation id: %w", store.ErrInvalid)
	}
	ev, err := s.Evaluation(ctx, p.Evaluation)
	if err != nil {
		return err
	}
	res, err := s.Evaluate(ctx, ev.Input, func(done, total int, arm string) {
		h.Progress(ctx, float64(done)/float64(total), "arm "+arm)
	})
	if err != nil {
		return err
	}
	return s.storeEvaluation(ctx, h, ev.ID, res)
}

// Evaluate runs an evaluation synchronously (the job's work): every arm on
// the same virtual patients with the same random numbers (patient k uses
// seed + k), between-subject variability and measurement noise on, each arm
// measured only on the visit days of its monitoring schedule. A population
// drawn from stored patients leaves out the patients some arm or the model
// cannot take (under 18, no weight or height where a method needs it, …);
// the result counts them by reason. Every arm is also reported by subgroup.
// progress, when not nil, is told after each arm.
func (s *Service) Evaluate(ctx context.Context, in EvaluationInput, progress func(done, total int, arm string)) (EvaluationResult, error) {
	if in.Monitoring == "" {
		in.Monitoring = string(dosing.MonitoringOutpatient)
	}
	set, err := s.setupEvaluation(ctx, in)
	if err != nil {
		return EvaluationResult{}, err
	}
	m, arms, pats, seed := set.m, set.arms, set.pats, set.seed
	res := EvaluationResult{Skipped: set.skipped, Monitoring: in.Monitoring, Arms: make([]EvaluationArm, 0, len(arms))}
	outs := make([][]dosing.Outcome, len(arms))
	for i, a := range arms {
		arm, o, err := evaluateArm(ctx, m, a, pats, in.Days, seed)
		if err != nil {
			return EvaluationResult{}, fmt.Errorf("arm %s: %w", a.name, err)
		}
		res.Arms, outs[i] = append(res.Arms, arm), o
		if progress != nil {
			progress(i+1, len(arms), a.name)
		}
	}
	res.Subgroups = subgroupResults(m, pats, arms, outs)
	return res, nil
}

// evalArm is one arm of an evaluation.
type evalArm struct {
	name     string
	reg      dosing.Regimen
	pol      dosing.Policy
	mon      dosing.Monitoring
	baseline bool
}

// subgroupResults reports every arm by subgroup and flags the policy's
// subgroups that do worse than the best baseline.
func subgroupResults(m *dosing.DrugModel, pats []*dosing.Patient, arms []evalArm, outs [][]dosing.Outcome) []SubgroupResult {
	names := make([]string, len(arms))
	baseline := map[string]bool{}
	for i, a := range arms {
		names[i] = a.name
		baseline[a.name] = a.baseline
	}
	subs := dosing.Subgroups(m, pats, names, outs)
	out := make([]SubgroupResult, len(subs))
	for i, sg := range subs {
		r := SubgroupResult{Dimension: sg.Dimension, Value: sg.Value, Arm: sg.Arm, Patients: sg.Summary.Patients,
			TimeInRange: sg.Summary.TimeInRange, TimeInRangeLow95: sg.Summary.TimeInRangeLow95,
			TimeInRangeHigh95: sg.Summary.TimeInRangeHigh95, TimeAbove: sg.Summary.TimeAbove}
		if !baseline[sg.Arm] {
			if gap, best, ok := dosing.SubgroupGap(subs, i, func(a string) bool { return baseline[a] }); ok {
				r.Gap, r.BestBaseline, r.WorseThanBest = &gap, best, gap < 0
			}
		}
		out[i] = r
	}
	return out
}

// evaluateArm simulates each patient (dosing.Simulate) under the arm's
// schedule and summarizes the arm with dosing.Summarize, adding the time in
// the severe range, visits and (docetaxel) the endpoints. It also returns
// the per-patient outcomes for the subgroups.
func evaluateArm(ctx context.Context, m *dosing.DrugModel, a evalArm, pats []*dosing.Patient, days int, seed uint64) (EvaluationArm, []dosing.Outcome, error) {
	recs, err := simulateArm(ctx, m, a, pats, 0, len(pats), days, seed)
	if err != nil {
		return EvaluationArm{}, nil, err
	}
	arm, outs := summarizeArm(m, a, recs)
	return arm, outs, nil
}

// epSums accumulates docetaxel endpoints over patients.
type epSums struct{ nadir, day, g3, g4, rdi float64 }

func (e *epSums) add(ep *dosing.Endpoints) {
	if ep == nil {
		return
	}
	e.nadir += ep.NadirANC
	e.day += ep.NadirDay
	e.rdi += ep.RelativeDoseIntensity
	if ep.Grade3 {
		e.g3++
	}
	if ep.Grade4 {
		e.g4++
	}
}

func (e *epSums) fill(a *EvaluationArm, n float64) {
	a.NadirANC, a.NadirDay = f64(e.nadir/n), f64(e.day/n)
	a.Grade3Incidence, a.Grade4Incidence = f64(e.g3/n), f64(e.g4/n)
	a.RelativeDoseIntensity = f64(e.rdi / n)
}

// sortArms orders arms by time in range, best first (for reports).
func sortArms(a []EvaluationArm) {
	sort.SliceStable(a, func(i, j int) bool { return a[i].TimeInRange > a[j].TimeInRange })
}
