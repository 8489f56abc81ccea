package molecules

import "slices"

// Stereo perception after sanitization, following RDKit's legacy
// assignStereochemistry(cleanIt=true): tetrahedral marks survive on legal
// centres whose neighbours have distinct CIP ranks (or on ring cis/trans
// pairs), double bonds with '/' '\' marks on both ends get E/Z relative to
// their highest-ranked neighbours, and ranks are refined with those labels
// until nothing changes.

// Bond stereo values (relative to stereoA/stereoB).
const (
	stereoNone  uint8 = 0
	stereoCis   uint8 = 1
	stereoTrans uint8 = 2
)

func (m *Mol) assignStereo() {
	needs := false
	for i := range m.Atoms {
		if m.Atoms[i].Chiral != ChiralNone {
			needs = true
			break
		}
	}
	if !needs {
		for i := range m.Bonds {
			if m.Bonds[i].dir != dirNone {
				needs = true
				break
			}
		}
	}
	if !needs {
		return
	}
	n := len(m.Atoms)
	legal := m.sc.boolsN(n)
	dupes := m.sc.boolsN(n)
	codes := make([]byte, n)
	for bi := range m.Bonds {
		m.Bonds[bi].Stereo = stereoNone
	}
	cls := m.cipRanks()
	factor := 100
	for factor < n {
		factor *= 10
	}
	// like RDKit's legacy perception: label centres whose neighbours have
	// distinct CIP ranks and double bonds with marks, rerank with those
	// labels, until nothing changes
	for iter := 0; iter < 20; iter++ {
		changed := false
		for i := range m.Atoms {
			a := &m.Atoms[i]
			if a.Chiral == ChiralNone {
				continue
			}
			legal[i] = m.legalStereoCenter(i)
			dupes[i] = false
			for x, b := range a.bonds {
				c := cls[m.Bonds[b].Other(int32(i))]
				for _, b2 := range a.bonds[:x] {
					if cls[m.Bonds[b2].Other(int32(i))] == c {
						dupes[i] = true
					}
				}
			}
			if legal[i] && !dupes[i] {
				if c := m.cipCode(i, cls); c != codes[i] {
					codes[i] = c
					changed = true
				}
			}
		}
		for bi := range m.Bonds {
			if st, a, b := m.bondStereoEZ(int32(bi), cls); st != m.Bonds[bi].Stereo || a != m.Bonds[bi].stereoA || b != m.Bonds[bi].stereoB {
				if st != m.Bonds[bi].Stereo {
					changed = true
				}
				m.Bonds[bi].Stereo, m.Bonds[bi].stereoA, m.Bonds[bi].stereoB = st, a, b
			}
		}
		if !changed {
			break
		}
		inv := m.sc.intsN(n)
		for i := 0; i < n; i++ {
			inv[i] = cls[i] * factor
			switch codes[i] {
			case 'S':
				inv[i] += 10
			case 'R':
				inv[i] += 20
			}
			for _, b := range m.Atoms[i].bonds {
				switch m.Bonds[b].Stereo {
				case stereoTrans:
					inv[i]++
				case stereoCis:
					inv[i] += 2
				}
			}
		}
		cls = m.iterateCIPRanks(inv, true)
	}
	// ring stereochemistry (cis/trans on rings): candidates with duplicate
	// neighbour classes survive when another candidate shares their ring system
	ringCand := m.sc.boolsN(len(m.Atoms))
	for i := range m.Atoms {
		if m.Atoms[i].Chiral != ChiralNone && legal[i] && dupes[i] {
			ringCand[i] = m.ringStereoCandidate(i, cls)
		}
	}
	m.ringStereo = nil
	seenA := m.sc.boolsN(len(m.Atoms))
	var visited []bool
	for i := range m.Atoms {
		if !ringCand[i] || seenA[i] {
			continue
		}
		// BFS over ring bonds from i
		group := []int32{int32(i)}
		seenA[i] = true
		queue := []int32{int32(i)}
		if visited == nil {
			visited = m.sc.boolsN(len(m.Atoms))
		} else {
			clear(visited)
		}
		visited[i] = true
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			for _, b := range m.Atoms[x].bonds {
				if m.bondRingCount[b] == 0 {
					continue
				}
				o := m.Bonds[b].Other(x)
				if visited[o] {
					continue
				}
				visited[o] = true
				queue = append(queue, o)
				if ringCand[o] && !seenA[o] {
					seenA[o] = true
					group = append(group, o)
				}
			}
		}
		if len(group) > 1 {
			m.ringStereo = append(m.ringStereo, group)
		} else {
			ringCand[i] = false
		}
	}
	inGroup := m.sc.boolsN(len(m.Atoms))
	for _, g := range m.ringStereo {
		for _, a := range g {
			inGroup[a] = true
		}
	}
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Chiral == ChiralNone {
			continue
		}
		if !legal[i] || (dupes[i] && !inGroup[i]) {
			a.Chiral = ChiralNone
			a.stereoNbrs = nil
			// RDKit Issue 194: an H written only for the stereo mark goes
			if a.ExplicitHs == 1 && a.Charge == 0 && !a.Aromatic {
				a.ExplicitHs = 0
				a.NoImplicit = false
				m.calcExplicitValence(i, false, 1)
				m.calcImplicitValence(i, false)
			}
		}
	}
}

