package rl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/ppo"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// TrainingInput starts a training run (the API's TrainingInput).
type TrainingInput struct {
	Model string `json:"model"`
	// Algorithm is "ppo" (the default when empty).
	Algorithm  string          `json:"algorithm"`
	Population PopulationInput `json:"population"`
	Iterations int             `json:"iterations"`
	Seed       int64           `json:"seed"`
	// Hyperparameters override PPO's defaults by name: envs, episodeSteps,
	// hidden (list of widths), learningRate, gamma, lambda, clip, valueCoef,
	// entropyCoef, epochs, minibatch, maxGradNorm, and checkpointEvery
	// (iterations between checkpoints, default 5).
	Hyperparameters map[string]any `json:"hyperparameters,omitempty"`
	// Monitoring is the warfarin schedule the policy trains under: DAILY
	// (an INR every day, the default), OUTPATIENT (visits only; dose
	// changes only at visits) or PROTOCOL (the policy chooses the days to
	// its next INR, each measurement costing reward; env.Config).
	Monitoring string `json:"monitoring,omitempty"`
	// Posterior (warfarin) adds to the observation the MAP estimate and
	// posterior SD of each random effect, refitted with rl/mipd at every
	// measurement (env.Config.Posterior); budgeted by MaxPosteriorFits.
	Posterior bool `json:"posterior,omitempty"`
}

// TrainingMetric is one iteration's metrics (the API's TrainingMetric).
type TrainingMetric struct {
	Iteration   int     `json:"iteration"`
	EnvSteps    int64   `json:"envSteps"`
	MeanReturn  float64 `json:"meanReturn"`
	TimeInRange float64 `json:"timeInRange"`
	PolicyLoss  float64 `json:"policyLoss"`
	ValueLoss   float64 `json:"valueLoss"`
	Entropy     float64 `json:"entropy"`
	Seconds     float64 `json:"seconds"`
}

// TrainingRun is a stored training run (the API's TrainingRun; Job is the
// job id, Policy the trained policy's id once the run has finished).
type TrainingRun struct {
	ID         string           `json:"id"`
	Job        string           `json:"job"`
	Owner      string           `json:"owner"`
	Model      string           `json:"model"`
	Algorithm  string           `json:"algorithm"`
	Input      TrainingInput    `json:"input"`
	Iteration  int              `json:"iteration"`
	Metrics    []TrainingMetric `json:"metrics"`
	Policy     string           `json:"policy,omitempty"`
	CreatedAt  time.Time        `json:"createdAt"`
	Checkpoint int              `json:"checkpoint"`
	// Skipped counts, by reason, the matching stored patients left out of
	// a training population drawn from stored patients (empty for other
	// populations); nil until the job has drawn it.
	Skipped []SkipCount `json:"skipped"`
}

const defaultCheckpointEvery = 5

type trainingSettings struct {
	hp              ppo.Hyperparameters
	checkpointEvery int
}

