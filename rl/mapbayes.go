package rl

import (
	"context"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/mipd"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store"
)

// MethodMAPBayes names the model-informed precision dosing arm of an
// evaluation (EvaluationInput.Baselines): at every visit it individualizes
// the patient on the doses and measured INRs so far (the MAP estimate of
// the random effects and their posterior SD, rl/mipd), forecasts each dose
// level over the next MAPBayesHorizonDays from the estimate and one point a
// posterior SD either side of it per random effect, and gives the level
// with the least expected loss that the guardrail allows. Warfarin only.
const MethodMAPBayes = "map-bayes"

// MAPBayesHorizonDays is the forecast horizon of each map-bayes decision.
const MAPBayesHorizonDays = 7

// MaxMAPBayesFits bounds an evaluation's map-bayes work: population size ×
// the visits of the arm's schedule (one MAP fit and one forecast of every
// dose level per visit, a few to tens of milliseconds each).
const MaxMAPBayesFits = 50_000

// mapBayesVisits bounds the visits of one patient over days under mon
// (PROTOCOL puts the arm on the outpatient schedule).
func mapBayesVisits(mon dosing.Monitoring, days int) int64 {
	if mon == dosing.MonitoringDaily {
		return int64(days)
	}
	v := int64(0)
	for _, d := range []int{0, 3, 5, 7, 10, 14} {
		if d < days {
			v++
		}
	}
	if days > 14 {
		v += int64((days - 14 + 6) / 7)
	}
	return v
}

// checkMAPBayes validates a map-bayes arm of an evaluation: the model must
// have an estimator and the fits must fit MaxMAPBayesFits.
func checkMAPBayes(field string, m *dosing.DrugModel, size, days int, mon dosing.Monitoring) error {
	if m.ID != dosing.WarfarinHamberg {
		return fmt.Errorf("%s: %q is offered for %s only: %w", field, MethodMAPBayes, dosing.WarfarinHamberg, store.ErrInvalid)
	}
	if work(int64(size), mapBayesVisits(mon, days)) > MaxMAPBayesFits {
		return &LimitError{Field: "input (population.size × visits of the map-bayes arm)", Limit: MaxMAPBayesFits, Unit: "MAP fits"}
	}
	return nil
}

// mapBayes is the map-bayes arm as a dosing.Policy; its controllers fit
// and forecast under ctx (the evaluation job's), so cancelling the job
// stops them.
type mapBayes struct {
	ctx  context.Context
	post env.Posterior
}

// NewController implements dosing.Policy.
func (mb *mapBayes) NewController(m *dosing.DrugModel, p *dosing.Patient) (dosing.Controller, error) {
	if m.ID != dosing.WarfarinHamberg {
		return nil, fmt.Errorf("%s: offered for %s only: %w", MethodMAPBayes, dosing.WarfarinHamberg, store.ErrInvalid)
	}
	cov, _, _, err := p.WarfarinCovariates()
	if err != nil {
		return nil, err
	}
	typ, err := pkpd.TypicalWarfarin(cov)
	if err != nil {
		return nil, fmt.Errorf("patient: %w", err)
	}
	c := &mapBayesController{mb: mb, p: p, cov: cov, typ: typ, omega: mb.post.Omega()}
	if len(c.omega) != len(warfarinEffects) {
		return nil, fmt.Errorf("%s: the estimator has %d random effects, the forecast %d: %w", MethodMAPBayes, len(c.omega), len(warfarinEffects), store.ErrInvalid)
	}
	for _, l := range m.DoseLevels {
		f, _ := l.Float64()
		c.levels = append(c.levels, f)
	}
	return c, nil
}

// warfarinEffects are the random effects the forecast applies, in the
// estimator's order: θ = typical · exp(η).
var warfarinEffects = [...]string{"CL", "V1", "V2", "MTT1", "MTT2", "EC50"}

type mapBayesController struct {
	mb     *mapBayes
	p      *dosing.Patient
	cov    pkpd.WarfarinCovariates
	typ    pkpd.WarfarinParams
	omega  []float64
	levels []float64
	doses  []env.TimedValue
	obs    []env.TimedValue
	dose   float64
}

