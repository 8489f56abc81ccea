package molecules

import (
	"sort"
	"strconv"
	"strings"
)

// This file reproduces RDKit 2022.09's canonical atom ranking (new_canon:
// partition refinement with a merge sort that groups ties, then tie
// breaking) and its SMILES writer (Canon.cpp / SmilesWrite.cpp): DFS from
// the lowest-ranked atom, ring closures first, branches in rank order with
// ring bonds weighted by bond type.

type bondHolder struct {
	bondType    int
	bondStereo  int
	nbrSymClass int
	nbrIdx      int
}

func cmpBondHolder(x, y *bondHolder) int {
	if x.bondType != y.bondType {
		if x.bondType < y.bondType {
			return -1
		}
		return 1
	}
	if x.bondStereo != y.bondStereo {
		if x.bondStereo < y.bondStereo {
			return -1
		}
		return 1
	}
	return x.nbrSymClass - y.nbrSymClass
}

type canonAtom struct {
	index    int
	degree   int
	totalHs  int
	nbrIds   []int
	bonds    []bondHolder
	z        int
	isotope  int
	charge   int
	mapNum   int
	chiral   int  // RDKit tag relative to nbrIds order: 0 none, 1 CW (@@), 2 CCW (@)
	ringSt   bool // ring stereo atom
	ringNbr  bool // has a ring-stereo neighbour
	inRing   bool
	ringSize []int
}

type canonRanker struct {
	atoms    []canonAtom
	useNbrs  bool
	symMode  bool   // SpecialSymmetryAtomCompareFunctor instead of the default
	chirMode bool   // SpecialChiralityAtomCompareFunctor
	inRing   []bool // per atom: in any ring
	nRings   []int  // per atom: number of rings
	nbrNum   [][]int
	revisits [][]int
}

func (r *canonRanker) updateNbrIndex(i int) {
	bs := r.atoms[i].bonds
	for k := range bs {
		bs[k].nbrSymClass = r.atoms[bs[k].nbrIdx].index
	}
	// descending order (bondholder::greater)
	for x := 1; x < len(bs); x++ {
		for y := x; y > 0 && cmpBondHolder(&bs[y], &bs[y-1]) > 0; y-- {
			bs[y], bs[y-1] = bs[y-1], bs[y]
		}
	}
}

func (r *canonRanker) ringNbrCode(i int) int {
	a := &r.atoms[i]
	if !a.ringNbr {
		return 0
	}
	code := 0
	for _, n := range a.nbrIds {
		if r.atoms[n].ringSt {
			code += r.atoms[n].index*10000 + 1
		}
	}
	return code
}

func (r *canonRanker) chiralRank(i int) int {
	a := &r.atoms[i]
	perm := make([]int, 0, a.degree)
	for _, n := range a.nbrIds {
		rk := r.atoms[n].index
		for _, p := range perm {
			if p == rk {
				return 0
			}
		}
		perm = append(perm, rk)
	}
	if a.chiral == 0 {
		return 0
	}
	swaps := permParity(perm)
	res := 1
	if a.chiral == 1 {
		res = 2
	}
	if swaps%2 == 1 {
		res = 3 - res
	}
	return res
}

// permParity counts the swaps a selection sort needs to sort p (mod 2 matters).
func permParity(p []int) int {
	var buf [8]int
	q := append(buf[:0], p...)
	n := 0
	for i := range q {
		m := i
		for j := i + 1; j < len(q); j++ {
			if q[j] < q[m] {
				m = j
			}
		}
		if m != i {
			q[i], q[m] = q[m], q[i]
			n++
		}
	}
	return n
}

func cmpUint(a, b uint32) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func cmpInt(a, b int) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func cmpIntSlices(a, b []int) int {
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k] != b[k] {
			return cmpInt(a[k], b[k])
		}
	}
	return cmpInt(len(a), len(b))
}

func (r *canonRanker) compareSym(i, j int) int {
	if c := cmpIntSlices(r.nbrNum[i], r.nbrNum[j]); c != 0 {
		return c
	}
	if c := cmpIntSlices(r.revisits[i], r.revisits[j]); c != 0 {
		return c
	}
	r.updateNbrIndex(i)
	r.updateNbrIndex(j)
	bi, bj := r.atoms[i].bonds, r.atoms[j].bonds
	for k := 0; k < len(bi) && k < len(bj); k++ {
		if c := cmpBondHolder(&bi[k], &bj[k]); c != 0 {
			return c
		}
	}
	return cmpInt(len(bi), len(bj))
}

