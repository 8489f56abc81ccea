package graphql

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// RL serves dosing-policy training, trained policies and evaluations.
// Training runs and evaluations are visible to the token that started them
// and to admins, like their jobs, so TrainingRun.job and Evaluation.job
// answer exactly what job(id:) answers. Trained policies are shared.
type RL struct {
	Service *rl.Service
	Jobs    *jobs.Runner
	// Privacy releases the counts of skipped stored patients to roles
	// without patients:read; nil builds a guard with threshold SmallCell.
	Privacy *disclosure.Guard
	// SmallCell is k when Privacy is nil; zero means 11.
	SmallCell int
}

// jobOf resolves a run's or an evaluation's job with job(id:)'s rule.
func (d *RL) jobOf(ctx context.Context, id string) (any, error) {
	j, err := d.Jobs.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ownsJob(ctx, j) {
		return nil, fmt.Errorf("job %s: %w", j.ID, store.ErrNotFound)
	}
	return jobView(j), nil
}

// visible reports whether the caller may see a run or evaluation of owner.
func visible(ctx context.Context, owner string) bool {
	pr, _ := auth.FromContext(ctx)
	return pr.Role == auth.Admin || owner == pr.TokenID
}

// skippedSource is what the skipped fields of a run or an evaluation
// resolve from.
type skippedSource struct {
	key     string         // "evaluation:E1", the release's query
	stored  bool           // the population was drawn from stored patients
	skipped []rl.SkipCount // nil until the job has drawn the population
}

// skippedView shows the stored patients left out of a population, by
// reason. Callers with patients:read see exact counts; everyone else gets
// them released through the disclosure guard: every reason category (so
// which ones occur is not shown), each count with noise, hidden below k,
// and the total as their noisy sum. Adding or removing one patient moves
// one category by one, so the release costs one count of budget, once
// per token and period.
func (d *RL) skippedView(ctx context.Context, src skippedSource) (map[string]any, error) {
	k := d.Privacy.K()
	out := map[string]any{"skipped": 0, "skippedDisplay": "0", "skippedReasons": []any{}}
	switch {
	case src.skipped == nil:
		out["skipped"], out["skippedDisplay"] = nil, "pending"
		return out, nil
	case !src.stored:
		return out, nil
	}
	exact := map[string]int{}
	for _, c := range src.skipped {
		exact[c.Reason] = c.Count
	}
	if canSeeExact(ctx) {
		total, reasons := 0, []any{}
		for _, r := range rl.SkipReasons() {
			total += exact[r]
			reasons = append(reasons, map[string]any{"reason": r, "count": exact[r], "display": strconv.Itoa(exact[r]), "suppressed": false})
		}
		return map[string]any{"skipped": total, "skippedDisplay": strconv.Itoa(total), "skippedReasons": reasons}, nil
	}
	type cell struct {
		Reason  string `json:"reason"`
		Count   *int   `json:"count"`
		Display string `json:"display"`
	}
	type released struct {
		Total   *int   `json:"total"`
		Display string `json:"display"`
		Cells   []cell `json:"cells"`
	}
	shown := func(v float64) (*int, string) {
		n := int(math.Round(math.Max(v, 0)))
		if n < k {
			return nil, "<" + strconv.Itoa(k)
		}
		return &n, strconv.Itoa(n)
	}
	var rel released
	_, err := d.Privacy.Release(ctx, callerOf(ctx, "skipped patients"), disclosure.Request{Kind: "rl.skipped", Query: []byte(src.key), Units: 1},
		func(nz *disclosure.Noise) (any, error) {
			var r released
			sum := 0.0
			for _, reason := range rl.SkipReasons() {
				v := nz.Count(exact[reason])
				sum += v
				c := cell{Reason: reason}
				c.Count, c.Display = shown(v)
				r.Cells = append(r.Cells, c)
			}
			r.Total, r.Display = shown(sum)
			return r, nil
		}, &rel)
	if err != nil {
		return nil, privacyError(err)
	}
	reasons := make([]any, len(rel.Cells))
	for i, c := range rel.Cells {
		var count any
		if c.Count != nil {
			count = *c.Count
		}
		reasons[i] = map[string]any{"reason": c.Reason, "count": count, "display": c.Display, "suppressed": c.Count == nil}
	}
	var total any
	if rel.Total != nil {
		total = *rel.Total
	}
	return map[string]any{"skipped": total, "skippedDisplay": rel.Display, "skippedReasons": reasons}, nil
}