// Decide implements dosing.Controller: between visits it keeps the dose;
// at a visit it refits and re-optimizes.
func (c *mapBayesController) Decide(day int, obs *dosing.Observation) (dosing.Decision, error) {
	if obs == nil && day > 0 {
		c.give(day, c.dose)
		return dosing.Decision{Dose: c.dose, NextCheckHours: 24,
			Rationale: fmt.Sprintf("map-bayes: no measurement today, keep %g mg/day until the next visit", c.dose)}, nil
	}
	if obs != nil && len(c.doses) > 0 {
		c.obs = append(c.obs, env.TimedValue{Hour: float64(24 * day), Value: obs.Value})
	}
	eta, sd := make([]float64, len(c.omega)), append([]float64(nil), c.omega...)
	if len(c.obs) > 0 {
		var err error
		if eta, sd, err = c.mb.post.Fit(c.mb.ctx, env.PosteriorInput{Covariates: c.cov, Doses: c.doses, Observations: c.obs}); err != nil {
			return dosing.Decision{}, fmt.Errorf("%s fit on day %d: %w", MethodMAPBayes, day, err)
		}
	}
	capMg, gwhy := dosing.PatientGuardrail(c.p, day)
	best, raw, loss, err := c.optimize(day, eta, sd, capMg)
	if err != nil {
		return dosing.Decision{}, err
	}
	dec := dosing.Decision{Dose: c.levels[best], NextCheckHours: 7 * 24,
		Rationale: fmt.Sprintf("map-bayes: individualized on %d INRs (η̂ CL %+.2f, EC50 %+.2f); %g mg/day has the least expected loss (%.3f) over %d days",
			len(c.obs), eta[0], eta[5], c.levels[best], loss, MAPBayesHorizonDays)}
	if raw != best {
		dec.Guardrail = fmt.Sprintf("guardrail lowered map-bayes's %g mg to %g mg: %s", c.levels[raw], c.levels[best], gwhy)
		dec.Rationale += "; " + dec.Guardrail
	}
	c.dose = dec.Dose
	c.give(day, dec.Dose)
	return dec, nil
}

func (c *mapBayesController) give(day int, mg float64) {
	if mg > 0 {
		c.doses = append(c.doses, env.TimedValue{Hour: float64(24 * day), Value: mg})
	}
}

// optimize forecasts every dose level, held from day for the horizon, at
// the points η̂ (weight ½) and η̂ ± SD_k·e_k (weight ¼P each), and returns
// the allowed level (≤ capMg) of least expected loss, the least-loss level
// overall (raw) and the chosen level's loss.
func (c *mapBayesController) optimize(day int, eta, sd []float64, capMg float64) (best, raw int, loss float64, err error) {
	P, L := len(eta), len(c.levels)
	pts := 1 + 2*P
	b, err := pkpd.NewWarfarinBatch(pkpd.WarfarinConfig{Patients: pts * L})
	if err != nil {
		return 0, 0, 0, err
	}
	weights := make([]float64, pts)
	weights[0] = 0.5
	point := make([]float64, P)
	for q := range pts {
		copy(point, eta)
		if q > 0 {
			k, sign := (q-1)/2, 1.0
			if (q-1)%2 == 1 {
				sign = -1
			}
			point[k] += sign * sd[k]
			weights[q] = 0.5 / float64(2*P)
		}
		wp := c.params(point)
		for l := range L {
			if err := b.SetPatient(q*L+l, wp); err != nil {
				return 0, 0, 0, fmt.Errorf("%s forecast: %w", MethodMAPBayes, err)
			}
		}
	}
	steps := b.StepsPerDay()
	next := 0
	for h := 0; h < day; h++ { // replay the history
		if h%8 == 0 {
			if err := c.mb.ctx.Err(); err != nil {
				return 0, 0, 0, err
			}
		}
		for next < len(c.doses) && c.doses[next].Hour <= float64(24*h) {
			for i := range pts * L {
				b.Dose(i, c.doses[next].Value)
			}
			next++
		}
		b.AdvanceAll(steps)
	}
	losses := make([]float64, L)
	for range MAPBayesHorizonDays {
		for i := range pts * L {
			b.Dose(i, c.levels[i%L])
		}
		b.AdvanceAll(steps)
		for i := range pts * L {
			losses[i%L] += weights[i/L] * inrLoss(b.INR(i))
		}
	}
	best, raw = -1, 0
	for l := range L {
		if losses[l] < losses[raw] {
			raw = l
		}
		if c.levels[l] <= capMg+1e-9 && (best < 0 || losses[l] < losses[best]) {
			best = l
		}
	}
	if best < 0 {
		best = 0 // a zero dose is always allowed
	}
	return best, raw, losses[best] / MAPBayesHorizonDays, nil
}

// params are the individual parameters at η (log-normal effects in
// warfarinEffects order).
func (c *mapBayesController) params(eta []float64) pkpd.WarfarinParams {
	return mipd.WarfarinIndividual(c.typ, eta)
}

// inrLoss is the squared log distance from the range's middle (2.5) plus
// four times the squared log distance outside [2, 3].
func inrLoss(inr float64) float64 {
	inr = math.Max(inr, 1e-3)
	d := math.Log(inr / 2.5)
	out := math.Max(0, math.Log(inr/3)) + math.Max(0, math.Log(2/inr))
	return d*d + 4*out*out
}

// mapBayesMonitoring is the arm's schedule under the evaluation's shared
// one: PROTOCOL (each method its own) puts it on OUTPATIENT, like a
// learned policy that does not choose its visits.
func mapBayesMonitoring(shared dosing.Monitoring) dosing.Monitoring {
	if shared == dosing.MonitoringProtocol || shared == "" {
		return dosing.MonitoringOutpatient
	}
	return shared
}

// mapBayesPolicy builds the map-bayes arm on the service's estimator.
func (s *Service) mapBayesPolicy(ctx context.Context) (dosing.Policy, error) {
	post, err := s.posterior()
	if err != nil {
		return nil, err
	}
	return &mapBayes{ctx: ctx, post: post}, nil
}
