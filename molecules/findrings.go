package molecules

import (
	mbits "math/bits"
	"slices"
	"sort"
	"sync"
)

// This file follows RDKit 2022.09's FindRings.cpp (Figueras-style SSSR with
// degree-2 and degree-3 node searches, duplicate-candidate resolution and
// extra-ring removal) so that the ring set, its order and the alternative
// rings used by symmetrizeSSSR are RDKit's.

const maxBFSQueue = 200000

type ringFinder struct {
	m          *Mol
	n          int
	nw         int      // words of an atom-set key
	keys       []uint64 // atom-set keys of the rings found so far, nw words each
	keyBuf     []uint64 // scratch key
	arena      []int32  // free part of the ring storage of the current molecule
	arenaBlock []int32  // the first, reused ring storage block
	arenaUsed  bool     // arenaBlock handed out for this molecule
	deg        []int
	active     []bool
	doneAts    []bool
	frags      []int32
	fragOff    []int32
	changedSet *minSet
	// adjacency in one block: atom a's neighbours are nbrAtom[k] through
	// bond nbrBond[k], nbrOff[a] <= k < nbrOff[a+1], in the atom's bond order
	nbrOff, nbrAtom, nbrBond []int32
	d2cand                   []int32 // findRingsD2nodes scratch
	d2key                    []int32
	dkeys                    []uint64
	ringBonds                []bool
	ringAtoms                []bool
	extras                   [][]int32 // alternative rings of the last fragment that had some
	hadExtras                bool
	failed                   bool
	parents                  []int32
	depths                   []int32
	done                     []uint8
	tmpSet                   *minSet
	degCopy                  []int
	actCopy                  []bool
	queue                    []int32 // BFS scratch
	side, up                 []int32 // ring path scratch
	queueLimit               bool
	bfsRings                 [][]int32 // smallestRingsBfs result, reused
	fragRes, res             [][]int32 // findSSSR results, reused
}

// ringKey writes the atom set of ring as f.nw words into dst.
func (f *ringFinder) ringKey(dst []uint64, ring []int32) []uint64 {
	dst = dst[:0]
	for k := 0; k < f.nw; k++ {
		dst = append(dst, 0)
	}
	for _, a := range ring {
		dst[a>>6] |= 1 << (uint(a) & 63)
	}
	return dst
}

