package graphql

import (
	"context"
	"fmt"
	"time"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/response"
)

// Response serves the response models: listing, prediction for molecules
// and for a cohort's patients, and training.
type Response struct {
	Service *response.Service
	Cohorts *cohorts.Service
	// SmallCell is the cohort size below which aggregate predictions are
	// withheld from roles without patients:read (default 11).
	SmallCell int
	// Privacy releases the aggregate predictions to roles without
	// patients:read; nil means a guard over the registry's store.
	Privacy *disclosure.Guard
}

func modelView(m response.ModelInfo) map[string]any {
	return map[string]any{
		"id": m.ID, "task": m.Task, "target": m.Target, "unit": nilIfEmpty(m.Unit), "dataset": m.Dataset,
		"metrics": jsonValue(m.Metrics), "split": m.Split, "trainedAt": m.TrainedAt.Format(time.RFC3339),
		"baseline": jsonValue(m.Baseline), "validation": jsonValue(m.Validation), "ensemble": m.Ensemble, "arch": archName(m.Arch),
		"seed": int(m.Seed), "datasetHash": m.DatasetHash, "trainSeconds": m.TrainSeconds,
		"inDomainThreshold": m.InDomainThreshold, "tasks": m.Tasks, "history": historyView(m.History), "crossValidation": crossValidationView(m.CrossValidation),
		"warnings": m.Warnings(),
	}
}

// monitoringView is ResponseModel.monitoring.
func monitoringView(mo response.Monitoring) map[string]any {
	days := make([]any, len(mo.Days))
	for i, d := range mo.Days {
		var f any
		if d.Predictions > 0 {
			f = float64(d.InDomain) / float64(d.Predictions)
		}
		days[i] = map[string]any{"date": d.Date, "predictions": float64(d.Predictions), "inDomain": float64(d.InDomain), "inDomainFraction": f}
	}
	drift := make([]any, len(mo.Descriptors))
	for i, d := range mo.Descriptors {
		drift[i] = map[string]any{"name": d.Name, "psi": d.PSI}
	}
	return map[string]any{"days": days, "predictions": float64(mo.Predictions), "inDomainFraction": mo.InDomainFraction,
		"predictionPsi": mo.PredictionPSI, "descriptors": drift, "warnings": mo.Warnings}
}

// crossValidationView is ResponseModel.crossValidation (null without folds).
func crossValidationView(cv *response.CrossValidation) any {
	if cv == nil {
		return nil
	}
	return jsonValue(cv)
}

func historyView(h []response.EpochLoss) []any {
	out := make([]any, len(h))
	for i, e := range h {
		out[i] = map[string]any{"arch": e.Arch, "epoch": e.Epoch, "members": e.Members, "train": e.Train, "validation": e.Validation}
	}
	return out
}

func predictionView(p response.Prediction) map[string]any {
	m := map[string]any{"smiles": p.SMILES, "value": p.Value, "low": p.Low, "high": p.High,
		"nearestTrainingSimilarity": p.NearestTrainingSimilarity, "inDomain": p.InDomain,
		"atomContributions": p.AtomContributions, "error": nilIfEmpty(p.Error)}
	if len(p.Values) > 0 {
		m["values"] = p.Values
	}
	return m
}

// Register adds the response-model resolvers and the loaded-model cache's
// metrics (cache="response_models").
func (d *Response) Register(r *Registry) error {
	s := d.Service
	r.Collect(newCacheCollector("response_models", s.CacheStats))
	g, err := guardFor(r, d.Privacy, d.SmallCell)
	if err != nil {
		return err
	}
	return registerAll(r, []field{
		{"Query", "responseModels", Resolver{Perm: auth.ModelsRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, err := s.Models(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, m := range list {
				out[i] = modelView(m)
			}
			return out, nil
		}}},
		{"Query", "predict", Resolver{Perm: auth.ModelsRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			preds, err := s.Predict(ctx, argString(p, "model"), stringList(p.Args["smiles"]))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(preds))
			for i, x := range preds {
				out[i] = predictionView(x)
			}
			return out, nil
		}}},
		{"Query", "predictPatientResponse", Resolver{Perm: auth.ModelsRead, PatientRead: true, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return d.predictPatientResponse(ctx, p, g)
		}}},
		{"ResponseModel", "monitoring", Resolver{Perm: auth.ModelsRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			src, _ := p.Source.(map[string]any)
			id, _ := src["id"].(string)
			mo, err := s.Monitoring(ctx, id, argInt(p, "days", 30))
			if err != nil {
				return nil, err
			}
			return monitoringView(mo), nil
		}}},
		{"Mutation", "trainResponseModel", Resolver{Perm: auth.ModelsTrain, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			var in response.TrainInput
			if err := DecodeArg(p.Args["input"], &in); err != nil {
				return nil, fmt.Errorf("input: %w", err)
			}
			j, err := s.Train(ctx, owner(ctx), in)
			if err != nil {
				return nil, err
			}
			return jobView(j), nil
		}}},
	})
}

// archName is a model's architecture, "mlp" for records from before the
// field existed.
func archName(a string) string {
	if a == "" {
		return response.ArchMLP
	}
	return a
}
