package env

import (
	"context"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// MaxEnvs bounds the number of parallel patients.
const MaxEnvs = 1 << 20

// Reward weights (see the package documentation). The zero value selects
// the model's defaults.
type Reward struct {
	BelowWeight  float64 // warfarin: per INR unit below the range
	AboveWeight  float64 // warfarin: per INR unit above the range
	ChangeWeight float64 // per mg (warfarin) or per 75 mg/m² (docetaxel) of dose change
	ShieldWeight float64 // when the shield replaced the action
	DoseWeight   float64 // docetaxel: per 75 mg/m² given
	Grade4Weight float64 // docetaxel: nadir ANC < 500
	VisitWeight  float64 // warfarin, visit-choosing agent: per INR measurement
}

// Shield limits (see the package documentation). The zero value selects the
// model's defaults; Off disables masking altogether.
type Shield struct {
	MaxDose   float64 // mg (warfarin) or mg/m² (docetaxel)
	MaxChange float64 // largest step-to-step dose change, same unit
	HoldAbove float64 // warfarin: INR above which only a zero dose is allowed
	HoldBelow float64 // docetaxel: ANC below which only a zero dose is allowed
	// Guardrail (warfarin) also removes doses above the genotype- and
	// age-aware bound of dosing.WarfarinGuardrail.
	Guardrail bool
	Off       bool
}

// Config configures an Env.
type Config struct {
	// Model is dosing.WarfarinHamberg or dosing.DocetaxelFriberg.
	Model string
	// Envs is the number of patients stepped together (1–MaxEnvs).
	Envs int
	// Seed makes the whole run (patients, variability, measurement noise)
	// reproducible.
	Seed uint64
	// EpisodeSteps is the episode length: days for warfarin (default 90),
	// cycles for docetaxel (default 6).
	EpisodeSteps int
	// History is K, the number of past measurements and doses observed
	// (default 7 for warfarin, 3 for docetaxel).
	History int
	// Typical simulates typical-value patients without measurement noise
	// (between-subject variability and residual error are on otherwise).
	Typical bool
	// Population is the pool episodes draw patients from; nil draws a
	// Ravvaz 2017 population of PopulationSize (default 10,000) from Seed.
	Population     []*dosing.Patient
	PopulationSize int
	Reward         Reward
	Shield         Shield
	// Monitoring is the warfarin measurement schedule ("" or DAILY: an INR
	// every day). Under OUTPATIENT the agent sees a new INR only on visit
	// days and may change the dose only then: between visits the mask
	// allows only the current dose and the observation's history does not
	// move. Under PROTOCOL the agent chooses its own visits: an action is a
	// dose level and the days to the next INR (VisitIntervals), action
	// a = level + NumLevels·interval, each measurement costs
	// Reward.VisitWeight. Docetaxel steps whole cycles and accepts only ""
	// or DAILY.
	Monitoring dosing.Monitoring
	// Posterior (warfarin only), when set, appends to the observation the
	// patient's MAP estimate η̂ and posterior SD of each random effect,
	// refitted on the doses and measured INRs so far at every measurement
	// (see PosteriorDim and the package documentation).
	Posterior Posterior
}

type kind uint8

const (
	kindWarfarin kind = iota
	kindDocetaxel
)

// Env is a vectorized, seeded dosing environment. It is not safe for
// concurrent use; run one Env per goroutine.
type Env struct {
	kind          kind
	n, k, dim     int
	nAct, steps   int
	typical       bool
	levels        []float64 // mg (warfarin) or mg/m² (docetaxel)
	rew           Reward
	shield        Shield
	target        [2]float64
	rng           *pkpd.RNG
	w             *pkpd.WarfarinBatch
	d             *pkpd.DocetaxelBatch
	popAge        []float64
	popBSA        []float64
	popCYP        []pkpd.CYP2C9
	popVK         []pkpd.VKORC1
	pat           []int32   // population index per env
	step          []int32   // steps taken in the episode
	lastDose      []float64 // previous level value (mg or mg/m²)
	sumDose       []float64
	lastMeas      []float64 // last measurement (INR or pre-cycle ANC)
	measHist      []float64 // n×K ring, most recent first
	doseHist      []float64 // n×K, most recent first
	doseBuf, out  []float64
	obs           []float32
	mask          []bool
	reward        []float32
	done          []bool
	interventions int64
	model         *dosing.DrugModel
	monitoring    dosing.Monitoring
	sched         []*dosing.Schedule // nil: a measurement every step
	visit         []bool             // with sched: today is a visit day
	nLev          int                // dose levels (nAct = nLev × intervals when choosing visits)
	choose        bool               // the agent chooses its visits (Monitoring PROTOCOL)
	postP         Posterior          // Config.Posterior
	post          *posteriorState    // with Config.Posterior: records and features
}

// VisitIntervals are the re-test intervals (days) a visit-choosing agent
// picks from.
var visitIntervals = [...]int{2, 4, 7, 14}

// VisitIntervals returns the re-test intervals (days) a visit-choosing
// agent picks from, in action order.
func VisitIntervals() []int { return visitIntervals[:] }

// NumLevels returns the number of dose levels (NumActions / the number of
// visit intervals when the agent chooses its visits).
func (e *Env) NumLevels() int { return e.nLev }

// NextVisitDays returns the days to the next INR that action a asks for
// (1 unless the agent chooses its visits).
func (e *Env) NextVisitDays(a int) int {
	if !e.choose {
		return 1
	}
	return visitIntervals[a/e.nLev]
}

// newSpec validates cfg and fills the model-dependent settings (sizes,
// levels, reward, shield) without allocating simulators or a population.
func newSpec(cfg Config) (*Env, error) {
	m, err := dosing.Model(cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	mon, err := dosing.ParseMonitoring("monitoring", string(cfg.Monitoring))
	if err != nil {
		return nil, err
	}
	choose := mon == dosing.MonitoringProtocol && cfg.Monitoring != ""
	if m.ID != dosing.WarfarinHamberg && cfg.Monitoring != "" && mon != dosing.MonitoringDaily {
		return nil, fmt.Errorf("monitoring: %s steps whole cycles; only DAILY applies: %w", m.ID, errs.Invalid)
	}
	e := &Env{typical: cfg.Typical, target: [2]float64{m.TargetLow, m.TargetHigh}, model: m, monitoring: cfg.Monitoring, choose: choose}
	switch m.ID {
	case dosing.WarfarinHamberg:
		e.kind = kindWarfarin
		e.k, e.steps = 7, 90
		e.rew = Reward{BelowWeight: 1, AboveWeight: 2, ChangeWeight: 0.05, ShieldWeight: 0.1, VisitWeight: 0.5}
		e.shield = Shield{MaxDose: 15, MaxChange: 2.5, HoldAbove: 4, Guardrail: true}
	case dosing.DocetaxelFriberg:
		e.kind = kindDocetaxel
		e.k, e.steps = 3, 6
		e.rew = Reward{ChangeWeight: 0.2, ShieldWeight: 0.1, DoseWeight: 0.5, Grade4Weight: 3.5}
		e.shield = Shield{MaxDose: 100, MaxChange: 25, HoldBelow: 500}
	default:
		return nil, fmt.Errorf("model %q has no environment: %w", m.ID, errs.NotImplemented)
	}
	if cfg.History != 0 {
		e.k = cfg.History
	}
	if cfg.EpisodeSteps != 0 {
		e.steps = cfg.EpisodeSteps
	}
	if e.k < 1 || e.k > 64 {
		return nil, fmt.Errorf("history must be within 1–64: %w", errs.Invalid)
	}
	if e.steps < 1 || (e.kind == kindWarfarin && e.steps > dosing.MaxDays) || (e.kind == kindDocetaxel && e.steps*21 > dosing.MaxDays) {
		return nil, fmt.Errorf("episodeSteps must cover 1–%d days: %w", dosing.MaxDays, errs.Invalid)
	}
	if cfg.Reward != (Reward{}) {
		e.rew = cfg.Reward
	}
	if cfg.Shield != (Shield{}) {
		e.shield = cfg.Shield
	}
	e.nLev = len(m.DoseLevels)
	reps := 1
	if e.choose {
		reps = len(visitIntervals)
	}
	e.levels = make([]float64, e.nLev*reps) // the dose of each action
	for i := range e.levels {
		e.levels[i], _ = m.DoseLevels[i%e.nLev].Float64()
	}
	e.nAct = len(e.levels)
	if e.kind == kindWarfarin {
		e.dim = 2*e.k + 12
	} else {
		e.dim = 2*e.k + 6
	}
	if cfg.Posterior != nil {
		if e.kind != kindWarfarin {
			return nil, fmt.Errorf("posterior: only %s has a posterior observation: %w", dosing.WarfarinHamberg, errs.Invalid)
		}
		st, err := newPosteriorState(cfg.Posterior, 0)
		if err != nil {
			return nil, err
		}
		e.postP = cfg.Posterior
		e.dim += st.dim()
	}
	return e, nil
}

// New builds the environment and resets every patient.
func New(cfg Config) (*Env, error) {
	if cfg.Envs < 1 || cfg.Envs > MaxEnvs {
		if _, err := dosing.Model(cfg.Model); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		return nil, fmt.Errorf("envs must be within 1–%d: %w", MaxEnvs, errs.Invalid)
	}
	e, err := newSpec(cfg)
	if err != nil {
		return nil, err
	}
	e.n = cfg.Envs
	e.rng = pkpd.NewRNG(cfg.Seed)
	if err := e.loadPopulation(cfg); err != nil {
		return nil, err
	}
	n := e.n
	e.pat, e.step = make([]int32, n), make([]int32, n)
	e.lastDose, e.sumDose, e.lastMeas = make([]float64, n), make([]float64, n), make([]float64, n)
	e.measHist, e.doseHist = make([]float64, n*e.k), make([]float64, n*e.k)
	e.doseBuf, e.out = make([]float64, n), make([]float64, n)
	e.obs, e.mask = make([]float32, n*e.dim), make([]bool, n*e.nAct)
	e.reward, e.done = make([]float32, n), make([]bool, n)
	if e.postP != nil {
		if e.post, err = newPosteriorState(e.postP, n); err != nil {
			return nil, err
		}
	}
	if e.kind == kindWarfarin && (e.monitoring == dosing.MonitoringOutpatient || e.choose) {
		e.sched, e.visit = make([]*dosing.Schedule, n), make([]bool, n)
	}
	if e.kind == kindWarfarin {
		e.w, err = pkpd.NewWarfarinBatch(pkpd.WarfarinConfig{Patients: n})
	} else {
		e.d, err = pkpd.NewDocetaxelBatch(pkpd.DocetaxelConfig{Patients: n})
	}
	if err != nil {
		return nil, err
	}
	if err := e.Reset(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Env) loadPopulation(cfg Config) error {
	pop := cfg.Population
	if pop == nil {
		size := cfg.PopulationSize
		if size == 0 {
			size = 10000
		}
		var err error
		if pop, err = dosing.RavvazPopulation(size, cfg.Seed^0x5eed); err != nil {
			return err
		}
	}
	if len(pop) == 0 {
		return fmt.Errorf("population is empty: %w", errs.Invalid)
	}
	for k, p := range pop {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("population[%d]: %w", k, err)
		}
		age := p.Age
		if !(age >= 18) {
			return fmt.Errorf("population[%d]: patient.age must be ≥ 18: %w", k, errs.Invalid)
		}
		bsa := 1.8
		if e.kind == kindDocetaxel {
			var err error
			if bsa, err = p.BSA(); err != nil {
				return fmt.Errorf("population[%d]: %w", k, err)
			}
		}
		c, _ := p.CYP2C9()
		v, _ := p.VKORC1()
		e.popAge = append(e.popAge, age)
		e.popBSA = append(e.popBSA, bsa)
		e.popCYP = append(e.popCYP, c)
		e.popVK = append(e.popVK, v)
	}
	return nil
}

// NumEnvs returns the number of parallel patients.
func (e *Env) NumEnvs() int { return e.n }

// ObsDim returns the observation length per patient.
func (e *Env) ObsDim() int { return e.dim }

// NumActions returns the number of discrete actions (dose levels).
func (e *Env) NumActions() int { return e.nAct }

// EpisodeSteps returns the episode length in steps.
func (e *Env) EpisodeSteps() int { return e.steps }

// ActionDose returns the dose of action a: mg for warfarin, mg/m² for
// docetaxel.
func (e *Env) ActionDose(a int) float64 { return e.levels[a] }

// Observations returns the flat observation buffer (NumEnvs × ObsDim). It is
// overwritten by Reset and Step.
func (e *Env) Observations() []float32 { return e.obs }

// Mask returns the flat action mask (NumEnvs × NumActions) for the current
// observations; true marks an allowed action.
func (e *Env) Mask() []bool { return e.mask }

// Interventions returns how many actions the shield has replaced so far.
func (e *Env) Interventions() int64 { return e.interventions }

// Reset starts a new episode for every patient.
func (e *Env) Reset() error {
	for i := range e.n {
		if err := e.resetEnv(i); err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) resetEnv(i int) error {
	j := e.rng.IntN(len(e.popAge))
	e.pat[i] = int32(j)
	e.step[i], e.lastDose[i], e.sumDose[i] = 0, 0, 0
	if e.kind == kindWarfarin {
		cov := pkpd.WarfarinCovariates{Age: e.popAge[j], CYP2C9: e.popCYP[j], VKORC1: e.popVK[j]}
		var p pkpd.WarfarinParams
		var err error
		if e.typical {
			p, err = pkpd.TypicalWarfarin(cov)
		} else {
			p, err = pkpd.SampleWarfarin(cov, e.rng)
		}
		if err == nil {
			err = e.w.SetPatient(i, p)
		}
		if err != nil {
			return err
		}
		e.lastMeas[i] = e.w.INR(i)
	} else {
		p := pkpd.TypicalDocetaxel()
		if !e.typical {
			p = pkpd.SampleDocetaxel(e.rng)
		}
		if err := e.d.SetPatient(i, p); err != nil {
			return err
		}
		e.lastMeas[i] = e.d.ANC(i)
		if !e.typical {
			e.lastMeas[i] = e.d.Observe(i, e.rng)
		}
	}
	for k := range e.k {
		e.measHist[i*e.k+k] = e.lastMeas[i]
		e.doseHist[i*e.k+k] = 0
	}
	if e.post != nil {
		e.post.reset(i)
	}
	if e.sched != nil {
		sc, err := dosing.NewSchedule(e.model, e.monitoring)
		if err != nil {
			return err
		}
		if !e.choose { // a visit-choosing agent sets the next visit with its first action
			sc.Visited(0, e.lastMeas[i], 0)
		}
		e.sched[i], e.visit[i] = sc, true
	}
	e.writeObs(i)
	e.writeMask(i)
	return nil
}

// view is one patient's dosing state as the observation encoder and the
// shield see it; Env builds it from its arrays, a policy controller keeps
// its own.
type view struct {
	age, bsa    float64
	cyp         pkpd.CYP2C9
	vk          pkpd.VKORC1
	step        int
	lastDose    float64
	sumDose     float64
	lastMeas    float64
	meas, doses []float64 // K most recent first
	post        []float64 // with a posterior: η̂/ω then SD/ω
}

func (e *Env) view(i int) view {
	j := e.pat[i]
	return view{age: e.popAge[j], bsa: e.popBSA[j], cyp: e.popCYP[j], vk: e.popVK[j], step: int(e.step[i]),
		lastDose: e.lastDose[i], sumDose: e.sumDose[i], lastMeas: e.lastMeas[i],
		meas: e.measHist[i*e.k : (i+1)*e.k], doses: e.doseHist[i*e.k : (i+1)*e.k], post: e.postFeatures(i)}
}

// postFeatures returns patient i's posterior features (nil without a
// posterior).
func (e *Env) postFeatures(i int) []float64 {
	if e.post == nil {
		return nil
	}
	d := e.post.dim()
	return e.post.feat[i*d : (i+1)*d]
}

func (e *Env) hold(i int) bool { return e.holdFor(e.lastMeas[i]) }

func (e *Env) holdFor(lastMeas float64) bool {
	if e.shield.Off {
		return false
	}
	if e.kind == kindWarfarin {
		return e.shield.HoldAbove > 0 && lastMeas > e.shield.HoldAbove
	}
	return e.shield.HoldBelow > 0 && lastMeas < e.shield.HoldBelow
}

func (e *Env) writeMask(i int) {
	v := e.view(i)
	m := e.mask[i*e.nAct : (i+1)*e.nAct]
	if e.sched != nil && !e.visit[i] {
		for a, l := range e.levels {
			m[a] = a < e.nLev && l == e.lastDose[i]
		}
		return
	}
	e.maskFor(m, &v)
}

// Visit reports whether patient i's current step is a visit day (always
// true without a monitoring schedule).
func (e *Env) Visit(i int) bool {
	return e.sched == nil || e.visit[i]
}

// maskFor writes the shield's allowed actions for a patient state.
func (e *Env) maskFor(m []bool, v *view) {
	if e.shield.Off {
		for a := range m {
			m[a] = true
		}
		return
	}
	hold := e.holdFor(v.lastMeas)
	capMg := math.Inf(1)
	if e.kind == kindWarfarin && e.shield.Guardrail {
		capMg = dosing.WarfarinGuardrailMax(v.cyp, v.vk, true, v.age, v.step)
	}
	any := false
	for a, l := range e.levels {
		ok := l <= capMg+1e-9
		if e.shield.MaxDose > 0 && l > e.shield.MaxDose+1e-9 {
			ok = false
		}
		if v.step > 0 && e.shield.MaxChange > 0 && math.Abs(l-v.lastDose) > e.shield.MaxChange+1e-9 {
			ok = false
		}
		if hold {
			ok = l == 0
		}
		m[a] = ok
		any = any || ok
	}
	if !any {
		m[0] = true // a zero dose is always possible
	}
}

func clip(x, lim float64) float32 {
	return float32(math.Max(-lim, math.Min(lim, x)))
}

func (e *Env) writeObs(i int) {
	v := e.view(i)
	e.encode(e.obs[i*e.dim:(i+1)*e.dim], &v)
}

// encode writes the observation of a patient state (layout in the package
// documentation).
func (e *Env) encode(o []float32, v *view) {
	k := e.k
	age := float32((v.age - 65) / 15)
	hold := float32(0)
	if e.holdFor(v.lastMeas) {
		hold = 1
	}
	if e.kind == kindWarfarin {
		for t := range k {
			o[t] = clip((v.meas[t]-2.5)/1.5, 4)
			o[k+t] = float32(v.doses[t] / 15)
		}
		o[2*k] = float32(v.step) / float32(e.steps)
		for c := range 6 {
			o[2*k+1+c] = 0
		}
		for g := range 3 {
			o[2*k+7+g] = 0
		}
		o[2*k+1+int(v.cyp)] = 1
		o[2*k+7+int(v.vk)] = 1
		o[2*k+10] = age
		o[2*k+11] = hold
		for j, f := range v.post {
			o[2*k+12+j] = float32(f)
		}
		return
	}
	for t := range k {
		o[t] = clip(math.Log(math.Max(v.meas[t], 1)/5050), 8)
		o[k+t] = float32(v.doses[t] / 100)
	}
	o[2*k] = clip(math.Log(math.Max(v.lastMeas, 1)/5050), 8)
	o[2*k+1] = float32(v.step) / float32(e.steps)
	o[2*k+2] = age
	o[2*k+3] = float32((v.bsa - 1.8) / 0.3)
	o[2*k+4] = hold
	intensity := 0.0
	if v.step > 0 {
		intensity = v.sumDose / float64(v.step) / 75
	}
	o[2*k+5] = float32(intensity)
}

func (e *Env) push(i int, meas, dose float64) {
	h, d := e.measHist[i*e.k:(i+1)*e.k], e.doseHist[i*e.k:(i+1)*e.k]
	copy(h[1:], h[:e.k-1])
	copy(d[1:], d[:e.k-1])
	h[0], d[0] = meas, dose
}

// project returns a if allowed, else the allowed action closest in dose.
func (e *Env) project(i, a int) (int, bool) {
	m := e.mask[i*e.nAct : (i+1)*e.nAct]
	if m[a] {
		return a, false
	}
	best, bd := 0, math.Inf(1)
	for b, ok := range m {
		if d := math.Abs(e.levels[b] - e.levels[a]); ok && d < bd {
			best, bd = b, d
		}
	}
	return best, true
}

// Step applies one action per patient (an index into the dose levels),
// advances every patient one step and returns the new observations, the
// rewards and the episode-end flags. Finished patients are reset at once, so
// their returned observation is the first of a new episode. The returned
// slices are the Env's buffers. A wrong number of actions or an action out
// of range gives an error wrapping errs.Invalid.
func (e *Env) Step(actions []int32) (obs []float32, reward []float32, done []bool, err error) {
	return e.StepContext(context.Background(), actions)
}

// StepContext is Step with a context for the posterior fits
// (Config.Posterior): a cancelled ctx stops them and is returned.
func (e *Env) StepContext(ctx context.Context, actions []int32) (obs []float32, reward []float32, done []bool, err error) {
	if len(actions) != e.n {
		return nil, nil, nil, fmt.Errorf("actions: got %d, want %d: %w", len(actions), e.n, errs.Invalid)
	}
	for i, a := range actions {
		if a < 0 || int(a) >= e.nAct {
			return nil, nil, nil, fmt.Errorf("actions[%d] must be within 0–%d: %w", i, e.nAct-1, errs.Invalid)
		}
	}
	if e.kind == kindWarfarin {
		e.stepWarfarin(actions)
	} else {
		e.stepDocetaxel(actions)
	}
	if e.post != nil {
		if err := e.post.fitAll(ctx, e.posteriorInput); err != nil {
			return nil, nil, nil, err
		}
	}
	for i := range e.n {
		e.step[i]++
		e.done[i] = int(e.step[i]) >= e.steps
		if e.done[i] {
			if err := e.resetEnv(i); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		e.writeObs(i)
		e.writeMask(i)
	}
	return e.obs, e.reward, e.done, nil
}

func (e *Env) stepWarfarin(actions []int32) {
	for i, a := range actions {
		b, replaced := e.project(i, int(a))
		if replaced {
			e.interventions++
		}
		e.doseBuf[i] = e.levels[b]
		r := 0.0
		if replaced {
			r -= e.rew.ShieldWeight
		}
		if e.step[i] > 0 {
			r -= e.rew.ChangeWeight * math.Abs(e.levels[b]-e.lastDose[i])
		}
		if e.choose && e.visit[i] {
			e.sched[i].Visited(int(e.step[i]), e.lastMeas[i], float64(24*e.NextVisitDays(int(a))))
		}
		e.reward[i] = float32(r)
	}
	e.w.StepDay(e.doseBuf, e.out)
	lo, hi := e.target[0], e.target[1]
	for i := range e.n {
		v := e.out[i]
		r := float64(e.reward[i])
		switch {
		case v < lo:
			r -= e.rew.BelowWeight * (lo - v)
		case v > hi:
			r -= e.rew.AboveWeight * (v - hi)
		default:
			r++
		}
		e.reward[i] = float32(r)
		e.lastDose[i] = e.doseBuf[i]
		e.sumDose[i] += e.doseBuf[i]
		day := int(e.step[i]) + 1
		if e.post != nil && e.doseBuf[i] > 0 {
			e.post.doses[i] = append(e.post.doses[i], TimedValue{Hour: float64(24 * (day - 1)), Value: e.doseBuf[i]})
		}
		if e.sched != nil {
			if e.visit[i] = e.sched[i].IsVisit(day); !e.visit[i] {
				continue // no measurement today; the history waits for the next visit
			}
		}
		meas := v
		if !e.typical {
			meas = e.w.Residual(i, v, e.rng)
		}
		e.lastMeas[i] = meas
		e.push(i, meas, e.doseBuf[i])
		if e.post != nil && len(e.post.doses[i]) > 0 {
			e.post.obs[i] = append(e.post.obs[i], TimedValue{Hour: float64(24 * day), Value: meas})
			if day < e.steps { // the last day's fit would only feed a reset
				e.post.pending = append(e.post.pending, i)
			}
		}
		switch {
		case e.choose:
			e.reward[i] -= float32(e.rew.VisitWeight)
		case e.sched != nil:
			e.sched[i].Visited(day, meas, 0)
		}
	}
}

func (e *Env) stepDocetaxel(actions []int32) {
	for i, a := range actions {
		b, replaced := e.project(i, int(a))
		if replaced {
			e.interventions++
		}
		perM2 := e.levels[b]
		r := 0.0
		if replaced {
			r -= e.rew.ShieldWeight
		}
		if e.step[i] > 0 {
			r -= e.rew.ChangeWeight * math.Abs(perM2-e.lastDose[i]) / 75
		}
		r += e.rew.DoseWeight * perM2 / 75
		e.reward[i] = float32(r)
		e.doseBuf[i] = perM2
		e.out[i] = math.Inf(1) // running nadir
		mg := math.Round(perM2 * e.popBSA[e.pat[i]])
		if mg > 0 {
			_ = e.d.Infuse(i, mg, 1) // 1 h is a whole number of fine steps; mg ≥ 0
		}
	}
	for range 21 {
		e.d.Advance(0, e.n, 24)
		for i := range e.n {
			e.out[i] = math.Min(e.out[i], e.d.ANC(i))
		}
	}
	lo, hi := e.target[0], e.target[1]
	for i := range e.n {
		nadir := e.out[i]
		r := float64(e.reward[i])
		if nadir >= lo && nadir <= hi {
			r++
		}
		if nadir < lo {
			r -= e.rew.Grade4Weight
		}
		e.reward[i] = float32(r)
		measNadir, pre := nadir, e.d.ANC(i)
		if !e.typical {
			measNadir = e.d.Residual(i, nadir, e.rng)
			pre = e.d.Observe(i, e.rng)
		}
		e.lastMeas[i] = pre
		e.lastDose[i] = e.doseBuf[i]
		e.sumDose[i] += e.doseBuf[i]
		e.push(i, measNadir, e.doseBuf[i])
	}
}
