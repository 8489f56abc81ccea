package molecules

// Pattern is a compiled SMARTS query in the subset the package's matcher
// reads: atom primitives #n, element symbols (aliphatic and aromatic), a,
// A, *, H (total hydrogens), D (explicit degree), X (total degree), v
// (total valence), R, r, charges, recursive $(...), the logical operators
// ! & , ; and bonds - = # : ~ @. Atom maps and lowercase h are not read.
// A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	p *smartsPattern
}

// CompileSMARTS compiles a SMARTS query; an error says what and where.
// The matcher's parser was written for built-in patterns; text it cannot
// read may also make it fail at an index, which is answered as an error.
func CompileSMARTS(s string) (p *Pattern, err error) {
	if pos, msg := unbalanced(s); pos >= 0 {
		return nil, errAt(pos, "SMARTS: %s", msg)
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, errAt(0, "SMARTS: malformed pattern")
		}
	}()
	sp, err := parseSMARTS(s)
	if err != nil {
		return nil, errAt(0, "SMARTS: %v", err)
	}
	return &Pattern{p: sp}, nil
}

// MustCompileSMARTS is CompileSMARTS for built-in patterns; it panics on
// an error, so it belongs only in package-level initialisation of
// constant patterns checked by tests.
func MustCompileSMARTS(s string) *Pattern { return &Pattern{p: mustSMARTS(s)} }

// Atoms is the number of atoms in the pattern.
func (p *Pattern) Atoms() int { return len(p.p.atoms) }

// String returns the pattern's SMARTS.
func (p *Pattern) String() string { return p.p.src }

// Match calls fn for each match of p in m: mapping[k] is the atom matched
// by pattern atom k. Matches come in the order RDKit's SubstructMatch
// finds them for small patterns: the first pattern atom on atoms in index
// order, then neighbours in bond order. Every mapping is passed, also ones
// that cover the same atoms in another order. fn returning false stops
// the search; mapping is valid only during the call.
func (m *Mol) Match(p *Pattern, fn func(mapping []int32) bool) {
	mt := getMatcher(m, false)
	defer putMatcher(mt)
	mapping := make([]int32, len(p.p.atoms))
	stop := false
	visit := func(mp []int32) bool {
		if !fn(mp) {
			stop = true
			return false
		}
		return true
	}
	for i := 0; i < mt.n && !stop; i++ {
		if !mt.atomOK(p.p.atoms[0], i) {
			continue
		}
		for k := range mapping {
			mapping[k] = -1
		}
		mapping[0] = int32(i)
		if len(mapping) == 1 {
			visit(mapping)
			continue
		}
		mt.extend(p.p, mapping, 1, visit)
	}
}

// HasMatch reports whether p matches m anywhere.
func (m *Mol) HasMatch(p *Pattern) bool {
	found := false
	m.Match(p, func([]int32) bool { found = true; return false })
	return found
}

// unbalanced finds the first unmatched '(' ')' '[' or ']' (the matcher's
// parser reads an unclosed branch as closed at the end).
func unbalanced(s string) (int, string) {
	var open, brackets []int // '(' and '[' positions; brackets nest in $(…)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			brackets = append(brackets, i)
		case ']':
			if len(brackets) == 0 {
				return i, "unmatched ']'"
			}
			brackets = brackets[:len(brackets)-1]
		case '(':
			open = append(open, i)
		case ')':
			if len(open) == 0 {
				return i, "unmatched ')'"
			}
			open = open[:len(open)-1]
		}
	}
	if len(brackets) > 0 {
		return brackets[len(brackets)-1], "unclosed '['"
	}
	if len(open) > 0 {
		return open[len(open)-1], "unclosed '('"
	}
	return -1, ""
}
