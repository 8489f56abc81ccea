package molecules

// Stereo perception after sanitization, following RDKit's legacy
// assignStereochemistry(cleanIt=true) closely enough for SMILES round trips:
// tetrahedral marks survive only on atoms whose four substituents (implicit
// H included) fall in distinct symmetry classes, and a double bond gets
// cis/trans stereo when both ends carry '/' or '\' marks, are not in a ring
// smaller than eight, and (for three-connected ends) have two distinct
// substituents.

// Bond stereo values (relative to stereoA/stereoB).
const (
	stereoNone  uint8 = 0
	stereoCis   uint8 = 1
	stereoTrans uint8 = 2
)

// symmetryClasses ranks atoms without breaking ties; chirality counts only
// for the atoms in mask (established stereocentres, like CIP labels).
func (m *Mol) symmetryClasses(mask []bool) []int {
	classes := make([]int, len(m.Atoms))
	for _, frag := range m.fragments() {
		r := m.newRankerMask(frag, false, mask)
		rk := r.rank(false)
		for k, ai := range frag {
			classes[ai] = rk[k]
		}
	}
	return classes
}

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
	legal := make([]bool, len(m.Atoms))
	dupes := make([]bool, len(m.Atoms))
	centres := make([]bool, len(m.Atoms))
	var cls []int
	// like RDKit's legacy perception: rank, label the centres with distinct
	// neighbours, rerank with those labels, until nothing changes
	for iter := 0; iter < 10; iter++ {
		cls = m.symmetryClasses(centres)
		changed := false
		for i := range m.Atoms {
			a := &m.Atoms[i]
			if a.Chiral == ChiralNone {
				continue
			}
			legal[i] = m.legalStereoCenter(i)
			dupes[i] = false
			seen := map[int]bool{}
			for _, b := range a.bonds {
				c := cls[m.Bonds[b].Other(int32(i))]
				if seen[c] {
					dupes[i] = true
				}
				seen[c] = true
			}
			if legal[i] && !dupes[i] && !centres[i] {
				centres[i] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	// ring stereochemistry (cis/trans on rings): candidates with duplicate
	// neighbour classes survive when another candidate shares their ring system
	ringCand := make([]bool, len(m.Atoms))
	for i := range m.Atoms {
		if m.Atoms[i].Chiral != ChiralNone && legal[i] && dupes[i] {
			ringCand[i] = m.ringStereoCandidate(i, cls)
		}
	}
	m.ringStereo = nil
	seenA := make([]bool, len(m.Atoms))
	for i := range m.Atoms {
		if !ringCand[i] || seenA[i] {
			continue
		}
		// BFS over ring bonds from i
		group := []int32{int32(i)}
		seenA[i] = true
		queue := []int32{int32(i)}
		visited := map[int32]bool{int32(i): true}
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
	inGroup := make([]bool, len(m.Atoms))
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
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		b.Stereo = stereoNone
		if b.Type != BondDouble || b.Aromatic {
			continue
		}
		if m.bondRingCount[bi] > 0 && m.smallestBondRing(int32(bi)) < 8 {
			continue
		}
		na, pa, okA := m.stereoEnd(b.Begin, int32(bi), cls)
		nb, pb, okB := m.stereoEnd(b.End, int32(bi), cls)
		if !okA || !okB {
			continue
		}
		b.stereoA, b.stereoB = na, nb
		if pa == pb {
			b.Stereo = stereoCis
		} else {
			b.Stereo = stereoTrans
		}
	}
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
	if len(others) == 2 && cls[others[0]] == cls[others[1]] {
		return -1, false, false
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
	var nonRing []int32
	ringRanks := map[int]bool{}
	nRing := 0
	for _, b := range a.bonds {
		o := m.Bonds[b].Other(int32(i))
		if m.bondRingCount[b] == 0 {
			nonRing = append(nonRing, o)
		} else {
			nRing++
			ringRanks[cls[o]] = true
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
