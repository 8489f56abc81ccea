package response

import (
	"math/bits"

	"github.com/rxlab/rxlab/molecules"
)

// nearest answers "largest Tanimoto similarity to any training molecule"
// by a flat scan of 2048-bit fingerprints, skipping the
// fingerprints whose bit-count bound min/max cannot beat the best so far.
// It is read-only after construction and safe for concurrent use.
type nearest struct {
	words []uint64 // n × 32
	pop   []int
}

const fpWords = PropertyBits / 64

func (x *nearest) add(fp molecules.Fingerprint) {
	x.words = append(x.words, fp.Words[:fpWords]...)
	x.pop = append(x.pop, fp.Count())
}

// max returns the largest Tanimoto similarity of q to a stored fingerprint
// (0 when none is stored).
func (x *nearest) max(q molecules.Fingerprint) float64 {
	qw := q.Words[:fpWords]
	qp := q.Count()
	best := 0.0
	for i, p := range x.pop {
		lo, hi := min(p, qp), max(p, qp)
		if hi == 0 {
			return 1
		}
		if float64(lo)/float64(hi) <= best {
			continue
		}
		w := x.words[i*fpWords : (i+1)*fpWords]
		and := 0
		for k, v := range qw {
			and += bits.OnesCount64(v & w[k])
		}
		if s := float64(and) / float64(p+qp-and); s > best {
			best = s
		}
	}
	return best
}
