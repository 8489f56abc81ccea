package molecules

// The edits below change a parsed molecule's charges, hydrogen counts and
// bond orders, for standardizers that rewrite functional groups the way
// RDKit's MolStandardize does (they mirror RDKit's Atom::setFormalCharge,
// setNumExplicitHs, setNoImplicit and Bond::setBondType followed by a
// non-strict updatePropertyCache). After an edit the molecule's perceived
// properties (rings, aromaticity, conjugation, stereo) are those of the
// molecule before it: write the edited molecule with CanonicalSMILES and
// Parse the result to check and use it. Edits never add or remove atoms;
// an index out of range is an error, never a panic.

func (m *Mol) checkAtom(i int) error {
	if i < 0 || i >= len(m.Atoms) {
		return errMol("atom %d out of range", i)
	}
	return nil
}

// SetCharge sets atom i's formal charge. Implicit hydrogens are computed
// again for the new charge unless the atom's count is fixed (NoImplicit).
func (m *Mol) SetCharge(i, charge int) error {
	if err := m.checkAtom(i); err != nil {
		return err
	}
	if charge < -15 || charge > 15 {
		return errMol("atom %d: charge %d out of range", i, charge)
	}
	m.Atoms[i].Charge = int8(charge)
	m.refreshValence(i)
	return nil
}

// SetExplicitHs sets atom i's explicit hydrogen count and whether it is
// fixed (noImplicit, as for a bracket atom). An atom whose total hydrogen
// count changes loses its tetrahedral mark, which was relative to it. No
// radical is assigned: a neutral organic atom left below its valence with
// no hydrogens is written without brackets, so it reads back with implicit
// hydrogens (RDKit assigns the radical only when it sanitizes again).
func (m *Mol) SetExplicitHs(i, hs int, noImplicit bool) error {
	if err := m.checkAtom(i); err != nil {
		return err
	}
	if hs < 0 || hs > 16 {
		return errMol("atom %d: hydrogen count %d out of range", i, hs)
	}
	a := &m.Atoms[i]
	before := a.TotalHs()
	a.ExplicitHs, a.NoImplicit = uint8(hs), noImplicit
	if noImplicit {
		a.ImplicitHs = 0
	}
	m.refreshValence(i)
	if a.TotalHs() != before {
		a.Chiral = ChiralNone
	}
	return nil
}

// SetBondType sets bond b's type to single, double or triple and updates
// the valence of its atoms. Bond stereo on b is dropped.
func (m *Mol) SetBondType(b int, t BondType) error {
	if b < 0 || b >= len(m.Bonds) {
		return errMol("bond %d out of range", b)
	}
	if t != BondSingle && t != BondDouble && t != BondTriple {
		return errMol("bond %d: type %d is not single, double or triple", b, t)
	}
	bd := &m.Bonds[b]
	bd.Type, bd.Aromatic, bd.Stereo, bd.dir = t, false, 0, dirNone
	m.refreshValence(int(bd.Begin))
	m.refreshValence(int(bd.End))
	return nil
}

// BondBetween returns the index of the bond joining atoms a and b, or -1.
func (m *Mol) BondBetween(a, b int) int {
	if m.checkAtom(a) != nil || m.checkAtom(b) != nil {
		return -1
	}
	return int(m.bondBetween(int32(a), int32(b)))
}

// TotalValence is atom i's explicit valence (bond orders and explicit
// hydrogens) plus its implicit hydrogens, as RDKit's getTotalValence.
func (m *Mol) TotalValence(i int) int { return m.totalValence(i) }

// AllowedValences returns the valences RDKit's periodic table lists for
// element z (-1 alone means any valence).
func AllowedValences(z uint8) []int {
	var out []int
	for _, v := range elementTable[z].valences {
		out = append(out, int(v))
		if v == -1 {
			break
		}
	}
	return out
}

// CanonicalRanks returns RDKit's canonical atom ranks (rankMolAtoms with
// ties broken and chirality included), each fragment ranked on its own.
func (m *Mol) CanonicalRanks() []int {
	if len(m.Atoms) == 0 {
		return nil
	}
	return m.canonicalRanks(m.fragments())
}

// refreshValence recomputes atom i's explicit valence and, unless its
// hydrogens are fixed, its implicit hydrogens after an edit. It is
// non-strict, as RDKit's updatePropertyCache(false): the new state is
// checked when its SMILES is parsed again.
func (m *Mol) refreshValence(i int) {
	_, _ = m.calcExplicitValence(i, false, 1)
	_, _ = m.calcImplicitValence(i, false)
}

// IsEarlyAtom is RDKit's isEarlyAtom: whether element z lies left of
// carbon in its period (Li, Be, B, Na, Mg, Al, …), whose charges RDKit
// balances by adding hydrogens rather than removing them.
func IsEarlyAtom(z uint8) bool { return int(z) < len(earlyAtom) && earlyAtom[z] }
