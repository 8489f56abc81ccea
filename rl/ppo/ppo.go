package ppo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/rl/nn/kernels"
	"github.com/rxlab/rxlab/store/errs"
)

// Metrics summarize one training iteration (one rollout and its update).
type Metrics struct {
	// Iteration counts from 1.
	Iteration int `json:"iteration"`
	// EnvSteps is the cumulative number of patient-steps simulated.
	EnvSteps int64 `json:"envSteps"`
	// MeanReturn is the mean undiscounted episode return of the rollout.
	MeanReturn float64 `json:"meanReturn"`
	// TimeInRange is the fraction of measurements (daily INR, or cycle
	// nadir ANC) inside the model's target range during the rollout.
	TimeInRange float64 `json:"timeInRange"`
	// PolicyLoss is the clipped surrogate loss, ValueLoss the value
	// function's mean squared error (in units of the value scale), Entropy
	// the mean policy entropy (nats), averaged over the update's minibatches.
	PolicyLoss float64 `json:"policyLoss"`
	ValueLoss  float64 `json:"valueLoss"`
	Entropy    float64 `json:"entropy"`
	// ApproxKL is the mean approximate KL divergence from the rollout policy
	// and ClipFraction the fraction of clipped ratios, in the last epoch.
	ApproxKL     float64 `json:"approxKL"`
	ClipFraction float64 `json:"clipFraction"`
	// Seconds is the iteration's wall-clock time (not reproducible).
	Seconds float64 `json:"seconds"`
}

// Trainer runs PPO on one drug model. It is not safe for concurrent use.
type Trainer struct {
	cfg          Config
	kind         string
	pol, val     *nn.MLP
	polTr, valTr *nn.Trainer
	ploss        *policyLoss
	adamP, adamV adamState
	pcg          *rand.PCG
	rng          *rand.Rand
	iter         int
	envSteps     int64

	n, t, dim, nAct int
	postDim         int // observation entries of the posterior (Config.Posterior)
	valueScale      float32
	lo, hi          float32 // target band of the observation's first entry

	// rollout buffers, sample s = step·n + env
	obs    []float32 // t·n·dim
	mask   []float32 // t·n·nAct
	act    []int32   // t·n
	logp   []float32 // t·n
	value  []float32 // t·n (scaled back to reward units)
	rew    []float32 // t·n
	done   []bool    // t·n
	adv    []float32
	ret    []float32
	logits []float32 // n·nAct
	vout   []float32 // n
	probs  []float64 // nAct
	acts   []int32   // n

	perm          []int
	mbX, mbP, mbV []float32
}

type adamState struct {
	m, v [][]float32
	step int
}

func newAdam(net *nn.MLP) adamState {
	var a adamState
	for l := range net.Layers() {
		w, b, _ := net.Weights(l)
		a.m = append(a.m, make([]float32, len(w)), make([]float32, len(b)))
		a.v = append(a.v, make([]float32, len(w)), make([]float32, len(b)))
	}
	return a
}

