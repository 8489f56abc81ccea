package pkpd_test

import (
	"fmt"

	"github.com/rxlab/rxlab/rl/pkpd"
)

// A typical 71-year-old CYP2C9 *1/*1, VKORC1 G/A patient on 5 mg/day.
func ExampleWarfarinBatch() {
	p, _ := pkpd.TypicalWarfarin(pkpd.WarfarinCovariates{Age: 71, CYP2C9: pkpd.CYP2C9_11, VKORC1: pkpd.VKORC1_GA})
	b, _ := pkpd.NewWarfarinBatch(pkpd.WarfarinConfig{Patients: 1})
	_ = b.SetPatient(0, p)
	dose, inr := []float64{5}, []float64{0}
	for day := 1; day <= 30; day++ {
		b.StepDay(dose, inr)
		if day%10 == 0 {
			fmt.Printf("day %d INR %.2f\n", day, inr[0])
		}
	}
	// Output:
	// day 10 INR 1.95
	// day 20 INR 2.24
	// day 30 INR 2.29
}

// Neutrophil nadir after 100 mg docetaxel over one hour (typical patient).
func ExampleDocetaxelBatch() {
	b, _ := pkpd.NewDocetaxelBatch(pkpd.DocetaxelConfig{Patients: 1})
	_ = b.Infuse(0, 100, 1)
	nadir, day := 1e9, 0.0
	for h := 1; h <= 21*24; h++ {
		b.AdvanceAll(1)
		if b.ANC(0) < nadir {
			nadir, day = b.ANC(0), float64(h)/24
		}
	}
	fmt.Printf("nadir %.0f cells/µL on day %.1f\n", nadir, day)
	// Output: nadir 1554 cells/µL on day 7.1
}
