package response

import (
	"math/bits"
	"slices"

	"github.com/rxlab/rxlab/molecules"
)

// nearest answers "largest Tanimoto similarity to any training molecule".
// Fingerprints are sparse (tens of bits of 2048), so it keeps an inverted
// index: for every bit, the stored fingerprints that set it. A query walks
// the postings of its own bits, counting per stored fingerprint the bits the
// two share, then takes max c/(|a|+|b|−c) over the fingerprints it touched.
// The cost is the summed postings of the query's bits instead of a pass
// over every stored fingerprint, and the result is exact (integer counts).
// The most frequent bits (set in many stored fingerprints: a benzene
// carbon, a methyl) are kept out of the postings: each stored fingerprint
// has a 64-bit mask of which of those it sets, and one AND + popcount per
// stored fingerprint replaces walking their long postings.
// It is read-only after build and safe for concurrent use; callers pass
// their own scratch.
type nearest struct {
	start []int32  // PropertyBits+1 offsets into post
	post  []uint32 // stored fingerprint ids, grouped by bit
	pop   []int32  // popcount of each stored fingerprint
	// hot[b] is bit b's position in the frequent-bit masks, or −1.
	hot  []int8
	mask []uint64 // per stored fingerprint: the frequent bits it sets
	// pending holds fingerprints added since the last build.
	pending []molecules.Fingerprint
}

const fpWords = PropertyBits / 64

func (x *nearest) add(fp molecules.Fingerprint) { x.pending = append(x.pending, fp) }

// build turns the added fingerprints into postings.
func (x *nearest) build() {
	fps := x.pending
	x.pending = nil
	x.start = make([]int32, PropertyBits+1)
	x.pop = make([]int32, len(fps))
	for i, fp := range fps {
		for _, w := range fp.Words[:fpWords] {
			x.pop[i] += int32(bits.OnesCount64(w))
		}
		forBits(fp, func(b int) { x.start[b+1]++ })
	}
	// The 64 bits with the longest postings, if set in at least 1/16 of
	// the stored fingerprints, become mask bits.
	x.hot = make([]int8, PropertyBits)
	byLen := make([]int, PropertyBits)
	for b := range byLen {
		byLen[b] = b
		x.hot[b] = -1
	}
	slices.SortStableFunc(byLen, func(a, b int) int { return int(x.start[b+1] - x.start[a+1]) })
	for k, b := range byLen[:64] {
		if int(x.start[b+1]) < max(len(fps)/16, 1) {
			break
		}
		x.hot[b] = int8(k)
		x.start[b+1] = 0
	}
	for b := 1; b <= PropertyBits; b++ {
		x.start[b] += x.start[b-1]
	}
	x.post = make([]uint32, x.start[PropertyBits])
	x.mask = make([]uint64, len(fps))
	next := make([]int32, PropertyBits)
	copy(next, x.start[:PropertyBits])
	for i, fp := range fps {
		forBits(fp, func(b int) {
			if h := x.hot[b]; h >= 0 {
				x.mask[i] |= 1 << uint(h)
				return
			}
			x.post[next[b]] = uint32(i)
			next[b]++
		})
	}
}

// forBits calls fn for every set bit of fp below PropertyBits.
func forBits(fp molecules.Fingerprint, fn func(b int)) {
	for k, w := range fp.Words[:fpWords] {
		for w != 0 {
			fn(k*64 + bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
}

// size is the number of stored fingerprints.
func (x *nearest) size() int { return len(x.pop) }

// max returns the largest Tanimoto similarity of q to a stored fingerprint
// (0 when none is stored). scratch is reused when large enough and returned
// for the next call.
func (x *nearest) max(q molecules.Fingerprint, scratch []uint16) (float64, []uint16) {
	n := len(x.pop)
	if n == 0 {
		return 0, scratch
	}
	if cap(scratch) < n {
		scratch = make([]uint16, n)
	}
	c := scratch[:n]
	clear(c)
	qp := 0
	var qh uint64
	for k, w := range q.Words[:fpWords] {
		qp += bits.OnesCount64(w)
		for w != 0 {
			b := k*64 + bits.TrailingZeros64(w)
			w &= w - 1
			if h := x.hot[b]; h >= 0 {
				qh |= 1 << uint(h)
				continue
			}
			for _, i := range x.post[x.start[b]:x.start[b+1]] {
				c[i]++
			}
		}
	}
	// max over i of c/(qp+pop−c), compared as fractions: bn/bd.
	bn, bd := 0, 1
	mask := x.mask[:len(c)]
	pop := x.pop[:len(c)]
	for i, ci := range c {
		and := int(ci) + bits.OnesCount64(qh&mask[i])
		if and == 0 {
			continue
		}
		u := qp + int(pop[i]) - and
		if and*bd > bn*u {
			bn, bd = and, u
		}
	}
	return float64(bn) / float64(bd), scratch
}