func runView(r rl.TrainingRun) map[string]any {
	ms := make([]any, len(r.Metrics))
	for i, m := range r.Metrics {
		ms[i] = map[string]any{"iteration": m.Iteration, "envSteps": m.EnvSteps, "meanReturn": m.MeanReturn,
			"timeInRange": m.TimeInRange, "policyLoss": m.PolicyLoss, "valueLoss": m.ValueLoss,
			"entropy": m.Entropy, "seconds": m.Seconds}
	}
	return map[string]any{"id": r.ID, "_job": r.Job, "_policy": r.Policy, "model": r.Model,
		"algorithm": r.Algorithm, "iteration": r.Iteration, "metrics": ms,
		"_skipped": skippedSource{key: "training:" + r.ID, stored: r.Input.Population.Criteria != nil && string(r.Input.Population.Criteria) != "null", skipped: r.Skipped}}
}

func policyView(p rl.PolicyRecord) map[string]any {
	mon := p.Monitoring
	if mon == "" {
		mon = "DAILY"
	}
	return map[string]any{"id": p.ID, "model": p.Model, "trainingRun": p.TrainingRun, "monitoring": mon,
		"createdAt": p.CreatedAt.Format(time.RFC3339), "parameters": p.Parameters}
}

func evaluationView(e rl.Evaluation) map[string]any {
	arms := make([]any, len(e.Arms))
	for i, a := range e.Arms {
		arm := map[string]any{"name": a.Name, "patients": a.Patients, "timeInRange": a.TimeInRange,
			"timeInRangeLow95": a.TimeInRangeLow95, "timeInRangeHigh95": a.TimeInRangeHigh95,
			"timeAbove": a.TimeAbove, "timeBelow": a.TimeBelow, "meanDailyDose": a.MeanDailyDose,
			"timeSevere": a.TimeSevere, "visitsPerPatient": a.VisitsPerPatient,
			"nadirAnc": a.NadirANC, "nadirDay": a.NadirDay, "grade3Incidence": a.Grade3Incidence,
			"grade4Incidence": a.Grade4Incidence, "relativeDoseIntensity": a.RelativeDoseIntensity}
		if a.Monitoring != "" {
			arm["monitoring"] = a.Monitoring
		}
		arms[i] = arm
	}
	subs := make([]any, len(e.Subgroups))
	for i, sg := range e.Subgroups {
		subs[i] = map[string]any{"dimension": sg.Dimension, "value": sg.Value, "arm": sg.Arm, "patients": sg.Patients,
			"timeInRange": sg.TimeInRange, "timeInRangeLow95": sg.TimeInRangeLow95, "timeInRangeHigh95": sg.TimeInRangeHigh95,
			"timeAbove": sg.TimeAbove, "worseThanBest": sg.WorseThanBest, "gap": sg.Gap, "bestBaseline": nilIfEmpty(sg.BestBaseline)}
	}
	return map[string]any{"id": e.ID, "_job": e.Job, "arms": arms, "_subgroups": subs, "monitoring": nilIfEmpty(e.Input.Monitoring),
		"_skipped": skippedSource{key: "evaluation:" + e.ID, stored: e.Input.Population.Criteria != nil && string(e.Input.Population.Criteria) != "null", skipped: e.Skipped}}
}

// listFilter reads a listing's arguments (first: 1–rl.MaxListing).
func listFilter(p gql.ResolveParams) (rl.ListFilter, error) {
	f := rl.ListFilter{Model: argString(p, "model"), Policy: argString(p, "policyId")}
	first, ok := p.Args["first"].(int)
	if !ok {
		first = 100
	}
	if first < 1 || first > rl.MaxListing {
		return f, fmt.Errorf("first: %w: must be within 1–%d", store.ErrInvalid, rl.MaxListing)
	}
	f.Limit = first
	return f, nil
}

func sourceString(p gql.ResolveParams, key string) string {
	m, _ := p.Source.(map[string]any)
	s, _ := m[key].(string)
	return s
}

func owner(ctx context.Context) string {
	p, _ := auth.FromContext(ctx)
	return p.TokenID
}

// skippedFields resolves the skipped fields of runs and evaluations.
func (d *RL) skippedFields() []field {
	skipped := func(name string) Resolver {
		return Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			m, _ := p.Source.(map[string]any)
			src, _ := m["_skipped"].(skippedSource)
			v, err := d.skippedView(ctx, src)
			if err != nil {
				return nil, err
			}
			return v[name], nil
		}}
	}
	var fields []field
	for _, typ := range []string{"TrainingRun", "Evaluation"} {
		for _, f := range []string{"skipped", "skippedDisplay", "skippedReasons"} {
			fields = append(fields, field{typ, f, skipped(f)})
		}
	}
	return fields
}