// ringNeighborProfiles is compareRingAtomsConcerningNumNeighbors: per ring
// atom, the number of new atoms at each BFS level and the sorted counts of
// re-visited neighbours.
func (r *canonRanker) ringNeighborProfiles() {
	n := len(r.atoms)
	r.nbrNum = make([][]int, n)
	r.revisits = make([][]int, n)
	visited := make([]bool, n)
	last := make([]bool, n)
	cur := make([]bool, n)
	rev := make([]int, n)
	for idx := 0; idx < n; idx++ {
		if !r.inRing[idx] {
			continue
		}
		for k := range visited {
			visited[k], last[k], cur[k], rev[k] = false, false, false, 0
		}
		queue := []int{idx}
		for len(queue) > 0 {
			numLevel := 0
			var nextLevel []int
			for _, nidx := range queue {
				if !r.inRing[nidx] {
					continue
				}
				last[nidx] = true
				visited[nidx] = true
				for _, x := range r.atoms[nidx].nbrIds {
					if !visited[x] {
						cur[x] = true
						numLevel++
						visited[x] = true
						nextLevel = append(nextLevel, x)
					}
				}
			}
			for i := 0; i < n; i++ {
				if cur[i] {
					for _, x := range r.atoms[i].nbrIds {
						if cur[x] || last[x] {
							rev[x]++
						}
					}
				}
			}
			for i := 0; i < n; i++ {
				last[i] = cur[i]
				cur[i] = false
			}
			var tmp []int
			for i := 0; i < n; i++ {
				if rev[i] > 0 {
					tmp = append(tmp, rev[i])
				}
				rev[i] = 0
			}
			sort.Ints(tmp)
			tmp = append(tmp, -1)
			r.revisits[idx] = append(r.revisits[idx], tmp...)
			r.nbrNum[idx] = append(r.nbrNum[idx], numLevel, -1)
			queue = nextLevel
		}
	}
}

// numSwaps is updateAtomNeighborNumSwaps: for a ring atom, the parity
// class of each chiral neighbour seen from this atom.
func (r *canonRanker) numSwaps(i int) [][2]int {
	a := &r.atoms[i]
	out := make([][2]int, 0, len(a.bonds))
	for _, b := range a.bonds {
		nb := &r.atoms[b.nbrIdx]
		if r.inRing[i] && nb.chiral != 0 {
			probe := []int{i}
			for _, ob := range nb.bonds {
				if ob.nbrIdx != i {
					probe = append(probe, ob.nbrIdx)
				}
			}
			pos := make([]int, 0, len(probe))
			for _, p := range probe {
				for k, x := range nb.nbrIds {
					if x == p {
						pos = append(pos, k)
						break
					}
				}
			}
			odd := permParity(pos)%2 == 1
			v := 2
			if (nb.chiral == 1) != odd {
				v = 1
			}
			out = append(out, [2]int{b.nbrSymClass, v})
		} else {
			out = append(out, [2]int{b.nbrSymClass, 0})
		}
	}
	sort.Slice(out, func(x, y int) bool {
		if out[x][0] != out[y][0] {
			return out[x][0] < out[y][0]
		}
		return out[x][1] < out[y][1]
	})
	return out
}

func (r *canonRanker) compareChiral(i, j int) int {
	r.updateNbrIndex(i)
	r.updateNbrIndex(j)
	bi, bj := r.atoms[i].bonds, r.atoms[j].bonds
	for k := 0; k < len(bi) && k < len(bj); k++ {
		if c := cmpBondHolder(&bi[k], &bj[k]); c != 0 {
			return c
		}
	}
	si, sj := r.numSwaps(i), r.numSwaps(j)
	for k := 0; k < len(si) && k < len(sj); k++ {
		if si[k][1] != sj[k][1] {
			return si[k][1] - sj[k][1]
		}
	}
	return 0
}

