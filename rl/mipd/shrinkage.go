package mipd

import "math"

// PopulationShrinkage returns the η-shrinkage of each random effect over
// several patients' individualizations of one model: 1 − SD(η̂)/ω, the
// NONMEM definition (0: the data determine η; 1: every estimate sits at
// the population value). Results of another model than the first are
// ignored; fewer than two results give an empty map.
func PopulationShrinkage(results []*Result) map[string]float64 {
	out := map[string]float64{}
	if len(results) < 2 {
		return out
	}
	first := results[0]
	for k, name := range first.Names {
		var s, s2, n float64
		for _, r := range results {
			if r.Model != first.Model || len(r.eta) <= k {
				continue
			}
			v := r.eta[k]
			s += v
			s2 += v * v
			n++
		}
		if n < 2 {
			continue
		}
		sd := math.Sqrt(math.Max(0, (s2-s*s/n)/(n-1)))
		out[name] = 1 - sd/first.Omega[name]
	}
	return out
}
