package env

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// Posterior individualizes one warfarin patient from the doses and
// measurements so far: the maximum a posteriori (MAP) estimate η̂ of each
// random effect and its approximate posterior SD. Implementations must be
// safe for concurrent use: the environment fits the patients of a step on
// several goroutines.
type Posterior interface {
	// Omega returns the prior SD of each random effect, in the order Fit
	// reports them (η ~ N(0, Omega²)).
	Omega() []float64
	// Fit returns η̂ and the posterior SD, each of len(Omega()).
	Fit(ctx context.Context, in PosteriorInput) (eta, sd []float64, err error)
}

// TimedValue is a dose (mg) or a measurement at an hour since the first
// day's dose.
type TimedValue struct {
	Hour, Value float64
}

// PosteriorInput is one patient's record as a Posterior sees it.
type PosteriorInput struct {
	Covariates pkpd.WarfarinCovariates
	// Doses are the given doses (mg), hour ascending.
	Doses []TimedValue
	// Observations are the measured INRs after the first dose, hour
	// ascending.
	Observations []TimedValue
}

// MaxPosteriorEffects bounds len(Posterior.Omega()).
const MaxPosteriorEffects = 16

// posteriorState is the per-patient record and features of a
// posterior-aware environment.
type posteriorState struct {
	p       Posterior
	omega   []float64
	workers int
	doses   [][]TimedValue // per env
	obs     [][]TimedValue
	feat    []float64 // n × 2P: η̂/ω, SD/ω
	pending []int     // envs to refit after this step
}

func newPosteriorState(p Posterior, n int) (*posteriorState, error) {
	om := p.Omega()
	if len(om) == 0 || len(om) > MaxPosteriorEffects {
		return nil, fmt.Errorf("posterior: %d random effects (want 1–%d): %w", len(om), MaxPosteriorEffects, errs.Invalid)
	}
	for k, w := range om {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("posterior: omega[%d] must be positive and finite: %w", k, errs.Invalid)
		}
	}
	s := &posteriorState{p: p, omega: append([]float64(nil), om...), workers: 2,
		doses: make([][]TimedValue, n), obs: make([][]TimedValue, n), feat: make([]float64, n*2*len(om))}
	return s, nil
}

// dim is the number of observation entries the posterior adds.
func (s *posteriorState) dim() int { return 2 * len(s.omega) }

// reset clears patient i's record and sets the prior (η̂ = 0, SD = ω).
func (s *posteriorState) reset(i int) {
	s.doses[i], s.obs[i] = s.doses[i][:0], s.obs[i][:0]
	priorFeatures(s.feat[i*s.dim() : (i+1)*s.dim()])
}

// priorFeatures writes the features of the prior: standardized η̂ 0 and
// SD ratio 1.
func priorFeatures(f []float64) {
	p := len(f) / 2
	for k := range p {
		f[k], f[p+k] = 0, 1
	}
}

// setFeatures standardizes a fit into f: η̂/ω clipped to ±4, SD/ω clipped
// to [0, 2]. A non-finite value is an error.
func setFeatures(f []float64, omega, eta, sd []float64) error {
	p := len(omega)
	if len(eta) != p || len(sd) != p {
		return fmt.Errorf("posterior: fit has %d estimates and %d SDs, want %d: %w", len(eta), len(sd), p, errs.Invalid)
	}
	for k := range p {
		if math.IsNaN(eta[k]) || math.IsNaN(sd[k]) || math.IsInf(eta[k], 0) || math.IsInf(sd[k], 0) {
			return fmt.Errorf("posterior: effect %d of the fit is not finite: %w", k, errs.Invalid)
		}
		f[k] = math.Max(-4, math.Min(4, eta[k]/omega[k]))
		f[p+k] = math.Max(0, math.Min(2, sd[k]/omega[k]))
	}
	return nil
}

// fitAll refits the pending patients on up to s.workers goroutines; in
// builds each patient's input. The first error (in patient order) wins.
func (s *posteriorState) fitAll(ctx context.Context, in func(i int) PosteriorInput) error {
	idx := s.pending
	s.pending = s.pending[:0]
	if len(idx) == 0 {
		return nil
	}
	errsOut := make([]error, len(idx))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(s.workers, len(idx)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				errsOut[j] = s.fitOne(ctx, idx[j], in(idx[j]))
			}
		}()
	}
	for j := range idx {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for j, err := range errsOut {
		if err != nil {
			return fmt.Errorf("posterior of env %d: %w", idx[j], err)
		}
	}
	return nil
}

func (s *posteriorState) fitOne(ctx context.Context, i int, in PosteriorInput) error {
	if len(in.Observations) == 0 { // nothing measured after a dose: the prior
		priorFeatures(s.feat[i*s.dim() : (i+1)*s.dim()])
		return nil
	}
	eta, sd, err := s.p.Fit(ctx, in)
	if err != nil {
		return err
	}
	return setFeatures(s.feat[i*s.dim():(i+1)*s.dim()], s.omega, eta, sd)
}

// PosteriorDim returns the observation entries the posterior adds (0
// without Config.Posterior): 2·P after the model's own layout.
func (e *Env) PosteriorDim() int {
	if e.post == nil {
		return 0
	}
	return e.post.dim()
}

// posteriorInput is patient i's record (the slices are the Env's).
func (e *Env) posteriorInput(i int) PosteriorInput {
	j := e.pat[i]
	return PosteriorInput{Covariates: pkpd.WarfarinCovariates{Age: e.popAge[j], CYP2C9: e.popCYP[j], VKORC1: e.popVK[j]},
		Doses: e.post.doses[i], Observations: e.post.obs[i]}
}