func (r *canonRanker) compare(i, j int) int {
	if r.symMode {
		return r.compareSym(i, j)
	}
	if r.chirMode {
		return r.compareChiral(i, j)
	}
	ai, aj := &r.atoms[i], &r.atoms[j]
	if c := cmpInt(ai.index, aj.index); c != 0 {
		return c
	}
	if c := cmpInt(ai.mapNum, aj.mapNum); c != 0 {
		return c
	}
	if c := cmpInt(ai.degree, aj.degree); c != 0 {
		return c
	}
	if c := cmpInt(ai.z, aj.z); c != 0 {
		return c
	}
	if c := cmpInt(ai.isotope, aj.isotope); c != 0 {
		return c
	}
	if c := cmpInt(ai.totalHs, aj.totalHs); c != 0 {
		return c
	}
	// RDKit compares the charge as an unsigned int: negative charges sort last
	if c := cmpUint(uint32(int32(ai.charge)), uint32(int32(aj.charge))); c != 0 {
		return c
	}
	ci, cj := 0, 0
	if ai.chiral != 0 {
		ci = 1
	}
	if aj.chiral != 0 {
		cj = 1
	}
	if c := cmpInt(ci, cj); c != 0 {
		return c
	}
	if ci == 1 && cj == 1 {
		if c := cmpInt(r.chiralRank(i), r.chiralRank(j)); c != 0 {
			return c
		}
	}
	if c := cmpInt(r.ringNbrCode(i), r.ringNbrCode(j)); c != 0 {
		return c
	}
	if r.useNbrs {
		r.updateNbrIndex(i)
		r.updateNbrIndex(j)
		bi, bj := ai.bonds, aj.bonds
		for k := 0; k < len(bi) && k < len(bj); k++ {
			if c := cmpBondHolder(&bi[k], &bj[k]); c != 0 {
				return c
			}
		}
		return cmpInt(len(bi), len(bj))
	}
	return 0
}

// hanoi is RDKit's hanoi merge sort: stable, grouping equal elements and
// recording group sizes in count (0 for non-leading members).
func (r *canonRanker) hanoi(base []int, temp []int, count, changed []int) bool {
	nel := len(base)
	if nel == 1 {
		count[base[0]] = 1
		return false
	}
	if nel == 2 {
		n1, n2 := base[0], base[1]
		stat := 0
		if changed[n1] != 0 || changed[n2] != 0 {
			stat = r.compare(n1, n2)
		}
		switch {
		case stat == 0:
			count[n1], count[n2] = 2, 0
		case stat < 0:
			count[n1], count[n2] = 1, 1
		default:
			count[n1], count[n2] = 1, 1
			base[0], base[1] = n2, n1
		}
		return false
	}
	n1 := nel / 2
	n2 := nel - n1
	b1, b2 := base[:n1], base[n1:]
	t1, t2 := temp[:n1], temp[n1:]
	var s1, s2 []int
	var out []int
	var result bool
	if r.hanoi(b1, t1, count, changed) {
		if r.hanoi(b2, t2, count, changed) {
			s2 = t2
		} else {
			s2 = b2
		}
		result = false
		out = base
		s1 = t1
	} else {
		if r.hanoi(b2, t2, count, changed) {
			s2 = t2
		} else {
			s2 = b2
		}
		result = true
		out = temp
		s1 = b1
	}
	// merge; out may alias s2's backing array (when out==base and s2==b2),
	// which is safe because writes never overtake reads.
	p := 0
	i1, i2 := 0, 0
	for {
		x, y := s1[i1], s2[i2]
		stat := 0
		if changed[x] != 0 || changed[y] != 0 {
			stat = r.compare(x, y)
		}
		len1, len2 := count[x], count[y]
		switch {
		case stat == 0:
			count[x] = len1 + len2
			count[y] = 0
			copy(out[p:], s1[i1:i1+len1])
			p += len1
			n1 -= len1
			if n1 == 0 {
				copy(out[p:], s2[i2:i2+n2])
				return result
			}
			i1 += len1
			copy(out[p:], s2[i2:i2+len2])
			p += len2
			n2 -= len2
			if n2 == 0 {
				copy(out[p:], s1[i1:i1+n1])
				return result
			}
			i2 += len2
		case stat < 0:
			copy(out[p:], s1[i1:i1+len1])
			p += len1
			n1 -= len1
			if n1 == 0 {
				copy(out[p:], s2[i2:i2+n2])
				return result
			}
			i1 += len1
		default:
			copy(out[p:], s2[i2:i2+len2])
			p += len2
			n2 -= len2
			if n2 == 0 {
				copy(out[p:], s1[i1:i1+n1])
				return result
			}
			i2 += len2
		}
	}
}

func (r *canonRanker) hanoiSort(base []int, count, changed []int) {
	temp := make([]int, len(base))
	if r.hanoi(base, temp, count, changed) {
		copy(base, temp)
	}
}

type refineState struct {
	order, count, next, changed []int
	touched                     []bool
	activeset                   int
}

