package molecules

import "slices"

// ParserConfig bounds the input a Parser accepts.
type ParserConfig struct {
	// MaxLength is the longest SMILES string accepted (bytes before any
	// whitespace-separated name). 0 means 100,000.
	MaxLength int
	// MaxAtoms caps the number of atoms, including written [H]. 0 means 2,000.
	MaxAtoms int
	// MaxRings caps the number of ring closures. 0 means 1,000.
	MaxRings int
	// SkipStereo skips stereo perception, the slowest part of sanitization
	// for molecules with '@' or '/' '\' marks (CIP ranks, R/S, E/Z and the
	// removal of marks on atoms that are not stereocentres). Use it when
	// nothing downstream reads stereo: non-chiral Morgan fingerprints and
	// environments, Crippen logP/MR and atom types, TPSA, molecular weight
	// and every other count-based descriptor come out exactly as with the
	// default parse, and so does every atom's TotalHs. The molecule then
	// carries no stereo at all: every tetrahedral and double-bond mark is
	// dropped, so CanonicalSMILES writes no '@', '/' or '\'. One detail
	// differs from RDKit: an H written on a bracket atom whose '@' RDKit
	// would drop (e.g. [C@H] with two identical substituents) stays counted
	// in Atom.ExplicitHs (with NoImplicit set) instead of becoming implicit;
	// TotalHs is the same, and molecules where RDKit's clean-up would change
	// an H count are perceived in full first.
	SkipStereo bool
}

// Parser reads SMILES into sanitized molecules. It is safe for concurrent use.
type Parser struct {
	cfg ParserConfig
}

// NewParser returns a Parser with the given limits (zero fields take defaults).
func NewParser(cfg ParserConfig) (*Parser, error) {
	if cfg.MaxLength < 0 || cfg.MaxAtoms < 0 || cfg.MaxRings < 0 {
		return nil, errMol("parser limits must not be negative")
	}
	if cfg.MaxLength == 0 {
		cfg.MaxLength = 100000
	}
	if cfg.MaxAtoms == 0 {
		cfg.MaxAtoms = 2000
	}
	if cfg.MaxRings == 0 {
		cfg.MaxRings = 1000
	}
	return &Parser{cfg: cfg}, nil
}

var defaultParser, _ = NewParser(ParserConfig{})

// Parse reads a SMILES string with default limits and sanitizes it the way
// RDKit's MolFromSmiles does (explicit [H] removed, aromaticity perceived).
// Text after the first whitespace (a name) is ignored.
func Parse(smiles string) (*Mol, error) { return defaultParser.Parse(smiles) }

// Parse reads and sanitizes one SMILES string.
func (p *Parser) Parse(smiles string) (*Mol, error) { return p.ParseInto(nil, smiles) }

// ParseInto is Parse writing into m's storage (m may be nil, and then a new
// molecule is made): the result is m itself, rewritten, so a loop over many
// SMILES allocates almost nothing once m has grown to the largest of them.
// Everything read from m before (its Atoms and Bonds, rings, neighbour
// lists) is overwritten: only reuse a molecule nothing else refers to. On
// error m holds no molecule, but can be passed to ParseInto again.
func (p *Parser) ParseInto(dst *Mol, smiles string) (*Mol, error) {
	m, err := p.parseRaw(dst, smiles)
	if err != nil {
		return nil, err
	}
	if err := m.sanitizeFromSmiles(p.cfg.SkipStereo); err != nil {
		return nil, err
	}
	return m, nil
}

type ringOpen struct {
	num      int // ring-closure number
	atom     int32
	btype    BondType
	dir      uint8
	pos      int
	nbrSlot  int // index into atom's stereoNbrs reserved for the partner
	explicit bool
}

// openRings are the ring closures waiting for their partner digit (a few at
// a time, so a list beats a map).
type openRings []ringOpen

// take removes and returns the open ring numbered num.
func (r *openRings) take(num int) (ringOpen, bool) {
	for k, ro := range *r {
		if ro.num == num {
			copy((*r)[k:], (*r)[k+1:])
			*r = (*r)[:len(*r)-1]
			return ro, true
		}
	}
	return ringOpen{}, false
}

type pendingBond struct {
	btype  BondType
	dir    uint8
	pos    int
	dative int8 // +1 "->", -1 "<-"
	set    bool
}

