package molecules

// BondType is RDKit's Bond::BondType enum value; the numeric values matter
// because Morgan fingerprints hash them.
type BondType uint8

// Bond types used by the SMILES reader; values equal RDKit's enum.
const (
	BondUnspecified BondType = 0
	BondSingle      BondType = 1
	BondDouble      BondType = 2
	BondTriple      BondType = 3
	BondQuadruple   BondType = 4
	BondAromatic    BondType = 12
	BondDative      BondType = 17
)

// Chirality is the tetrahedral parity written in SMILES.
type Chirality uint8

// Tetrahedral parities: CCW is '@', CW is '@@' (relative to the SMILES
// neighbour order recorded in Atom.stereoNbrs).
const (
	ChiralNone Chirality = iota
	ChiralCCW
	ChiralCW
)

// Bond direction marks from '/' and '\' in SMILES.
const (
	dirNone uint8 = iota
	dirUp         // '/'
	dirDown       // '\'
)

// hNeighbor stands for the implicit hydrogen of a bracket atom in a stereo
// neighbour list.
const hNeighbor = -1

// Atom is one atom of a molecule, with its sanitized properties.
type Atom struct {
	Z          uint8     // atomic number (0 for '*')
	Aromatic   bool      // aromatic after sanitization
	NoImplicit bool      // bracket atom: no implicit hydrogens are added
	Charge     int8      // formal charge
	Isotope    uint16    // mass number, 0 when unspecified
	ExplicitHs uint8     // hydrogens written in brackets or kept from removed [H]
	ImplicitHs uint8     // hydrogens implied by valence
	Radicals   uint8     // unpaired electrons
	MapNum     int32     // atom class (:n)
	Chiral     Chirality // tetrahedral parity as written, relative to stereoNbrs

	stereoNbrs []int32 // neighbour atoms in SMILES order (hNeighbor for the H)
	bonds      []int32 // bond indices in insertion order
	expVal     int     // explicit valence (RDKit getExplicitValence)
	pos        int32   // 0-based offset of the atom in the SMILES it was parsed from
}

// TotalHs is the number of hydrogens on the atom (explicit and implicit,
// not counting H atoms in the graph).
func (a *Atom) TotalHs() int { return int(a.ExplicitHs) + int(a.ImplicitHs) }

// Symbol is the element symbol ("*" for a dummy atom).
func (a *Atom) Symbol() string { return elementTable[a.Z].symbol }

// Degree is the number of explicit neighbours in the graph.
func (a *Atom) Degree() int { return len(a.bonds) }

// Bond joins two atoms.
type Bond struct {
	Begin, End int32
	Type       BondType
	Aromatic   bool
	dir        uint8 // '/' or '\' as written, relative to Begin→End
	Stereo     uint8 // 0 none, 1 cis (Z), 2 trans (E) relative to stereoAtoms
	stereoA    int32 // reference neighbour on Begin side
	stereoB    int32 // reference neighbour on End side
}

// Other returns the atom at the far end of the bond from a.
func (b *Bond) Other(a int32) int32 {
	if b.Begin == a {
		return b.End
	}
	return b.Begin
}

// order returns the bond's valence contribution (RDKit getBondTypeAsDouble).
func (b *Bond) order() float64 {
	switch b.Type {
	case BondSingle:
		return 1
	case BondDouble:
		return 2
	case BondTriple:
		return 3
	case BondQuadruple:
		return 4
	case BondAromatic:
		return 1.5
	case BondDative:
		return 1
	}
	return 0
}

// Mol is a sanitized molecule: atoms, bonds and perceived rings.
type Mol struct {
	Atoms []Atom
	Bonds []Bond

	rings         [][]int32 // symmetrized SSSR, atom indices in ring order
	ringBonds     [][]int32 // bond indices of each ring
	atomRingCount []uint8
	bondRingCount []uint8
	ringStereo    [][]int32 // groups of ring-stereo atoms (relative cis/trans)
	conjugated    []bool    // per bond, computed on demand (setConjugation)
	sc            *scratch  // temporaries lent during sanitize, nil otherwise

	// Arrays kept for Parser.ParseInto to reuse: the adjacency arena, ring
	// counts and ring storage of the molecule parsed before.
	adjBuf    []int32
	countBuf  []uint8
	ringStore []int32
	ringHdr   [][]int32
}