// Register adds the RL resolvers.
func (d *RL) Register(r *Registry) error {
	s := d.Service
	g, err := guardFor(r, d.Privacy, d.SmallCell)
	if err != nil {
		return err
	}
	d.Privacy = g
	return registerAll(r, append(append(d.skippedFields(), d.populationSimFields()...), []field{
		{"Mutation", "startTraining", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			var in rl.TrainingInput
			if err := DecodeArg(p.Args["input"], &in); err != nil {
				return nil, err
			}
			run, err := s.StartTraining(ctx, owner(ctx), in)
			if err != nil {
				return nil, err
			}
			return runView(run), nil
		}}},
		{"Query", "trainingRun", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			run, err := s.TrainingRun(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			if !visible(ctx, run.Owner) {
				return nil, fmt.Errorf("training run %s: %w", run.ID, store.ErrNotFound)
			}
			return runView(run), nil
		}}},
		{"Query", "trainingRuns", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			f, err := listFilter(p)
			if err != nil {
				return nil, err
			}
			runs, err := s.TrainingRuns(ctx)
			if err != nil {
				return nil, err
			}
			if pr, _ := auth.FromContext(ctx); pr.Role != auth.Admin {
				f.Owner = pr.TokenID
			}
			out := []any{}
			for _, run := range rl.FilterRuns(runs, f) {
				out = append(out, runView(run))
			}
			return out, nil
		}}},
		{"TrainingRun", "job", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return d.jobOf(ctx, sourceString(p, "_job"))
		}}},
		{"TrainingRun", "policy", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			id := sourceString(p, "_policy")
			if id == "" {
				return nil, nil
			}
			pol, err := s.Policy(ctx, id)
			if err != nil {
				return nil, err
			}
			return policyView(pol), nil
		}}},
		{"Query", "policy", Resolver{Perm: auth.DosingRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			pol, err := s.Policy(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			return policyView(pol), nil
		}}},
		{"Query", "policies", Resolver{Perm: auth.DosingRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			f, err := listFilter(p)
			if err != nil {
				return nil, err
			}
			pols, err := s.Policies(ctx, f)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(pols))
			for i, pol := range pols {
				out[i] = policyView(pol)
			}
			return out, nil
		}}},
		{"Query", "evaluations", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			f, err := listFilter(p)
			if err != nil {
				return nil, err
			}
			if pr, _ := auth.FromContext(ctx); pr.Role != auth.Admin {
				f.Owner = pr.TokenID
			}
			evs, err := s.Evaluations(ctx, f)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(evs))
			for i, e := range evs {
				out[i] = evaluationView(e)
			}
			return out, nil
		}}},
		{"Evaluation", "subgroups", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			// Subgroups of twins of stored patients would show how many
			// matching stored patients carry a genotype, an age band or an
			// ancestry, down to one: only callers who may see patients get
			// them.
			m, _ := p.Source.(map[string]any)
			if src, _ := m["_skipped"].(skippedSource); src.stored && !canSeeExact(ctx) {
				return []any{}, nil
			}
			return m["_subgroups"], nil
		}}},
		{"Query", "simulatePopulation", Resolver{Perm: auth.DosingRead, Fn: d.simulatePopulation}},
		{"Policy", "checks", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			c, err := s.Checks(ctx, sourceString(p, "id"))
			if err != nil {
				return nil, err
			}
			return map[string]any{"decisions": c.Decisions, "guardrailBound": c.GuardrailBound,
				"guardrailBoundFraction": c.BoundFraction, "monotone": c.Monotone, "violations": c.Violations}, nil
		}}},
		{"Policy", "doseTable", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			t, err := s.DoseTable(ctx, sourceString(p, "id"))
			if err != nil {
				return nil, err
			}
			return jsonValue(t), nil
		}}},
		{"Mutation", "evaluatePolicy", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			var in rl.EvaluationInput
			if err := DecodeArg(p.Args["input"], &in); err != nil {
				return nil, err
			}
			e, err := s.EvaluatePolicy(ctx, owner(ctx), in)
			if err != nil {
				return nil, err
			}
			return evaluationView(e), nil
		}}},
		{"Query", "evaluation", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			e, err := s.Evaluation(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			if !visible(ctx, e.Owner) {
				return nil, fmt.Errorf("evaluation %s: %w", e.ID, store.ErrNotFound)
			}
			return evaluationView(e), nil
		}}},
		{"Evaluation", "job", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return d.jobOf(ctx, sourceString(p, "_job"))
		}}},
	}...))
}

// simulatePopulation resolves Query.simulatePopulation.
func (d *RL) simulatePopulation(ctx context.Context, p gql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	req, arms, err := d.populationSimRequest(ctx, in)
	if err != nil {
		return nil, err
	}
	res, err := d.Service.SimulatePopulation(ctx, rl.PopulationSimInput{Model: req.Model, Population: req.Population, Arms: arms, Days: req.Days,
		Monitoring: req.Monitoring, Variability: req.Variability})
	if err != nil {
		return nil, err
	}
	return map[string]any{"model": req.Model, "days": req.Days, "arms": populationArmsView(res)}, nil
}

