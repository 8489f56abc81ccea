package graphql

import (
	"context"
	"encoding/json"
	"fmt"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/graphql/federate"
)

// Federation is the coordinator's capability: federatedCount asks every
// site of a federation for its released count (see package federate).
type Federation struct {
	Fed *federate.Federation
}

// Register adds federatedCount.
func (d *Federation) Register(r *Registry) error {
	if d.Fed == nil {
		return fmt.Errorf("graphql: %w: Federation needs a federate.Federation", errInvalid)
	}
	return r.Field("Query", "federatedCount", Resolver{Perm: auth.CohortsCount, Fn: d.count})
}

// count checks the criteria once here (a CriteriaInput, and asOf), so bad
// input is one error rather than one per site, then fans out.
func (d *Federation) count(ctx context.Context, p gql.ResolveParams) (any, error) {
	raw, err := json.Marshal(p.Args["criteria"])
	if err != nil || len(raw) > federate.MaxCriteriaBytes {
		return nil, fmt.Errorf("criteria: %w: not JSON or larger than %d bytes", errInvalid, federate.MaxCriteriaBytes)
	}
	if _, err := cohorts.ParseCriteria(raw); err != nil {
		return nil, err
	}
	asOf := argString(p, "asOf")
	if _, err := cohorts.ParseAsOf(asOf); err != nil {
		return nil, err
	}
	ans, err := d.Fed.Count(ctx, raw, asOf)
	if err != nil {
		return nil, err
	}
	sites := make([]any, len(ans.Sites))
	for i, s := range ans.Sites {
		sites[i] = map[string]any{
			"site": s.Site, "status": s.Status, "count": s.Count, "display": nilIfEmpty(s.Display),
			"exact": s.Exact, "noiseSigma": s.NoiseSigma, "code": nilIfEmpty(s.Code), "error": nilIfEmpty(s.Error),
			"millis": s.Millis,
		}
	}
	return map[string]any{
		"sites": sites, "total": ans.Total, "released": ans.Released,
		"complete": ans.Complete, "noiseSigma": ans.NoiseSigma,
	}, nil
}
