package dosing_test

import (
	"context"
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/rxlab/rxlab/rl/dosing"
)

// A typical 71-year-old CYP2C9 *1/*1, VKORC1 G/A patient on 5 mg/day for 30
// days: INR before the day-30 dose and time in the 2–3 range.
func ExampleSimulate() {
	five, _, _ := apd.NewFromString("5")
	sim, err := dosing.Simulate(context.Background(), dosing.SimulationInput{
		Model: dosing.WarfarinHamberg,
		Patient: dosing.Patient{Age: 71, WeightKg: 80, HeightCm: 175,
			Genotypes: map[string]string{"CYP2C9": "*1/*1", "VKORC1": "G/A"}},
		Regimen: dosing.Regimen{FixedDose: five},
		Days:    30,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	last := sim.Points[len(sim.Points)-1]
	fmt.Printf("day %.0f INR %.2f, time in range %.0f %%, total %s mg\n", last.Hour/24, last.Observable, 100*sim.TimeInRange, sim.TotalDose)
	// Output: day 30 INR 2.29, time in range 64 %, total 150 mg
}

// The IWPC pharmacogenetic starting dose for a patient.
func ExampleRecommend() {
	p := &dosing.Patient{Age: 58, WeightKg: 90, HeightCm: 180, Race: "White",
		Genotypes: map[string]string{"CYP2C9": "*1/*3", "VKORC1": "A/A"}}
	r, err := dosing.Recommend(dosing.WarfarinHamberg, p, dosing.MethodIWPCPGx, nil, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Dose, r.Unit, r.NextCheckHours)
	// Output: 2.5 mg 72
}

// The served drug models.
func ExampleModels() {
	for _, m := range dosing.Models() {
		fmt.Println(m.ID, m.Observable, m.TargetLow, m.TargetHigh, len(m.DoseLevels), m.LevelUnit, m.Baselines)
	}
	// Output:
	// warfarin-hamberg INR 2 3 31 mg [fixed iwpc-clinical iwpc-pgx aurora intermountain]
	// docetaxel-friberg ANC 500 1000 21 mg/m2 [fixed q3w-reduce-grade4]
}