// parseRaw builds the unsanitized graph exactly as written.
func (p *Parser) parseRaw(dst *Mol, s string) (*Mol, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			s = s[:i]
			break
		}
	}
	if len(s) == 0 {
		return nil, errAt(0, "empty SMILES: expected an atom")
	}
	if len(s) > p.cfg.MaxLength {
		return nil, errAt(p.cfg.MaxLength, "SMILES longer than %d characters", p.cfg.MaxLength)
	}
	nAtoms, nDigits := sizeHint(s)
	nAtoms = min(nAtoms, p.cfg.MaxAtoms+1) // longer input fails at MaxAtoms
	nDigits = min(nDigits, 2*p.cfg.MaxRings+2)
	m := dst.reset(nAtoms, nAtoms+nDigits)
	// branch stack, open ring closures and closures start on the stack
	var (
		branchBuf  [16]int32
		ringBuf    [8]ringOpen
		closureBuf [8]closure
	)
	var (
		prev     int32 = -1
		branches       = branchBuf[:0]
		bond     pendingBond
		rings    = openRings(ringBuf[:0])
		nRings   int
		closures = closureBuf[:0]
		arena    adjArena
	)
	if nDigits/2+1 > len(closureBuf) {
		closures = make([]closure, 0, nDigits/2+1)
	}
	m.adjBuf = grow(m.adjBuf, 2*adjSlot*nAtoms)
	arena.buf = m.adjBuf
	clear(arena.buf)
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '(':
			if prev < 0 {
				return nil, errAt(i, "'(' must follow an atom")
			}
			if bond.set {
				return nil, errAt(i, "bond symbol before '(': expected an atom")
			}
			branches = append(branches, prev)
			i++
			if i < len(s) && s[i] == ')' {
				return nil, errAt(i, "empty branch: expected an atom or bond after '('")
			}
		case c == ')':
			if len(branches) == 0 {
				return nil, errAt(i, "unmatched ')'")
			}
			if bond.set {
				return nil, errAt(bond.pos, "bond symbol not followed by an atom")
			}
			prev = branches[len(branches)-1]
			branches = branches[:len(branches)-1]
			i++
		case c == '.':
			if bond.set {
				return nil, errAt(bond.pos, "bond symbol not followed by an atom")
			}
			if prev < 0 {
				return nil, errAt(i, "'.' must follow an atom")
			}
			if len(branches) > 0 {
				return nil, errAt(i, "'.' inside a branch")
			}
			if i+1 >= len(s) {
				return nil, errAt(i+1, "'.' at the end: expected an atom")
			}
			prev = -1
			i++
		case c == '-' || c == '=' || c == '#' || c == '$' || c == ':' || c == '/' || c == '\\' || c == '<':
			if bond.set {
				return nil, errAt(i, "two bond symbols in a row")
			}
			if prev < 0 {
				return nil, errAt(i, "bond symbol must follow an atom")
			}
			bond = pendingBond{pos: i, set: true}
			switch c {
			case '-':
				if i+1 < len(s) && s[i+1] == '>' {
					bond.btype, bond.dative = BondDative, 1
					i++
				} else {
					bond.btype = BondSingle
				}
			case '<':
				if i+1 < len(s) && s[i+1] == '-' {
					bond.btype, bond.dative = BondDative, -1
					i++
				} else {
					return nil, errAt(i, "unexpected '<': expected '<-'")
				}
			case '=':
				bond.btype = BondDouble
			case '#':
				bond.btype = BondTriple
			case '$':
				bond.btype = BondQuadruple
			case ':':
				bond.btype = BondAromatic
			case '/':
				bond.dir = dirUp
			case '\\':
				bond.dir = dirDown
				if i+1 < len(s) && s[i+1] == '\\' {
					i++
				}
			}
			i++
		case c >= '0' && c <= '9' || c == '%':
			if prev < 0 {
				return nil, errAt(i, "ring-closure digit must follow an atom")
			}
			start := i
			var num int
			if c == '%' {
				if i+1 < len(s) && s[i+1] == '(' {
					j := i + 2
					for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i-2 < 5 {
						num = num*10 + int(s[j]-'0')
						j++
					}
					if j == i+2 || j >= len(s) || s[j] != ')' {
						return nil, errAt(i, "bad ring number: expected %%(n) with 1-5 digits")
					}
					i = j + 1
				} else {
					if i+2 >= len(s) || s[i+1] < '1' || s[i+1] > '9' || s[i+2] < '0' || s[i+2] > '9' {
						return nil, errAt(i, "bad ring number: expected two digits after '%%'")
					}
					num = int(s[i+1]-'0')*10 + int(s[i+2]-'0')
					i += 3
				}
			} else {
				num = int(c - '0')
				i++
			}
			if ro, ok := rings.take(num); ok {
				if ro.atom == prev {
					return nil, errAt(start, "ring closure %d bonds an atom to itself", num)
				}
				if m.bondBetween(ro.atom, prev) >= 0 {
					return nil, errAt(start, "ring closure %d duplicates an existing bond", num)
				}
				for _, c := range closures {
					if (c.b.Begin == ro.atom && c.b.End == prev) || (c.b.Begin == prev && c.b.End == ro.atom) {
						return nil, errAt(start, "ring closure %d duplicates an existing bond", num)
					}
				}
				bt, dir := ro.btype, ro.dir
				explicit := ro.explicit
				if bond.set {
					if explicit && bt != BondUnspecified && bond.btype != BondUnspecified && bt != bond.btype {
						return nil, errAt(bond.pos, "ring closure %d has conflicting bond symbols", num)
					}
					if bond.btype != BondUnspecified {
						bt = bond.btype
					}
					if bond.dir != dirNone {
						// a mark at the closing end is relative to the closing atom
						dir = flipDir(bond.dir)
					}
				}
				b := Bond{Begin: ro.atom, End: prev, Type: bt, dir: dir}
				if b.Type == BondUnspecified {
					if m.Atoms[ro.atom].Aromatic && m.Atoms[prev].Aromatic {
						b.Type, b.Aromatic = BondAromatic, true
					} else {
						b.Type = BondSingle
					}
				} else if b.Type == BondAromatic {
					b.Aromatic = true
				}
				closures = append(closures, closure{num: num, pos: start, b: b})
				m.Atoms[ro.atom].stereoNbrs[ro.nbrSlot] = prev
				m.Atoms[prev].stereoNbrs = append(m.Atoms[prev].stereoNbrs, ro.atom)
			} else {
				nRings++
				if nRings > p.cfg.MaxRings {
					return nil, errAt(start, "more than %d ring closures", p.cfg.MaxRings)
				}
				ro := ringOpen{num: num, atom: prev, pos: start}
				if bond.set {
					if bond.dative != 0 {
						return nil, errAt(bond.pos, "dative bonds cannot close rings")
					}
					ro.btype, ro.dir, ro.explicit = bond.btype, bond.dir, true
				}
				ro.nbrSlot = len(m.Atoms[prev].stereoNbrs)
				m.Atoms[prev].stereoNbrs = append(m.Atoms[prev].stereoNbrs, -2)
				rings = append(rings, ro)
			}
			bond = pendingBond{}
		default:
			var a Atom
			var err error
			start := i
			if c == '[' {
				a, i, err = parseBracket(s, i)
			} else {
				a, i, err = parseOrganic(s, i)
			}
			if err != nil {
				return nil, err
			}
			if len(m.Atoms) >= p.cfg.MaxAtoms {
				return nil, errAt(start, "more than %d atoms", p.cfg.MaxAtoms)
			}
			// adjacency lists start in shared chunks (room for 4 entries;
			// append moves a list out when an atom needs more)
			a.bonds, a.stereoNbrs = arena.slot(), arena.slot()
			a.pos = int32(start)
			idx := m.addAtom(a)
			if prev >= 0 {
				b := Bond{Begin: prev, End: idx, Type: bond.btype, dir: bond.dir}
				if bond.dative < 0 {
					b.Begin, b.End = idx, prev
				}
				if b.Type == BondUnspecified {
					if m.Atoms[prev].Aromatic && m.Atoms[idx].Aromatic {
						b.Type, b.Aromatic = BondAromatic, true
					} else {
						b.Type = BondSingle
					}
				} else if b.Type == BondAromatic {
					b.Aromatic = true
				}
				m.addBond(b)
				m.Atoms[prev].stereoNbrs = append(m.Atoms[prev].stereoNbrs, idx)
				m.Atoms[idx].stereoNbrs = append(m.Atoms[idx].stereoNbrs, prev)
			} else if bond.set {
				return nil, errAt(bond.pos, "bond symbol must follow an atom")
			}
			if m.Atoms[idx].Chiral != ChiralNone && m.Atoms[idx].ExplicitHs > 0 {
				m.Atoms[idx].stereoNbrs = append(m.Atoms[idx].stereoNbrs, hNeighbor)
			}
			bond = pendingBond{}
			prev = idx
		}
	}
	if bond.set {
		return nil, errAt(bond.pos, "bond symbol at the end: expected an atom")
	}
	if len(branches) > 0 {
		return nil, errAt(len(s), "unclosed branch: expected ')'")
	}
	if len(rings) > 0 {
		first := len(s)
		num := 0
		for _, ro := range rings {
			n := ro.num
			if ro.pos < first {
				first, num = ro.pos, n
			}
		}
		return nil, errAt(first, "ring closure %d is never closed", num)
	}
	if len(m.Atoms) == 0 {
		return nil, errAt(0, "no atoms")
	}
	// RDKit adds ring-closure bonds after all chain bonds, ordered by ring
	// number and then by occurrence; atom bond order follows from that.
	slices.SortStableFunc(closures, func(a, b closure) int { return cmpInt(a.num, b.num) })
	for _, c := range closures {
		if m.bondBetween(c.b.Begin, c.b.End) >= 0 {
			return nil, errAt(c.pos, "ring closure %d duplicates an existing bond", c.num)
		}
		m.addBond(c.b)
	}
	return m, nil
}

