package env

import (
	"context"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// ActFunc chooses an action (a dose-level index) from one observation and
// its shield mask, e.g. a trained network's argmax over allowed actions.
type ActFunc func(obs []float32, mask []bool) (int, error)

// NewPolicy returns a dosing.Policy that doses a single patient exactly as
// an agent acting in an Env with cfg would: same observation encoding, same
// shield (a masked choice is replaced by the nearest allowed level), same
// step (daily for warfarin; one infusion per 21-day cycle for docetaxel). It
// asks for a measurement every day, so dosing.Simulate, dosing.RecommendWith
// and dosing.EvaluateArm can serve a trained policy. cfg.Envs, Seed,
// Population and Typical are ignored; the episode length only scales the
// day feature (days beyond it are clamped).
func NewPolicy(cfg Config, act ActFunc) (dosing.Policy, error) {
	return NewPolicyContext(context.Background(), cfg, act)
}

// NewPolicyContext is NewPolicy whose controllers fit cfg.Posterior (when
// set) under ctx at every measurement after the first dose, as the
// environment does; a fit's error (ctx cancelled included) is Decide's.
func NewPolicyContext(ctx context.Context, cfg Config, act ActFunc) (dosing.Policy, error) {
	if act == nil {
		return nil, fmt.Errorf("policy: act function is required: %w", errs.Invalid)
	}
	spec, err := newSpec(cfg)
	if err != nil {
		return nil, err
	}
	return dosing.PolicyFunc(func(m *dosing.DrugModel, p *dosing.Patient) (dosing.Controller, error) {
		if m.ID != cfg.Model {
			return nil, fmt.Errorf("policy: trained for %s, asked for %s: %w", cfg.Model, m.ID, errs.Invalid)
		}
		if !(p.Age > 0) {
			return nil, fmt.Errorf("patient.age is required by the policy: %w", errs.Invalid)
		}
		c := &policyController{e: spec, act: act, obs: make([]float32, spec.dim), mask: make([]bool, spec.nAct), cycleMin: math.Inf(1),
			v: view{age: p.Age, bsa: 1.8, meas: make([]float64, spec.k), doses: make([]float64, spec.k)}}
		c.v.cyp, _ = p.CYP2C9()
		c.v.vk, _ = p.VKORC1()
		if cfg.Posterior != nil {
			if c.post, err = newPosteriorState(cfg.Posterior, 1); err != nil {
				return nil, err
			}
			c.post.reset(0)
			c.v.post, c.ctx = c.post.feat, ctx
			c.cov = pkpd.WarfarinCovariates{Age: p.Age, CYP2C9: c.v.cyp, VKORC1: c.v.vk}
		}
		if spec.kind == kindDocetaxel {
			if c.v.bsa, err = p.BSA(); err != nil {
				return nil, err
			}
		}
		return c, nil
	}), nil
}

type policyController struct {
	e        *Env
	act      ActFunc
	obs      []float32
	mask     []bool
	v        view
	started  bool
	cycleMin float64 // docetaxel: lowest ANC seen in the current cycle
	nextDose int     // docetaxel: day of the next infusion
	lastAct  int     // the last action (its visit interval when choosing visits)
	post     *posteriorState
	ctx      context.Context
	cov      pkpd.WarfarinCovariates
}

// fitPosterior records a measurement (after the first dose) and refits
// the posterior features.
func (c *policyController) fitPosterior(day int, meas float64) error {
	if c.post == nil || len(c.post.doses[0]) == 0 {
		return nil
	}
	c.post.obs[0] = append(c.post.obs[0], TimedValue{Hour: float64(24 * day), Value: meas})
	c.post.pending = append(c.post.pending[:0], 0)
	return c.post.fitAll(c.ctx, func(int) PosteriorInput {
		return PosteriorInput{Covariates: c.cov, Doses: c.post.doses[0], Observations: c.post.obs[0]}
	})
}

// recordDose adds a given dose to the posterior's record.
func (c *policyController) recordDose(day int, mg float64) {
	if c.post != nil && mg > 0 {
		c.post.doses[0] = append(c.post.doses[0], TimedValue{Hour: float64(24 * day), Value: mg})
	}
}

func (c *policyController) record(meas float64) {
	if !c.started {
		for t := range c.v.meas {
			c.v.meas[t] = meas
		}
		c.v.lastMeas = meas
		c.started = true
	}
}

func (c *policyController) push(meas, dose float64) {
	copy(c.v.meas[1:], c.v.meas[:len(c.v.meas)-1])
	copy(c.v.doses[1:], c.v.doses[:len(c.v.doses)-1])
	c.v.meas[0], c.v.doses[0] = meas, dose
}

// choose encodes the state, masks, asks the agent and applies the shield.
func (c *policyController) choose() (level float64, why string, err error) {
	steps := c.v.step
	c.v.step = min(steps, c.e.steps)
	c.e.encode(c.obs, &c.v)
	c.e.maskFor(c.mask, &c.v)
	c.v.step = steps
	a, err := c.act(c.obs, c.mask)
	if err != nil {
		return 0, "", err
	}
	if a < 0 || a >= c.e.nAct {
		return 0, "", fmt.Errorf("policy: action %d outside 0–%d: %w", a, c.e.nAct-1, errs.Invalid)
	}
	why = fmt.Sprintf("policy action %d", a)
	if !c.mask[a] {
		best, bd := 0, math.Inf(1)
		for b, ok := range c.mask {
			if d := math.Abs(c.e.levels[b] - c.e.levels[a]); ok && d < bd {
				best, bd = b, d
			}
		}
		why += fmt.Sprintf(" (shield: replaced by %d)", best)
		a = best
	}
	c.lastAct = a
	return c.e.levels[a], why, nil
}

// Decide implements dosing.Controller.
func (c *policyController) Decide(day int, obs *dosing.Observation) (dosing.Decision, error) {
	if c.e.kind == kindWarfarin {
		return c.decideWarfarin(day, obs)
	}
	return c.decideDocetaxel(day, obs)
}

func (c *policyController) decideWarfarin(day int, obs *dosing.Observation) (dosing.Decision, error) {
	meas := c.v.lastMeas
	if obs != nil {
		meas = obs.Value
	}
	if !c.started {
		if obs == nil {
			meas = 1 // drug-free baseline INR
		}
		c.record(meas)
	} else {
		if obs == nil { // dose changes only at visits (Config.Monitoring)
			c.v.step++
			c.v.sumDose += c.v.lastDose
			c.recordDose(day, c.v.lastDose)
			return dosing.Decision{Dose: c.v.lastDose, NextCheckHours: 24, Rationale: fmt.Sprintf("no measurement today: keep %g mg", c.v.lastDose)}, nil
		}
		c.push(meas, c.v.lastDose)
		c.v.lastMeas = meas
		if err := c.fitPosterior(day, meas); err != nil {
			return dosing.Decision{}, err
		}
	}
	mg, why, err := c.choose()
	if err != nil {
		return dosing.Decision{}, err
	}
	c.recordDose(day, mg)
	c.v.step++
	c.v.lastDose = mg
	c.v.sumDose += mg
	return dosing.Decision{Dose: mg, NextCheckHours: float64(24 * c.e.NextVisitDays(c.lastAct)),
		Rationale: fmt.Sprintf("%s: %g mg (INR %.2f)", why, mg, meas)}, nil
}

func (c *policyController) decideDocetaxel(day int, obs *dosing.Observation) (dosing.Decision, error) {
	if obs != nil {
		c.record(obs.Value)
		c.cycleMin = math.Min(c.cycleMin, obs.Value)
	}
	if !c.started || day < c.nextDose {
		return dosing.Decision{Dose: 0, NextCheckHours: 24, Rationale: "between cycles: monitor ANC"}, nil
	}
	if c.v.step > 0 {
		c.push(c.cycleMin, c.v.lastDose)
	}
	if obs != nil {
		c.v.lastMeas = obs.Value
	}
	perM2, why, err := c.choose()
	if err != nil {
		return dosing.Decision{}, err
	}
	c.v.step++
	c.v.lastDose = perM2
	c.v.sumDose += perM2
	c.cycleMin = math.Inf(1)
	c.nextDose = day + 21
	mg := math.Round(perM2 * c.v.bsa)
	return dosing.Decision{Dose: mg, NextCheckHours: 24,
		Rationale: fmt.Sprintf("%s: %g mg/m² × BSA %.2f = %g mg over 1 h", why, perM2, c.v.bsa, mg)}, nil
}
