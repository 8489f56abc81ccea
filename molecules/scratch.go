package molecules

import "sync"

// scratch lends zeroed temporary slices to the sanitization steps of one
// molecule, so that parsing does not allocate the same working arrays
// again for every ring system and every molecule. Slices from it never end
// up in a Mol: everything is handed back at once by release. A nil scratch
// allocates (steps called outside sanitize).
type scratch struct {
	bools lender[bool]
	ints  lender[int]
	i32s  lender[int32]
	u64s  lender[uint64]
	lists lender[[]int32] // ring lists
	ilist lender[[]int]   // ring neighbour lists
	dons  lender[donorType]
}

// lender hands out the slices of one element type; next is the first not
// lent since the last release.
type lender[T any] struct {
	bufs [][]T
	next int
}

// lend returns a zeroed []T of length n (at least minCap of capacity when it
// has to allocate).
func (l *lender[T]) lend(n, minCap int) []T {
	if l.next == len(l.bufs) {
		l.bufs = append(l.bufs, nil)
	}
	b := l.bufs[l.next]
	if cap(b) < max(n, 1) {
		b = make([]T, n, max(n, minCap))
	} else {
		b = b[:n]
		clear(b)
	}
	l.bufs[l.next] = b
	l.next++
	return b
}

// reset hands every slice back; with drop it also clears their whole
// capacity, for element types that hold references into a molecule.
func (l *lender[T]) reset(drop bool) {
	if drop {
		for _, b := range l.bufs[:l.next] {
			clear(b[:cap(b)])
		}
	}
	l.next = 0
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// release hands every lent slice back and returns s to the pool.
func (s *scratch) release() {
	s.bools.reset(false)
	s.ints.reset(false)
	s.i32s.reset(false)
	s.u64s.reset(false)
	s.dons.reset(false)
	s.lists.reset(true)
	s.ilist.reset(true)
	scratchPool.Put(s)
}

// boolsN lends a zeroed []bool of length n.
func (s *scratch) boolsN(n int) []bool {
	if s == nil {
		return make([]bool, n)
	}
	return s.bools.lend(n, 64)
}

// intsN lends a zeroed []int of length n.
func (s *scratch) intsN(n int) []int {
	if s == nil {
		return make([]int, n)
	}
	return s.ints.lend(n, 64)
}

// int32sN lends a zeroed []int32 of length n.
func (s *scratch) int32sN(n int) []int32 {
	if s == nil {
		return make([]int32, n)
	}
	return s.i32s.lend(n, 64)
}

// uint64sN lends a zeroed []uint64 of length n.
func (s *scratch) uint64sN(n int) []uint64 {
	if s == nil {
		return make([]uint64, n)
	}
	return s.u64s.lend(n, 64)
}

// listsN lends an empty [][]int32 with room for n lists.
func (s *scratch) listsN(n int) [][]int32 {
	if s == nil {
		return make([][]int32, 0, n)
	}
	return s.lists.lend(n, 16)[:0]
}

// intListsN lends a [][]int of length n, every list nil.
func (s *scratch) intListsN(n int) [][]int {
	if s == nil {
		return make([][]int, n)
	}
	return s.ilist.lend(n, 16)
}

// donorsN lends a zeroed []donorType of length n.
func (s *scratch) donorsN(n int) []donorType {
	if s == nil {
		return make([]donorType, n)
	}
	return s.dons.lend(n, 64)
}
