package rl

import (
	"fmt"
	"math"
	"sync"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/rl/ppo"
	"github.com/rxlab/rxlab/store"
)

// cycleDays is the docetaxel cycle length of the environment.
const cycleDays = 21

// learned adapts a trained ppo.Policy to dosing.Policy, so simulate,
// recommendDose and evaluations use trained policies exactly like the
// baselines. Each controller rebuilds the environment's observation
// (package rl/env's documented layout) from the measurements it is shown,
// applies the same safety shield, and acts greedily. It asks for a
// measurement every day (a daily-trained policy's schedule); on a day
// without one (another monitoring schedule, or a gap in a recommendDose
// history) a warfarin controller keeps the dose: dose changes only at
// visits, as in an environment trained under a schedule.
type learned struct {
	id     string
	spec   ppo.PolicySpec
	master *ppo.Policy // never acts; only cloned
	pool   sync.Pool   // *ppo.Policy clones, one per concurrent Decide
}

func newLearned(id string, p *ppo.Policy) *learned {
	l := &learned{id: id, spec: p.Spec, master: p}
	l.pool.New = func() any { return l.master.Clone() }
	return l
}

// NewController implements dosing.Policy.
func (l *learned) NewController(m *dosing.DrugModel, p *dosing.Patient) (dosing.Controller, error) {
	if m.ID != l.spec.Model {
		return nil, fmt.Errorf("policyId: policy %s was trained for model %s, not %s: %w", l.id, l.spec.Model, m.ID, store.ErrInvalid)
	}
	c := &controller{l: l, k: l.spec.History, nLev: len(m.DoseLevels)}
	reps := 1
	if l.spec.Monitoring == string(dosing.MonitoringProtocol) { // the policy chooses its visits
		reps = len(env.VisitIntervals())
	}
	c.levels = make([]float64, len(m.DoseLevels)*reps) // the dose of each action
	for i := range c.levels {
		c.levels[i], _ = m.DoseLevels[i%c.nLev].Float64()
	}
	if len(c.levels) != l.spec.Actions {
		return nil, fmt.Errorf("policyId: policy %s has %d actions, model %s has %d dose levels: %w", l.id, l.spec.Actions, m.ID, len(c.levels), store.ErrInvalid)
	}
	c.obs = make([]float32, l.spec.ObsDim)
	c.mask = make([]bool, l.spec.Actions)
	c.meas, c.doses = make([]float64, c.k), make([]float64, c.k)
	switch m.ID {
	case dosing.WarfarinHamberg:
		cov, cypGiven, vkGiven, err := p.WarfarinCovariates()
		if err != nil {
			return nil, err
		}
		c.age, c.cyp, c.vk, c.genotyped = cov.Age, int(cov.CYP2C9), int(cov.VKORC1), cypGiven && vkGiven
		c.lastMeas = 1 // baseline INR before the first measurement
		for i := range c.meas {
			c.meas[i] = 1
		}
	case dosing.DocetaxelFriberg:
		bsa, err := p.BSA()
		if err != nil {
			return nil, err
		}
		if !(p.Age >= 18) {
			return nil, fmt.Errorf("patient.age must be ≥ 18: %w", store.ErrInvalid)
		}
		c.age, c.bsa, c.docetaxel = p.Age, bsa, true
		c.nadir = math.Inf(1)
	default:
		return nil, fmt.Errorf("model %s has no learned-policy controller: %w", m.ID, store.ErrNotImplemented)
	}
	return c, nil
}

type controller struct {
	l         *learned
	k         int
	levels    []float64
	docetaxel bool
	age, bsa  float64
	cyp, vk   int
	genotyped bool // both warfarin genotypes given (the guardrail's genotype bound)
	nLev      int  // dose levels; actions beyond them choose a later visit

	step     int // environment steps taken (days, or cycles)
	lastDose float64
	sumDose  float64
	lastMeas float64
	meas     []float64 // most recent first
	doses    []float64
	nadir    float64 // running minimum ANC in the current cycle
	obs      []float32
	mask     []bool
}