// reset returns m emptied for a new molecule of about nAtoms atoms and
// nBonds bonds, keeping its arrays, or a new molecule when m is nil.
func (m *Mol) reset(nAtoms, nBonds int) *Mol {
	if m == nil {
		return &Mol{Atoms: make([]Atom, 0, nAtoms), Bonds: make([]Bond, 0, nBonds)}
	}
	atoms, bonds := m.Atoms, m.Bonds
	if cap(atoms) < nAtoms {
		atoms = make([]Atom, 0, nAtoms)
	}
	if cap(bonds) < nBonds {
		bonds = make([]Bond, 0, nBonds)
	}
	*m = Mol{
		Atoms: atoms[:0], Bonds: bonds[:0],
		adjBuf: m.adjBuf, countBuf: m.countBuf, ringStore: m.ringStore, ringHdr: m.ringHdr,
	}
	return m
}

// grow returns s with length n, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// adjArena hands out empty adjacency lists of capacity adjSlot carved from
// shared chunks (the first sized for every atom of the SMILES), so a
// molecule's lists cost one allocation, not two per atom.
type adjArena struct{ buf []int32 }

const adjSlot = 4

func (a *adjArena) slot() []int32 {
	if len(a.buf) < adjSlot {
		a.buf = make([]int32, 64*adjSlot)
	}
	s := a.buf[:0:adjSlot]
	a.buf = a.buf[adjSlot:]
	return s
}

