package graphql

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"time"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl"
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
	// SmallCell is k: counts of skipped stored patients from 1 to k-1 are
	// hidden from callers without patients:read. Zero means 11.
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

// skippedView shows the stored patients left out of a population, by
// reason. For callers without patients:read each count from 1 to k-1 is
// hidden ("<k"), and so is the total when any reason is hidden, so a
// hidden count is never the difference of shown ones.
func skippedView(ctx context.Context, sk []rl.SkipCount, k int) map[string]any {
	pr, _ := auth.FromContext(ctx)
	exact := pr.Can(auth.PatientsRead)
	small := func(n int) bool { return !exact && n > 0 && n < k }
	total, anyHidden := 0, false
	reasons := make([]any, len(sk))
	for i, c := range sk {
		total += c.Count
		r := map[string]any{"reason": c.Reason, "count": c.Count, "display": strconv.Itoa(c.Count), "suppressed": false}
		if small(c.Count) {
			r["count"], r["display"], r["suppressed"] = nil, "<"+strconv.Itoa(k), true
			anyHidden = true
		}
		reasons[i] = r
	}
	out := map[string]any{"skipped": total, "skippedDisplay": strconv.Itoa(total), "skippedReasons": reasons}
	if anyHidden || small(total) {
		out["skipped"], out["skippedDisplay"] = nil, "<"+strconv.Itoa(k)
		if total >= k {
			out["skippedDisplay"] = "≥" + strconv.Itoa(k)
		}
	}
	return out
}

func runView(ctx context.Context, r rl.TrainingRun, k int) map[string]any {
	ms := make([]any, len(r.Metrics))
	for i, m := range r.Metrics {
		ms[i] = map[string]any{"iteration": m.Iteration, "envSteps": m.EnvSteps, "meanReturn": m.MeanReturn,
			"timeInRange": m.TimeInRange, "policyLoss": m.PolicyLoss, "valueLoss": m.ValueLoss,
			"entropy": m.Entropy, "seconds": m.Seconds}
	}
	out := map[string]any{"id": r.ID, "_job": r.Job, "_policy": r.Policy, "model": r.Model,
		"algorithm": r.Algorithm, "iteration": r.Iteration, "metrics": ms}
	maps.Copy(out, skippedView(ctx, r.Skipped, k))
	return out
}

func policyView(p rl.PolicyRecord) map[string]any {
	return map[string]any{"id": p.ID, "model": p.Model, "trainingRun": p.TrainingRun,
		"createdAt": p.CreatedAt.Format(time.RFC3339), "parameters": p.Parameters}
}

func evaluationView(ctx context.Context, e rl.Evaluation, k int) map[string]any {
	arms := make([]any, len(e.Arms))
	for i, a := range e.Arms {
		arms[i] = map[string]any{"name": a.Name, "patients": a.Patients, "timeInRange": a.TimeInRange,
			"timeInRangeLow95": a.TimeInRangeLow95, "timeInRangeHigh95": a.TimeInRangeHigh95,
			"timeAbove": a.TimeAbove, "timeBelow": a.TimeBelow, "meanDailyDose": a.MeanDailyDose,
			"timeSevere": a.TimeSevere}
	}
	out := map[string]any{"id": e.ID, "_job": e.Job, "arms": arms}
	maps.Copy(out, skippedView(ctx, e.Skipped, k))
	return out
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

// Register adds the RL resolvers.
func (d *RL) Register(r *Registry) error {
	s := d.Service
	k := d.SmallCell
	if k <= 0 {
		k = 11
	}
	return registerAll(r, []field{
		{"Mutation", "startTraining", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			var in rl.TrainingInput
			if err := DecodeArg(p.Args["input"], &in); err != nil {
				return nil, err
			}
			run, err := s.StartTraining(ctx, owner(ctx), in)
			if err != nil {
				return nil, err
			}
			return runView(ctx, run, k), nil
		}}},
		{"Query", "trainingRun", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			run, err := s.TrainingRun(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			if !visible(ctx, run.Owner) {
				return nil, fmt.Errorf("training run %s: %w", run.ID, store.ErrNotFound)
			}
			return runView(ctx, run, k), nil
		}}},
		{"Query", "trainingRuns", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			runs, err := s.TrainingRuns(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, 0, len(runs))
			for _, run := range runs {
				if visible(ctx, run.Owner) {
					out = append(out, runView(ctx, run, k))
				}
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
			return evaluationView(ctx, e, k), nil
		}}},
		{"Query", "evaluation", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			e, err := s.Evaluation(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			if !visible(ctx, e.Owner) {
				return nil, fmt.Errorf("evaluation %s: %w", e.ID, store.ErrNotFound)
			}
			return evaluationView(ctx, e, k), nil
		}}},
		{"Evaluation", "job", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return d.jobOf(ctx, sourceString(p, "_job"))
		}}},
	})
}
