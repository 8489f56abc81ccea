package graphql

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/response"
	"github.com/rxlab/rxlab/store"
)

// responseQuantiles are the levels predictPatientResponse reports.
var responseQuantiles = []float64{0.10, 0.25, 0.50, 0.75, 0.90}

// predictPatientResponse ranks a cohort's patients by predicted response.
// patients:read sees the exact summary and the top patients (audited);
// other roles need cohorts:count as well and get a summary released
// through the guard, or COHORT_TOO_SMALL below its threshold.
func (d *Response) predictPatientResponse(ctx context.Context, p gql.ResolveParams, g *disclosure.Guard) (any, error) {
	if d.Cohorts == nil {
		return nil, fmt.Errorf("patient predictions: %w", store.ErrNotImplemented)
	}
	pr, _ := auth.FromContext(ctx)
	exact := pr.Can(auth.PatientsRead)
	if !exact && !pr.Can(auth.CohortsCount) {
		return nil, &apiError{msg: fmt.Sprintf("role %s may not use predictPatientResponse (it needs %s as well as %s)", pr.Role, auth.CohortsCount, auth.ModelsRead), code: CodeForbidden}
	}
	c, err := criteriaArg(p.Args["criteria"])
	if err != nil {
		return nil, err
	}
	model, smiles := argString(p, "model"), argString(p, "smiles")
	if exact {
		return d.exactPatientResponse(ctx, g, model, smiles, c)
	}
	m, err := d.Service.Model(ctx, model)
	if err != nil {
		return nil, err
	}
	dom, err := m.DrugDomain(smiles)
	if err != nil {
		return nil, err
	}
	canon, err := json.Marshal(struct {
		Model    string           `json:"model"`
		SMILES   string           `json:"smiles"`
		Criteria cohorts.Criteria `json:"criteria"`
	}{model, dom.CanonicalSMILES, c})
	if err != nil {
		return nil, fmt.Errorf("criteria: %w: %v", errInvalid, err)
	}
	req := disclosure.Request{Kind: "response", Query: canon, Units: disclosure.DistributionUnits(len(responseQuantiles))}
	var dist disclosure.Distribution
	rec, err := g.Release(ctx, callerOf(ctx, "predictPatientResponse"), req, func(n *disclosure.Noise) (any, error) {
		res, err := d.Service.PredictCohort(ctx, d.Cohorts, model, smiles, c, math.MaxInt)
		if err != nil {
			return nil, err
		}
		vals, half := make([]float64, len(res.Top)), make([]float64, len(res.Top))
		for i, t := range res.Top {
			vals[i], half[i] = t.Value, (t.High-t.Low)/2
		}
		return g.ReleaseDistribution(vals, half, responseQuantiles, disclosure.LnIC50Bounds, disclosure.HalfWidthBounds, n)
	}, &dist)
	if err != nil {
		return nil, privacyError(err)
	}
	if dist.TooSmall {
		return nil, g.CheckMinimum(dist.Patients)
	}
	b := disclosure.LnIC50Bounds
	out := map[string]any{"patients": dist.Patients, "quantiles": dist.Quantiles, "mean": *dist.Mean, "meanIntervalHalfWidth": *dist.MeanHalfWidth,
		"nearestTrainingSimilarity": dom.NearestTrainingSimilarity, "inDomain": dom.InDomain, "knownDrug": dom.Known,
		"disclosure": disclosureView(g, false, rec, &b)}
	if q := dist.Quantiles; len(q) == len(responseQuantiles) {
		out["distinguishable"], out["warning"] = rankingView(response.RankingSpreadCheck(q[0], q[len(q)-1], *dist.MeanHalfWidth))
	}
	return out, nil
}

// rankingView answers PatientResponse.distinguishable and .warning.
func rankingView(ok bool, warning string) (bool, any) { return ok, nilIfEmpty(warning) }

// exactPatientResponse is the patients:read view: exact aggregates and
// the 20 most sensitive patients with their intervals, each audited.
func (d *Response) exactPatientResponse(ctx context.Context, g *disclosure.Guard, model, smiles string, c cohorts.Criteria) (any, error) {
	res, err := d.Service.PredictCohort(ctx, d.Cohorts, model, smiles, c, 20)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"patients": res.Patients, "quantiles": res.Quantiles,
		"nearestTrainingSimilarity": res.Drug.NearestTrainingSimilarity, "inDomain": res.Drug.InDomain, "knownDrug": res.Drug.Known,
		"disclosure": disclosureView(g, true, disclosure.Receipt{}, nil)}
	if res.Patients > 0 {
		out["mean"] = res.Mean
		out["meanIntervalHalfWidth"] = res.MeanHalfWidth
	}
	out["distinguishable"], out["warning"] = rankingView(res.Distinguishable, res.Warning)
	tops := make([]any, len(res.Top))
	for i, t := range res.Top {
		AddTarget(ctx, "patient:"+t.PatientID)
		tops[i] = map[string]any{"patientId": t.PatientID, "value": t.Value, "low": t.Low, "high": t.High}
	}
	out["top"] = tops
	return out, nil
}
