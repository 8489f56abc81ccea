package pgx

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Allele codes of an observation at a locus.
const (
	obsMissing      = -1 // "." in GT
	obsUndocumented = -2 // an ALT the definition does not list
)

// obs is one sample's genotype at one locus, as indexes into the locus
// alleles (0 = ref, 1.. = locus.alts).
type obs struct {
	set    bool
	ploidy uint8
	phased bool
	a      [2]int8
}

// sampleLocus is a called position prepared for matching.
type sampleLocus struct {
	idx    int       // index into geneDef.loci
	al     [2]string // allele strings (al[1]==al[0] when homozygous/haploid)
	hom    bool
	phased bool
}

// hap is a named allele restricted to the called loci.
type hap struct {
	name    string
	alleles []string // per called locus, never empty
	wobble  []bool
	refs    []string // locus reference allele per called locus
	score   int
}

// geneCall is the outcome for one gene and sample before formatting.
type geneCall struct {
	diplotypes [][2]string // top candidates, names ordered
	missing    []string
	note       string
	called     int
	lowest     *lowestCall
}

type lowestCall struct {
	h1, h2 string  // haplotype names (may be "A + B")
	a1, a2 float64 // activity values
	ok     bool
}

var iupac = map[byte]string{
	'R': "AG", 'Y': "CT", 'S': "CG", 'W': "AT", 'K': "GT", 'M': "AC",
	'B': "CGT", 'D': "AGT", 'H': "ACT", 'V': "ACG", 'N': "ACGT",
}

func isWobble(s string) bool {
	if len(s) != 1 {
		return false
	}
	_, ok := iupac[s[0]]
	return ok
}

// alleleMatches reports whether a definition allele accepts sample allele s.
func alleleMatches(def, s string) bool {
	if def == s {
		return true
	}
	if len(def) == 1 && len(s) == 1 {
		if set, ok := iupac[def[0]]; ok {
			return strings.IndexByte(set, s[0]) >= 0
		}
	}
	return false
}

// prepare turns observations into called loci, or explains a no-call.
func (g *geneDef) prepare(o []obs) (called []sampleLocus, missing []string, note string) {
	for i := range g.loci {
		l := &g.loci[i]
		ob := o[i]
		if !ob.set || ob.ploidy == 0 || (ob.a[0] == obsMissing && (ob.ploidy == 1 || ob.a[1] == obsMissing)) {
			missing = append(missing, l.label())
			continue
		}
		if ob.a[0] == obsMissing || (ob.ploidy > 1 && ob.a[1] == obsMissing) {
			if note == "" {
				note = "partially missing genotype at " + l.label()
			}
			continue
		}
		sl := sampleLocus{idx: i, phased: ob.phased}
		n := 2
		if ob.ploidy == 1 {
			n = 1
		}
		for k := 0; k < n; k++ {
			ai := ob.a[k]
			switch {
			case ai == 0:
				sl.al[k] = l.ref
			case ai > 0 && int(ai) <= len(l.alts):
				sl.al[k] = l.alts[ai-1]
			default: // undocumented ALT
				if treatUndocumentedAsRef[g.gene] {
					sl.al[k] = l.ref
				} else {
					sl.al[k] = "?"
				}
			}
		}
		if n == 1 {
			sl.al[1] = sl.al[0]
		}
		sl.hom = sl.al[0] == sl.al[1]
		called = append(called, sl)
	}
	return called, missing, note
}

// haps restricts the named alleles to the called loci (PharmCAT's
// marshalling plus default-to-reference).
func (g *geneDef) haps(called []sampleLocus, anyMissing bool) []hap {
	ref := g.alleles[g.refIdx]
	out := make([]hap, 0, len(g.alleles))
	for _, na := range g.alleles {
		h := hap{name: na.name, alleles: make([]string, len(called)), wobble: make([]bool, len(called)),
			refs: make([]string, len(called))}
		for k, sl := range called {
			a := na.alleles[sl.idx]
			if a != "" {
				h.score++
			} else {
				a = ref.alleles[sl.idx]
				if isWobble(a) || a == "" {
					a = g.loci[sl.idx].ref
				}
			}
			h.alleles[k] = a
			h.wobble[k] = isWobble(a)
			h.refs[k] = g.loci[sl.idx].ref
		}
		if anyMissing && h.score == 0 {
			continue
		}
		out = append(out, h)
	}
	return out
}

