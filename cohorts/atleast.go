package cohorts

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// atLeast n of k rules is evaluated in one of two ways:
//
//   - the ladder: level[j] holds the patients meeting at least j of the
//     rules seen so far; each rule costs n ANDs and ORs of bitmaps, so the
//     whole node costs O(n·k) bitmap operations. It is kept for tiny nodes
//     (n·k ≤ ladderMax), where it allocates least.
//   - a bit-sliced counter: one binary counter per patient, stored as
//     bits.Len(k) bit planes of ⌈patients/64⌉ words. Adding a rule's bitmap
//     is a ripple-carry add, word by word for a dense bitmap and bit by bit
//     for a sparse one (amortized two words touched per patient), so a node
//     costs O(k · min(patients/64, rule size)) word operations plus one
//     comparison pass of O(log k · patients/64) words at the end: linear in
//     k whatever n is. Memory is log2(k)·patients/8 bytes (100,000 patients
//     and k = 10,000: 175 KB), and only one rule's bitmap is alive at a time.
const ladderMax = 32

// counter is a bit-sliced per-patient counter.
type counter struct {
	planes [][]uint64 // planes[j][w] bit i = bit j of the count of patient 64w+i
	dense  []uint64   // scratch for dense adds
	buf    []uint32   // scratch for sparse adds
}

func newCounter(k int, patients int) *counter {
	words := (patients + 63) / 64
	c := &counter{planes: make([][]uint64, bits.Len(uint(k)))}
	for j := range c.planes {
		c.planes[j] = make([]uint64, words)
	}
	return c
}

// grow makes room for patients numbered below 64·words.
func (c *counter) grow(words int) {
	for j := range c.planes {
		if n := len(c.planes[j]); n < words {
			c.planes[j] = append(c.planes[j], make([]uint64, words-n)...)
		}
	}
}

// add counts one more rule for every patient in b.
func (c *counter) add(b *roaring.Bitmap) {
	if b.IsEmpty() {
		return
	}
	words := int(b.DenseSize())
	c.grow(words)
	card := b.GetCardinality()
	if card*4 >= uint64(words) { // dense enough: add word by word
		if cap(c.dense) < words {
			c.dense = make([]uint64, words)
		}
		d := c.dense[:words]
		clear(d)
		b.WriteDenseTo(d)
		for w, carry := range d {
			for j := 0; carry != 0 && j < len(c.planes); j++ {
				p := c.planes[j]
				t := p[w] & carry
				p[w] ^= carry
				carry = t
			}
		}
		return
	}
	it := b.ManyIterator()
	if c.buf == nil {
		c.buf = make([]uint32, 256)
	}
	for {
		n := it.NextMany(c.buf)
		if n == 0 {
			return
		}
		for _, x := range c.buf[:n] {
			w, m := x>>6, uint64(1)<<(x&63)
			for j := range c.planes {
				p := c.planes[j]
				old := p[w] & m
				p[w] ^= m
				if old == 0 {
					break
				}
			}
		}
	}
}

// atLeast returns the patients whose count is at least n (n ≥ 1).
func (c *counter) atLeast(n int) *roaring.Bitmap {
	if len(c.planes) == 0 || bits.Len(uint(n)) > len(c.planes) {
		return roaring.New()
	}
	words := len(c.planes[0])
	out := make([]uint64, words)
	for w := range out {
		// Compare the counter with n from the top bit down: gt collects
		// patients already greater, eq those equal so far.
		var gt uint64
		eq := ^uint64(0)
		for j := len(c.planes) - 1; j >= 0; j-- {
			x := c.planes[j][w]
			if n>>j&1 == 1 {
				eq &= x
			} else {
				gt |= eq & x
				eq &^= x
			}
		}
		out[w] = gt | eq
	}
	return roaring.FromDense(out, false)
}

// ladder is the O(n·k) evaluation for tiny nodes; next returns the
// bitmap of rule i.
func ladder(all *roaring.Bitmap, n, k int, next func(i int) (*roaring.Bitmap, error)) (*roaring.Bitmap, error) {
	level := make([]*roaring.Bitmap, n+1)
	level[0] = all
	for j := 1; j <= n; j++ {
		level[j] = roaring.New()
	}
	for i := 0; i < k; i++ {
		b, err := next(i)
		if err != nil {
			return nil, err
		}
		for j := min(n, i+1); j >= 1; j-- {
			level[j] = roaring.Or(level[j], roaring.And(level[j-1], b))
		}
	}
	return level[n], nil
}

// countAtLeast is the linear evaluation: every rule's bitmap is added to
// a bit-sliced counter and dropped.
func countAtLeast(patients, n, k int, next func(i int) (*roaring.Bitmap, error)) (*roaring.Bitmap, error) {
	c := newCounter(k, patients)
	for i := 0; i < k; i++ {
		b, err := next(i)
		if err != nil {
			return nil, err
		}
		c.add(b)
	}
	return c.atLeast(n), nil
}