// NumAtoms is the number of atoms in the graph (hydrogens are implicit after Parse).
func (m *Mol) NumAtoms() int { return len(m.Atoms) }

// HeavyAtoms counts atoms with atomic number > 1.
func (m *Mol) HeavyAtoms() int {
	n := 0
	for i := range m.Atoms {
		if m.Atoms[i].Z > 1 {
			n++
		}
	}
	return n
}

// AtomBonds returns the bond indices of atom i in insertion order.
func (m *Mol) AtomBonds(i int) []int32 { return m.Atoms[i].bonds }

// Neighbors returns the atoms bonded to atom i.
func (m *Mol) Neighbors(i int) []int {
	out := make([]int, 0, len(m.Atoms[i].bonds))
	for _, b := range m.Atoms[i].bonds {
		out = append(out, int(m.Bonds[b].Other(int32(i))))
	}
	return out
}

// bondBetween returns the bond joining a and b, or -1.
func (m *Mol) bondBetween(a, b int32) int32 {
	for _, bi := range m.Atoms[a].bonds {
		if m.Bonds[bi].Other(a) == b {
			return bi
		}
	}
	return -1
}

func (m *Mol) addAtom(a Atom) int32 {
	m.Atoms = append(m.Atoms, a)
	return int32(len(m.Atoms) - 1)
}

func (m *Mol) addBond(b Bond) int32 {
	idx := int32(len(m.Bonds))
	m.Bonds = append(m.Bonds, b)
	m.Atoms[b.Begin].bonds = append(m.Atoms[b.Begin].bonds, idx)
	m.Atoms[b.End].bonds = append(m.Atoms[b.End].bonds, idx)
	return idx
}

// AtomInRing reports whether atom i lies in any ring.
func (m *Mol) AtomInRing(i int) bool { return m.atomRingCount[i] > 0 }

// BondInRing reports whether bond i lies in any ring.
func (m *Mol) BondInRing(i int) bool { return m.bondRingCount[i] > 0 }

// Rings returns the perceived ring set (RDKit's symmetrized SSSR), each as
// atom indices in ring order. The slices must not be modified.
func (m *Mol) Rings() [][]int32 { return m.rings }

// totalDegree is RDKit getTotalDegree: neighbours plus hydrogens.
func (m *Mol) totalDegree(i int) int {
	return len(m.Atoms[i].bonds) + m.Atoms[i].TotalHs()
}

// totalHsWithNbrs is getTotalNumHs(includeNeighbors=true).
func (m *Mol) totalHsWithNbrs(i int) int {
	n := m.Atoms[i].TotalHs()
	for _, b := range m.Atoms[i].bonds {
		if m.Atoms[m.Bonds[b].Other(int32(i))].Z == 1 {
			n++
		}
	}
	return n
}

// cloneLists copies lists into one new block.
func cloneLists(lists [][]int32) [][]int32 {
	if lists == nil {
		return nil
	}
	total := 0
	for _, l := range lists {
		total += len(l)
	}
	store := make([]int32, 0, total)
	out := make([][]int32, len(lists))
	for i, l := range lists {
		store = append(store, l...)
		out[i] = store[len(store)-len(l) : len(store) : len(store)]
	}
	return out
}

// Clone returns a deep copy.
func (m *Mol) Clone() *Mol {
	c := &Mol{Atoms: make([]Atom, len(m.Atoms)), Bonds: append([]Bond(nil), m.Bonds...)}
	copy(c.Atoms, m.Atoms)
	for i := range c.Atoms {
		c.Atoms[i].bonds = append([]int32(nil), m.Atoms[i].bonds...)
		c.Atoms[i].stereoNbrs = append([]int32(nil), m.Atoms[i].stereoNbrs...)
	}
	// The rings are copied too: ParseInto rewrites m's ring storage.
	c.rings = cloneLists(m.rings)
	c.ringBonds = cloneLists(m.ringBonds)
	c.atomRingCount = append([]uint8(nil), m.atomRingCount...)
	c.bondRingCount = append([]uint8(nil), m.bondRingCount...)
	return c
}