// lessInvariant orders ring invariants as boost::dynamic_bitset's operator<
// does (as binary numbers, highest atom index most significant).
func lessInvariant(a, b []uint64) bool {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// ring returns storage for a ring of size atoms from the finder's arena;
// rings live until the finder is reset (storeRings copies what it keeps).
func (f *ringFinder) ring(size int) []int32 {
	if len(f.arena) < size {
		if n := max(size, 256, 2*f.n); cap(f.arenaBlock) >= n && !f.arenaUsed {
			f.arena = f.arenaBlock[:cap(f.arenaBlock)]
		} else {
			f.arena = make([]int32, n)
			if !f.arenaUsed {
				f.arenaBlock = f.arena
			}
		}
		f.arenaUsed = true
	}
	r := f.arena[:0:size]
	f.arena = f.arena[size:]
	return r
}

// minSet is a set of atoms popped smallest first; lo bounds the smallest
// member from below, so popping a run of atoms scans the set once.
type minSet struct {
	in []bool
	n  int
	lo int
}

func newMinSet(n int) *minSet { return &minSet{in: make([]bool, n)} }

func (s *minSet) add(a int32) {
	if !s.in[a] {
		s.in[a] = true
		s.n++
		if int(a) < s.lo {
			s.lo = int(a)
		}
	}
}

func (s *minSet) popMin() int32 {
	if s.n == 0 {
		return -1
	}
	for i := s.lo; i < len(s.in); i++ {
		if s.in[i] {
			s.in[i] = false
			s.n--
			s.lo = i + 1
			return int32(i)
		}
	}
	return -1
}

func (f *ringFinder) hasKey(key []uint64) bool {
	for k := 0; k+f.nw <= len(f.keys); k += f.nw {
		if slices.Equal(f.keys[k:k+f.nw], key) {
			return true
		}
	}
	return false
}

func (f *ringFinder) trimBonds(cand int32, changed *minSet, deg []int, active []bool) {
	for k := f.nbrOff[cand]; k < f.nbrOff[cand+1]; k++ {
		b := f.nbrBond[k]
		if !active[b] {
			continue
		}
		o := f.nbrAtom[k]
		if deg[o] <= 2 && changed != nil {
			changed.add(o)
		}
		active[b] = false
		deg[o]--
		deg[cand]--
	}
}

// smallestRingsBfs is BFSWorkspace::smallestRingsBfs. The returned slice
// is reused by the next call (the rings themselves are not).
func (f *ringFinder) smallestRingsBfs(root int32, active []bool, forbidden []int32) [][]int32 {
	const white, gray, black = 0, 1, 2
	n := f.n
	if cap(f.done) < n {
		f.done = make([]uint8, n)
		f.parents = make([]int32, n)
		f.depths = make([]int32, n)
	}
	done, parents, depths := f.done[:n], f.parents[:n], f.depths[:n]
	for i := 0; i < n; i++ {
		done[i], parents[i], depths[i] = white, -1, 0
	}
	for _, x := range forbidden {
		done[x] = black
	}
	rings := f.bfsRings[:0]
	queue := append(f.queue[:0], root)
	defer func() { f.queue, f.bfsRings = queue[:0], rings[:0] }()
	curSize := int(^uint(0) >> 1)
	for head := 0; head < len(queue); {
		if len(queue)-head >= maxBFSQueue {
			f.failed = true
			return rings
		}
		curr := queue[head]
		head++
		done[curr] = black
		depth := depths[curr] + 1
		if int(depth) > curSize {
			break
		}
		// RDKit searches on until depth > curSize, but a ring closed from
		// here has at least 2*depths[curr]+1 atoms (the partner is gray, so
		// at least as deep): none of the smallest size is left to find
		if 2*int(depth)-1 > curSize {
			break
		}
		for k := f.nbrOff[curr]; k < f.nbrOff[curr+1]; k++ {
			if !active[f.nbrBond[k]] {
				continue
			}
			nbr := f.nbrAtom[k]
			if done[nbr] == black || parents[curr] == nbr {
				continue
			}
			if done[nbr] == white {
				parents[nbr] = curr
				done[nbr] = gray
				depths[nbr] = depth
				queue = append(queue, nbr)
				continue
			}
			// ring = root … parent(curr), curr, nbr, parent(nbr) … (root
			// excluded on the nbr side); fails when the two tree paths meet
			// before the root
			side := append(f.side[:0], nbr)
			for p := parents[nbr]; p != -1 && p != root; p = parents[p] {
				side = append(side, p)
			}
			up := append(f.up[:0], curr)
			ok := true
			for p := parents[curr]; p != -1; p = parents[p] {
				if p == curr || containsI32(side, p) {
					ok = false
					break
				}
				up = append(up, p)
			}
			f.side, f.up = side, up
			size := len(up) + len(side)
			if !ok || size <= 1 {
				continue
			}
			if size > curSize {
				return rings
			}
			curSize = size
			ring := f.ring(size)
			for k := len(up) - 1; k >= 0; k-- {
				ring = append(ring, up[k])
			}
			rings = append(rings, append(ring, side...))
		}
	}
	return rings
}

func (f *ringFinder) addRing(res *[][]int32, ring []int32, mark bool) bool {
	f.keyBuf = f.ringKey(f.keyBuf, ring)
	return f.addRingKey(res, ring, f.keyBuf, mark)
}

func (f *ringFinder) addRingKey(res *[][]int32, ring []int32, key []uint64, mark bool) bool {
	if f.hasKey(key) {
		return false
	}
	*res = append(*res, ring)
	f.keys = append(f.keys, key...)
	if mark {
		for i := range ring {
			a, b := ring[i], ring[(i+1)%len(ring)]
			f.ringBonds[f.m.bondBetween(a, b)] = true
			f.ringAtoms[a] = true
		}
	}
	return true
}

func (f *ringFinder) markUselessD2s(root int32, forb []bool, deg []int, active []bool) {
	for k := f.nbrOff[root]; k < f.nbrOff[root+1]; k++ {
		if !active[f.nbrBond[k]] {
			continue
		}
		o := f.nbrAtom[k]
		if !forb[o] && deg[o] == 2 {
			forb[o] = true
			f.markUselessD2s(o, forb, deg, active)
		}
	}
}

func (f *ringFinder) pickD2Nodes(frag []int32, deg []int, active []bool) []int32 {
	out := f.m.sc.int32sN(0)[:0]
	forb := f.m.sc.boolsN(f.n)
	for {
		root := int32(-1)
		for _, a := range frag {
			if deg[a] == 2 && !forb[a] {
				root = a
				out = append(out, a)
				forb[a] = true
				break
			}
		}
		if root < 0 {
			return out
		}
		f.markUselessD2s(root, forb, deg, active)
	}
}

func (f *ringFinder) findRingsD2nodes(res *[][]int32, d2nodes []int32, deg []int, active []bool) {
	// every (d2 node, ring key) found, in order; keys are indices into the
	// distinct ring keys dkeys (nw words each)
	cands, keyOf := f.d2cand[:0], f.d2key[:0]
	dkeys := f.dkeys[:0]
	nw := f.nw
	for _, cand := range d2nodes {
		srings := f.smallestRingsBfs(cand, active, nil)
		for _, ring := range srings {
			f.keyBuf = f.ringKey(f.keyBuf, ring)
			key := f.keyBuf
			f.addRingKey(res, ring, key, true)
			ki := -1
			for k := 0; k*nw < len(dkeys); k++ {
				if slices.Equal(dkeys[k*nw:k*nw+nw], key) {
					ki = k
					break
				}
			}
			if ki < 0 {
				ki = len(dkeys) / nw
				dkeys = append(dkeys, key...)
			}
			cands = append(cands, cand)
			keyOf = append(keyOf, int32(ki))
		}
		if len(srings) == 0 {
			changed := f.scratchSet()
			changed.add(cand)
			for changed.n > 0 {
				f.trimBonds(changed.popMin(), changed, deg, active)
			}
		}
	}
	f.d2cand, f.d2key, f.dkeys = cands, keyOf, dkeys
	nKeys := len(dkeys) / nw
	if nKeys == len(cands) {
		return // every ring found by one node only: no duplicates to resolve
	}
	// findSSSRforDupCands, in the map order of the ring invariants
	order := f.m.sc.intsN(nKeys)
	for k := range order {
		order[k] = k
	}
	// keys are distinct: any sort gives the map order
	slices.SortFunc(order, func(i, j int) int {
		if i == j {
			return 0
		}
		if lessInvariant(dkeys[i*nw:i*nw+nw], dkeys[j*nw:j*nw+nw]) {
			return -1
		}
		return 1
	})
	for _, ki := range order {
		nc := 0
		for _, k := range keyOf {
			if int(k) == ki {
				nc++
			}
		}
		if nc <= 1 {
			continue
		}
		var nrings [][]int32
		minSiz := int(^uint(0) >> 1)
		for e, dc := range cands {
			if int(keyOf[e]) != ki {
				continue
			}
			degCopy := append(f.degCopy[:0], deg...)
			actCopy := append(f.actCopy[:0], active...)
			f.degCopy, f.actCopy = degCopy, actCopy
			// trim every other node that found one of dc's rings (RDKit's
			// dupMap; the trimming order does not matter)
			for e1, c1 := range cands {
				if c1 != dc {
					continue
				}
				for e2, c2 := range cands {
					if c2 != dc && keyOf[e2] == keyOf[e1] {
						f.trimBonds(c2, nil, degCopy, actCopy)
					}
				}
			}
			for _, r := range f.smallestRingsBfs(dc, actCopy, nil) {
				if len(r) < minSiz {
					minSiz = len(r)
				}
				nrings = append(nrings, r)
			}
		}
		for _, r := range nrings {
			if len(r) == minSiz {
				f.addRing(res, r, false)
			}
		}
	}
}

// scratchSet returns the finder's empty scratch minSet.
func (f *ringFinder) scratchSet() *minSet {
	if f.tmpSet == nil {
		f.tmpSet = newMinSet(f.n)
	}
	return f.tmpSet
}

func (f *ringFinder) findRingsD3Node(res *[][]int32, cand int32, active []bool) {
	// own copy: later searches reuse smallestRingsBfs' result slice
	srings := slices.Clone(f.smallestRingsBfs(cand, active, nil))
	for _, r := range srings {
		f.addRing(res, r, false)
	}
	nsmall := len(srings)
	if nsmall >= 3 {
		return
	}
	var nb []int32
	for _, b := range f.m.Atoms[cand].bonds {
		if active[b] {
			nb = append(nb, f.m.Bonds[b].Other(cand))
		}
	}
	if len(nb) < 3 {
		return
	}
	n1, n2, n3 := nb[0], nb[1], nb[2]
	switch nsmall {
	case 2:
		f2 := int32(-1)
		for _, x := range []int32{n1, n2, n3} {
			if containsI32(srings[0], x) && containsI32(srings[1], x) {
				f2 = x
				break
			}
		}
		if f2 < 0 {
			return
		}
		for _, r := range f.smallestRingsBfs(cand, active, []int32{f2}) {
			f.addRing(res, r, false)
		}
	case 1:
		var f1, f2 int32 = -1, -1
		switch {
		case !containsI32(srings[0], n1):
			f1, f2 = n2, n3
		case !containsI32(srings[0], n2):
			f1, f2 = n1, n3
		case !containsI32(srings[0], n3):
			f1, f2 = n1, n2
		}
		if f1 < 0 {
			return
		}
		for _, r := range f.smallestRingsBfs(cand, active, []int32{f2}) {
			f.addRing(res, r, false)
		}
		for _, r := range f.smallestRingsBfs(cand, active, []int32{f1}) {
			f.addRing(res, r, false)
		}
	}
}

// atomSearchBFS finds a new ring through a non-ring bond between ring atoms.
func (f *ringFinder) atomSearchBFS(start, end int32) []int32 {
	queue := [][]int32{{start}}
	for len(queue) > 0 {
		if len(queue) >= maxBFSQueue {
			f.failed = true
			return nil
		}
		tv := queue[0]
		queue = queue[1:]
		cur := tv[len(tv)-1]
		for _, b := range f.m.Atoms[cur].bonds {
			nbr := f.m.Bonds[b].Other(cur)
			if nbr == end {
				if cur != start {
					nv := append(append([]int32(nil), tv...), nbr)
					f.keyBuf = f.ringKey(f.keyBuf, nv)
					if !f.hasKey(f.keyBuf) {
						return nv
					}
				}
			} else if f.ringAtoms[nbr] && !containsI32(tv, nbr) {
				queue = append(queue, append(append([]int32(nil), tv...), nbr))
			}
		}
	}
	return nil
}

// removeExtraRings keeps a minimal set (smallest first, most overlap with
// what is kept) and records the rest as alternatives.
func (f *ringFinder) removeExtraRings(res [][]int32) [][]int32 {
	sort.SliceStable(res, func(i, j int) bool { return len(res[i]) < len(res[j]) })
	nb := len(f.m.Bonds)
	bits := make([]bitset, len(res))
	for i, r := range res {
		bits[i] = newBitset(nb)
		for k := range r {
			bits[i].set(f.m.bondBetween(r[k], r[(k+1)%len(r)]))
		}
	}
	subset := func(a, u bitset) bool {
		for k := range a {
			if a[k]&^u[k] != 0 {
				return false
			}
		}
		return true
	}
	avail := make([]bool, len(res))
	keep := make([]bool, len(res))
	for i := range avail {
		avail[i] = true
	}
	munion := newBitset(nb)
	for i := range res {
		if subset(bits[i], munion) {
			avail[i] = false
		}
		if !avail[i] {
			continue
		}
		for k := range munion {
			munion[k] |= bits[i][k]
		}
		keep[i] = true
		consider := make([]bool, len(res))
		any := false
		for j := i + 1; j < len(res); j++ {
			if avail[j] && len(res[j]) == len(res[i]) {
				consider[j] = true
				any = true
			}
		}
		for any {
			bestJ, bestOverlap := i+1, -1
			for j := i + 1; j < len(res) && len(res[j]) == len(res[i]); j++ {
				if !consider[j] || !avail[j] {
					continue
				}
				ov := 0
				for k := range munion {
					ov += mbits.OnesCount64(bits[j][k] & munion[k])
				}
				if ov > bestOverlap {
					bestOverlap, bestJ = ov, j
				}
			}
			consider[bestJ] = false
			if subset(bits[bestJ], munion) {
				avail[bestJ] = false
			} else {
				keep[bestJ] = true
				avail[bestJ] = false
				for k := range munion {
					munion[k] |= bits[bestJ][k]
				}
			}
			any = false
			for j := range consider {
				if consider[j] {
					any = true
					break
				}
			}
		}
	}
	var kept, extras [][]int32
	for i, r := range res {
		if keep[i] {
			kept = append(kept, r)
		} else {
			extras = append(extras, r)
		}
	}
	f.extras = extras
	f.hadExtras = true
	return kept
}

// findSSSR returns RDKit's SSSR (in RDKit's order) and the alternative rings
// symmetrizeSSSR may add; ok is false when the search failed and a fallback
// is needed.
// The rings live in f's storage until f is reset or released.
func (m *Mol) findSSSR(f *ringFinder) (rings [][]int32, extras [][]int32, ok bool) {
	f.reset(m)
	f.arenaUsed = false
	deg, active := f.deg, f.active
	res := f.res[:0]
	defer func() { f.res = res[:0] }()
	for fi := 0; fi+1 < len(f.fragOff); fi++ {
		frag := f.frags[f.fragOff[fi]:f.fragOff[fi+1]]
		if len(frag) < 3 {
			continue
		}
		changed := f.changedSet
		nbnds := 0
		for _, a := range frag {
			nbnds += deg[a]
			if deg[a] < 2 {
				changed.add(a)
			}
		}
		nbnds /= 2
		nexpt := nbnds - len(frag) + 1
		if nexpt < 1 {
			for changed.n > 0 {
				changed.popMin()
			}
			continue
		}
		fragRes := f.fragRes[:0]
		doneAts := f.doneAts
		clear(doneAts)
		nDone := 0
		for nDone < len(frag) {
			for changed.n > 0 {
				c := changed.popMin()
				if !doneAts[c] {
					doneAts[c] = true
					nDone++
					f.trimBonds(c, changed, deg, active)
				}
			}
			d2 := f.pickD2Nodes(frag, deg, active)
			if len(d2) > 0 {
				f.findRingsD2nodes(&fragRes, d2, deg, active)
				for _, c := range d2 {
					doneAts[c] = true
					nDone++
					f.trimBonds(c, changed, deg, active)
				}
			} else if nDone < len(frag) {
				cand := int32(-1)
				for _, a := range frag {
					if deg[a] == 3 {
						cand = a
						break
					}
				}
				if cand < 0 {
					break
				}
				actCopy := f.m.sc.boolsN(len(active))
				copy(actCopy, active)
				f.findRingsD3Node(&fragRes, cand, actCopy)
				doneAts[cand] = true
				nDone++
				f.trimBonds(cand, changed, deg, active)
			}
			if f.failed {
				return nil, nil, false
			}
		}
		for changed.n > 0 {
			changed.popMin()
		}
		if len(fragRes) < nexpt {
			// RDKit's fix for highly fused systems: close rings through
			// non-ring bonds between ring atoms
			dead := make([]bool, len(m.Bonds))
			for {
				var bnd int32 = -1
				for bi := range m.Bonds {
					b := &m.Bonds[bi]
					if !f.ringBonds[bi] && !dead[bi] && f.ringAtoms[b.Begin] && f.ringAtoms[b.End] {
						bnd = int32(bi)
						break
					}
				}
				if bnd < 0 {
					break
				}
				b := &m.Bonds[bnd]
				ring := f.atomSearchBFS(b.Begin, b.End)
				if ring == nil || !f.addRing(&fragRes, ring, true) {
					dead[bnd] = true
				}
				if f.failed {
					return nil, nil, false
				}
			}
			if len(fragRes) < nexpt {
				return nil, nil, false
			}
		}
		if len(fragRes) > nexpt {
			fragRes = f.removeExtraRings(fragRes)
		}
		res = append(res, fragRes...)
		f.fragRes = fragRes[:0]
	}
	return res, f.extras, true
}

// ringFinderPool recycles the finder's scratch, ring storage included,
// between molecules; storeRings copies the rings a molecule keeps.
var ringFinderPool = sync.Pool{New: func() any { return new(ringFinder) }}

func growBools(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// reset prepares f for m: every bond active, the degrees, and the
// connected components as frags[fragOff[k]:fragOff[k+1]], atoms ascending,
// components ordered by their lowest atom.
func (f *ringFinder) reset(m *Mol) {
	n, nb := len(m.Atoms), len(m.Bonds)
	*f = ringFinder{
		m: m, n: n, nw: (n + 63) / 64,
		keys: f.keys[:0], keyBuf: f.keyBuf, parents: f.parents, depths: f.depths, done: f.done,
		queue: f.queue, side: f.side, up: f.up, degCopy: f.degCopy, actCopy: f.actCopy,
		deg: growInts(f.deg, n), active: growBools(f.active, nb), doneAts: growBools(f.doneAts, n),
		ringBonds: growBools(f.ringBonds, nb), ringAtoms: growBools(f.ringAtoms, n),
		frags: growI32(f.frags, n), fragOff: f.fragOff[:0],
		tmpSet: f.tmpSet, changedSet: f.changedSet,
		arenaBlock: f.arenaBlock, bfsRings: f.bfsRings, res: f.res, fragRes: f.fragRes,
		d2cand: f.d2cand, d2key: f.d2key, dkeys: f.dkeys,
		nbrOff: growI32(f.nbrOff, n+1), nbrAtom: f.nbrAtom, nbrBond: f.nbrBond,
	}
	adj := 0
	for i := range m.Atoms {
		adj += len(m.Atoms[i].bonds)
	}
	f.nbrAtom, f.nbrBond = growI32(f.nbrAtom, adj), growI32(f.nbrBond, adj)
	k := int32(0)
	for i := range m.Atoms {
		f.nbrOff[i] = k
		for _, b := range m.Atoms[i].bonds {
			f.nbrAtom[k], f.nbrBond[k] = m.Bonds[b].Other(int32(i)), b
			k++
		}
	}
	f.nbrOff[n] = k
	if f.tmpSet == nil || cap(f.tmpSet.in) < n {
		f.tmpSet, f.changedSet = newMinSet(n), newMinSet(n)
	}
	for _, ms := range []*minSet{f.tmpSet, f.changedSet} {
		ms.in = ms.in[:n]
		clear(ms.in)
		ms.n, ms.lo = 0, 0
	}
	for i := range m.Atoms {
		f.deg[i] = len(m.Atoms[i].bonds)
	}
	for i := range f.active {
		f.active[i] = true
	}
	// components: label in order of lowest atom, then bucket atoms ascending
	comp := growI32(f.depths, n) // borrowed: smallestRingsBfs resets depths
	var nComp int32
	nComp, f.queue = m.labelComponents(comp, f.queue[:0])
	off := f.fragOff
	for k := int32(0); k <= nComp; k++ {
		off = append(off, 0)
	}
	for i := 0; i < n; i++ {
		off[comp[i]+1]++
	}
	for k := int32(1); k <= nComp; k++ {
		off[k] += off[k-1]
	}
	fill := growI32(f.up, int(nComp))
	copy(fill, off[:nComp])
	for i := 0; i < n; i++ {
		c := comp[i]
		f.frags[fill[c]] = int32(i)
		fill[c]++
	}
	f.up = fill[:0]
	f.fragOff = off
	f.depths = comp
}

// release returns f to the pool without holding on to the molecule.
func (f *ringFinder) release() {
	f.m, f.extras, f.arena = nil, nil, nil
	ringFinderPool.Put(f)
}

// storeRings sets the ring data from RDKit's SSSR plus the alternatives that
// symmetrizeSSSR accepts (same size, sharing a bond, and providing every bond
// the replaced ring alone provided). The rings are copied: sssr and extras
// may live in a ring finder's reused storage.
func (m *Mol) storeRings(sssr, extras [][]int32) {
	bondsOf := func(r []int32) []int32 {
		out := make([]int32, len(r))
		for k := range r {
			out[k] = m.bondBetween(r[k], r[(k+1)%len(r)])
		}
		return out
	}
	final := sssr // appending extras may reuse sssr's spare capacity: nobody else holds it
	if len(extras) > 0 {
		sb := make([][]int32, len(sssr))
		count := make([]int, len(m.Bonds))
		for i, r := range sssr {
			sb[i] = bondsOf(r)
			for _, b := range sb[i] {
				count[b]++
			}
		}
		for _, e := range extras {
			eb := bondsOf(e)
			for _, ring := range sb {
				if len(ring) != len(eb) {
					continue
				}
				share, replaces := false, true
				for _, b := range ring {
					if count[b] == 1 || !share {
						if containsI32(eb, b) {
							share = true
						} else if count[b] == 1 {
							replaces = false
						}
					}
				}
				if share && replaces {
					final = append(final, e)
					break
				}
			}
		}
	}
	total := 0
	for _, r := range final {
		total += len(r)
	}
	// every ring's atoms and bonds in one block, their headers in another
	store := grow(m.ringStore, 2*total)
	m.ringStore = store
	nr := len(final)
	hdr := grow(m.ringHdr, 2*nr)
	m.ringHdr = hdr
	m.rings, m.ringBonds = hdr[:nr:nr], hdr[nr:]
	off := 0
	for ri, r := range final {
		ra := store[off : off+len(r) : off+len(r)]
		rb := store[total+off : total+off+len(r) : total+off+len(r)]
		off += len(r)
		copy(ra, r)
		for k := range r {
			rb[k] = m.bondBetween(r[k], r[(k+1)%len(r)])
		}
		m.rings[ri], m.ringBonds[ri] = ra, rb
		for _, a := range r {
			if m.atomRingCount[a] < 255 {
				m.atomRingCount[a]++
			}
		}
		for _, b := range rb {
			if m.bondRingCount[b] < 255 {
				m.bondRingCount[b]++
			}
		}
	}
}
