package rl

import (
	"context"
	"sort"

	"github.com/rxlab/rxlab/store"
)

// MaxListing bounds the entries one listing returns (newest first).
const MaxListing = 500

// ListFilter narrows a listing; empty fields match everything.
type ListFilter struct {
	// Model is a drug model id.
	Model string
	// Policy is a policy id (evaluations of it; the run that made it).
	Policy string
	// Owner is the token that started a run or an evaluation.
	Owner string
	// Limit caps the result (1–MaxListing; 0 means MaxListing).
	Limit int
}

func (f ListFilter) limit() int {
	if f.Limit <= 0 || f.Limit > MaxListing {
		return MaxListing
	}
	return f.Limit
}

// Policies lists stored policies, newest first, without their weights.
func (s *Service) Policies(ctx context.Context, f ListFilter) ([]PolicyRecord, error) {
	var out []PolicyRecord
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("rl/policy/"), nil, func(r store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var p PolicyRecord
			if err := r.Decode(&p); err != nil {
				return err
			}
			if (f.Model == "" || p.Model == f.Model) && (f.Policy == "" || p.ID == f.Policy) {
				p.Weights = nil
				out = append(out, p)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out[:min(len(out), f.limit())], err
}

// Evaluations lists stored evaluations, newest first, that match f (Owner
// empty: every owner's).
func (s *Service) Evaluations(ctx context.Context, f ListFilter) ([]Evaluation, error) {
	var out []Evaluation
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("rl/eval/"), nil, func(r store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var e Evaluation
			if err := r.Decode(&e); err != nil {
				return err
			}
			if (f.Model == "" || e.Input.Model == f.Model) && (f.Policy == "" || e.Input.PolicyID == f.Policy) && (f.Owner == "" || e.Owner == f.Owner) {
				out = append(out, e)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out[:min(len(out), f.limit())], err
}

// FilterRuns keeps the runs that match f (Policy: the run that made it),
// newest first.
func FilterRuns(runs []TrainingRun, f ListFilter) []TrainingRun {
	var out []TrainingRun
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if (f.Model == "" || r.Model == f.Model) && (f.Policy == "" || r.Policy == f.Policy) && (f.Owner == "" || r.Owner == f.Owner) {
			out = append(out, r)
		}
	}
	return out[:min(len(out), f.limit())]
}