func (r *canonRanker) activatePartitions(st *refineState) {
	n := len(r.atoms)
	st.activeset = -1
	for i := 0; i < n; i++ {
		st.next[i] = -2
	}
	for i := 0; i < n; {
		j := st.order[i]
		if st.count[j] > 1 {
			st.next[j] = st.activeset
			st.activeset = j
			i += st.count[j]
		} else {
			i++
		}
	}
	for i := 0; i < n; i++ {
		st.changed[st.order[i]] = 1
	}
}

func (r *canonRanker) refinePartitions(st *refineState) {
	n := len(r.atoms)
	for st.activeset != -1 {
		partition := st.activeset
		st.activeset = st.next[partition]
		st.next[partition] = -2
		ln := st.count[partition]
		offset := r.atoms[partition].index
		start := st.order[offset : offset+ln]
		r.hanoiSort(start, st.count, st.changed)
		for k := 0; k < ln; k++ {
			st.changed[start[k]] = 0
		}
		index := start[0]
		symclass := 0
		for i := st.count[index]; i < ln; i++ {
			index = start[i]
			if st.count[index] != 0 {
				symclass = offset + i
			}
			r.atoms[index].index = symclass
			for _, nb := range r.atoms[index].nbrIds {
				st.changed[nb] = 1
			}
		}
		index = start[0]
		for i := st.count[index]; i < ln; i++ {
			index = start[i]
			for _, nb := range r.atoms[index].nbrIds {
				st.touched[r.atoms[nb].index] = true
			}
		}
		for ii := 0; ii < n; ii++ {
			if st.touched[ii] {
				p := st.order[ii]
				if st.count[p] > 1 && st.next[p] == -2 {
					st.next[p] = st.activeset
					st.activeset = p
				}
				st.touched[ii] = false
			}
		}
	}
}

func (r *canonRanker) breakTies(st *refineState) {
	n := len(r.atoms)
	for i := 0; i < n; i++ {
		partition := st.order[i]
		oldPart := r.atoms[partition].index
		for st.count[partition] > 1 {
			ln := st.count[partition]
			offset := r.atoms[partition].index + ln - 1
			index := st.order[offset]
			r.atoms[index].index = offset
			st.count[partition] = ln - 1
			st.count[index] = 1
			if r.atoms[index].degree < 1 {
				continue
			}
			for _, nb := range r.atoms[index].nbrIds {
				st.touched[r.atoms[nb].index] = true
				st.changed[nb] = 1
			}
			for ii := 0; ii < n; ii++ {
				if st.touched[ii] {
					np := st.order[ii]
					if st.count[np] > 1 && st.next[np] == -2 {
						st.next[np] = st.activeset
						st.activeset = np
					}
					st.touched[ii] = false
				}
			}
			r.refinePartitions(st)
		}
		if r.atoms[partition].index != oldPart {
			i--
		}
	}
}

// rank returns canonical ranks (0..n-1) for the atoms of one fragment.
func (r *canonRanker) rank(breakTies bool) []int {
	n := len(r.atoms)
	st := &refineState{
		order: make([]int, n), count: make([]int, n), next: make([]int, n),
		changed: make([]int, n), touched: make([]bool, n),
	}
	for i := 0; i < n; i++ {
		r.atoms[i].index = 0
		st.order[i] = i
		st.count[i] = 0
		st.changed[i] = 1
	}
	st.count[0] = n
	r.useNbrs = true
	r.activatePartitions(st)
	r.refinePartitions(st)
	ties := false
	for i := 0; i < n; i++ {
		if st.count[i] == 0 {
			ties = true
		}
	}
	if ties {
		hasChiral := false
		for k := range r.atoms {
			if r.atoms[k].chiral != 0 {
				hasChiral = true
				break
			}
		}
		if hasChiral {
			r.chirMode = true
			r.activatePartitions(st)
			r.refinePartitions(st)
			r.chirMode = false
		}
	}
	ties = false
	for i := 0; i < n; i++ {
		if st.count[i] == 0 {
			ties = true
		}
	}
	if ties && r.inRing != nil {
		symRing, ringAtoms := 0, 0
		branching := false
		for i := 0; i < n; i++ {
			o := st.order[i]
			if r.inRing[o] {
				if st.count[o] > 2 {
					symRing += st.count[o]
				}
				ringAtoms++
				if r.nRings[o] > 1 && st.count[o] > 1 {
					branching = true
				}
			}
		}
		if ringAtoms > 0 && float64(symRing)/float64(ringAtoms) > 0.5 && branching {
			r.ringNeighborProfiles()
			r.symMode = true
			r.activatePartitions(st)
			r.refinePartitions(st)
			r.symMode = false
		}
	}
	if breakTies {
		r.breakTies(st)
	}
	out := make([]int, n)
	for i := 0; i < n; i++ {
		out[st.order[i]] = r.atoms[st.order[i]].index
	}
	return out
}

