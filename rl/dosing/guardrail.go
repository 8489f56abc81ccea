package dosing

import (
	"fmt"

	"github.com/rxlab/rxlab/rl/pkpd"
)

// labelRange is the expected warfarin maintenance dose (mg/day) by VKORC1
// -1639 genotype (rows G/G, G/A, A/A) and CYP2C9 diplotype (columns *1/*1,
// *1/*2, *1/*3, *2/*2, *2/*3, *3/*3): the US label's pharmacogenomic table
// (Coumadin prescribing information, Table 5), which CPIC's 2017 warfarin
// guideline cites alongside its genotype-guided algorithms.
var labelRange = [3][6][2]float64{
	{{5, 7}, {5, 7}, {3, 4}, {3, 4}, {3, 4}, {0.5, 2}},
	{{5, 7}, {3, 4}, {3, 4}, {3, 4}, {0.5, 2}, {0.5, 2}},
	{{3, 4}, {3, 4}, {0.5, 2}, {0.5, 2}, {0.5, 2}, {0.5, 2}},
}

// Guardrail bounds (mg/day) and the age from which initiation is capped
// lower, after CPIC 2017 and the label: start lower in the elderly, no
// loading doses beyond 10 mg.
const (
	GuardrailElderlyAge     = 65
	guardrailLoadingMax     = 10
	guardrailElderlyLoading = 5
	guardrailAbsoluteMax    = 15
)

// WarfarinGuardrail returns the largest daily warfarin dose (mg) a policy
// may give on day for a patient with the given covariates, and why. With a
// known genotype the label's expected maintenance range [lo, hi] sets the
// bound: in the first week at most hi for the highly sensitive groups
// (hi ≤ 2 mg: no loading) and otherwise 2·hi, never above 10 mg (5 mg from
// age 65); afterwards 2·hi (titration room above the expected range),
// never above 15 mg. Without a genotype only the age and absolute caps
// apply. The bound only ever removes doses above it; zero is always allowed.
func WarfarinGuardrail(cyp pkpd.CYP2C9, vk pkpd.VKORC1, genotyped bool, age float64, day int) (maxMg float64, why string) {
	return warfarinGuardrail(cyp, vk, genotyped, age, day, true)
}

// WarfarinGuardrailMax is WarfarinGuardrail's bound without the reason
// (it does not allocate; the environment calls it every step).
func WarfarinGuardrailMax(cyp pkpd.CYP2C9, vk pkpd.VKORC1, genotyped bool, age float64, day int) float64 {
	m, _ := warfarinGuardrail(cyp, vk, genotyped, age, day, false)
	return m
}

func warfarinGuardrail(cyp pkpd.CYP2C9, vk pkpd.VKORC1, genotyped bool, age float64, day int, explain bool) (maxMg float64, why string) {
	firstWeek := day < 7
	maxMg, why = guardrailAbsoluteMax, "label maximum 15 mg/day"
	if firstWeek {
		maxMg, why = guardrailLoadingMax, "initiation: no loading dose above 10 mg (CPIC 2017)"
		if age >= GuardrailElderlyAge {
			maxMg, why = guardrailElderlyLoading, "initiation at age ≥ 65: at most 5 mg/day (label: lower initial doses in the elderly)"
		}
	}
	if !genotyped || int(cyp) >= 6 || int(vk) >= 3 {
		return maxMg, why
	}
	r := labelRange[vk][cyp]
	g, what := 2*r[1], "bound at twice the upper end"
	if firstWeek && r[1] <= 2 {
		g, what = r[1], "highly sensitive: no loading dose in the first week"
	}
	if g >= maxMg {
		return maxMg, why
	}
	if explain {
		why = fmt.Sprintf("CYP2C9 %s, VKORC1 %s: label expected maintenance %g–%g mg/day, %s", cyp, vk, r[0], r[1], what)
	}
	return g, why
}

// PatientGuardrail is WarfarinGuardrail for a patient (both genotypes must
// be given for the genotype bound).
func PatientGuardrail(p *Patient, day int) (float64, string) {
	c, cok := p.CYP2C9()
	v, vok := p.VKORC1()
	return WarfarinGuardrail(c, v, cok && vok, p.Age, day)
}
