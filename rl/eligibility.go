package rl

import (
	"maps"
	"sort"

	"github.com/rxlab/rxlab/rl/dosing"
)

// Why a stored patient's twin is left out of a population. Only these
// categories and their counts are reported, never a patient or a value.
const (
	// SkipOutOfRange: a covariate outside the simulators' ranges.
	SkipOutOfRange = "covariate outside the model's range"
	// SkipAgeMissing: no birth date, so no age.
	SkipAgeMissing = "age missing"
	// SkipUnderAge: younger than 18 years (the models cover adults).
	SkipUnderAge = "under 18 years"
	// SkipBodySize: weight or height missing where the model or a dosing
	// method needs them (body-surface area, the IWPC algorithms).
	SkipBodySize = "weight or height missing"
	// SkipMethod: a compared dosing method cannot dose the patient.
	SkipMethod = "not supported by a compared dosing method"
)

// SkipReasons lists every reason, so a report can show each category
// whether or not it occurred (which categories occur is itself data).
func SkipReasons() []string {
	return []string{SkipAgeMissing, SkipOutOfRange, SkipMethod, SkipUnderAge, SkipBodySize}
}

// SkipCount is how many stored patients were left out for one reason.
type SkipCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// skipCounts turns a reason → count map into a list sorted by reason.
func skipCounts(m map[string]int) []SkipCount {
	out := make([]SkipCount, 0, len(m))
	for r, n := range m {
		if n > 0 {
			out = append(out, SkipCount{Reason: r, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reason < out[j].Reason })
	return out
}

// totalSkipped sums the counts.
func totalSkipped(sk []SkipCount) int {
	n := 0
	for _, c := range sk {
		n += c.Count
	}
	return n
}

// eligibility returns the check of a patient against the model (what the
// training environment and the simulator require: valid covariates, an
// adult age, body-surface area for docetaxel) and against every dosing
// method in pols (each must build a controller for the patient).
func eligibility(m *dosing.DrugModel, pols []dosing.Policy) func(*dosing.Patient) string {
	return func(p *dosing.Patient) string {
		switch {
		case p.Validate() != nil:
			return SkipOutOfRange
		case p.Age == 0:
			return SkipAgeMissing
		case p.Age < 18:
			return SkipUnderAge
		}
		noBody := !(p.WeightKg > 0) || !(p.HeightCm > 0)
		if m.ID == dosing.DocetaxelFriberg && noBody {
			return SkipBodySize
		}
		if _, err := m.PatientDoseLevels(p); err != nil {
			return SkipOutOfRange
		}
		for _, pol := range pols {
			q := *p // a controller may keep the patient; give it a copy
			q.Genotypes = maps.Clone(p.Genotypes)
			if _, err := pol.NewController(m, &q); err != nil {
				if noBody {
					return SkipBodySize
				}
				return SkipMethod
			}
		}
		return ""
	}
}