// populationSimRequest decodes a PopulationSimulationInput: the request to
// store for a job and its arms with the regimens resolved.
func (d *RL) populationSimRequest(ctx context.Context, in map[string]any) (rl.PopulationSimRequest, []dosing.PopulationArm, error) {
	req := rl.PopulationSimRequest{Model: argStringMap(in, "model"), Monitoring: argStringMap(in, "monitoring")}
	if err := DecodeArg(in["population"], &req.Population); err != nil {
		return req, nil, fmt.Errorf("input.population: %w", err)
	}
	list, _ := in["arms"].([]any)
	if len(list) < 1 || len(list) > dosing.MaxPopulationArms {
		return req, nil, fmt.Errorf("input.arms: %w: give 1–%d regimens", store.ErrInvalid, dosing.MaxPopulationArms)
	}
	dz := &Dosing{Policies: d.Service.PolicyFor}
	arms := make([]dosing.PopulationArm, len(list))
	for i, a := range list {
		reg, err := dz.regimen(ctx, a, req.Model)
		if err != nil {
			return req, nil, fmt.Errorf("input.arms[%d]: %w", i, err)
		}
		arms[i] = dosing.PopulationArm{Name: armName(a, reg), Regimen: reg}
		m, _ := a.(map[string]any)
		spec := rl.PopulationSimArm{Name: arms[i].Name, Method: reg.Method, IntervalHours: reg.IntervalHours, PolicyID: argStringMap(m, "policyId")}
		if reg.FixedDose != nil {
			spec.FixedDose = reg.FixedDose.Text('f')
		}
		req.Arms = append(req.Arms, spec)
	}
	req.Days, _ = in["days"].(int)
	req.Variability, _ = in["variability"].(bool)
	return req, arms, nil
}

func populationArmsView(res []dosing.PopulationArmResult) []any {
	out := make([]any, len(res))
	for i, r := range res {
		bands := make([]any, len(r.Bands))
		for j, b := range r.Bands {
			bands[j] = map[string]any{"hour": b.Hour, "p5": b.P[0], "p25": b.P[1], "p50": b.P[2], "p75": b.P[3], "p95": b.P[4]}
		}
		eps := make([]any, len(r.Endpoints))
		for j, e := range r.Endpoints {
			eps[j] = map[string]any{"name": e.Name, "mean": e.Mean, "p5": e.P[0], "p25": e.P[1], "p50": e.P[2], "p75": e.P[3], "p95": e.P[4]}
		}
		out[i] = map[string]any{"name": r.Name, "monitoring": string(r.Monitoring), "patients": r.Patients, "bands": bands, "endpoints": eps}
	}
	return out
}

func populationSimView(ps rl.PopulationSimulation) map[string]any {
	return map[string]any{"id": ps.ID, "_job": ps.Job, "model": ps.Input.Model, "days": ps.Input.Days,
		"arms": populationArmsView(ps.Arms), "createdAt": ps.CreatedAt.Format(time.RFC3339)}
}

// populationSimFields resolves startPopulationSimulation,
// populationSimulation and PopulationSimulationRun.job; runs are visible to
// the token that started them and to admins, like their jobs.
func (d *RL) populationSimFields() []field {
	return []field{
		{"Mutation", "startPopulationSimulation", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			in, _ := p.Args["input"].(map[string]any)
			req, _, err := d.populationSimRequest(ctx, in)
			if err != nil {
				return nil, err
			}
			ps, err := d.Service.StartPopulationSimulation(ctx, owner(ctx), req)
			if err != nil {
				return nil, err
			}
			return populationSimView(ps), nil
		}}},
		{"Query", "populationSimulation", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			ps, err := d.Service.PopulationSimulation(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			if !visible(ctx, ps.Owner) {
				return nil, fmt.Errorf("population simulation %s: %w", ps.ID, store.ErrNotFound)
			}
			return populationSimView(ps), nil
		}}},
		{"PopulationSimulationRun", "job", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return d.jobOf(ctx, sourceString(p, "_job"))
		}}},
	}
}

// armName names a population-simulation arm after its regimen.
func armName(v any, reg dosing.Regimen) string {
	m, _ := v.(map[string]any)
	switch {
	case reg.Method != "":
		return reg.Method
	case reg.Policy != nil:
		return "policy " + argStringMap(m, "policyId")
	}
	return "fixed " + reg.FixedDose.Text('f')
}
