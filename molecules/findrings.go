package molecules

import (
	mbits "math/bits"
	"sort"
)

// This file follows RDKit 2022.09's FindRings.cpp (Figueras-style SSSR with
// degree-2 and degree-3 node searches, duplicate-candidate resolution and
// extra-ring removal) so that the ring set, its order and the alternative
// rings used by symmetrizeSSSR are RDKit's.

const maxBFSQueue = 200000

type ringFinder struct {
	m          *Mol
	n          int
	invars     []string // atom-set keys of the rings found so far
	ringBonds  []bool
	ringAtoms  []bool
	extras     [][]int32 // alternative rings of the last fragment that had some
	hadExtras  bool
	failed     bool
	parents    []int32
	depths     []int32
	done       []uint8
	tmpSet     *minSet
	degCopy    []int
	actCopy    []bool
	queue      []int32 // BFS scratch
	side, up   []int32 // ring path scratch
	queueLimit bool
}

func atomSetKey(ring []int32, n int) string {
	b := make([]byte, (n+7)/8)
	for _, a := range ring {
		b[a>>3] |= 1 << (uint(a) & 7)
	}
	return string(b)
}

// lessInvariant orders ring invariants as boost::dynamic_bitset's operator<
// does (as binary numbers, highest atom index most significant).
func lessInvariant(a, b string) bool {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] != b[i] {
			// compare the byte as bits from high to low
			return a[i] < b[i]
		}
	}
	return false
}

// minSet is a set of atoms popped smallest first.
type minSet struct {
	in []bool
	n  int
}

func newMinSet(n int) *minSet { return &minSet{in: make([]bool, n)} }

func (s *minSet) add(a int32) {
	if !s.in[a] {
		s.in[a] = true
		s.n++
	}
}

func (s *minSet) popMin() int32 {
	for i, ok := range s.in {
		if ok {
			s.in[i] = false
			s.n--
			return int32(i)
		}
	}
	return -1
}

func (f *ringFinder) hasKey(key string) bool {
	for _, k := range f.invars {
		if k == key {
			return true
		}
	}
	return false
}

func (f *ringFinder) trimBonds(cand int32, changed *minSet, deg []int, active []bool) {
	for _, b := range f.m.Atoms[cand].bonds {
		if !active[b] {
			continue
		}
		o := f.m.Bonds[b].Other(cand)
		if deg[o] <= 2 && changed != nil {
			changed.add(o)
		}
		active[b] = false
		deg[o]--
		deg[cand]--
	}
}

// smallestRingsBfs is BFSWorkspace::smallestRingsBfs.
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
	var rings [][]int32
	queue := append(f.queue[:0], root)
	defer func() { f.queue = queue[:0] }()
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
		for _, b := range f.m.Atoms[curr].bonds {
			if !active[b] {
				continue
			}
			nbr := f.m.Bonds[b].Other(curr)
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
			ring := make([]int32, 0, size)
			for k := len(up) - 1; k >= 0; k-- {
				ring = append(ring, up[k])
			}
			rings = append(rings, append(ring, side...))
		}
	}
	return rings
}

func (f *ringFinder) addRing(res *[][]int32, ring []int32, mark bool) bool {
	return f.addRingKey(res, ring, atomSetKey(ring, f.n), mark)
}

func (f *ringFinder) addRingKey(res *[][]int32, ring []int32, key string, mark bool) bool {
	if f.hasKey(key) {
		return false
	}
	*res = append(*res, ring)
	f.invars = append(f.invars, key)
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
	for _, b := range f.m.Atoms[root].bonds {
		if !active[b] {
			continue
		}
		o := f.m.Bonds[b].Other(root)
		if !forb[o] && deg[o] == 2 {
			forb[o] = true
			f.markUselessD2s(o, forb, deg, active)
		}
	}
}