// rdkitChiralTag converts the SMILES-order parity of atom i into RDKit's
// tag relative to its bond order (implicit H last): 1 = CW (@@), 2 = CCW (@).
func (m *Mol) rdkitChiralTag(i int) int {
	a := &m.Atoms[i]
	if a.Chiral == ChiralNone {
		return 0
	}
	ref := make([]int32, 0, len(a.bonds)+1)
	for _, b := range a.bonds {
		ref = append(ref, m.Bonds[b].Other(int32(i)))
	}
	if a.TotalHs() == 1 {
		ref = append(ref, hNeighbor)
	}
	par, ok := relativeParity(a.stereoNbrs, ref)
	if !ok {
		return 0
	}
	cw := a.Chiral == ChiralCW
	if par {
		cw = !cw
	}
	if cw {
		return 1
	}
	return 2
}

// relativeParity reports whether reordering from into to is an odd
// permutation; ok is false when the lists are not permutations of each other.
func relativeParity(from, to []int32) (odd bool, ok bool) {
	if len(from) != len(to) {
		return false, false
	}
	var buf [8]int
	pos := buf[:0]
	for range to {
		pos = append(pos, 0)
	}
	for k, x := range from {
		found := -1
		for j, y := range to {
			if x == y {
				found = j
				break
			}
		}
		if found < 0 {
			return false, false
		}
		pos[k] = found
	}
	return permParity(pos)%2 == 1, true
}

// fragments splits the atoms into connected components in index order.
func (m *Mol) fragments() [][]int {
	n := len(m.Atoms)
	seen := make([]bool, n)
	var out [][]int
	for i := 0; i < n; i++ {
		if seen[i] {
			continue
		}
		comp := []int{i}
		seen[i] = true
		for k := 0; k < len(comp); k++ {
			a := comp[k]
			for _, b := range m.Atoms[a].bonds {
				o := int(m.Bonds[b].Other(int32(a)))
				if !seen[o] {
					seen[o] = true
					comp = append(comp, o)
				}
			}
		}
		sort.Ints(comp)
		out = append(out, comp)
	}
	return out
}

func (m *Mol) newRanker(frag []int, chirality bool) *canonRanker {
	return m.newRankerMask(frag, chirality, nil)
}

// newRankerMask builds ranker atoms; with a non-nil mask only masked atoms
// contribute chirality.
func (m *Mol) newRankerMask(frag []int, chirality bool, mask []bool) *canonRanker {
	local := make([]int32, len(m.Atoms))
	nb := 0
	for k, a := range frag {
		local[a] = int32(k)
		nb += len(m.Atoms[a].bonds)
	}
	nbrStore := make([]int, 0, nb)
	bondStore := make([]bondHolder, 0, nb)
	r := &canonRanker{atoms: make([]canonAtom, len(frag)), inRing: make([]bool, len(frag)), nRings: make([]int, len(frag))}
	for k, ai := range frag {
		a := &m.Atoms[ai]
		ca := &r.atoms[k]
		r.inRing[k] = m.atomRingCount[ai] > 0
		r.nRings[k] = int(m.atomRingCount[ai])
		ca.degree = len(a.bonds)
		ca.totalHs = a.TotalHs()
		ca.z = int(a.Z)
		ca.isotope = int(a.Isotope)
		ca.charge = int(a.Charge)
		ca.mapNum = int(a.MapNum)
		if chirality || (mask != nil && mask[ai]) {
			ca.chiral = m.rdkitChiralTag(ai)
		}
		ca.nbrIds = nbrStore[len(nbrStore) : len(nbrStore) : len(nbrStore)+len(a.bonds)]
		ca.bonds = bondStore[len(bondStore) : len(bondStore) : len(bondStore)+len(a.bonds)]
		nbrStore = nbrStore[:len(nbrStore)+len(a.bonds)]
		bondStore = bondStore[:len(bondStore)+len(a.bonds)]
		for _, b := range a.bonds {
			bd := &m.Bonds[b]
			o := int(local[int(bd.Other(int32(ai)))])
			ca.nbrIds = append(ca.nbrIds, o)
			bt := int(bd.Type)
			if bd.Aromatic {
				bt = int(BondAromatic)
			}
			st := 0
			switch bd.Stereo {
			case stereoCis:
				st = 2 // STEREOZ
			case stereoTrans:
				st = 3 // STEREOE
			}
			ca.bonds = append(ca.bonds, bondHolder{bondType: bt, bondStereo: st, nbrIdx: o})
		}
	}
	if chirality && len(m.ringStereo) > 0 {
		for _, g := range m.ringStereo {
			for _, a := range g {
				k := int(local[a])
				if k < len(frag) && frag[k] == int(a) && r.atoms[k].chiral != 0 {
					r.atoms[k].ringSt = true
				}
			}
		}
		for k := range r.atoms {
			for _, n := range r.atoms[k].nbrIds {
				if r.atoms[n].ringSt {
					r.atoms[k].ringNbr = true
				}
			}
		}
	}
	for k := range r.atoms {
		r.updateNbrIndex(k)
	}
	return r
}

