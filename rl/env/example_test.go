package env_test

import (
	"fmt"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
)

// Four virtual warfarin patients dosed 5 mg/day for a week by a trivial
// policy that always picks the largest allowed level not above 5 mg.
func ExampleNew() {
	e, err := env.New(env.Config{Model: dosing.WarfarinHamberg, Envs: 4, Seed: 1, PopulationSize: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("obs dim", e.ObsDim(), "actions", e.NumActions())
	act := make([]int32, e.NumEnvs())
	total := float32(0)
	for range 7 {
		mask := e.Mask()
		for i := range act {
			for a := 10; a >= 0; a-- { // level 10 = 5 mg
				if mask[i*e.NumActions()+a] {
					act[i] = int32(a)
					break
				}
			}
		}
		_, r, _, err := e.Step(act)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, v := range r {
			total += v
		}
	}
	fmt.Println("dose of action 10:", e.ActionDose(10), "mg; return negative (INR still rising):", total < 0)
	// Output:
	// obs dim 26 actions 31
	// dose of action 10: 5 mg; return negative (INR still rising): true
}