// parseHyperparameters maps the API's JSON object onto PPO's settings.
func parseHyperparameters(raw map[string]any) (trainingSettings, error) {
	st := trainingSettings{checkpointEvery: defaultCheckpointEvery}
	// normalize Go values (int, []int, json.Number) to their JSON forms
	var in map[string]any
	if b, err := json.Marshal(raw); err != nil {
		return st, fmt.Errorf("input.hyperparameters: not a JSON object: %w", store.ErrInvalid)
	} else if err := json.Unmarshal(b, &in); err != nil {
		return st, fmt.Errorf("input.hyperparameters: not a JSON object: %w", store.ErrInvalid)
	}
	field := func(k string) string { return "input.hyperparameters." + k }
	num := func(k string, v any) (float64, error) {
		f, ok := v.(float64)
		if !ok {
			if i, isInt := v.(int); isInt {
				return float64(i), nil
			}
			return 0, fmt.Errorf("%s must be a number: %w", field(k), store.ErrInvalid)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s must be finite: %w", field(k), store.ErrInvalid)
		}
		return f, nil
	}
	integer := func(k string, v any) (int, error) {
		f, err := num(k, v)
		if err != nil {
			return 0, err
		}
		if f != math.Trunc(f) || math.Abs(f) > 1e9 {
			return 0, fmt.Errorf("%s must be an integer: %w", field(k), store.ErrInvalid)
		}
		return int(f), nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first error is deterministic
	h := &st.hp
	for _, k := range keys {
		v := in[k]
		var err error
		switch k {
		case "envs":
			h.Envs, err = integer(k, v)
		case "episodeSteps":
			h.EpisodeSteps, err = integer(k, v)
		case "epochs":
			h.Epochs, err = integer(k, v)
		case "minibatch":
			h.Minibatch, err = integer(k, v)
		case "checkpointEvery":
			if st.checkpointEvery, err = integer(k, v); err == nil && (st.checkpointEvery < 1 || st.checkpointEvery > 1000) {
				err = fmt.Errorf("%s must be within 1–1000: %w", field(k), store.ErrInvalid)
			}
		case "learningRate":
			h.LearningRate, err = num(k, v)
		case "gamma":
			h.Gamma, err = num(k, v)
		case "lambda":
			h.Lambda, err = num(k, v)
		case "clip":
			h.Clip, err = num(k, v)
		case "valueCoef":
			h.ValueCoef, err = num(k, v)
		case "entropyCoef":
			h.EntropyCoef, err = num(k, v)
		case "maxGradNorm":
			h.MaxGradNorm, err = num(k, v)
		case "hidden":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return st, fmt.Errorf("%s must be a non-empty list of layer widths: %w", field(k), store.ErrInvalid)
			}
			h.Hidden = nil
			for i, x := range list {
				w, err := integer(fmt.Sprintf("hidden[%d]", i), x)
				if err != nil {
					return st, err
				}
				h.Hidden = append(h.Hidden, w)
			}
		default:
			return st, fmt.Errorf("%s: unknown hyperparameter (known: envs, episodeSteps, hidden, learningRate, gamma, lambda, clip, valueCoef, entropyCoef, epochs, minibatch, maxGradNorm, checkpointEvery): %w", field(k), store.ErrInvalid)
		}
		if err != nil {
			return st, err
		}
	}
	// explicit zeros are out of range, not "use the default"
	for _, k := range keys {
		if f, ok := in[k].(float64); ok && f == 0 {
			return st, fmt.Errorf("%s must not be 0: %w", field(k), store.ErrInvalid)
		}
	}
	if err := st.hp.WithDefaults().Validate("input.hyperparameters"); err != nil {
		return st, err
	}
	return st, nil
}

func (in *TrainingInput) validate() (trainingSettings, error) {
	if _, err := checkModel("input.model", in.Model); err != nil {
		return trainingSettings{}, err
	}
	switch in.Algorithm {
	case "":
		in.Algorithm = "ppo"
	case "ppo", "PPO":
		in.Algorithm = "ppo"
	default:
		return trainingSettings{}, fmt.Errorf("input.algorithm: unknown algorithm (known: ppo): %w", store.ErrInvalid)
	}
	if err := checkRange("input.iterations", int64(in.Iterations), 1, MaxIterations, "iterations"); err != nil {
		return trainingSettings{}, err
	}
	if in.Seed < 0 {
		return trainingSettings{}, fmt.Errorf("input.seed must be ≥ 0: %w", store.ErrInvalid)
	}
	if mon, err := dosing.ParseMonitoring("input.monitoring", in.Monitoring); err != nil {
		return trainingSettings{}, err
	} else if in.Model == dosing.DocetaxelFriberg && in.Monitoring != "" && mon != dosing.MonitoringDaily {
		return trainingSettings{}, fmt.Errorf("input.monitoring: docetaxel trains per cycle; only DAILY applies: %w", store.ErrInvalid)
	}
	if err := in.Population.validate("input.population"); err != nil {
		return trainingSettings{}, err
	}
	st, err := parseHyperparameters(in.Hyperparameters)
	if err != nil {
		return st, err
	}
	if trainingWork(in.Model, in.Iterations, st.hp) > MaxTrainingPatientDays {
		return st, &LimitError{Field: "input (iterations × hyperparameters.envs × episode days)", Limit: MaxTrainingPatientDays, Unit: "simulated patient-days"}
	}
	if in.Posterior {
		return st, checkPosteriorTraining(in, st.hp)
	}
	return st, nil
}

// trainingWork is the simulated patient-days of a run: iterations × envs ×
// episode steps × days per step, with the environment's defaults.
func trainingWork(model string, iterations int, hp ppo.Hyperparameters) int64 {
	hp = hp.WithDefaults()
	steps, days := hp.EpisodeSteps, 1
	switch model {
	case dosing.DocetaxelFriberg:
		days = 21
		if steps == 0 {
			steps = 6
		}
	default:
		if steps == 0 {
			steps = 90
		}
	}
	return work(int64(iterations), int64(hp.Envs), int64(steps), int64(days))
}

func runKey(id string) []byte  { return []byte("rl/run/" + id) }
func ckptKey(id string) []byte { return []byte("rl/ckpt/" + id) }

