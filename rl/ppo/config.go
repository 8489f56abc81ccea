package ppo

import (
	"fmt"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/store/errs"
)

// Hyperparameters are PPO's tunable settings. Zero values take the defaults
// of Defaults.
type Hyperparameters struct {
	// Envs is the number of patients simulated together per iteration.
	Envs int `json:"envs"`
	// EpisodeSteps is the episode length in environment steps (days for
	// warfarin, cycles for docetaxel); 0 takes the environment's default.
	EpisodeSteps int `json:"episodeSteps"`
	// Hidden lists the hidden-layer widths of both networks.
	Hidden []int `json:"hidden"`
	// LearningRate is Adam's step size.
	LearningRate float64 `json:"learningRate"`
	// Gamma is the discount factor, Lambda the GAE parameter.
	Gamma  float64 `json:"gamma"`
	Lambda float64 `json:"lambda"`
	// Clip is the PPO clipping range ε.
	Clip float64 `json:"clip"`
	// ValueCoef weights the value loss, EntropyCoef the entropy bonus.
	ValueCoef   float64 `json:"valueCoef"`
	EntropyCoef float64 `json:"entropyCoef"`
	// Epochs is the number of passes over each rollout, Minibatch the
	// number of samples per gradient step.
	Epochs    int `json:"epochs"`
	Minibatch int `json:"minibatch"`
	// MaxGradNorm clips the global gradient norm of both networks.
	MaxGradNorm float64 `json:"maxGradNorm"`
}

// Defaults returns the default hyperparameters.
func Defaults() Hyperparameters {
	return Hyperparameters{
		Envs: 128, Hidden: []int{64, 64}, LearningRate: 3e-4,
		Gamma: 0.99, Lambda: 0.95, Clip: 0.2, ValueCoef: 0.5, EntropyCoef: 0.01,
		Epochs: 4, Minibatch: 512, MaxGradNorm: 0.5,
	}
}

// WithDefaults returns h with its zero fields taken from Defaults.
func (h Hyperparameters) WithDefaults() Hyperparameters {
	d := Defaults()
	if h.Envs == 0 {
		h.Envs = d.Envs
	}
	if len(h.Hidden) == 0 {
		h.Hidden = d.Hidden
	}
	h.Hidden = append([]int(nil), h.Hidden...)
	if h.LearningRate == 0 {
		h.LearningRate = d.LearningRate
	}
	if h.Gamma == 0 {
		h.Gamma = d.Gamma
	}
	if h.Lambda == 0 {
		h.Lambda = d.Lambda
	}
	if h.Clip == 0 {
		h.Clip = d.Clip
	}
	if h.ValueCoef == 0 {
		h.ValueCoef = d.ValueCoef
	}
	if h.EntropyCoef == 0 {
		h.EntropyCoef = d.EntropyCoef
	}
	if h.Epochs == 0 {
		h.Epochs = d.Epochs
	}
	if h.Minibatch == 0 {
		h.Minibatch = d.Minibatch
	}
	if h.MaxGradNorm == 0 {
		h.MaxGradNorm = d.MaxGradNorm
	}
	return h
}

// Validate checks the ranges; errors name the field (prefixed with field)
// and wrap errs.Invalid.
func (h Hyperparameters) Validate(field string) error {
	bad := func(name, want string) error {
		return fmt.Errorf("%s.%s must be %s: %w", field, name, want, errs.Invalid)
	}
	switch {
	case h.Envs < 1 || h.Envs > 4096:
		return bad("envs", "within 1–4096")
	case h.EpisodeSteps < 0 || h.EpisodeSteps > dosing.MaxDays:
		return bad("episodeSteps", fmt.Sprintf("within 0–%d", dosing.MaxDays))
	case len(h.Hidden) > 4:
		return bad("hidden", "at most 4 layers")
	case !(h.LearningRate > 0 && h.LearningRate <= 0.1):
		return bad("learningRate", "in (0, 0.1]")
	case !(h.Gamma > 0 && h.Gamma <= 1):
		return bad("gamma", "in (0, 1]")
	case !(h.Lambda >= 0 && h.Lambda <= 1):
		return bad("lambda", "in [0, 1]")
	case !(h.Clip > 0 && h.Clip < 1):
		return bad("clip", "in (0, 1)")
	case !(h.ValueCoef > 0 && h.ValueCoef <= 10):
		return bad("valueCoef", "in (0, 10]")
	case !(h.EntropyCoef >= 0 && h.EntropyCoef <= 1):
		return bad("entropyCoef", "in [0, 1]")
	case h.Epochs < 1 || h.Epochs > 50:
		return bad("epochs", "within 1–50")
	case h.Minibatch < 8 || h.Minibatch > 65536:
		return bad("minibatch", "within 8–65536")
	case !(h.MaxGradNorm > 0 && h.MaxGradNorm <= 1000):
		return bad("maxGradNorm", "in (0, 1000]")
	}
	for i, w := range h.Hidden {
		if w < 1 || w > 1024 {
			return fmt.Errorf("%s.hidden[%d] must be within 1–1024: %w", field, i, errs.Invalid)
		}
	}
	return nil
}

// Config configures a Trainer.
type Config struct {
	// Model is the drug model (dosing.WarfarinHamberg, dosing.DocetaxelFriberg).
	Model string
	// Population is the training pool episodes draw patients from.
	Population []*dosing.Patient
	// Seed drives weight initialisation, environments and action sampling.
	Seed uint64
	// Typical turns off between-subject variability and measurement noise
	// (for tests on the typical patients).
	Typical bool
	// Shield is the safety shield; the zero value takes DefaultShield(Model).
	Shield env.Shield
	// Reward weights; the zero value takes the environment's defaults.
	Reward env.Reward
	// History is the observation history K; 0 takes the environment default.
	History int
	// Monitoring is the warfarin measurement schedule the policy trains
	// under ("" or DAILY: daily INR; OUTPATIENT: visits only, see env.Config).
	Monitoring dosing.Monitoring
	// Posterior (warfarin), when set, adds the MAP estimate and posterior
	// SD of each random effect to the observation (env.Config.Posterior);
	// the trained policy's Spec.Posterior records it.
	Posterior env.Posterior
	Hyperparameters
}

// DefaultShield returns the shield limits the environment applies by
// default to a model: the trained policy and its deployed controller use the
// same limits.
func DefaultShield(model string) env.Shield {
	switch model {
	case dosing.DocetaxelFriberg:
		return env.Shield{MaxDose: 100, MaxChange: 25, HoldBelow: 500}
	default:
		return env.Shield{MaxDose: 15, MaxChange: 2.5, HoldAbove: 4, Guardrail: true}
	}
}

func (c Config) withDefaults() Config {
	c.Hyperparameters = c.Hyperparameters.WithDefaults()
	if c.Shield == (env.Shield{}) {
		c.Shield = DefaultShield(c.Model)
	}
	return c
}