// canonicalRanks ranks all atoms, each fragment on its own as RDKit does.
func (m *Mol) canonicalRanks(frags [][]int) []int {
	ranks := make([]int, len(m.Atoms))
	for _, frag := range frags {
		r := m.newRanker(frag, true)
		rk := r.rank(true)
		for k, ai := range frag {
			ranks[ai] = rk[k]
		}
	}
	return ranks
}

const (
	maxNAtoms   = 5000
	maxBondType = 32
)

type stackKind uint8

const (
	stAtom stackKind = iota
	stBond
	stRing
	stOpen
	stClose
)

type stackElem struct {
	kind stackKind
	idx  int // atom or bond index, or ring number
	left int // atom to the left of a bond
}

type smilesWriter struct {
	m            *Mol
	ranks        []int
	colors       []uint8
	ringClosures [][]int32 // per atom: bonds closing rings, in order
	closureIdx   []int32   // per bond: ring-closure number (0 = not a closure)
	cyclesAvail  []bool
	stack        []stackElem
	travOrder    [][]int32 // per atom: neighbour atoms in output order (incl. in-bond atom)
	outDir       []uint8
	flip         []bool
	seen         []int32 // buildStack: atoms seen from the current atom (by stamp)
	stamp        int32
}

func (w *smilesWriter) bondRankAdj(b int32) int {
	return maxBondType - int(w.m.Bonds[b].Type)
}

type possible struct {
	rank int
	atom int32
	bond int32
}

func (w *smilesWriter) findCycles(atom int32, inBond int32, colors []uint8) {
	colors[atom] = 1
	var poss []possible
	for _, b := range w.m.Atoms[atom].bonds {
		if b == inBond {
			continue
		}
		o := w.m.Bonds[b].Other(atom)
		rank := w.ranks[o]
		if colors[o] == 1 {
			rank -= (maxBondType + 1) * maxNAtoms * maxNAtoms
			rank += w.bondRankAdj(b) * maxNAtoms
		} else if w.m.bondRingCount[b] > 0 {
			rank += w.bondRankAdj(b) * maxNAtoms * maxNAtoms
		}
		poss = append(poss, possible{rank, o, b})
	}
	sort.Slice(poss, func(i, j int) bool { return poss[i].rank < poss[j].rank })
	for _, p := range poss {
		switch colors[p.atom] {
		case 0:
			w.findCycles(p.atom, p.bond, colors)
		case 1:
			w.ringClosures[p.atom] = append(w.ringClosures[p.atom], p.bond)
			w.ringClosures[atom] = append(w.ringClosures[atom], p.bond)
		}
	}
	colors[atom] = 2
}