// New builds a Trainer: both networks initialised from cfg.Seed, nothing
// trained yet. Errors name the offending field and wrap errs.Invalid.
func New(cfg Config) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if _, err := dosing.Model(cfg.Model); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if err := cfg.Hyperparameters.Validate("hyperparameters"); err != nil {
		return nil, err
	}
	if len(cfg.Population) == 0 {
		return nil, fmt.Errorf("population is empty: %w", errs.Invalid)
	}
	t := &Trainer{cfg: cfg, kind: cfg.Model}
	e, err := t.newEnv(0)
	if err != nil {
		return nil, err
	}
	t.postDim = e.PosteriorDim()
	t.n, t.t, t.dim, t.nAct = e.NumEnvs(), e.EpisodeSteps(), e.ObsDim(), e.NumActions()
	sizes := append(append([]int{t.dim}, cfg.Hidden...), t.nAct)
	acts := make([]nn.Activation, len(sizes)-1)
	for i := range acts {
		acts[i] = nn.Tanh
	}
	acts[len(acts)-1] = nn.Identity
	adam := nn.AdamConfig{LR: cfg.LearningRate}
	if t.pol, err = nn.New(nn.Config{Sizes: sizes, Activations: acts, Seed: cfg.Seed ^ 0x9e3779b97f4a7c15, Adam: adam}); err != nil {
		return nil, err
	}
	vsizes := append(append([]int{t.dim}, cfg.Hidden...), 1)
	if t.val, err = nn.New(nn.Config{Sizes: vsizes, Activations: acts, Seed: cfg.Seed ^ 0xc2b2ae3d27d4eb4f, Adam: adam}); err != nil {
		return nil, err
	}
	// a small last policy layer starts the policy near uniform
	w, _, _ := t.pol.Weights(t.pol.Layers() - 1)
	for i := range w {
		w[i] *= 0.01
	}
	t.ploss = &policyLoss{actions: t.nAct, clip: float32(cfg.Clip), entropyCoef: float32(cfg.EntropyCoef)}
	if t.polTr, err = nn.NewTrainer(t.pol, t.ploss); err != nil {
		return nil, err
	}
	if t.valTr, err = nn.NewTrainer(t.val, nn.MSE{}); err != nil {
		return nil, err
	}
	t.adamP, t.adamV = newAdam(t.pol), newAdam(t.val)
	t.pcg = rand.NewPCG(cfg.Seed, 0x50505f616374)
	t.rng = rand.New(t.pcg)
	t.valueScale = float32(min(1/(1-cfg.Gamma+1e-12), float64(t.t)))
	if cfg.Model == dosing.DocetaxelFriberg {
		t.lo, t.hi = float32(math.Log(500.0/5050)), float32(math.Log(1000.0/5050))
	} else {
		t.lo, t.hi = -1.0/3, 1.0/3
	}
	s := t.t * t.n
	t.obs, t.mask = make([]float32, s*t.dim), make([]float32, s*t.nAct)
	t.act, t.logp, t.value, t.rew = make([]int32, s), make([]float32, s), make([]float32, s), make([]float32, s)
	t.done, t.adv, t.ret = make([]bool, s), make([]float32, s), make([]float32, s)
	t.logits, t.vout, t.probs, t.acts = make([]float32, t.n*t.nAct), make([]float32, t.n), make([]float64, t.nAct), make([]int32, t.n)
	t.perm = make([]int, s)
	return t, nil
}

// newEnv builds the environment of iteration it: its seed depends only on
// the run's seed and it, so a resumed run sees the same patients. A large
// population is first subsampled (uniformly, with replacement) to
// poolFactor·Envs patients, so building the environment costs the same for
// 1,000 or 100,000 patients.
func (t *Trainer) newEnv(it int) (*env.Env, error) {
	c := t.cfg
	seed := mix(c.Seed, uint64(it))
	pop := c.Population
	if n := poolFactor * c.Envs; len(pop) > n {
		rng := rand.New(rand.NewPCG(seed, 0x706f6f6c))
		sub := make([]*dosing.Patient, n)
		for i := range sub {
			sub[i] = pop[rng.IntN(len(pop))]
		}
		pop = sub
	}
	return env.New(env.Config{
		Model: c.Model, Envs: c.Envs, Seed: seed, EpisodeSteps: c.EpisodeSteps,
		History: c.History, Typical: c.Typical, Population: pop, Reward: c.Reward, Shield: c.Shield,
		Monitoring: c.Monitoring, Posterior: c.Posterior,
	})
}

// poolFactor sizes the per-iteration patient pool relative to Envs.
const poolFactor = 4

