package molecules

import (
	"math/bits"
	"slices"
	"sort"
)

// bitset is a small dense bit set over bond indices.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }
func (b bitset) set(i int32) { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int32) bool {
	return b[i>>6]&(1<<(uint(i)&63)) != 0
}
func (b bitset) xor(o bitset) {
	for i := range b {
		b[i] ^= o[i]
	}
}
func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}
func (b bitset) lowest() int {
	for i, w := range b {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

type cycle struct {
	atoms []int32
	bonds []int32
	set   bitset
}

// perceiveRings computes RDKit's symmetrized SSSR: a minimum cycle basis
// chosen smallest-first, plus equal-sized alternative rings that could
// replace a basis ring without losing any ring bond (symmetrizeSSSR).
// maxRingSystemAtoms caps the atoms of one fused ring system; ring
// perception is quadratic in it.
const maxRingSystemAtoms = 240

func (m *Mol) perceiveRings() error { return m.perceiveRingsWith(true) }

// perceiveRingsWith is perceiveRings; simpleCycles enables the shortcut for
// molecules whose ring systems are all single cycles (tests compare it with
// the full search).
func (m *Mol) perceiveRingsWith(simpleCycles bool) error {
	n := len(m.Atoms)
	nb := len(m.Bonds)
	counts := grow(m.countBuf, n+nb)
	clear(counts)
	m.countBuf = counts
	m.atomRingCount = counts[:n:n]
	m.bondRingCount = counts[n:]
	m.rings = m.rings[:0]
	m.ringBonds = m.ringBonds[:0]
	// cyclomatic number: E - V + C, after pruning non-ring (bridge) bonds
	comp := m.sc.int32sN(n)
	nComp, stack := m.labelComponents(comp, m.sc.int32sN(n)[:0])
	nRings := nb - n + int(nComp)
	if nRings <= 0 {
		return nil
	}
	// ring atoms: 2-core of the graph (repeatedly strip degree<2 atoms)
	deg := m.sc.intsN(n)
	alive := m.sc.boolsN(n)
	for i := range m.Atoms {
		deg[i] = len(m.Atoms[i].bonds)
		alive[i] = true
	}
	stack = stack[:0]
	for i := 0; i < n; i++ {
		if deg[i] < 2 {
			stack = append(stack, int32(i))
			alive[i] = false
		}
	}
	for len(stack) > 0 {
		a := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, b := range m.Atoms[a].bonds {
			o := m.Bonds[b].Other(a)
			if alive[o] {
				deg[o]--
				if deg[o] < 2 {
					alive[o] = false
					stack = append(stack, o)
				}
			}
		}
	}
	coreSize := m.sc.intsN(int(nComp))
	for i := 0; i < n; i++ {
		if alive[i] {
			coreSize[comp[i]]++
		}
	}
	for _, c := range coreSize {
		if c > maxRingSystemAtoms {
			return errMol("ring system of %d atoms exceeds the limit of %d", c, maxRingSystemAtoms)
		}
	}
	if simpleCycles {
		simple := true
		for i := 0; i < n; i++ {
			if alive[i] && deg[i] != 2 {
				simple = false
				break
			}
		}
		if simple {
			m.storeRings(m.simpleCycles(alive, comp, nRings), nil)
			return nil
		}
	}
	f := ringFinderPool.Get().(*ringFinder)
	found, extras, ok := m.findSSSR(f)
	if ok && len(found) == nRings {
		m.storeRings(found, extras)
		f.release()
		return nil
	}
	f.release()
	// fallback (RDKit's search gave up): a minimum cycle basis from the
	// Horton candidate set.
	// candidate cycles (Horton set) from BFS trees rooted at every core atom:
	// P(r,x) + (x,y) + P(y,r) is a simple cycle when the two tree paths leave
	// r through different children.
	var cands []cycle
	seen := map[uint64][]int{}
	dist := make([]int32, n)
	par := make([]int32, n)    // parent atom
	parB := make([]int32, n)   // bond to parent
	branch := make([]int32, n) // child of the root the path goes through
	queue := make([]int32, 0, n)
	var coreBonds []int32
	for bi := range m.Bonds {
		if alive[m.Bonds[bi].Begin] && alive[m.Bonds[bi].End] {
			coreBonds = append(coreBonds, int32(bi))
		}
	}
	for r := 0; r < n; r++ {
		if !alive[r] {
			continue
		}
		for i := range dist {
			dist[i] = -1
		}
		dist[r] = 0
		par[r] = -1
		parB[r] = -1
		branch[r] = -1
		queue = append(queue[:0], int32(r))
		for qi := 0; qi < len(queue); qi++ {
			a := queue[qi]
			for _, b := range m.Atoms[a].bonds {
				o := m.Bonds[b].Other(a)
				if !alive[o] || dist[o] >= 0 {
					continue
				}
				dist[o] = dist[a] + 1
				par[o] = a
				parB[o] = b
				if a == int32(r) {
					branch[o] = o
				} else {
					branch[o] = branch[a]
				}
				queue = append(queue, o)
			}
		}
		for _, bi := range coreBonds {
			bd := &m.Bonds[bi]
			x, y := bd.Begin, bd.End
			if dist[x] < 0 || dist[y] < 0 || parB[x] == bi || parB[y] == bi {
				continue
			}
			if dist[x] > dist[y] {
				x, y = y, x
			}
			if dist[y] != dist[x] && dist[y] != dist[x]+1 {
				continue
			}
			if x != int32(r) && branch[x] == branch[y] {
				continue
			}
			atoms := make([]int32, 0, dist[x]+dist[y]+1)
			for v := x; v >= 0; v = par[v] {
				atoms = append(atoms, v)
			}
			// reverse: r .. x
			for i, j := 0, len(atoms)-1; i < j; i, j = i+1, j-1 {
				atoms[i], atoms[j] = atoms[j], atoms[i]
			}
			for v := y; v != int32(r); v = par[v] {
				atoms = append(atoms, v)
			}
			c := makeCycle(m, atoms, nb)
			h := hashWords(c.set)
			dup := false
			for _, k := range seen[h] {
				if slices.Equal(cands[k].set, c.set) {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			seen[h] = append(seen[h], len(cands))
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return len(cands[i].atoms) < len(cands[j].atoms) })
	// Gaussian elimination over GF(2), smallest first
	var basis []bitset
	var pivots []int
	chosen := make([]bool, len(cands))
	var sssr []int
	for ci := range cands {
		if len(sssr) == nRings {
			break
		}
		v := append(bitset(nil), cands[ci].set...)
		for k, bv := range basis {
			if v.has(int32(pivots[k])) {
				v.xor(bv)
			}
		}
		if v.empty() {
			continue
		}
		p := v.lowest()
		// keep basis reduced so pivots stay unique
		for k := range basis {
			if basis[k].has(int32(p)) {
				basis[k].xor(v)
			}
		}
		basis = append(basis, v)
		pivots = append(pivots, p)
		chosen[ci] = true
		sssr = append(sssr, ci)
	}
	// symmetrize: add equal-sized alternatives
	bondCount := make([]int, nb)
	for _, ci := range sssr {
		for _, b := range cands[ci].bonds {
			bondCount[b]++
		}
	}
	final := append([]int(nil), sssr...)
	maxSize := 0
	for _, ci := range sssr {
		if len(cands[ci].atoms) > maxSize {
			maxSize = len(cands[ci].atoms)
		}
	}
	// RDKit stores the alternative rings per fragment in one molecule
	// property, overwritten by every later fragment whose ring search found
	// more candidates than its cyclomatic number; only those survive.
	lastComp := int32(-1)
	nodeSmallest := make([]bool, len(cands))
	for ci := range cands {
		if chosen[ci] || len(cands[ci].atoms) > maxSize {
			continue
		}
		nodeSmallest[ci] = m.isNodeSmallestRing(cands[ci].atoms, alive)
		if !nodeSmallest[ci] {
			continue
		}
		if c := comp[cands[ci].atoms[0]]; c > lastComp {
			lastComp = c
		}
	}
	for ci := range cands {
		if chosen[ci] || len(cands[ci].atoms) > maxSize || comp[cands[ci].atoms[0]] != lastComp {
			continue
		}
		if !nodeSmallest[ci] {
			continue
		}
		extra := cands[ci].set
		for _, si := range sssr {
			ring := cands[si]
			if len(ring.bonds) != len(cands[ci].bonds) {
				continue
			}
			share, replaces := false, true
			for _, b := range ring.bonds {
				if bondCount[b] == 1 || !share {
					if extra.has(b) {
						share = true
					} else if bondCount[b] == 1 {
						replaces = false
					}
				}
			}
			if share && replaces {
				final = append(final, ci)
				break
			}
		}
	}
	for _, ci := range final {
		c := cands[ci]
		m.rings = append(m.rings, c.atoms)
		m.ringBonds = append(m.ringBonds, c.bonds)
		for _, a := range c.atoms {
			if m.atomRingCount[a] < 255 {
				m.atomRingCount[a]++
			}
		}
		for _, b := range c.bonds {
			if m.bondRingCount[b] < 255 {
				m.bondRingCount[b]++
			}
		}
	}
	return nil
}

// simpleCycles lists the rings of a molecule whose ring atoms (alive: the
// 2-core) all have exactly two ring neighbours, so every ring system is one
// cycle, exactly as RDKit's findSSSR reports them: by fragment (comp, in
// order of lowest atom), then by lowest atom; each ring starts at its lowest
// atom r and is the path found by the breadth-first search from r, which
// goes first through r's first ring neighbour in bond order when the ring
// is odd and through its second when it is even.
func (m *Mol) simpleCycles(alive []bool, comp []int32, nRings int) [][]int32 {
	n := len(m.Atoms)
	rings := m.sc.listsN(nRings)
	seen := m.sc.boolsN(n)
	total := 0
	for i := 0; i < n; i++ {
		if alive[i] {
			total++
		}
	}
	store := m.sc.int32sN(total)
	off := 0
	for i := 0; i < n; i++ {
		if !alive[i] || seen[i] {
			continue
		}
		first := int32(-1) // the lowest atom's first ring neighbour in bond order
		for _, b := range m.Atoms[i].bonds {
			if o := m.Bonds[b].Other(int32(i)); alive[o] {
				first = o
				break
			}
		}
		c := store[off:off]
		c = append(c, int32(i))
		seen[i] = true
		prev, cur := int32(i), first
		for cur != int32(i) {
			c = append(c, cur)
			seen[cur] = true
			next := int32(-1)
			for _, b := range m.Atoms[cur].bonds {
				if o := m.Bonds[b].Other(cur); alive[o] && o != prev {
					next = o
					break
				}
			}
			prev, cur = cur, next
		}
		if len(c)%2 == 0 {
			// even: the path through the second neighbour, i.e. reversed
			for l, r := 1, len(c)-1; l < r; l, r = l+1, r-1 {
				c[l], c[r] = c[r], c[l]
			}
		}
		off += len(c)
		rings = append(rings, c[:len(c):len(c)])
	}
	// by fragment, keeping the lowest-atom order within each (stable)
	for x := 1; x < len(rings); x++ {
		for y := x; y > 0 && comp[rings[y][0]] < comp[rings[y-1][0]]; y-- {
			rings[y], rings[y-1] = rings[y-1], rings[y]
		}
	}
	return rings
}

func bitsetKey(b bitset) []byte {
	out := make([]byte, 0, len(b)*8)
	for _, w := range b {
		for k := 0; k < 8; k++ {
			out = append(out, byte(w>>(8*k)))
		}
	}
	return out
}

// pathTo returns x, parent(x), ..., root.
func pathTo(x int32, par []int32) []int32 {
	var p []int32
	for x >= 0 {
		p = append(p, x)
		x = par[x]
	}
	return p
}

func disjointExceptRoot(a, b []int32) bool {
	// both end with the root
	for i := 0; i < len(a)-1; i++ {
		for j := 0; j < len(b)-1; j++ {
			if a[i] == b[j] {
				return false
			}
		}
	}
	return true
}

func makeCycle(m *Mol, atoms []int32, nb int) cycle {
	c := cycle{atoms: atoms, set: newBitset(nb)}
	for i := range atoms {
		a, b := atoms[i], atoms[(i+1)%len(atoms)]
		bi := m.bondBetween(a, b)
		c.bonds = append(c.bonds, bi)
		c.set.set(bi)
	}
	return c
}

// isNodeSmallestRing reports whether the cycle is a smallest ring through
// some path a-v-b of its own atoms; RDKit's ring finder only produces such
// rings as symmetrization candidates.
func (m *Mol) isNodeSmallestRing(cyc []int32, alive []bool) bool {
	n := len(cyc)
	dist := make([]int, len(m.Atoms))
	for k := range cyc {
		v := cyc[k]
		a, b := cyc[(k+n-1)%n], cyc[(k+1)%n]
		// BFS from a to b avoiding v
		for i := range dist {
			dist[i] = -1
		}
		dist[a] = 0
		q := []int32{a}
		for len(q) > 0 && dist[b] < 0 {
			x := q[0]
			q = q[1:]
			for _, bd := range m.Atoms[x].bonds {
				o := m.Bonds[bd].Other(x)
				if o == v || !alive[o] || dist[o] >= 0 {
					continue
				}
				dist[o] = dist[x] + 1
				q = append(q, o)
			}
		}
		if dist[b] >= 0 && dist[b]+2 == n {
			return true
		}
	}
	return false
}

// labelComponents writes into comp (len = atoms) each atom's connected
// component, numbered in order of their lowest atom, and returns the number
// of components and the stack scratch (grown as needed) for reuse.
func (m *Mol) labelComponents(comp, stack []int32) (int32, []int32) {
	for i := range comp {
		comp[i] = -1
	}
	nComp := int32(0)
	for i := range comp {
		if comp[i] >= 0 {
			continue
		}
		comp[i] = nComp
		stack = append(stack[:0], int32(i))
		for len(stack) > 0 {
			a := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, b := range m.Atoms[a].bonds {
				o := m.Bonds[b].Other(a)
				if comp[o] < 0 {
					comp[o] = nComp
					stack = append(stack, o)
				}
			}
		}
		nComp++
	}
	return nComp, stack[:0]
}