func (w *smilesWriter) buildStack(atom int32, inBond int32) {
	m := w.m
	w.stamp++
	w.seen[atom] = w.stamp
	w.stack = append(w.stack, stackElem{kind: stAtom, idx: int(atom)})
	w.colors[atom] = 1
	var trav []int32
	if inBond >= 0 {
		trav = append(trav, m.Bonds[inBond].Other(atom))
	}
	if a := &m.Atoms[atom]; a.Chiral != ChiralNone && a.TotalHs() == 1 {
		trav = append(trav, hNeighbor)
	}
	var closed []int
	for _, b := range w.ringClosures[atom] {
		o := m.Bonds[b].Other(atom)
		trav = append(trav, o)
		w.seen[o] = w.stamp
		if ri := int(w.closureIdx[b]); ri > 0 {
			w.stack = append(w.stack, stackElem{kind: stBond, idx: int(b), left: int(atom)})
			w.stack = append(w.stack, stackElem{kind: stRing, idx: ri})
			closed = append(closed, ri-1)
		} else {
			lowest := -1
			for k, av := range w.cyclesAvail {
				if av {
					lowest = k
					break
				}
			}
			if lowest < 0 {
				w.cyclesAvail = append(w.cyclesAvail, true)
				lowest = len(w.cyclesAvail) - 1
			}
			w.cyclesAvail[lowest] = false
			w.closureIdx[b] = int32(lowest + 1)
			w.stack = append(w.stack, stackElem{kind: stRing, idx: lowest + 1})
		}
	}
	for _, k := range closed {
		w.cyclesAvail[k] = true
	}
	var poss []possible
	for _, b := range m.Atoms[atom].bonds {
		if b == inBond {
			continue
		}
		o := m.Bonds[b].Other(atom)
		if w.colors[o] != 0 || w.seen[o] == w.stamp {
			continue
		}
		rank := w.ranks[o]
		if m.bondRingCount[b] > 0 {
			rank += w.bondRankAdj(b) * maxNAtoms * maxNAtoms
		}
		poss = append(poss, possible{rank, o, b})
	}
	sort.Slice(poss, func(i, j int) bool { return poss[i].rank < poss[j].rank })
	for k, p := range poss {
		if w.colors[p.atom] != 0 {
			continue
		}
		trav = append(trav, p.atom)
		if k+1 != len(poss) {
			w.stack = append(w.stack, stackElem{kind: stOpen})
		}
		w.stack = append(w.stack, stackElem{kind: stBond, idx: int(p.bond), left: int(atom)})
		w.buildStack(p.atom, p.bond)
		if k+1 != len(poss) {
			w.stack = append(w.stack, stackElem{kind: stClose})
		}
	}
	w.travOrder[atom] = trav
	w.colors[atom] = 2
}

var organicSubset = map[uint8]bool{0: true, 5: true, 6: true, 7: true, 8: true, 9: true, 15: true, 16: true, 17: true, 35: true, 53: true}

// outputCW reports whether atom i is written '@@' given the output
// neighbour order (before ring-stereo normalization).
func (w *smilesWriter) outputCW(i int) (bool, bool) {
	a := &w.m.Atoms[i]
	if a.Chiral == ChiralNone {
		return false, false
	}
	odd, ok := relativeParity(a.stereoNbrs, w.travOrder[i])
	if !ok {
		return false, false
	}
	cw := a.Chiral == ChiralCW
	if odd {
		cw = !cw
	}
	return cw, true
}

// normalizeRingStereo writes the first-visited atom of each ring-stereo
// group as '@' and flips the rest with it, as RDKit does (relative
// configuration only).
func (w *smilesWriter) normalizeRingStereo() {
	w.flip = make([]bool, len(w.m.Atoms))
	if len(w.m.ringStereo) == 0 {
		return
	}
	pos := make([]int, len(w.m.Atoms))
	for i := range pos {
		pos[i] = -1
	}
	for k, e := range w.stack {
		if e.kind == stAtom {
			pos[e.idx] = k
		}
	}
	for _, g := range w.m.ringStereo {
		first := int32(-1)
		for _, a := range g {
			if pos[a] >= 0 && (first < 0 || pos[a] < pos[first]) {
				first = a
			}
		}
		if first < 0 {
			continue
		}
		if cw, ok := w.outputCW(int(first)); ok && cw {
			for _, a := range g {
				w.flip[a] = true
			}
		}
	}
}

func (w *smilesWriter) atomSMILES(i int) string {
	m := w.m
	a := &m.Atoms[i]
	sym := a.Symbol()
	chir := ""
	if cw, ok := w.outputCW(i); ok {
		if w.flip[i] {
			cw = !cw
		}
		if cw {
			chir = "@@"
		} else {
			chir = "@"
		}
	}
	fc := int(a.Charge)
	needs := false
	if organicSubset[a.Z] {
		nonStd := false
		switch {
		case a.Radicals > 0:
			nonStd = true
		case (a.Z == 7 || a.Z == 15) && a.Aromatic && a.ExplicitHs > 0:
			nonStd = true
		default:
			nonStd = m.totalValence(i) != int(elementTable[a.Z].valences[0]) && a.TotalHs() > 0
		}
		if fc != 0 || nonStd || a.MapNum != 0 {
			needs = true
		} else if a.Isotope != 0 || chir != "" {
			needs = true
		}
	} else {
		needs = true
	}
	var sb strings.Builder
	if needs {
		sb.WriteByte('[')
	}
	if a.Isotope != 0 {
		sb.WriteString(strconv.Itoa(int(a.Isotope)))
	}
	if a.Aromatic && sym[0] >= 'A' && sym[0] <= 'Z' {
		sb.WriteByte(sym[0] + ('a' - 'A'))
		sb.WriteString(sym[1:])
	} else {
		sb.WriteString(sym)
	}
	sb.WriteString(chir)
	if needs {
		if h := a.TotalHs(); h > 0 {
			sb.WriteByte('H')
			if h > 1 {
				sb.WriteString(strconv.Itoa(h))
			}
		}
		if fc > 0 {
			sb.WriteByte('+')
			if fc > 1 {
				sb.WriteString(strconv.Itoa(fc))
			}
		} else if fc < 0 {
			if fc < -1 {
				sb.WriteString(strconv.Itoa(fc))
			} else {
				sb.WriteByte('-')
			}
		}
		if a.MapNum != 0 {
			sb.WriteByte(':')
			sb.WriteString(strconv.Itoa(int(a.MapNum)))
		}
		sb.WriteByte(']')
	}
	return sb.String()
}

