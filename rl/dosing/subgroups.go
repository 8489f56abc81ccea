package dosing

import (
	"math"
	"sort"
)

// Subgroup dimensions reported by every evaluation.
const (
	DimCYP2C9   = "CYP2C9"
	DimVKORC1   = "VKORC1"
	DimAgeBand  = "ageBand"
	DimSex      = "sex"
	DimAncestry = "ancestry"
)

// SubgroupDimensions returns the dimensions reported for model m: genotype
// dimensions for warfarin, demographic ones for every model.
func SubgroupDimensions(m *DrugModel) []string {
	if m.ID == WarfarinHamberg {
		return []string{DimCYP2C9, DimVKORC1, DimAgeBand, DimSex, DimAncestry}
	}
	return []string{DimAgeBand, DimSex, DimAncestry}
}

// AgeBand is the evaluation age band of age in years.
func AgeBand(age float64) string {
	switch {
	case age < 50:
		return "<50"
	case age < 65:
		return "50-64"
	case age < 75:
		return "65-74"
	}
	return "75+"
}

var raceNames = [...]string{RaceWhite: "White", RaceAsian: "Asian", RaceBlack: "Black", RaceMissingOrMixed: "missing or mixed"}

// SubgroupValue returns p's value on dimension dim ("not given" for an
// absent genotype or sex).
func SubgroupValue(p *Patient, dim string) string {
	switch dim {
	case DimCYP2C9:
		if c, ok := p.CYP2C9(); ok {
			return c.String()
		}
	case DimVKORC1:
		if v, ok := p.VKORC1(); ok {
			return v.String()
		}
	case DimAgeBand:
		return AgeBand(p.Age)
	case DimSex:
		if p.Sex != "" {
			return p.Sex
		}
	case DimAncestry:
		return raceNames[p.RaceGroup()]
	}
	return "not given"
}

// Subgroup is one arm's result in one subgroup.
type Subgroup struct {
	Dimension, Value, Arm string
	Summary               ArmSummary
}

// Subgroups summarizes each arm's outcomes (outs[arm][k] for patient k of
// pats) by every dimension of m and value, in a stable order (dimension,
// value, arm as given). Within a dimension the subgroups partition the
// patients, so their counts add up to the arm's and their patient-weighted
// means equal the arm's means.
func Subgroups(m *DrugModel, pats []*Patient, arms []string, outs [][]Outcome) []Subgroup {
	var res []Subgroup
	for _, dim := range SubgroupDimensions(m) {
		groups := map[string][]int{}
		for k, p := range pats {
			v := SubgroupValue(p, dim)
			groups[v] = append(groups[v], k)
		}
		values := make([]string, 0, len(groups))
		for v := range groups {
			values = append(values, v)
		}
		sort.Strings(values)
		for _, v := range values {
			for a, name := range arms {
				sel := make([]Outcome, 0, len(groups[v]))
				for _, k := range groups[v] {
					sel = append(sel, outs[a][k])
				}
				res = append(res, Subgroup{Dimension: dim, Value: v, Arm: name, Summary: Summarize(name, sel)})
			}
		}
	}
	return res
}

// SubgroupGap is, for the subgroup of arm policy, its time in range minus
// the best other arm's in the same subgroup (negative: the policy does
// worse) and that arm's name; ok is false when there is no other arm.
func SubgroupGap(subs []Subgroup, i int, isBaseline func(arm string) bool) (gap float64, best string, ok bool) {
	s := subs[i]
	bestTIR := math.Inf(-1)
	for _, o := range subs {
		if o.Dimension == s.Dimension && o.Value == s.Value && isBaseline(o.Arm) && o.Summary.TimeInRange > bestTIR {
			bestTIR, best = o.Summary.TimeInRange, o.Arm
		}
	}
	if best == "" {
		return 0, "", false
	}
	return s.Summary.TimeInRange - bestTIR, best, true
}
