package molecules

// Hybridization states as RDKit numbers them.
const (
	hybUnspecified = 0
	hybS           = 1
	hybSP          = 2
	hybSP2         = 3
	hybSP3         = 4
	hybSP3D        = 5
	hybSP3D2       = 6
)

// hybridization follows RDKit's setHybridization. The SP2 downgrade of
// four-orbital atoms with a conjugated bond is approximated by "has a
// neighbour in a multiple or aromatic bond" (only lone-pair atoms qualify).
func (m *Mol) hybridization(i int) int {
	a := &m.Atoms[i]
	if a.Z == 0 {
		return hybUnspecified
	}
	td := m.totalDegree(i)
	if a.Chiral != ChiralNone && td == 4 {
		return hybSP3
	}
	var norbs int
	if a.Z < 89 {
		norbs = m.bondsPlusLonePairs(i)
	} else {
		norbs = td
	}
	switch norbs {
	case 0, 1:
		return hybS
	case 2:
		return hybSP
	case 3:
		return hybSP2
	case 4:
		if td > 3 || !m.hasConjugatedBond(i) {
			return hybSP3
		}
		return hybSP2
	case 5:
		return hybSP3D
	case 6:
		return hybSP3D2
	}
	return hybUnspecified
}

func (m *Mol) bondsPlusLonePairs(i int) int {
	a := &m.Atoms[i]
	deg := m.totalDegree(i)
	if a.Z <= 1 {
		return deg
	}
	nouter := elementTable[a.Z].nOuter
	tv := m.totalValence(i)
	chg := int(a.Charge)
	free := nouter - (tv + chg)
	if tv+nouter-chg < 8 {
		nr := int(a.Radicals)
		return deg + (free-nr)/2 + nr
	}
	return deg + free/2
}

// hasConjugatedBond approximates RDKit's setConjugation for single bonds:
// a bond is conjugated when it is aromatic or multiple, or when it is a
// single bond from an atom with a lone pair or multiple bond to an atom in
// a multiple/aromatic bond.
func (m *Mol) hasConjugatedBond(i int) bool {
	for _, b := range m.Atoms[i].bonds {
		bd := &m.Bonds[b]
		if bd.Aromatic || bd.Type == BondDouble || bd.Type == BondTriple {
			return true
		}
		o := bd.Other(int32(i))
		for _, ob := range m.Atoms[o].bonds {
			if ob == b {
				continue
			}
			t := m.Bonds[ob].Type
			if m.Bonds[ob].Aromatic || t == BondDouble || t == BondTriple {
				return true
			}
		}
	}
	return false
}
