package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rxlab/rxlab/molecules/response"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/ppo"
)

// benchEnv measures a vectorized environment: patient-steps per second
// (days for warfarin, cycles for docetaxel) with envs patients stepped
// together, between-subject variability and measurement noise on.
func benchEnv(ctx context.Context, clk clock, model string, envs, rounds int, per time.Duration) (result, error) {
	e, err := env.New(env.Config{Model: model, Envs: envs, Seed: 1, PopulationSize: 1000})
	if err != nil {
		return result{}, err
	}
	if err := e.Reset(); err != nil {
		return result{}, err
	}
	actions := make([]int32, envs)
	for i := range actions {
		actions[i] = int32(e.NumActions() / 3)
	}
	var rates, allocs []float64
	for r := 0; r < rounds; r++ {
		m, err := timeLoop(ctx, clk, per, func() error { _, _, _, err := e.Step(actions); return err })
		if err != nil {
			return result{}, err
		}
		rates, allocs = append(rates, m.perS*float64(envs)), append(allocs, m.allocs)
	}
	unit := "patient-days/s"
	if model == dosing.DocetaxelFriberg {
		unit = "patient-cycles/s"
	}
	return result{Workload: fmt.Sprintf("env-steps %s (%d patients vectorized)", model, envs), Unit: unit,
		OursPerS: ptr(median(rates)), AllocsPerOp: ptr(median(allocs)), noPeer: true}, nil
}

// benchPPOEndToEnd measures PPO training as the API runs it: rollouts on
// the environment plus the update, in environment steps per second.
func benchPPOEndToEnd(ctx context.Context, clk clock, model string, rounds int, per time.Duration) (result, error) {
	pop, err := dosing.RavvazPopulation(1000, 7)
	if err != nil {
		return result{}, err
	}
	cfg := ppo.Config{Model: model, Population: pop, Seed: 1, Hyperparameters: ppo.Defaults()}
	t, err := ppo.New(cfg)
	if err != nil {
		return result{}, err
	}
	var rates []float64
	for r := 0; r < rounds; r++ {
		before := t.EnvSteps()
		start := clk.now()
		iters := 0
		for clk.now()-start < per || iters == 0 {
			if _, err := t.Iterate(ctx); err != nil {
				return result{}, err
			}
			iters++
		}
		rates = append(rates, float64(t.EnvSteps()-before)/(clk.now()-start).Seconds())
	}
	h := cfg.Hyperparameters
	return result{Workload: fmt.Sprintf("ppo end-to-end %s (%d envs, hidden %v)", model, h.Envs, h.Hidden),
		Unit: "env steps/s incl. learning", OursPerS: ptr(median(rates)), noPeer: true}, nil
}

// benchResponseTraining measures response-model training as the API runs
// it: one ESOL MLP member on the random split's training rows, featurizing
// included, in training samples (rows × epochs) per second.
func benchResponseTraining(ctx context.Context, clk clock, rounds int) (result, error) {
	tab, err := response.LoadDataset("esol")
	if err != nil {
		return result{}, err
	}
	const epochs = 40
	train := len(response.RandomSplit(len(tab.SMILES), 1).Train)
	var rates []float64
	for r := 0; r < rounds; r++ {
		start := clk.now()
		if _, err := response.Train(ctx, response.TrainInput{Dataset: "esol", Split: "random", Seed: 1, Ensemble: 1, Epochs: epochs}, nil); err != nil {
			return result{}, err
		}
		rates = append(rates, float64(train*epochs)/(clk.now()-start).Seconds())
	}
	return result{Workload: fmt.Sprintf("response-model training esol MLP (%d rows × %d epochs, featurizing incl.)", train, epochs),
		Unit: "samples/s", OursPerS: ptr(median(rates)), noPeer: true}, nil
}
