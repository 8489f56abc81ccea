package pgx

import (
	"sort"
	"strings"
)

// variantHap is a non-reference named allele reduced to the loci (indexes
// into called) where it differs from reference.
type variantHap struct {
	name string
	pos  []int
	alt  []string
}

// variantHaps lists the non-reference named alleles by their defining
// variant loci, most loci first (so HapB3 is matched before its tag SNP).
func (g *geneDef) variantHaps(called []sampleLocus) []variantHap {
	ref := g.alleles[g.refIdx]
	byIdx := map[int]int{}
	for k, sl := range called {
		byIdx[sl.idx] = k
	}
	var out []variantHap
	for _, na := range g.alleles {
		if na.reference {
			continue
		}
		v := variantHap{name: na.name}
		usable := true
		for i, a := range na.alleles {
			if a == "" || a == ref.alleles[i] {
				continue
			}
			k, ok := byIdx[i]
			if !ok {
				usable = false
				break
			}
			v.pos = append(v.pos, k)
			v.alt = append(v.alt, a)
		}
		if usable && len(v.pos) > 0 {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].pos) > len(out[j].pos) })
	return out
}

// strandHaps greedily assigns named alleles to the variant alleles of one
// strand (or to the pooled copies when unphased), most-specific first.
func strandHaps(vh []variantHap, copies []int, alleles [][2]string) []string {
	var out []string
	for _, v := range vh {
		for {
			ok := true
			for j, k := range v.pos {
				if copies[k] <= 0 || !(alleleMatches(v.alt[j], alleles[k][0]) || alleleMatches(v.alt[j], alleles[k][1])) {
					ok = false
					break
				}
			}
			if !ok {
				break
			}
			for _, k := range v.pos {
				copies[k]--
			}
			out = append(out, v.name)
		}
	}
	return out
}

// callLowest applies the lowest-function rule (DPYD).
func (g *geneDef) callLowest(called []sampleLocus) *lowestCall {
	vh := g.variantHaps(called)
	refName := g.alleles[g.refIdx].name
	isVariant := func(k int, a string) bool { return a != g.loci[called[k].idx].ref }
	nHet, phased := 0, true
	for _, sl := range called {
		if !sl.hom {
			nHet++
			if !sl.phased {
				phased = false
			}
		}
	}
	lc := &lowestCall{ok: true}
	if phased || nHet <= 1 {
		var strands [2][]string
		for s := 0; s < 2; s++ {
			copies := make([]int, len(called))
			al := make([][2]string, len(called))
			for k, sl := range called {
				a := sl.al[s]
				al[k] = [2]string{a, a}
				if isVariant(k, a) {
					copies[k] = 1
				}
			}
			strands[s] = strandHaps(vh, copies, al)
			for k := range copies {
				if copies[k] > 0 {
					lc.ok = false // a variant no named allele explains
				}
			}
		}
		lc.h1, lc.a1 = g.strandName(strands[0], refName)
		lc.h2, lc.a2 = g.strandName(strands[1], refName)
	} else {
		copies := make([]int, len(called))
		al := make([][2]string, len(called))
		for k, sl := range called {
			al[k] = sl.al
			for s := 0; s < 2; s++ {
				if isVariant(k, sl.al[s]) {
					copies[k]++
				}
			}
		}
		found := strandHaps(vh, copies, al)
		for k := range copies {
			if copies[k] > 0 {
				lc.ok = false
			}
		}
		sort.SliceStable(found, func(i, j int) bool { return g.activityOf(found[i]) < g.activityOf(found[j]) })
		switch len(found) {
		case 0:
			lc.h1, lc.h2 = refName, refName
		case 1:
			lc.h1, lc.h2 = refName, found[0]
		default:
			lc.h1, lc.h2 = found[0], found[1]
		}
		lc.a1, lc.a2 = g.activityOf(lc.h1), g.activityOf(lc.h2)
	}
	if compareHaplotypeNames(lc.h1, lc.h2) > 0 {
		lc.h1, lc.h2, lc.a1, lc.a2 = lc.h2, lc.h1, lc.a2, lc.a1
	}
	return lc
}

// strandName names one strand's haplotypes and returns its lowest activity.
func (g *geneDef) strandName(names []string, refName string) (string, float64) {
	if len(names) == 0 {
		return refName, g.activityOf(refName)
	}
	sort.Slice(names, func(i, j int) bool { return compareHaplotypeNames(names[i], names[j]) < 0 })
	low := g.activityOf(names[0])
	for _, n := range names[1:] {
		if a := g.activityOf(n); a < low {
			low = a
		}
	}
	return strings.Join(names, " + "), low
}

// activityOf returns a haplotype's activity value (1.0 when undefined).
func (g *geneDef) activityOf(name string) float64 {
	if a, ok := g.activity[name]; ok {
		return a
	}
	return 1
}

// lowestName returns the name of the lowest-function member of "A + B".
func (g *geneDef) lowestName(h string) string {
	parts := strings.Split(h, " + ")
	best := parts[0]
	for _, p := range parts[1:] {
		if g.activityOf(p) < g.activityOf(best) {
			best = p
		}
	}
	return best
}
