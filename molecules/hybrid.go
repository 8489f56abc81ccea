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

// hasConjugatedBond is RDKit's atomHasConjugatedBond after setConjugation.
func (m *Mol) hasConjugatedBond(i int) bool {
	if m.conjugated == nil {
		m.setConjugation()
	}
	for _, b := range m.Atoms[i].bonds {
		if m.conjugated[b] {
			return true
		}
	}
	return false
}

func (m *Mol) isAtomConjugCand(i int) bool {
	a := &m.Atoms[i]
	nouter := elementTable[a.Z].nOuter
	return (a.Z <= 10 || (nouter != 5 && nouter != 6) || (nouter == 6 && m.totalDegree(i) < 2)) &&
		m.countAtomElec(i) > 0
}

// setConjugation mirrors MolOps::setConjugation.
func (m *Mol) setConjugation() {
	m.conjugated = make([]bool, len(m.Bonds))
	for b := range m.Bonds {
		m.conjugated[b] = m.Bonds[b].Aromatic
	}
	for i := range m.Atoms {
		if !m.isAtomConjugCand(i) {
			continue
		}
		sbo := m.totalDegree(i)
		if sbo < 2 || sbo > 3 {
			continue
		}
		for _, b1 := range m.Atoms[i].bonds {
			if m.valenceContrib(b1, int32(i)) < 1.5 {
				continue
			}
			for _, b2 := range m.Atoms[i].bonds {
				if b1 == b2 {
					continue
				}
				o := int(m.Bonds[b2].Other(int32(i)))
				if m.totalDegree(o) > 3 {
					continue
				}
				if m.isAtomConjugCand(o) {
					m.conjugated[b1] = true
					m.conjugated[b2] = true
				}
			}
		}
	}
}