// sizeHint bounds the atoms of SMILES s (a letter or '*' outside brackets,
// or one bracket) and counts its ring-closure characters (digits and '%'
// outside brackets), so the atom, bond and closure arrays are allocated
// once.
func sizeHint(s string) (atoms, digits int) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '[':
			atoms++
			for i < len(s) && s[i] != ']' {
				i++
			}
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '*':
			atoms++
		case c >= '0' && c <= '9' || c == '%':
			digits++
		}
	}
	return atoms, digits
}

type closure struct {
	num int
	pos int
	b   Bond
}

func flipDir(d uint8) uint8 {
	switch d {
	case dirUp:
		return dirDown
	case dirDown:
		return dirUp
	}
	return d
}

// parseOrganic reads an organic-subset atom, aromatic atom or '*'.
func parseOrganic(s string, i int) (Atom, int, error) {
	c := s[i]
	var a Atom
	switch c {
	case 'B':
		if i+1 < len(s) && s[i+1] == 'r' {
			return Atom{Z: 35}, i + 2, nil
		}
		a.Z = 5
	case 'C':
		if i+1 < len(s) && s[i+1] == 'l' {
			return Atom{Z: 17}, i + 2, nil
		}
		a.Z = 6
	case 'N':
		a.Z = 7
	case 'O':
		a.Z = 8
	case 'P':
		a.Z = 15
	case 'S':
		a.Z = 16
	case 'F':
		a.Z = 9
	case 'I':
		a.Z = 53
	case 'b':
		a.Z, a.Aromatic = 5, true
	case 'c':
		a.Z, a.Aromatic = 6, true
	case 'n':
		a.Z, a.Aromatic = 7, true
	case 'o':
		a.Z, a.Aromatic = 8, true
	case 'p':
		a.Z, a.Aromatic = 15, true
	case 's':
		a.Z, a.Aromatic = 16, true
	case '*':
		a.Z = 0
	default:
		if c == ']' {
			return a, i, errAt(i, "unmatched ']'")
		}
		return a, i, errAt(i, "unexpected character %q: expected an atom, bond, ring closure or branch", c)
	}
	return a, i + 1, nil
}

func readUint(s string, i int, maxDigits int) (int, int, bool) {
	n, j := 0, i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i < maxDigits {
		n = n*10 + int(s[j]-'0')
		j++
	}
	return n, j, j > i
}

