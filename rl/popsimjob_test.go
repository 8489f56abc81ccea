package rl

import (
	"context"
	"errors"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
)

// TestPopulationSimCancelled checks that a population simulation stops
// with the context's error once its job is cancelled: cancelled after the
// first of two arms, the second stops and never reports.
func TestPopulationSimCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arm := dosing.PopulationArm{Name: "aurora", Regimen: dosing.Regimen{Method: dosing.MethodAurora}}
	in := PopulationSimInput{Model: dosing.WarfarinHamberg, Population: PopulationInput{Size: 2_000, Seed: 1}, Days: 10,
		Arms: []dosing.PopulationArm{arm, arm}, Monitoring: "OUTPATIENT"}
	if err := checkPopulationSim(in); err != nil {
		t.Fatal(err)
	}
	calls := 0
	_, err := runPopulationSim(ctx, in, func(int, int, string) {
		calls++
		cancel()
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("cancelled run: err %v after %d arms", err, calls)
	}
}
