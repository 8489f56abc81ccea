package graphql

import (
	"context"
	"time"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/store/jobs"
)

// RL serves dosing-policy training, trained policies and evaluations.
type RL struct {
	Service *rl.Service
	Jobs    *jobs.Runner
}

func (d *RL) jobOf(ctx context.Context, id string) (any, error) {
	j, err := d.Jobs.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return jobView(j), nil
}

func runView(r rl.TrainingRun) map[string]any {
	ms := make([]any, len(r.Metrics))
	for i, m := range r.Metrics {
		ms[i] = map[string]any{"iteration": m.Iteration, "envSteps": m.EnvSteps, "meanReturn": m.MeanReturn,
			"timeInRange": m.TimeInRange, "policyLoss": m.PolicyLoss, "valueLoss": m.ValueLoss,
			"entropy": m.Entropy, "seconds": m.Seconds}
	}
	return map[string]any{"id": r.ID, "_job": r.Job, "_policy": r.Policy, "model": r.Model,
		"algorithm": r.Algorithm, "iteration": r.Iteration, "metrics": ms}
}

func policyView(p rl.PolicyRecord) map[string]any {
	return map[string]any{"id": p.ID, "model": p.Model, "trainingRun": p.TrainingRun,
		"createdAt": p.CreatedAt.Format(time.RFC3339), "parameters": p.Parameters}
}

func evaluationView(e rl.Evaluation) map[string]any {
	arms := make([]any, len(e.Arms))
	for i, a := range e.Arms {
		arms[i] = map[string]any{"name": a.Name, "patients": a.Patients, "timeInRange": a.TimeInRange,
			"timeInRangeLow95": a.TimeInRangeLow95, "timeInRangeHigh95": a.TimeInRangeHigh95,
			"timeAbove": a.TimeAbove, "timeBelow": a.TimeBelow, "meanDailyDose": a.MeanDailyDose,
			"timeSevere": a.TimeSevere}
	}
	return map[string]any{"id": e.ID, "_job": e.Job, "arms": arms}
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
			return runView(run), nil
		}}},
		{"Query", "trainingRun", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			run, err := s.TrainingRun(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			return runView(run), nil
		}}},
		{"Query", "trainingRuns", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			runs, err := s.TrainingRuns(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(runs))
			for i, run := range runs {
				out[i] = runView(run)
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
			return evaluationView(e), nil
		}}},
		{"Query", "evaluation", Resolver{Perm: auth.Training, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			e, err := s.Evaluation(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			return evaluationView(e), nil
		}}},
		{"Evaluation", "job", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return d.jobOf(ctx, sourceString(p, "_job"))
		}}},
	})
}
