package response

import (
	"math/bits"
	"slices"
	"sort"

	"github.com/rxlab/rxlab/molecules"
)

// nearest answers "largest Tanimoto similarity to any training molecule".
// Fingerprints are kept sorted by popcount; a query starts at its own
// popcount and walks outwards in both directions, stopping each walk once
// the bit-count bound min(|a|,|b|)/max(|a|,|b|) (which only falls with
// distance) cannot beat the best similarity found. The result is exact.
// It is read-only after build and safe for concurrent use.
type nearest struct {
	words []uint64 // n × fpWords, in popcount order
	pop   []int    // ascending
	// pending holds fingerprints added since the last build.
	pending []molecules.Fingerprint
}

const fpWords = PropertyBits / 64

func (x *nearest) add(fp molecules.Fingerprint) { x.pending = append(x.pending, fp) }

// build sorts the added fingerprints by popcount.
func (x *nearest) build() {
	fps := x.pending
	x.pending = nil
	slices.SortStableFunc(fps, func(a, b molecules.Fingerprint) int { return a.Count() - b.Count() })
	x.words = make([]uint64, 0, len(fps)*fpWords)
	x.pop = make([]int, 0, len(fps))
	for _, fp := range fps {
		x.words = append(x.words, fp.Words[:fpWords]...)
		x.pop = append(x.pop, fp.Count())
	}
}

func (x *nearest) sim(i int, qw []uint64, qp int) float64 {
	w := x.words[i*fpWords : (i+1)*fpWords]
	and := 0
	for k, v := range qw {
		and += bits.OnesCount64(v & w[k])
	}
	if u := x.pop[i] + qp - and; u > 0 {
		return float64(and) / float64(u)
	}
	return 1
}

// max returns the largest Tanimoto similarity of q to a stored fingerprint
// (0 when none is stored).
func (x *nearest) max(q molecules.Fingerprint) float64 {
	qw := q.Words[:fpWords]
	qp := q.Count()
	start := sort.SearchInts(x.pop, qp)
	best := 0.0
	for i := start; i < len(x.pop); i++ { // popcounts ≥ qp: bound qp/p
		if p := x.pop[i]; p > 0 && float64(qp)/float64(p) <= best {
			break
		}
		best = max(best, x.sim(i, qw, qp))
	}
	for i := start - 1; i >= 0; i-- { // popcounts < qp: bound p/qp
		if float64(x.pop[i])/float64(qp) <= best {
			break
		}
		best = max(best, x.sim(i, qw, qp))
	}
	return best
}
