package molecules

import "sync"

// scratch lends zeroed temporary slices to the sanitization steps of one
// molecule, so that parsing does not allocate the same working arrays
// again for every ring system and every molecule. Slices from it never end
// up in a Mol: everything is handed back at once by release. A nil scratch
// allocates (steps called outside sanitize).
type scratch struct {
	bools [][]bool
	nb    int
	ints  [][]int
	ni    int
	i32s  [][]int32
	n32   int
	u64s  [][]uint64
	n64   int
	lists [][][]int32 // lent [][]int32 (ring lists)
	nl    int
	ilist [][][]int // lent [][]int (ring neighbour lists)
	nil_  int
	dons  [][]donorType
	nby   int
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// release hands every lent slice back and returns s to the pool.
func (s *scratch) release() {
	s.nb, s.ni, s.n32, s.n64, s.nby = 0, 0, 0, 0, 0
	// drop references into the molecule's memory
	for _, l := range s.lists[:s.nl] {
		clear(l[:cap(l)])
	}
	for _, l := range s.ilist[:s.nil_] {
		clear(l[:cap(l)])
	}
	s.nl, s.nil_ = 0, 0
	scratchPool.Put(s)
}

// boolsN lends a zeroed []bool of length n.
func (s *scratch) boolsN(n int) []bool {
	if s == nil {
		return make([]bool, n)
	}
	if s.nb == len(s.bools) {
		s.bools = append(s.bools, nil)
	}
	b := s.bools[s.nb]
	if cap(b) < max(n, 1) {
		b = make([]bool, n, max(n, 64))
	} else {
		b = b[:n]
		clear(b)
	}
	s.bools[s.nb] = b
	s.nb++
	return b
}

// intsN lends a zeroed []int of length n.
func (s *scratch) intsN(n int) []int {
	if s == nil {
		return make([]int, n)
	}
	if s.ni == len(s.ints) {
		s.ints = append(s.ints, nil)
	}
	b := s.ints[s.ni]
	if cap(b) < max(n, 1) {
		b = make([]int, n, max(n, 64))
	} else {
		b = b[:n]
		clear(b)
	}
	s.ints[s.ni] = b
	s.ni++
	return b
}

// int32sN lends a zeroed []int32 of length n.
func (s *scratch) int32sN(n int) []int32 {
	if s == nil {
		return make([]int32, n)
	}
	if s.n32 == len(s.i32s) {
		s.i32s = append(s.i32s, nil)
	}
	b := s.i32s[s.n32]
	if cap(b) < max(n, 1) {
		b = make([]int32, n, max(n, 64))
	} else {
		b = b[:n]
		clear(b)
	}
	s.i32s[s.n32] = b
	s.n32++
	return b
}

// uint64sN lends a zeroed []uint64 of length n.
func (s *scratch) uint64sN(n int) []uint64 {
	if s == nil {
		return make([]uint64, n)
	}
	if s.n64 == len(s.u64s) {
		s.u64s = append(s.u64s, nil)
	}
	b := s.u64s[s.n64]
	if cap(b) < max(n, 1) {
		b = make([]uint64, n, max(n, 64))
	} else {
		b = b[:n]
		clear(b)
	}
	s.u64s[s.n64] = b
	s.n64++
	return b
}

// listsN lends an empty [][]int32 with room for n lists.
func (s *scratch) listsN(n int) [][]int32 {
	if s == nil {
		return make([][]int32, 0, n)
	}
	if s.nl == len(s.lists) {
		s.lists = append(s.lists, nil)
	}
	b := s.lists[s.nl]
	if cap(b) < max(n, 1) {
		b = make([][]int32, 0, max(n, 16))
	}
	b = b[:0]
	s.lists[s.nl] = b
	s.nl++
	return b
}

// intListsN lends a [][]int of length n, every list nil.
func (s *scratch) intListsN(n int) [][]int {
	if s == nil {
		return make([][]int, n)
	}
	if s.nil_ == len(s.ilist) {
		s.ilist = append(s.ilist, nil)
	}
	b := s.ilist[s.nil_]
	if cap(b) < max(n, 1) {
		b = make([][]int, n, max(n, 16))
	} else {
		b = b[:n]
		clear(b)
	}
	s.ilist[s.nil_] = b
	s.nil_++
	return b
}

// donorsN lends a zeroed []donorType of length n.
func (s *scratch) donorsN(n int) []donorType {
	if s == nil {
		return make([]donorType, n)
	}
	if s.nby == len(s.dons) {
		s.dons = append(s.dons, nil)
	}
	b := s.dons[s.nby]
	if cap(b) < max(n, 1) {
		b = make([]donorType, n, max(n, 64))
	} else {
		b = b[:n]
		clear(b)
	}
	s.dons[s.nby] = b
	s.nby++
	return b
}