// callDiplotypes finds the top-scoring diplotypes explaining the sample.
func (g *geneDef) callDiplotypes(called []sampleLocus, hs []hap, allCandidates bool) [][2]string {
	phased := true
	for _, sl := range called {
		if !sl.hom && !sl.phased {
			phased = false
		}
	}
	// Keep only haplotypes that match one of the sample's alleles everywhere.
	var cand []int
	for i := range hs {
		ok := true
		for k, sl := range called {
			if !alleleMatches(hs[i].alleles[k], sl.al[0]) && !alleleMatches(hs[i].alleles[k], sl.al[1]) {
				ok = false
				break
			}
		}
		if ok {
			cand = append(cand, i)
		}
	}
	type scored struct {
		names [2]string
		score int
	}
	var all []scored
	best := math.MinInt
	for x := 0; x < len(cand); x++ {
		for y := x; y < len(cand); y++ {
			a, b := &hs[cand[x]], &hs[cand[y]]
			score, ok := pairScore(a, b, called, phased)
			if !ok {
				continue
			}
			all = append(all, scored{orderPair(a.name, b.name), score})
			best = max(best, score)
		}
	}
	// Highest score first; equal scores in haplotype-name order.
	sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
	var top [][2]string
	seen := map[[2]string]bool{}
	for _, s := range all {
		if (!allCandidates && s.score != best) || seen[s.names] {
			continue
		}
		seen[s.names] = true
		top = append(top, s.names)
	}
	if allCandidates {
		return top
	}
	sort.Slice(top, func(i, j int) bool {
		if c := compareHaplotypeNames(top[i][0], top[j][0]); c != 0 {
			return c < 0
		}
		return compareHaplotypeNames(top[i][1], top[j][1]) < 0
	})
	return top
}

func orderPair(a, b string) [2]string {
	if compareHaplotypeNames(a, b) > 0 {
		a, b = b, a
	}
	return [2]string{a, b}
}

// pairScore checks that haplotypes a and b together explain the sample and
// returns their best score; wobble positions where a haplotype is given the
// reference base do not count.
func pairScore(a, b *hap, called []sampleLocus, phased bool) (int, bool) {
	base := a.score + b.score
	if phased {
		bestPen := -1
		for orient := 0; orient < 2; orient++ {
			pen := 0
			ok := true
			for k, sl := range called {
				x, y := sl.al[0], sl.al[1]
				if orient == 1 {
					x, y = y, x
				}
				if !alleleMatches(a.alleles[k], x) || !alleleMatches(b.alleles[k], y) {
					ok = false
					break
				}
				pen += wobblePenalty(a, k, x, sl) + wobblePenalty(b, k, y, sl)
			}
			if ok && (bestPen < 0 || pen < bestPen) {
				bestPen = pen
			}
		}
		if bestPen < 0 {
			return 0, false
		}
		return base - bestPen, true
	}
	pen := 0
	for k, sl := range called {
		x, y := sl.al[0], sl.al[1]
		p1, p2 := -1, -1
		if alleleMatches(a.alleles[k], x) && alleleMatches(b.alleles[k], y) {
			p1 = wobblePenalty(a, k, x, sl) + wobblePenalty(b, k, y, sl)
		}
		if !sl.hom && alleleMatches(a.alleles[k], y) && alleleMatches(b.alleles[k], x) {
			p2 = wobblePenalty(a, k, y, sl) + wobblePenalty(b, k, x, sl)
		}
		switch {
		case p1 < 0 && p2 < 0:
			return 0, false
		case p1 < 0:
			pen += p2
		case p2 < 0:
			pen += p1
		default:
			pen += min(p1, p2)
		}
	}
	return base - pen, true
}

func wobblePenalty(h *hap, k int, allele string, _ sampleLocus) int {
	if h.wobble[k] && allele == h.refs[k] {
		return 1
	}
	return 0
}

// label for diplotype pairs
func joinPair(p [2]string) string { return p[0] + "/" + p[1] }

func fmtScore(f float64) string { return fmt.Sprintf("%.1f", f) }