// StartTraining validates the input (budgets included), then stores the
// run and queues its job in one transaction, so a run always names a job
// that exists. Invalid input gives an error naming the field (e.g.
// "input.iterations") and wrapping store.ErrInvalid (a LimitError when over
// a budget); population criteria without a Twins hook give
// store.ErrNotImplemented.
func (s *Service) StartTraining(ctx context.Context, owner string, in TrainingInput) (TrainingRun, error) {
	if err := store.CheckName("input.model", in.Model); err != nil {
		return TrainingRun{}, err
	}
	if _, err := in.validate(); err != nil {
		return TrainingRun{}, err
	}
	if err := s.checkTwins(ctx, "input.population", in.Population); err != nil {
		return TrainingRun{}, err
	}
	var run TrainingRun
	var job jobs.Job
	err := s.db.Update(ctx, func(tx *store.Txn) error {
		n, err := tx.NextID("rl-run")
		if err != nil {
			return err
		}
		run = TrainingRun{ID: fmt.Sprintf("R%d", n), Owner: owner, Model: in.Model, Algorithm: in.Algorithm,
			Input: in, Metrics: []TrainingMetric{}, CreatedAt: time.Now().UTC()}
		if job, err = s.jobs.Enqueue(tx, KindTraining, owner, jobParams{Run: run.ID}); err != nil {
			return err
		}
		run.Job = job.ID
		tx.Touch("training:" + run.ID)
		return tx.Put(runKey(run.ID), run)
	})
	if err != nil {
		return TrainingRun{}, err
	}
	s.jobs.Launch(job)
	return run, nil
}

type jobParams struct {
	Run        string `json:"run,omitempty"`
	Evaluation string `json:"evaluation,omitempty"`
	// PopulationSim is the id of a population simulation run as a job.
	PopulationSim string `json:"populationSim,omitempty"`
}

// TrainingRun returns a stored run, or an error wrapping store.ErrNotFound.
func (s *Service) TrainingRun(ctx context.Context, id string) (TrainingRun, error) {
	var run TrainingRun
	err := s.db.View(ctx, func(tx *store.Txn) error { return tx.Get(runKey(id), &run) })
	if errors.Is(err, store.ErrNotFound) {
		return TrainingRun{}, fmt.Errorf("training run %s: %w", id, store.ErrNotFound)
	}
	return run, err
}

