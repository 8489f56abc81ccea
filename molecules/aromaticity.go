package molecules

import "slices"

type donorType uint8

const (
	donorVacant donorType = iota
	donorOne
	donorTwo
	donorOneOrTwo
	donorAny
	donorNone
)

func moreElectroNegative(z1, z2 uint8) bool {
	n1, n2 := elementTable[z1].nOuter, elementTable[z2].nOuter
	if n1 > n2 {
		return true
	}
	return n1 == n2 && z1 < z2
}

func (m *Mol) incidentNonCyclicMultiple(i int) (int32, bool) {
	for _, b := range m.Atoms[i].bonds {
		if m.bondRingCount[b] == 0 && m.valenceContrib(b, int32(i)) >= 2 {
			return m.Bonds[b].Other(int32(i)), true
		}
	}
	return -1, false
}

func (m *Mol) incidentCyclicMultiple(i int) bool {
	for _, b := range m.Atoms[i].bonds {
		if m.bondRingCount[b] > 0 && m.valenceContrib(b, int32(i)) >= 2 {
			return true
		}
	}
	return false
}

func (m *Mol) incidentMultiple(i int) bool {
	a := &m.Atoms[i]
	deg := len(a.bonds) + int(a.ExplicitHs)
	for _, b := range a.bonds {
		if roundHalfAway(m.valenceContrib(b, int32(i))) == 0 {
			deg--
		}
	}
	return a.expVal != deg
}

// countAtomElec is MolOps::countAtomElec.
func (m *Mol) countAtomElec(i int) int {
	a := &m.Atoms[i]
	dv := defaultValence(a.Z)
	if dv <= 1 {
		return -1
	}
	degree := len(a.bonds) + a.TotalHs()
	for _, b := range a.bonds {
		if roundHalfAway(m.valenceContrib(b, int32(i))) == 0 {
			degree--
		}
	}
	if degree > 3 {
		return -1
	}
	nlp := elementTable[a.Z].nOuter - dv - int(a.Charge)
	if nlp < 0 {
		nlp = 0
	}
	res := (dv - degree) + nlp - int(a.Radicals)
	if res > 1 && a.expVal-len(a.bonds) > 1 {
		res = 1
	}
	return res
}

func (m *Mol) donorType(i int) donorType {
	a := &m.Atoms[i]
	if a.Z == 0 {
		if m.incidentCyclicMultiple(i) {
			return donorOne
		}
		return donorAny
	}
	nelec := m.countAtomElec(i)
	switch {
	case nelec < 0:
		return donorNone
	case nelec == 0:
		if _, ok := m.incidentNonCyclicMultiple(i); ok {
			return donorVacant
		}
		if m.incidentCyclicMultiple(i) {
			return donorOne
		}
		return donorNone
	case nelec == 1:
		if who, ok := m.incidentNonCyclicMultiple(i); ok {
			if moreElectroNegative(m.Atoms[who].Z, a.Z) {
				return donorVacant
			}
			return donorOne
		}
		if m.incidentMultiple(i) {
			return donorOne
		}
		if a.Charge == 1 {
			return donorVacant
		}
		return donorNone
	default:
		if who, ok := m.incidentNonCyclicMultiple(i); ok && moreElectroNegative(m.Atoms[who].Z, a.Z) {
			nelec--
		}
		if nelec%2 == 1 {
			return donorOne
		}
		return donorTwo
	}
}

func (m *Mol) isCandForArom(i int, d donorType) bool {
	a := &m.Atoms[i]
	if a.Z > 18 && a.Z != 34 && a.Z != 52 {
		return false
	}
	if d == donorNone {
		return false
	}
	dv := defaultValence(a.Z)
	if dv > 0 {
		ez := int(a.Z) - int(a.Charge)
		if ez < 0 || ez >= len(elementTable) {
			return false
		}
		if m.totalValence(i) > defaultValence(uint8(ez)) {
			return false
		}
	}
	if a.Radicals != 0 && (a.Z != 6 || a.Charge != 0) {
		return false
	}
	if a.expVal-len(a.bonds) > 1 {
		nMult := 0
		for _, b := range a.bonds {
			switch m.Bonds[b].Type {
			case BondDouble, BondTriple:
				nMult++
			}
		}
		if nMult > 1 {
			return false
		}
	}
	return true
}

func electronRange(d donorType) (int, int) {
	switch d {
	case donorAny, donorOneOrTwo:
		return 1, 2
	case donorOne:
		return 1, 1
	case donorTwo:
		return 2, 2
	}
	return 0, 0
}

func huckel(atoms []int32, edon []donorType) bool {
	lo, hi := 0, 0
	nAny := 0
	for _, a := range atoms {
		if edon[a] == donorAny {
			nAny++
			if nAny > 1 {
				return false
			}
		}
		l, h := electronRange(edon[a])
		lo += l
		hi += h
	}
	if hi >= 6 {
		for e := lo; e <= hi; e++ {
			if (e-2)%4 == 0 {
				return true
			}
		}
		return false
	}
	return hi == 2
}