func (c *controller) push(meas, dose float64) {
	copy(c.meas[1:], c.meas[:c.k-1])
	copy(c.doses[1:], c.doses[:c.k-1])
	c.meas[0], c.doses[0] = meas, dose
}

// Decide implements dosing.Controller.
func (c *controller) Decide(day int, obs *dosing.Observation) (dosing.Decision, error) {
	if c.docetaxel {
		return c.decideDocetaxel(day, obs)
	}
	c.step = day
	if day > 0 {
		if obs == nil { // dose changes only at visits
			c.sumDose += c.lastDose
			return dosing.Decision{Dose: c.lastDose, NextCheckHours: 24,
				Rationale: fmt.Sprintf("learned policy %s: no measurement today, keep %g mg/day until the next visit", c.l.id, c.lastDose)}, nil
		}
		c.lastMeas = obs.Value
		c.push(obs.Value, c.lastDose)
	}
	a, why, bound, err := c.actGuarded()
	if err != nil {
		return dosing.Decision{}, err
	}
	dose := c.levels[a]
	c.lastDose = dose
	c.sumDose += dose
	next := 1
	if len(c.levels) > c.nLev {
		next = env.VisitIntervals()[a/c.nLev]
		why += fmt.Sprintf("; next INR in %d days", next)
	}
	return dosing.Decision{Dose: dose, NextCheckHours: float64(24 * next), Rationale: why, Guardrail: bound}, nil
}

func (c *controller) decideDocetaxel(day int, obs *dosing.Observation) (dosing.Decision, error) {
	if obs != nil {
		if day == 0 {
			c.lastMeas = obs.Value
			for i := range c.meas {
				c.meas[i] = obs.Value
			}
		} else {
			c.nadir = math.Min(c.nadir, obs.Value)
		}
	}
	if day%cycleDays != 0 {
		return dosing.Decision{Dose: 0, NextCheckHours: 24, Rationale: "between cycles: daily ANC"}, nil
	}
	if day > 0 {
		nadir := c.nadir
		if math.IsInf(nadir, 1) {
			nadir = c.lastMeas
		}
		if obs != nil {
			c.lastMeas = obs.Value
		}
		c.push(nadir, c.lastDose)
		c.nadir = math.Inf(1)
		c.step = day / cycleDays
	}
	a, why, err := c.act()
	if err != nil {
		return dosing.Decision{}, err
	}
	perM2 := c.levels[a]
	c.lastDose = perM2
	c.sumDose += perM2
	return dosing.Decision{Dose: math.Round(perM2 * c.bsa), NextCheckHours: 24, Rationale: why}, nil
}

// actGuarded is act for warfarin under the guardrail: the policy's raw
// choice under the shield, and when the guardrail applies (always for
// policies trained with it, as their environment masked it; otherwise
// when the raw choice is above the bound) the choice under the shield and
// the guardrail together. bound says why the raw choice was lowered.
func (c *controller) actGuarded() (a int, why, bound string, err error) {
	raw, why, err := c.act()
	if err != nil {
		return 0, "", "", err
	}
	capMg, gwhy := dosing.WarfarinGuardrail(pkpd.CYP2C9(c.cyp), pkpd.VKORC1(c.vk), c.genotyped, c.age, c.step)
	over := c.levels[raw] > capMg+1e-9
	if !over && !c.l.spec.Shield.Guardrail {
		return raw, why, "", nil
	}
	anyOK := false
	for i, lv := range c.levels {
		c.mask[i] = c.mask[i] && lv <= capMg+1e-9
		anyOK = anyOK || c.mask[i]
	}
	if !anyOK {
		c.mask[0] = true
	}
	if a, why, err = c.choose(); err != nil {
		return 0, "", "", err
	}
	if over {
		bound = fmt.Sprintf("guardrail lowered the policy's %g mg to %g mg: %s", c.levels[raw], c.levels[a], gwhy)
		why += "; " + bound
	}
	return a, why, bound, nil
}