// TrainingRuns returns every stored run, oldest first.
func (s *Service) TrainingRuns(ctx context.Context) ([]TrainingRun, error) {
	var out []TrainingRun
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("rl/run/"), nil, func(r store.Record) error {
			var run TrainingRun
			if err := r.Decode(&run); err != nil {
				return err
			}
			out = append(out, run)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// trainerConfig builds the PPO configuration of a run; the third result
// counts the stored patients left out of its population.
func (s *Service) trainerConfig(ctx context.Context, run TrainingRun) (ppo.Config, trainingSettings, []SkipCount, error) {
	st, err := run.Input.validate()
	if err != nil {
		return ppo.Config{}, st, nil, err
	}
	m, err := checkModel("input.model", run.Model)
	if err != nil {
		return ppo.Config{}, st, nil, err
	}
	pop, skipped, err := s.population(ctx, "input.population", run.Input.Population, eligibility(m, nil))
	if err != nil {
		return ppo.Config{}, st, nil, err
	}
	cfg := ppo.Config{Model: run.Model, Population: pop, Seed: uint64(run.Input.Seed), Hyperparameters: st.hp,
		Monitoring: dosing.Monitoring(run.Input.Monitoring)}
	if run.Input.Posterior {
		if cfg.Posterior, err = s.posterior(); err != nil {
			return ppo.Config{}, st, nil, err
		}
	}
	return cfg, st, skipped, nil
}

// runTraining is the job: restore the checkpoint if any, iterate, checkpoint
// every few iterations, store the policy at the end.
func (s *Service) runTraining(ctx context.Context, h *jobs.Handle) error {
	var p jobParams
	if err := json.Unmarshal(h.Job().Params, &p); err != nil || p.Run == "" {
		return fmt.Errorf("rl-training: job parameters lack the run id: %w", store.ErrInvalid)
	}
	run, err := s.TrainingRun(ctx, p.Run)
	if err != nil {
		return err
	}
	if run.Policy != "" {
		return h.SetResultID(ctx, "policy", run.Policy, map[string]string{"run": run.ID, "policy": run.Policy})
	}
	cfg, st, skipped, err := s.trainerConfig(ctx, run)
	if err != nil {
		return err
	}
	var tr *ppo.Trainer
	var ckpt []byte
	err = s.db.View(ctx, func(tx *store.Txn) error {
		b, err := tx.GetRaw(ckptKey(run.ID))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		ckpt = b
		return err
	})
	if err != nil {
		return err
	}
	if ckpt != nil {
		if tr, err = ppo.Restore(cfg, ckpt); err != nil {
			return fmt.Errorf("training run %s: restoring its checkpoint: %w", run.ID, err)
		}
		s.log.Info("rl training resumed", "run", run.ID, "iteration", tr.Iteration())
	} else if tr, err = ppo.New(cfg); err != nil {
		return err
	}
	// metrics after the checkpoint are recomputed (identically)
	if err := s.db.Update(ctx, func(tx *store.Txn) error {
		var cur TrainingRun
		if err := tx.Get(runKey(run.ID), &cur); err != nil {
			return err
		}
		if len(cur.Metrics) > tr.Iteration() {
			cur.Metrics = cur.Metrics[:tr.Iteration()]
		}
		cur.Iteration = tr.Iteration()
		cur.Skipped = skipped
		run = cur
		return tx.Put(runKey(run.ID), cur)
	}); err != nil {
		return err
	}
	total := run.Input.Iterations
	last, err := tr.MarshalBinary() // state after the last completed iteration
	if err != nil {
		return err
	}
	for tr.Iteration() < total {
		m, err := tr.Iterate(ctx)
		if err != nil {
			if ctx.Err() != nil {
				// shutdown or cancel: keep the last completed iteration
				s.saveCheckpoint(run.ID, tr.Iteration(), last)
			}
			return err
		}
		if last, err = tr.MarshalBinary(); err != nil {
			return err
		}
		met := TrainingMetric{Iteration: m.Iteration, EnvSteps: m.EnvSteps, MeanReturn: m.MeanReturn, TimeInRange: m.TimeInRange,
			PolicyLoss: m.PolicyLoss, ValueLoss: m.ValueLoss, Entropy: m.Entropy, Seconds: m.Seconds}
		withCkpt := m.Iteration%st.checkpointEvery == 0 || m.Iteration == total
		err = s.db.Update(context.WithoutCancel(ctx), func(tx *store.Txn) error {
			var cur TrainingRun
			if err := tx.Get(runKey(run.ID), &cur); err != nil {
				return err
			}
			cur.Metrics = append(cur.Metrics[:min(len(cur.Metrics), m.Iteration-1)], met)
			cur.Iteration = m.Iteration
			if withCkpt {
				cur.Checkpoint = m.Iteration
				if err := tx.PutRaw(ckptKey(run.ID), last); err != nil {
					return err
				}
			}
			return tx.Put(runKey(run.ID), cur)
		})
		if err != nil {
			return err
		}
		h.Progress(ctx, float64(m.Iteration)/float64(total),
			fmt.Sprintf("iteration %d/%d: mean return %.2f, time in range %.1f %%", m.Iteration, total, m.MeanReturn, 100*m.TimeInRange))
	}
	pol, err := tr.Policy()
	if err != nil {
		return err
	}
	weights, err := pol.MarshalBinary()
	if err != nil {
		return err
	}
	var polID string
	err = s.db.Update(context.WithoutCancel(ctx), func(tx *store.Txn) error {
		var cur TrainingRun
		if err := tx.Get(runKey(run.ID), &cur); err != nil {
			return err
		}
		if cur.Policy != "" {
			polID = cur.Policy
			return nil
		}
		n, err := tx.NextID("rl-policy")
		if err != nil {
			return err
		}
		polID = fmt.Sprintf("P%d", n)
		rec := PolicyRecord{ID: polID, Model: run.Model, TrainingRun: run.ID, CreatedAt: time.Now().UTC(),
			Parameters: pol.Parameters(), PopulationSeed: run.Input.Population.Seed, Weights: weights,
			Monitoring: run.Input.Monitoring}
		if err := tx.Put(policyKey(polID), rec); err != nil {
			return err
		}
		cur.Policy = polID
		tx.Touch("policy:" + polID)
		return tx.Put(runKey(run.ID), cur)
	})
	if err != nil {
		return err
	}
	s.log.Info("rl training finished", "run", run.ID, "policy", polID, "iterations", total)
	return h.SetResultID(context.WithoutCancel(ctx), "policy", polID, map[string]string{"run": run.ID, "policy": polID})
}

// saveCheckpoint stores the state of the last completed iteration when a
// job is interrupted (shutdown), so the resumed run loses no work.
func (s *Service) saveCheckpoint(runID string, iteration int, state []byte) {
	err := s.db.Update(context.Background(), func(tx *store.Txn) error {
		var cur TrainingRun
		if err := tx.Get(runKey(runID), &cur); err != nil {
			return err
		}
		if iteration <= cur.Checkpoint {
			return nil
		}
		cur.Checkpoint = iteration
		if err := tx.PutRaw(ckptKey(runID), state); err != nil {
			return err
		}
		return tx.Put(runKey(runID), cur)
	})
	if err != nil {
		s.log.Error("rl checkpoint on interruption", "run", runID, "err", err)
	}
}