// parseBracket reads a bracket atom starting at s[i]=='['.
func parseBracket(s string, i int) (Atom, int, error) {
	open := i
	i++
	var a Atom
	a.NoImplicit = true
	if iso, j, ok := readUint(s, i, 4); ok {
		if iso > 999 {
			return a, i, errAt(i, "isotope %d out of range 0-999", iso)
		}
		a.Isotope = uint16(iso)
		i = j
		if iso == 0 {
			// RDKit treats [0C] as isotope 0 = unspecified
			a.Isotope = 0
		}
	}
	if i >= len(s) {
		return a, i, errAt(i, "unterminated bracket atom: expected an element symbol")
	}
	// element symbol
	switch {
	case s[i] == '#':
		z, j, ok := readUint(s, i+1, 3)
		if !ok || z > 118 {
			return a, i, errAt(i, "expected an atomic number 0-118 after '#'")
		}
		a.Z = uint8(z)
		i = j
	case s[i] == '*':
		a.Z = 0
		i++
	case s[i] >= 'A' && s[i] <= 'Z':
		if i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z' {
			if z, ok := symbolToZ[s[i:i+2]]; ok && z != 0 {
				a.Z = z
				i += 2
				break
			}
		}
		z, ok := symbolToZ[s[i:i+1]]
		if !ok {
			return a, i, errAt(i, "unknown element symbol starting with %q", s[i])
		}
		a.Z = z
		i++
	case s[i] >= 'a' && s[i] <= 'z':
		if i+1 < len(s) {
			switch s[i : i+2] {
			case "se":
				a.Z, a.Aromatic = 34, true
			case "as":
				a.Z, a.Aromatic = 33, true
			case "te":
				a.Z, a.Aromatic = 52, true
			case "si":
				a.Z, a.Aromatic = 14, true
			}
			if a.Aromatic {
				i += 2
				break
			}
		}
		switch s[i] {
		case 'b':
			a.Z = 5
		case 'c':
			a.Z = 6
		case 'n':
			a.Z = 7
		case 'o':
			a.Z = 8
		case 'p':
			a.Z = 15
		case 's':
			a.Z = 16
		default:
			return a, i, errAt(i, "unknown aromatic symbol %q: expected b, c, n, o, p, s, se, as, te or si", s[i])
		}
		a.Aromatic = true
		i++
	default:
		return a, i, errAt(i, "expected an element symbol in bracket atom")
	}
	// chirality
	if i < len(s) && s[i] == '@' {
		i++
		switch {
		case i < len(s) && s[i] == '@':
			a.Chiral = ChiralCW
			i++
		case i+1 < len(s) && (s[i:i+2] == "TH" || s[i:i+2] == "AL" || s[i:i+2] == "SP" || s[i:i+2] == "TB" || s[i:i+2] == "OH"):
			cls := s[i : i+2]
			i += 2
			n, j, _ := readUint(s, i, 2)
			i = j
			if cls == "TH" {
				switch n {
				case 1:
					a.Chiral = ChiralCCW
				case 2:
					a.Chiral = ChiralCW
				}
			}
		default:
			a.Chiral = ChiralCCW
		}
	}
	// hydrogen count
	if i < len(s) && s[i] == 'H' {
		i++
		if n, j, ok := readUint(s, i, 2); ok {
			a.ExplicitHs = uint8(n)
			i = j
		} else {
			a.ExplicitHs = 1
		}
	}
	// charge
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		sign := 1
		if s[i] == '-' {
			sign = -1
		}
		sym := s[i]
		i++
		if i < len(s) && s[i] == sym {
			a.Charge = int8(2 * sign)
			i++
		} else if n, j, ok := readUint(s, i, 2); ok {
			if n > 15 {
				return a, i, errAt(i, "charge %d out of range -15..+15", n*sign)
			}
			a.Charge = int8(n * sign)
			i = j
		} else {
			a.Charge = int8(sign)
		}
	}
	// atom class
	if i < len(s) && s[i] == ':' {
		n, j, ok := readUint(s, i+1, 9)
		if !ok {
			return a, i, errAt(i+1, "expected an atom-class number after ':'")
		}
		a.MapNum = int32(n)
		i = j
	}
	if i >= len(s) {
		return a, i, errAt(open, "unterminated bracket atom: expected ']'")
	}
	if s[i] != ']' {
		return a, i, errAt(i, "unexpected %q in bracket atom: expected chirality, H count, charge, class or ']'", s[i])
	}
	return a, i + 1, nil
}