// stereoChangesHs reports whether assignStereo's clean-up could change the
// hydrogen count of an atom: it removes the H written with a mark it drops
// (RDKit Issue 194), which normally leaves an equal implicit H count, but
// not on atoms with unusual valences.
func (m *Mol) stereoChangesHs() bool {
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Chiral == ChiralNone || a.ExplicitHs != 1 || a.Charge != 0 || a.Aromatic {
			continue
		}
		save := *a
		a.ExplicitHs = 0
		a.NoImplicit = false
		m.calcExplicitValence(i, false, 1)
		m.calcImplicitValence(i, false)
		changed := a.TotalHs() != save.TotalHs()
		*a = save
		if changed {
			return true
		}
	}
	return false
}

// dropStereo removes every stereo mark (ParserConfig.SkipStereo).
func (m *Mol) dropStereo() {
	for i := range m.Atoms {
		m.Atoms[i].Chiral = ChiralNone
		m.Atoms[i].stereoNbrs = nil
	}
	for i := range m.Bonds {
		b := &m.Bonds[i]
		b.dir, b.Stereo, b.stereoA, b.stereoB = dirNone, stereoNone, -1, -1
	}
	m.ringStereo = nil
}

func (m *Mol) smallestBondRing(b int32) int {
	best := 1 << 30
	for ri, rb := range m.ringBonds {
		if len(rb) < best && containsI32(rb, b) {
			best = len(m.rings[ri])
		}
	}
	return best
}

// bondStereoEZ decides cis/trans for a marked double bond relative to the
// highest-ranked neighbour on each end (so trans is E and cis is Z).
func (m *Mol) bondStereoEZ(bi int32, cls []int) (uint8, int32, int32) {
	b := &m.Bonds[bi]
	if b.Type != BondDouble || b.Aromatic {
		return stereoNone, -1, -1
	}
	if m.bondRingCount[bi] > 0 && m.smallestBondRing(bi) < 8 {
		return stereoNone, -1, -1
	}
	na, ua, okA := m.stereoEnd(b.Begin, bi, cls)
	nb, ub, okB := m.stereoEnd(b.End, bi, cls)
	if !okA || !okB {
		return stereoNone, -1, -1
	}
	if ua == ub {
		return stereoCis, na, nb
	}
	return stereoTrans, na, nb
}

