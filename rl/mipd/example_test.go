package mipd_test

import (
	"context"
	"fmt"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/mipd"
)

// A warfarin patient on 5 mg/day whose INR rises 1.3, 1.6, 1.9 over the
// first week: individualize, then ask which daily dose keeps the INR in
// 2–3 over the next two weeks.
func Example() {
	est, err := mipd.New(mipd.Config{})
	if err != nil {
		panic(err)
	}
	in := mipd.Input{Model: dosing.WarfarinHamberg, Seed: 1,
		Patient: dosing.Patient{Age: 62, Genotypes: map[string]string{"CYP2C9": "*1/*1", "VKORC1": "G/A"}}}
	for day := range 7 {
		in.Doses = append(in.Doses, mipd.Dose{Hour: float64(24 * day), Amount: 5})
	}
	in.Observations = []mipd.Observation{{Hour: 72, Value: 1.3}, {Hour: 120, Value: 1.6}, {Hour: 168, Value: 1.9}}
	ctx := context.Background()
	res, err := est.Individualize(ctx, in)
	if err != nil {
		panic(err)
	}
	fmt.Println("converged:", res.Converged, "random effects:", res.Names)
	fmt.Println("one observation only:", len(res.Predictions) == 1)
	ch, err := est.OptimizeDoseFrom(ctx, mipd.OptimizeInput{Input: in, HorizonDays: 14}, res)
	if err != nil {
		panic(err)
	}
	best := ch.Candidates[ch.Best]
	fmt.Printf("levels weighed: %d, best %s mg/day, P(INR 2–3) %.1f\n", len(ch.Candidates), best.Level, best.ProbInRange)
	// Output:
	// converged: true random effects: [CL V1 V2 MTT1 MTT2 EC50]
	// one observation only: false
	// levels weighed: 31, best 4.5 mg/day, P(INR 2–3) 0.8
}