func (w *smilesWriter) bondSMILES(bi int, left int) string {
	m := w.m
	b := &m.Bonds[bi]
	a1 := &m.Atoms[left]
	a2 := &m.Atoms[b.Other(int32(left))]
	arom := false
	if b.Type == BondSingle || b.Type == BondDouble || b.Type == BondAromatic {
		arom = a1.Aromatic && a2.Aromatic && (a1.Z != 0 || a2.Z != 0)
	}
	dir := w.outDir[bi]
	switch b.Type {
	case BondSingle:
		if dir == dirDown {
			return "\\"
		}
		if dir == dirUp {
			return "/"
		}
		if arom && !b.Aromatic {
			return "-"
		}
		return ""
	case BondDouble:
		if !arom || !b.Aromatic {
			return "="
		}
		return ""
	case BondTriple:
		return "#"
	case BondQuadruple:
		return "$"
	case BondAromatic:
		if dir == dirDown {
			return "\\"
		}
		if dir == dirUp {
			return "/"
		}
		if !arom {
			return ":"
		}
		return ""
	case BondDative:
		if int(b.Begin) == left {
			return "->"
		}
		return "<-"
	}
	return "~"
}

// CanonicalSMILES returns the canonical isomeric SMILES as RDKit 2022.09's
// MolToSmiles writes it.
func (m *Mol) CanonicalSMILES() string {
	if len(m.Atoms) == 0 {
		return ""
	}
	fragList := m.fragments()
	ranks := m.canonicalRanks(fragList)
	var frags []string
	for _, frag := range fragList {
		start := frag[0]
		for _, a := range frag {
			if ranks[a] < ranks[start] {
				start = a
			}
		}
		frags = append(frags, m.writeFragment(int32(start), ranks))
	}
	sort.Strings(frags)
	return strings.Join(frags, ".")
}

func (m *Mol) writeFragment(start int32, ranks []int) string {
	n := len(m.Atoms)
	w := &smilesWriter{
		m: m, ranks: ranks, colors: make([]uint8, n),
		ringClosures: make([][]int32, n), closureIdx: make([]int32, len(m.Bonds)), seen: make([]int32, n),
		cyclesAvail: make([]bool, 1000), travOrder: make([][]int32, n),
	}
	for k := range w.cyclesAvail {
		w.cyclesAvail[k] = true
	}
	w.findCycles(start, -1, make([]uint8, n))
	w.buildStack(start, -1)
	w.assignBondDirs()
	w.normalizeRingStereo()
	var sb strings.Builder
	ringMap := map[int]int{}
	var toErase []int
	for _, e := range w.stack {
		switch e.kind {
		case stAtom:
			for _, r := range toErase {
				delete(ringMap, r)
			}
			toErase = toErase[:0]
			sb.WriteString(w.atomSMILES(e.idx))
		case stBond:
			sb.WriteString(w.bondSMILES(e.idx, e.left))
		case stRing:
			var val int
			if v, ok := ringMap[e.idx]; ok {
				val = v
				toErase = append(toErase, e.idx)
			} else {
				val = 1
				for {
					used := false
					for _, v := range ringMap {
						if v == val {
							used = true
							break
						}
					}
					if !used {
						break
					}
					val++
				}
				ringMap[e.idx] = val
			}
			switch {
			case val < 10:
				sb.WriteByte(byte('0' + val))
			case val < 100:
				sb.WriteByte('%')
				sb.WriteString(strconv.Itoa(val))
			default:
				sb.WriteString("%(" + strconv.Itoa(val) + ")")
			}
		case stOpen:
			sb.WriteByte('(')
		case stClose:
			sb.WriteByte(')')
		}
	}
	return sb.String()
}