// stereoEnd finds the marked neighbour of double-bond atom a and whether it
// sits "up" (true) relative to a.
func (m *Mol) stereoEnd(a int32, dbl int32, cls []int) (int32, bool, bool) {
	at := &m.Atoms[a]
	if len(at.bonds) != 2 && len(at.bonds) != 3 {
		return -1, false, false
	}
	var others []int32
	nbr, up, found := int32(-1), false, false
	for _, b := range at.bonds {
		if b == dbl {
			continue
		}
		bd := &m.Bonds[b]
		o := bd.Other(a)
		others = append(others, o)
		if found || bd.dir == dirNone || (bd.Type != BondSingle && bd.Type != BondAromatic) {
			continue
		}
		// dirUp: the End atom lies above the Begin atom
		u := bd.dir == dirUp
		if bd.End != o {
			u = !u
		}
		nbr, up, found = o, u, true
	}
	if !found {
		return -1, false, false
	}
	if len(others) == 2 {
		if cls[others[0]] == cls[others[1]] {
			return -1, false, false
		}
		hi := others[0]
		if cls[others[1]] > cls[hi] {
			hi = others[1]
		}
		if hi != nbr {
			return hi, !up, true
		}
	}
	return nbr, up, true
}

// legalStereoCenter mirrors the neighbour-count rules of RDKit's
// isAtomPotentialChiralCenter.
func (m *Mol) legalStereoCenter(i int) bool {
	a := &m.Atoms[i]
	deg := len(a.bonds)
	h := a.TotalHs()
	t := deg + h
	if t > 4 || t < 3 {
		return false
	}
	if deg < 3 && a.Z != 15 && a.Z != 33 {
		return false
	}
	if deg == 3 && h != 1 {
		switch a.Z {
		case 7:
			return m.inRingOfSize(i, 3) || m.isBridgehead(i)
		case 15, 33:
			return true
		case 16, 34:
			return a.expVal == 4 || (a.expVal == 3 && a.Charge == 1)
		}
		return false
	}
	return true
}

func (m *Mol) inRingOfSize(i, n int) bool {
	for _, r := range m.rings {
		if len(r) == n && containsI32(r, int32(i)) {
			return true
		}
	}
	return false
}

// isBridgehead: the atom lies in two rings that share at least two bonds.
func (m *Mol) isBridgehead(i int) bool {
	var mine []int
	for ri, r := range m.rings {
		if containsI32(r, int32(i)) {
			mine = append(mine, ri)
		}
	}
	for x := 0; x < len(mine); x++ {
		for y := x + 1; y < len(mine); y++ {
			shared := 0
			for _, b := range m.ringBonds[mine[x]] {
				if containsI32(m.ringBonds[mine[y]], b) {
					shared++
				}
			}
			if shared >= 2 {
				return true
			}
		}
	}
	return false
}

// ringStereoCandidate is atomIsCandidateForRingStereochem.
func (m *Mol) ringStereoCandidate(i int, cls []int) bool {
	if m.atomRingCount[i] == 0 {
		return false
	}
	a := &m.Atoms[i]
	if a.Z == 7 && len(a.bonds) == 3 && !m.inRingOfSize(i, 3) && !m.isBridgehead(i) {
		return false
	}
	var nrBuf [4]int32
	nonRing := nrBuf[:0]
	var rrBuf [4]int
	ringRanks := rrBuf[:0] // distinct ranks of ring neighbours
	nRing := 0
	for _, b := range a.bonds {
		o := m.Bonds[b].Other(int32(i))
		if m.bondRingCount[b] == 0 {
			nonRing = append(nonRing, o)
		} else {
			nRing++
			if !slices.Contains(ringRanks, cls[o]) {
				ringRanks = append(ringRanks, cls[o])
			}
		}
	}
	switch len(nonRing) {
	case 2:
		return cls[nonRing[0]] != cls[nonRing[1]]
	case 1:
		return nRing >= 2
	case 0:
		return (nRing == 4 && len(ringRanks) == 3) || (nRing == 3 && len(ringRanks) == 2)
	}
	return false
}
