package rl

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/mipd"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store"
)

// mipdPosterior adapts rl/mipd's estimator to env.Posterior for warfarin:
// a MAP fit with the Laplace posterior SD (no SIR: the arm and the
// environment need the mode and the spread, not samples), seeded by the
// record's length so a fit is a function of the record.
type mipdPosterior struct {
	est   *mipd.Estimator
	names []string
	omega []float64
}

// posterior returns the warfarin estimator the map-bayes arm and
// posterior-aware policies fit with. It is built once per process: it
// depends on no Service state, is safe for concurrent use, and building
// it costs a reference fit, which PolicyFor (every served recommendation
// of a posterior-aware policy) would otherwise repeat.
func (s *Service) posterior() (env.Posterior, error) { return sharedPosterior() }

var sharedPosterior = sync.OnceValues(newMIPDPosterior)

// newMIPDPosterior builds the estimator. Its effects and prior SDs are
// read from a fit of a reference record (one dose, one INR), so they are
// rl/mipd's by construction.
func newMIPDPosterior() (env.Posterior, error) {
	est, err := mipd.New(mipd.Config{})
	if err != nil {
		return nil, err
	}
	p := &mipdPosterior{est: est}
	ref := dosing.Patient{Age: 65, Genotypes: map[string]string{"CYP2C9": "*1/*1", "VKORC1": "G/A"}}
	res, err := est.Individualize(context.Background(), mipd.Input{Model: dosing.WarfarinHamberg, Patient: ref,
		Doses: []mipd.Dose{{Hour: 0, Amount: 5}}, Observations: []mipd.Observation{{Hour: 24, Value: 1.1}}, SkipSIR: true})
	if err != nil {
		return nil, fmt.Errorf("posterior estimator: reference fit: %w", err)
	}
	p.names = append([]string(nil), res.Names...)
	for _, n := range p.names {
		p.omega = append(p.omega, res.Omega[n])
	}
	if !slices.Equal(p.names, warfarinEffects[:]) {
		return nil, fmt.Errorf("posterior estimator: random effects %v, the forecast expects %v: %w", p.names, warfarinEffects, store.ErrInvalid)
	}
	return p, nil
}

// Omega implements env.Posterior.
func (p *mipdPosterior) Omega() []float64 { return append([]float64(nil), p.omega...) }

// INR bounds of a fitted measurement: rl/mipd accepts INRs in [0.5, 25];
// a simulated measurement outside (an INR above 25 after a gross
// overdose) enters at the bound, as a laboratory reports "> 25".
const (
	fitINRLow  = 0.5
	fitINRHigh = 25
)

// Fit implements env.Posterior.
func (p *mipdPosterior) Fit(ctx context.Context, in env.PosteriorInput) (eta, sd []float64, err error) {
	mi := mipd.Input{Model: dosing.WarfarinHamberg, Patient: warfarinPatient(in.Covariates), SkipSIR: true,
		Doses: make([]mipd.Dose, len(in.Doses)), Observations: make([]mipd.Observation, len(in.Observations)),
		Seed: uint64(len(in.Doses))<<32 | uint64(len(in.Observations))}
	for i, d := range in.Doses {
		mi.Doses[i] = mipd.Dose{Hour: d.Hour, Amount: d.Value}
	}
	for i, o := range in.Observations {
		mi.Observations[i] = mipd.Observation{Hour: o.Hour, Value: math.Max(fitINRLow, math.Min(fitINRHigh, o.Value))}
	}
	res, err := p.est.Individualize(ctx, mi)
	if err != nil {
		return nil, nil, err
	}
	eta = res.EtaVector()
	sd = make([]float64, len(p.names))
	for k, n := range p.names {
		sd[k] = res.PosteriorSD[n]
	}
	return eta, sd, nil
}

// warfarinPatient is a patient carrying just the covariates (for the
// estimator).
func warfarinPatient(c pkpd.WarfarinCovariates) dosing.Patient {
	return dosing.Patient{Age: c.Age, Genotypes: map[string]string{"CYP2C9": c.CYP2C9.String(), "VKORC1": c.VKORC1.String()}}
}