// setAromaticity applies RDKit's default aromaticity model.
func (m *Mol) setAromaticity() {
	if len(m.rings) == 0 {
		return // nothing can be aromatic outside rings
	}
	n := len(m.Atoms)
	acand := m.sc.boolsN(n)
	aseen := m.sc.boolsN(n)
	edon := m.sc.donorsN(n)
	crings := m.sc.listsN(len(m.rings))
	cbrings := m.sc.listsN(len(m.rings))
	for ri, r := range m.rings {
		allArom, allDummy := true, true
		for _, a := range r {
			if m.Atoms[a].Z != 0 {
				allDummy = false
			}
			if aseen[a] {
				if !acand[a] {
					allArom = false
				}
				continue
			}
			aseen[a] = true
			edon[a] = m.donorType(int(a))
			acand[a] = m.isCandForArom(int(a), edon[a])
			if !acand[a] {
				allArom = false
			}
		}
		if allArom && !allDummy {
			crings = append(crings, r)
			cbrings = append(cbrings, m.ringBonds[ri])
		}
	}
	if len(crings) == 0 {
		return
	}
	nb := ringNeighbors(m.sc, cbrings, len(m.Bonds), 24, 1)
	fusDone := m.sc.boolsN(len(crings))
	fused := m.sc.intsN(0)
	for cur := 0; cur < len(crings); {
		fused = pickFused(cur, nb, fused[:0], fusDone)
		m.huckelFused(crings, cbrings, fused, edon, nb)
		next := -1
		for k := range fusDone {
			if !fusDone[k] {
				next = k
				break
			}
		}
		if next < 0 {
			break
		}
		cur = next
	}
}

// huckelFused is applyHuckelToFused: try ring combinations of growing size.
func (m *Mol) huckelFused(srings, brings [][]int32, fused []int, edon []donorType, nb [][]int) {
	nr := len(fused)
	inSystem := m.sc.boolsN(len(m.Bonds))
	nRingBonds := 0
	for _, r := range fused {
		for _, b := range brings[r] {
			if !inSystem[b] {
				inSystem[b] = true
				nRingBonds++
			}
		}
	}
	st := &aromState{done: m.sc.boolsN(len(m.Bonds)), cnt: m.sc.int32sN(len(m.Bonds))}
	maxFused := 6
	count := m.sc.intsN(len(m.Atoms))
	cur := m.sc.intsN(0)
	unon := m.sc.int32sN(0)
	// RDKit tries every fused combination of up to six rings; a budget keeps
	// pathological inputs (dozens of fused rings) from running for hours.
	budget := 200000
	for size := 1; size <= nr && size <= maxFused; size++ {
		if size == 3 && nr > 300 {
			break
		}
		if st.nDone >= nRingBonds {
			break
		}
		comb := m.sc.intsN(size)
		for k := range comb {
			comb[k] = k
		}
		for budget > 0 {
			budget--
			cur = cur[:0]
			for _, c := range comb {
				cur = append(cur, fused[c])
			}
			if size == 1 || checkFused(cur, nb) {
				for k := range count {
					count[k] = 0
				}
				for _, ri := range cur {
					for _, a := range srings[ri] {
						count[a]++
					}
				}
				unon = unon[:0]
				for a, c := range count {
					if c == 1 || c == 2 {
						unon = append(unon, int32(a))
					}
				}
				if huckel(unon, edon) {
					m.markArom(srings, brings, cur, st)
				}
			}
			if !nextComb(comb, nr) {
				break
			}
		}
	}
}

// aromState is huckelFused's record of the bonds made aromatic (done,
// nDone of them) and markArom's per-bond scratch counter (all zero between
// calls).
type aromState struct {
	done  []bool
	nDone int
	cnt   []int32
}

func nextComb(comb []int, n int) bool {
	k := len(comb)
	i := k - 1
	for i >= 0 && comb[i] == n-k+i {
		i--
	}
	if i < 0 {
		return false
	}
	comb[i]++
	for j := i + 1; j < k; j++ {
		comb[j] = comb[j-1] + 1
	}
	return true
}

// checkFused reports whether the rings in ids form one connected fused system.
func checkFused(ids []int, nb [][]int) bool {
	var seenBuf, stackBuf [8]int
	seen := append(seenBuf[:0], ids[0])
	stack := append(stackBuf[:0], ids[0])
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, o := range nb[r] {
			if slices.Contains(ids, o) && !slices.Contains(seen, o) {
				seen = append(seen, o)
				stack = append(stack, o)
			}
		}
	}
	return len(seen) == len(ids)
}

func (m *Mol) markArom(srings, brings [][]int32, ids []int, st *aromState) {
	for _, ri := range ids {
		for _, a := range srings[ri] {
			m.Atoms[a].Aromatic = true
		}
	}
	for _, ri := range ids {
		for _, b := range brings[ri] {
			st.cnt[b]++
		}
	}
	for _, ri := range ids {
		for _, b := range brings[ri] {
			c := st.cnt[b]
			st.cnt[b] = 0
			if c == 1 {
				bd := &m.Bonds[b]
				bd.Aromatic = true
				if bd.Type == BondSingle || bd.Type == BondDouble {
					bd.Type = BondAromatic
				}
				if !st.done[b] {
					st.done[b] = true
					st.nDone++
				}
			}
		}
	}
}

// cleanupChirality drops tetrahedral marks on atoms that cannot be
// stereocentres (fewer than three neighbours, or not sp3).
func (m *Mol) cleanupChirality() {
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Chiral == ChiralNone {
			continue
		}
		if m.totalDegree(i) < 3 || a.Aromatic || m.hybridization(i) != hybSP3 && m.hybridization(i) != hybSP3D && m.hybridization(i) != hybSP3D2 {
			a.Chiral = ChiralNone
			a.stereoNbrs = nil
		}
	}
}
