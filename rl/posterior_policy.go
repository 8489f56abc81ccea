package rl

import (
	"context"
	"fmt"
	"sync"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/ppo"
	"github.com/rxlab/rxlab/store"
)

// MaxPosteriorFits bounds the MAP fits of a posterior-aware training run
// (TrainingInput.Posterior): iterations × envs × measurements per episode.
// A warfarin fit costs a few milliseconds, so the largest run fits for
// about an hour on two cores.
const MaxPosteriorFits = 2_000_000

// posteriorVisits bounds the measurements of one episode of steps days
// under the training schedule (DAILY: every day; OUTPATIENT: the clinic's
// visits; PROTOCOL: at most one every 2 days, the shortest interval).
func posteriorVisits(mon dosing.Monitoring, steps int) int64 {
	switch mon {
	case dosing.MonitoringOutpatient:
		return mapBayesVisits(mon, steps)
	case dosing.MonitoringProtocol:
		return int64((steps + 1) / 2)
	}
	return int64(steps)
}

// checkPosteriorTraining validates TrainingInput.Posterior: warfarin only,
// within MaxPosteriorFits.
func checkPosteriorTraining(in *TrainingInput, hp ppo.Hyperparameters) error {
	if in.Model != dosing.WarfarinHamberg {
		return fmt.Errorf("input.posterior: offered for %s only: %w", dosing.WarfarinHamberg, store.ErrInvalid)
	}
	hp = hp.WithDefaults()
	steps := hp.EpisodeSteps
	if steps == 0 {
		steps = 90
	}
	mon, _ := dosing.ParseMonitoring("input.monitoring", in.Monitoring)
	if in.Monitoring == "" {
		mon = dosing.MonitoringDaily
	}
	if work(int64(in.Iterations), int64(hp.Envs), posteriorVisits(mon, steps)) > MaxPosteriorFits {
		return &LimitError{Field: "input (iterations × hyperparameters.envs × measurements per episode, posterior)", Limit: MaxPosteriorFits, Unit: "MAP fits"}
	}
	return nil
}

// posteriorPolicy serves a policy trained on the posterior observation:
// env.NewPolicyContext rebuilds the environment's observation, posterior
// included (refitted under ctx at every measurement), and its shield; the
// network acts greedily from a pool of clones.
func (s *Service) posteriorPolicy(ctx context.Context, id string, p *ppo.Policy) (dosing.Policy, error) {
	post, err := s.posterior()
	if err != nil {
		return nil, err
	}
	if 2*len(post.Omega()) != p.Spec.PosteriorDim {
		return nil, fmt.Errorf("policy %s: trained on %d posterior entries, the estimator gives %d: %w", id, p.Spec.PosteriorDim, 2*len(post.Omega()), store.ErrInvalid)
	}
	pool := sync.Pool{New: func() any { return p.Clone() }}
	act := func(obs []float32, mask []bool) (int, error) {
		q := pool.Get().(*ppo.Policy)
		defer pool.Put(q)
		return q.Act(obs, mask)
	}
	sp := p.Spec
	return env.NewPolicyContext(ctx, env.Config{Model: sp.Model, EpisodeSteps: sp.EpisodeSteps, History: sp.History,
		Shield: sp.Shield, Monitoring: dosing.Monitoring(sp.Monitoring), Posterior: post}, act)
}