// mix derives a well-spread seed from a run seed and an index (splitmix64).
func mix(a, b uint64) uint64 {
	z := a + 0x9e3779b97f4a7c15*(b+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Iteration returns the number of completed iterations.
func (t *Trainer) Iteration() int { return t.iter }

// EnvSteps returns the cumulative number of patient-steps simulated.
func (t *Trainer) EnvSteps() int64 { return t.envSteps }

// ObsDim and NumActions describe the networks' input and output widths.
func (t *Trainer) ObsDim() int { return t.dim }

// NumActions returns the number of discrete dose actions.
func (t *Trainer) NumActions() int { return t.nAct }

// Parameters returns the number of trainable parameters of the policy
// network (the part a deployed policy keeps).
func (t *Trainer) Parameters() int { return countParams(t.pol) }

func countParams(m *nn.MLP) int {
	n := 0
	for l := range m.Layers() {
		w, b, _ := m.Weights(l)
		n += len(w) + len(b)
	}
	return n
}

// Iterate runs one iteration: a rollout of one episode for every parallel
// patient, then Epochs passes of minibatch updates. It checks ctx between
// steps; after an error (a cancelled ctx included) the Trainer is partway
// through an iteration, so continue from a checkpoint taken after the last
// successful Iterate (MarshalBinary), as the rl service does.
func (t *Trainer) Iterate(ctx context.Context) (Metrics, error) {
	start := time.Now()
	e, err := t.newEnv(t.iter + 1)
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{Iteration: t.iter + 1}
	var inRange, measured int
	for step := 0; step < t.t; step++ {
		if step%8 == 0 {
			if err := ctx.Err(); err != nil {
				return Metrics{}, err
			}
		}
		base := step * t.n
		obs := e.Observations()
		copy(t.obs[base*t.dim:], obs)
		for k, ok := range e.Mask() {
			t.mask[base*t.nAct+k] = b2f(ok)
		}
		if err := t.pol.Forward(obs, t.n, t.logits); err != nil {
			return Metrics{}, err
		}
		if err := t.val.Forward(obs, t.n, t.vout); err != nil {
			return Metrics{}, err
		}
		for i := range t.n {
			a, lp := t.sample(t.logits[i*t.nAct:(i+1)*t.nAct], t.mask[(base+i)*t.nAct:(base+i+1)*t.nAct])
			t.acts[i] = int32(a)
			t.act[base+i], t.logp[base+i] = int32(a), lp
			t.value[base+i] = t.vout[i] * t.valueScale
		}
		next, rew, done, err := e.StepContext(ctx, t.acts)
		if err != nil {
			return Metrics{}, err
		}
		for i := range t.n {
			t.rew[base+i], t.done[base+i] = rew[i], done[i]
			m.MeanReturn += float64(rew[i])
			if !done[i] {
				measured++
				if v := next[i*t.dim]; v >= t.lo && v <= t.hi {
					inRange++
				}
			}
		}
	}
	m.MeanReturn /= float64(t.n)
	if measured > 0 {
		m.TimeInRange = float64(inRange) / float64(measured)
	}
	t.gae()
	if err := t.update(ctx, &m); err != nil {
		return Metrics{}, err
	}
	t.iter++
	t.envSteps += int64(t.t * t.n)
	m.EnvSteps = t.envSteps
	m.Seconds = time.Since(start).Seconds()
	return m, nil
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// sample draws an action from the masked softmax of z and returns it with
// its log-probability.
func (t *Trainer) sample(z, mask []float32) (int, float32) {
	var buf [maxActions]float32
	lse, _ := maskedStats(z, mask, buf[:len(z)])
	u := t.rng.Float64()
	a, last := -1, 0
	acc := 0.0
	for j := range z {
		if buf[j] == 0 {
			continue
		}
		last = j
		acc += float64(buf[j])
		if u < acc {
			a = j
			break
		}
	}
	if a < 0 {
		a = last
	}
	return a, z[a] - lse
}

// gae computes advantages and returns with GAE(λ). Episodes end with the
// rollout (every patient's episode has the rollout's length), so the value
// after the last step is zero; a done flag inside the rollout also cuts.
func (t *Trainer) gae() {
	g, l := float32(t.cfg.Gamma), float32(t.cfg.Lambda)
	for i := range t.n {
		var next, acc float32
		for step := t.t - 1; step >= 0; step-- {
			s := step*t.n + i
			nonTerm := float32(1)
			if t.done[s] || step == t.t-1 {
				nonTerm = 0
			}
			delta := t.rew[s] + g*next*nonTerm - t.value[s]
			acc = delta + g*l*nonTerm*acc
			t.adv[s] = acc
			t.ret[s] = acc + t.value[s]
			next = t.value[s]
		}
	}
	var mean, sq float64
	for _, a := range t.adv {
		mean += float64(a)
	}
	mean /= float64(len(t.adv))
	for _, a := range t.adv {
		d := float64(a) - mean
		sq += d * d
	}
	std := math.Sqrt(sq/float64(len(t.adv))) + 1e-8
	for s, a := range t.adv {
		t.adv[s] = float32((float64(a) - mean) / std)
	}
}

// update runs the minibatch epochs.
func (t *Trainer) update(ctx context.Context, m *Metrics) error {
	total := t.t * t.n
	nb := max(1, int(math.Round(float64(total)/float64(t.cfg.Minibatch))))
	maxMB := (total + nb - 1) / nb
	pw, vw := 3+t.nAct, 1
	if len(t.mbX) < maxMB*t.dim {
		t.mbX, t.mbP, t.mbV = make([]float32, maxMB*t.dim), make([]float32, maxMB*pw), make([]float32, maxMB*vw)
	}
	for i := range t.perm {
		t.perm[i] = i
	}
	var pl, vl, ent float64
	steps := 0
	for ep := 0; ep < t.cfg.Epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		t.rng.Shuffle(total, func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
		var kl, cf float64
		for b := 0; b < nb; b++ {
			lo, hi := b*total/nb, (b+1)*total/nb
			size := hi - lo
			x, ap, av := t.mbX[:size*t.dim], t.mbP[:size*pw], t.mbV[:size*vw]
			for r, s := range t.perm[lo:hi] {
				copy(x[r*t.dim:(r+1)*t.dim], t.obs[s*t.dim:(s+1)*t.dim])
				row := ap[r*pw : (r+1)*pw]
				row[0], row[1], row[2] = float32(t.act[s]), t.logp[s], t.adv[s]
				copy(row[3:], t.mask[s*t.nAct:(s+1)*t.nAct])
				av[r] = t.ret[s] / t.valueScale
			}
			_, pg, err := t.polTr.LossAndGrad(x, ap)
			if err != nil {
				return err
			}
			vloss, vg, err := t.valTr.LossAndGrad(x, av)
			if err != nil {
				return err
			}
			vc := float32(t.cfg.ValueCoef)
			var norm float64
			for _, g := range pg {
				norm += sumSq(g)
			}
			for _, g := range vg {
				scale(g, vc)
				norm += sumSq(g)
			}
			norm = math.Sqrt(norm)
			if norm > t.cfg.MaxGradNorm {
				c := float32(t.cfg.MaxGradNorm / (norm + 1e-6))
				for _, g := range pg {
					scale(g, c)
				}
				for _, g := range vg {
					scale(g, c)
				}
			}
			t.adamStep(t.pol, &t.adamP, pg)
			t.adamStep(t.val, &t.adamV, vg)
			pl += t.ploss.surrogate
			ent += t.ploss.entropy
			vl += float64(vloss)
			kl += t.ploss.approxKL * float64(size)
			cf += t.ploss.clipFrac * float64(size)
			steps++
		}
		m.ApproxKL, m.ClipFraction = kl/float64(total), cf/float64(total)
	}
	m.PolicyLoss, m.ValueLoss, m.Entropy = pl/float64(steps), vl/float64(steps), ent/float64(steps)
	return nil
}

func sumSq(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

func scale(x []float32, c float32) {
	for i := range x {
		x[i] *= c
	}
}

// adamStep applies one in-place Adam update (rl/nn/kernels) to net's
// parameters with the (clipped) gradients g, parallel to W0, b0, W1, ….
func (t *Trainer) adamStep(net *nn.MLP, a *adamState, g [][]float32) {
	a.step++
	const b1, b2 = 0.9, 0.999
	s := kernels.AdamStep{
		Beta1: b1, Beta2: b2, Eps: 1e-8, LR: float32(t.cfg.LearningRate),
		Corr1: float32(1 / (1 - math.Pow(b1, float64(a.step)))),
		Corr2: float32(1 / (1 - math.Pow(b2, float64(a.step)))),
	}
	for l := range net.Layers() {
		w, b, _ := net.Weights(l)
		kernels.Adam(s, w, g[2*l], a.m[2*l], a.v[2*l])
		kernels.Adam(s, b, g[2*l+1], a.m[2*l+1], a.v[2*l+1])
	}
}
