package ppo_test

import (
	"context"
	"fmt"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/ppo"
)

// ExampleTrainer trains for two iterations, checkpoints and resumes.
func ExampleTrainer() {
	pop, _ := dosing.RavvazPopulation(100, 1)
	cfg := ppo.Config{Model: dosing.WarfarinHamberg, Population: pop, Seed: 1,
		Hyperparameters: ppo.Hyperparameters{Envs: 16, EpisodeSteps: 30, Hidden: []int{32}}}
	tr, err := ppo.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		m, _ := tr.Iterate(context.Background())
		fmt.Println(m.Iteration, m.EnvSteps)
	}
	ck, _ := tr.MarshalBinary()
	resumed, _ := ppo.Restore(cfg, ck)
	fmt.Println("resumed at iteration", resumed.Iteration())
	p, _ := resumed.Policy()
	fmt.Println(p.Spec.Actions, "dose levels,", p.Spec.ObsDim, "observations")
	// Output:
	// 1 480
	// 2 960
	// resumed at iteration 2
	// 31 dose levels, 26 observations
}