func (f *ringFinder) pickD2Nodes(frag []int32, deg []int, active []bool) []int32 {
	var out []int32
	forb := make([]bool, f.n)
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
	// per d2 node: the keys of its smallest rings and the other d2 nodes
	// that found one of the same rings
	type d2node struct {
		atom int32
		keys []string
		dups []int32
	}
	// per ring key, in order of discovery: the d2 nodes that found it
	type d2ring struct {
		key   string
		cands []int32
	}
	var nodes []d2node
	var rings []d2ring
	nodeOf := func(a int32) int {
		for k := range nodes {
			if nodes[k].atom == a {
				return k
			}
		}
		return -1
	}
	for _, cand := range d2nodes {
		srings := f.smallestRingsBfs(cand, active, nil)
		for _, ring := range srings {
			key := atomSetKey(ring, f.n)
			f.addRingKey(res, ring, key, true)
			ci := nodeOf(cand)
			if ci < 0 {
				nodes = append(nodes, d2node{atom: cand})
				ci = len(nodes) - 1
			}
			nodes[ci].keys = append(nodes[ci].keys, key)
			// RDKit walks the other nodes in atom order; the order only
			// decides the order of the dups lists, which trimming ignores
			for oi := range nodes {
				if oi == ci {
					continue
				}
				for _, k := range nodes[oi].keys {
					if k == key {
						nodes[ci].dups = append(nodes[ci].dups, nodes[oi].atom)
						nodes[oi].dups = append(nodes[oi].dups, cand)
						break
					}
				}
			}
			ri := -1
			for k := range rings {
				if rings[k].key == key {
					ri = k
					break
				}
			}
			if ri < 0 {
				rings = append(rings, d2ring{key: key})
				ri = len(rings) - 1
			}
			rings[ri].cands = append(rings[ri].cands, cand)
		}
		if len(srings) == 0 {
			changed := f.scratchSet()
			changed.add(cand)
			for changed.n > 0 {
				f.trimBonds(changed.popMin(), changed, deg, active)
			}
		}
	}
	// findSSSRforDupCands, in the map order of the ring invariants
	sort.Slice(rings, func(i, j int) bool { return lessInvariant(rings[i].key, rings[j].key) })
	for _, r := range rings {
		if len(r.cands) <= 1 {
			continue
		}
		var nrings [][]int32
		minSiz := int(^uint(0) >> 1)
		for _, dc := range r.cands {
			degCopy := append(f.degCopy[:0], deg...)
			actCopy := append(f.actCopy[:0], active...)
			f.degCopy, f.actCopy = degCopy, actCopy
			if ci := nodeOf(dc); ci >= 0 {
				for _, dn := range nodes[ci].dups {
					f.trimBonds(dn, nil, degCopy, actCopy)
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
	srings := f.smallestRingsBfs(cand, active, nil)
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
					if !f.hasKey(atomSetKey(nv, f.n)) {
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
func (m *Mol) findSSSR() (rings [][]int32, extras [][]int32, ok bool) {
	n := len(m.Atoms)
	f := &ringFinder{m: m, n: n, ringBonds: make([]bool, len(m.Bonds)), ringAtoms: make([]bool, n)}
	deg := make([]int, n)
	for i := range m.Atoms {
		deg[i] = len(m.Atoms[i].bonds)
	}
	active := make([]bool, len(m.Bonds))
	for i := range active {
		active[i] = true
	}
	var res [][]int32
	for _, fragInts := range m.fragments() {
		if len(fragInts) < 3 {
			continue
		}
		frag := make([]int32, len(fragInts))
		for k, a := range fragInts {
			frag[k] = int32(a)
		}
		changed := newMinSet(n)
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
			continue
		}
		var fragRes [][]int32
		doneAts := make([]bool, n)
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
				f.findRingsD3Node(&fragRes, cand, append([]bool(nil), active...))
				doneAts[cand] = true
				nDone++
				f.trimBonds(cand, changed, deg, active)
			}
			if f.failed {
				return nil, nil, false
			}
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
	}
	return res, f.extras, true
}

// storeRings sets the ring data from RDKit's SSSR plus the alternatives that
// symmetrizeSSSR accepts (same size, sharing a bond, and providing every bond
// the replaced ring alone provided).
func (m *Mol) storeRings(sssr, extras [][]int32) {
	bondsOf := func(r []int32) []int32 {
		out := make([]int32, len(r))
		for k := range r {
			out[k] = m.bondBetween(r[k], r[(k+1)%len(r)])
		}
		return out
	}
	final := append([][]int32(nil), sssr...)
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
	for _, r := range final {
		rb := bondsOf(r)
		m.rings = append(m.rings, r)
		m.ringBonds = append(m.ringBonds, rb)
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
