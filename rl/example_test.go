package rl_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// ExampleService_StartTraining trains a small warfarin policy as a job and
// reads its run.
func ExampleService_StartTraining() {
	dir, _ := os.MkdirTemp("", "rl-example")
	defer os.RemoveAll(dir)
	db, _ := store.Open(store.Config{Dir: dir, GCInterval: -1})
	defer db.Close()
	runner, _ := jobs.New(jobs.Config{DB: db})
	defer runner.Shutdown(context.Background())
	svc, err := rl.New(rl.Config{DB: db, Jobs: runner})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	run, err := svc.StartTraining(ctx, "example", rl.TrainingInput{
		Model: dosing.WarfarinHamberg, Population: rl.PopulationInput{Size: 100, Seed: 1}, Iterations: 2, Seed: 1,
		Hyperparameters: map[string]any{"envs": 8, "episodeSteps": 20, "hidden": []int{16}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		j, _ := runner.Get(ctx, run.Job)
		if j.State.Final() {
			fmt.Println(j.State)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	run, _ = svc.TrainingRun(ctx, run.ID)
	pol, _ := svc.Policy(ctx, run.Policy)
	fmt.Println(run.Iteration, len(run.Metrics), pol.Model, pol.Parameters)
	// Output:
	// SUCCEEDED
	// 2 2 warfarin-hamberg 959
}