// hold reports whether the shield forces a zero dose.
func (c *controller) hold() bool {
	s := c.l.spec.Shield
	if s.Off {
		return false
	}
	if c.docetaxel {
		return s.HoldBelow > 0 && c.lastMeas < s.HoldBelow
	}
	return s.HoldAbove > 0 && c.lastMeas > s.HoldAbove
}

func clip32(x, lim float64) float32 { return float32(math.Max(-lim, math.Min(lim, x))) }

// encode writes the observation exactly as rl/env lays it out.
func (c *controller) encode() {
	o, k := c.obs, c.k
	age := float32((c.age - 65) / 15)
	hold := float32(0)
	if c.hold() {
		hold = 1
	}
	steps := float32(c.l.spec.EpisodeSteps)
	if !c.docetaxel {
		for t := range k {
			o[t] = clip32((c.meas[t]-2.5)/1.5, 4)
			o[k+t] = float32(c.doses[t] / 15)
		}
		o[2*k] = float32(c.step) / steps
		for i := 2*k + 1; i < 2*k+10; i++ {
			o[i] = 0
		}
		o[2*k+1+c.cyp] = 1
		o[2*k+7+c.vk] = 1
		o[2*k+10] = age
		o[2*k+11] = hold
		return
	}
	for t := range k {
		o[t] = clip32(math.Log(math.Max(c.meas[t], 1)/5050), 8)
		o[k+t] = float32(c.doses[t] / 100)
	}
	o[2*k] = clip32(math.Log(math.Max(c.lastMeas, 1)/5050), 8)
	o[2*k+1] = float32(c.step) / steps
	o[2*k+2] = age
	o[2*k+3] = float32((c.bsa - 1.8) / 0.3)
	o[2*k+4] = hold
	intensity := 0.0
	if c.step > 0 {
		intensity = c.sumDose / float64(c.step) / 75
	}
	o[2*k+5] = float32(intensity)
}

// shieldMask writes the allowed actions, as rl/env's shield does.
func (c *controller) shieldMask() {
	s := c.l.spec.Shield
	if s.Off {
		for a := range c.mask {
			c.mask[a] = true
		}
		return
	}
	hold, anyOK := c.hold(), false
	for a, lv := range c.levels {
		ok := true
		if s.MaxDose > 0 && lv > s.MaxDose+1e-9 {
			ok = false
		}
		if c.step > 0 && s.MaxChange > 0 && math.Abs(lv-c.lastDose) > s.MaxChange+1e-9 {
			ok = false
		}
		if hold {
			ok = lv == 0
		}
		c.mask[a] = ok
		anyOK = anyOK || ok
	}
	if !anyOK {
		c.mask[0] = true
	}
}

func (c *controller) act() (int, string, error) {
	c.encode()
	c.shieldMask()
	return c.choose()
}

// choose asks the network for the most probable action allowed by c.mask.
func (c *controller) choose() (int, string, error) {
	p := c.l.pool.Get().(*ppo.Policy)
	defer c.l.pool.Put(p)
	var probs [256]float32 // ppo's action limit
	if c.l.spec.Actions > len(probs) {
		return 0, "", fmt.Errorf("policy %s: %d actions exceed the controller's limit: %w", c.l.id, c.l.spec.Actions, store.ErrInvalid)
	}
	a, err := p.Probabilities(c.obs, c.mask, probs[:c.l.spec.Actions])
	if err != nil {
		return 0, "", err
	}
	why := fmt.Sprintf("learned policy %s: %.0f %% probability for this dose", c.l.id, 100*probs[a])
	if c.hold() {
		why = fmt.Sprintf("learned policy %s: safety shield holds the dose (last measurement outside the hold limit)", c.l.id)
	}
	return a, why, nil
}
