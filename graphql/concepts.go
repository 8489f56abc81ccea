package graphql

import (
	"context"
	"encoding/json"
	"fmt"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
)

// maxNoisyRecords bounds the concepts whose records one call releases to
// a role without patients:read: each is a released count paid from the
// privacy budget (a repeated question is free).
const maxNoisyRecords = 20

// Concepts serves the vocabulary's concept search (cohorts/vocab) with
// each concept's stored patients, released like cohortCount.
type Concepts struct {
	Service *cohorts.Service
	// Guard is the disclosure control cohortCount uses; required.
	Guard *disclosure.Guard
}

// Register adds Query.concepts.
func (d *Concepts) Register(r *Registry) error {
	if d.Service == nil || d.Guard == nil {
		return fmt.Errorf("graphql: Concepts needs a Service and a Guard: %w", store.ErrInvalid)
	}
	return registerAll(r, []field{
		{"Query", "concepts", Resolver{Perm: auth.CohortsCount, Fn: d.concepts}},
	})
}

func (d *Concepts) concepts(ctx context.Context, p gql.ResolveParams) (any, error) {
	first := argInt(p, "first", 20)
	records := selectedFields(p)["records"]
	exact := canSeeExact(ctx)
	if records && !exact && first > maxNoisyRecords {
		return nil, fmt.Errorf("first: at most %d concepts with records for roles without patients:read (each records is a released count): %w", maxNoisyRecords, store.ErrInvalid)
	}
	hits, err := d.Service.SearchConcepts(ctx, argString(p, "query"), argString(p, "system"), first)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(hits))
	for _, h := range hits {
		m := conceptView(h)
		if records {
			n, err := d.records(ctx, h.Criteria, exact)
			if err != nil {
				return nil, err
			}
			m["records"] = n
		}
		out = append(out, m)
	}
	return out, nil
}

// conceptView is a concept with its parents; the parents' records are
// not computed (null).
func conceptView(h cohorts.ConceptHit) map[string]any {
	parents := make([]any, 0, len(h.Parents))
	for _, p := range h.Parents {
		parents = append(parents, map[string]any{"system": p.System, "code": p.Code, "display": p.Display, "parents": []any{}, "records": nil})
	}
	return map[string]any{"system": h.System, "code": h.Code, "display": h.Display, "parents": parents, "records": nil}
}

// records is the number of stored patients meeting a concept's criteria:
// exact for patients:read, otherwise released through the guard as the
// count part of cohortCount over the same criteria (same ledger question,
// so asking again, here or through cohortCount, is the same answer and
// free); nil when below the threshold.
func (d *Concepts) records(ctx context.Context, c cohorts.Criteria, exact bool) (*int, error) {
	if exact {
		cc, err := d.Service.ConceptCount(ctx, c)
		if err != nil {
			return nil, err
		}
		return cc.Count, nil
	}
	canon, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("criteria: %w: %v", errInvalid, err)
	}
	parts := disclosure.Parts{Count: true}
	var released cohorts.CohortCount
	_, err = d.Guard.Release(ctx, callerOf(ctx, "concepts"), disclosure.CountRequest(canon, parts, 1), func(n *disclosure.Noise) (any, error) {
		cc, err := d.Service.ConceptCount(ctx, c)
		if err != nil {
			return nil, err
		}
		return d.Guard.ReleaseCount(cc, parts, n), nil
	}, &released)
	if err != nil {
		return nil, privacyError(err)
	}
	return released.Count, nil
}
