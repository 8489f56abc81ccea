package molecules

import (
	"fmt"
	"slices"
	"sync"
)

// This file holds a small SMARTS matcher: the subset RDKit's descriptor
// definitions use (atom primitives #n, element symbols, a, A, *, H, D, X, v,
// R, r, charge, recursive $(...), logical ! & , ;, bonds - = # : ~ @,
// branches and ring closures). It is internal: the descriptor tables are
// compiled once at init.

type qkind uint8

const (
	qAnd qkind = iota // high-precedence and ('&' or juxtaposition)
	qOr
	qLowAnd // ';'
	qNot
	qTrue
	qElem      // val=Z, arom: 0 any, 1 aliphatic, 2 aromatic
	qAromatic  // 'a'
	qAliphatic // 'A'
	qHCount
	qDegree
	qTotalDegree
	qValence
	qCharge
	qInRing
	qRingCount
	qRingSize
	qRecursive
	// bond primitives
	qBondSingle
	qBondDouble
	qBondTriple
	qBondAromatic
	qBondRing
	qBondDefault // single or aromatic
)

type qnode struct {
	kind qkind
	val  int
	arom int
	kids []*qnode
	rec  *smartsPattern
}

type patBond struct {
	a, b int
	q    *qnode
}

type smartsPattern struct {
	src   string
	atoms []*qnode
	bonds []patBond
	adj   [][]int
	// order is a matching order where every atom after the first is bonded
	// to an earlier one; parent[k] is the bond linking order[k] back.
	parentBond []int
	// closes[k]: atom k has bonds to earlier atoms besides its parent bond
	// (ring closures to check once it is mapped)
	closes []bool
}

type smartsParser struct {
	s string
	i int
}

func mustSMARTS(s string) *smartsPattern {
	p, err := parseSMARTS(s)
	if err != nil {
		panic(fmt.Sprintf("bad built-in SMARTS %q: %v", s, err))
	}
	return p
}

func parseSMARTS(s string) (*smartsPattern, error) {
	sp := &smartsParser{s: s}
	pat, err := sp.pattern()
	if err != nil {
		return nil, err
	}
	if sp.i != len(s) {
		return nil, fmt.Errorf("unexpected %q at %d", s[sp.i], sp.i)
	}
	pat.src = s
	return pat, nil
}

func (sp *smartsParser) pattern() (*smartsPattern, error) {
	pat := &smartsPattern{}
	prev := -1
	var stack []int
	var bond *qnode
	rings := map[int]struct {
		atom int
		q    *qnode
	}{}
	for sp.i < len(sp.s) {
		c := sp.s[sp.i]
		switch {
		case c == ')' && len(stack) == 0:
			// end of a recursive pattern
			goto done
		case c == '(':
			stack = append(stack, prev)
			sp.i++
		case c == ')':
			prev = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			sp.i++
		case c == '-' || c == '=' || c == '#' || c == ':' || c == '~' || c == '@' || c == '!' || c == ',' || c == ';' || c == '&':
			q, err := sp.bondExpr()
			if err != nil {
				return nil, err
			}
			bond = q
		case c >= '0' && c <= '9':
			n := int(c - '0')
			sp.i++
			if r, ok := rings[n]; ok {
				q := bond
				if q == nil {
					q = r.q
				}
				if q == nil {
					q = &qnode{kind: qBondDefault}
				}
				pat.addBond(r.atom, prev, q)
				delete(rings, n)
			} else {
				rings[n] = struct {
					atom int
					q    *qnode
				}{prev, bond}
			}
			bond = nil
		default:
			q, err := sp.atom()
			if err != nil {
				return nil, err
			}
			pat.atoms = append(pat.atoms, q)
			idx := len(pat.atoms) - 1
			pat.adj = append(pat.adj, nil)
			if prev >= 0 {
				if bond == nil {
					bond = &qnode{kind: qBondDefault}
				}
				pat.addBond(prev, idx, bond)
			}
			bond = nil
			prev = idx
		}
	}
done:
	if len(pat.atoms) == 0 {
		return nil, fmt.Errorf("empty pattern")
	}
	// matching order: atoms in index order; parent bond = first bond to an earlier atom
	pat.parentBond = make([]int, len(pat.atoms))
	for k := range pat.atoms {
		pat.parentBond[k] = -1
		for _, bi := range pat.adj[k] {
			b := pat.bonds[bi]
			o := b.a
			if o == k {
				o = b.b
			}
			if o < k {
				pat.parentBond[k] = bi
				break
			}
		}
		if k > 0 && pat.parentBond[k] < 0 {
			return nil, fmt.Errorf("disconnected pattern")
		}
	}
	pat.closes = make([]bool, len(pat.atoms))
	for k := range pat.atoms {
		for _, bi := range pat.adj[k] {
			b := pat.bonds[bi]
			if bi != pat.parentBond[k] && min(b.a, b.b) < k && max(b.a, b.b) == k {
				pat.closes[k] = true
			}
		}
	}
	return pat, nil
}

func (p *smartsPattern) addBond(a, b int, q *qnode) {
	p.bonds = append(p.bonds, patBond{a, b, q})
	bi := len(p.bonds) - 1
	p.adj[a] = append(p.adj[a], bi)
	p.adj[b] = append(p.adj[b], bi)
}

// bondExpr parses a bond expression with SMARTS precedence.
func (sp *smartsParser) bondExpr() (*qnode, error) {
	return sp.expr(true)
}

func (sp *smartsParser) atom() (*qnode, error) {
	c := sp.s[sp.i]
	if c == '[' {
		sp.i++
		q, err := sp.expr(false)
		if err != nil {
			return nil, err
		}
		if sp.i >= len(sp.s) || sp.s[sp.i] != ']' {
			return nil, fmt.Errorf("expected ']' at %d", sp.i)
		}
		sp.i++
		return q, nil
	}
	return sp.atomPrimitive(true)
}

// expr parses ';'-separated, ','-separated, '&'-joined, '!'-prefixed terms.
func (sp *smartsParser) expr(bond bool) (*qnode, error) {
	var parts []*qnode
	for {
		q, err := sp.orExpr(bond)
		if err != nil {
			return nil, err
		}
		parts = append(parts, q)
		if sp.i < len(sp.s) && sp.s[sp.i] == ';' {
			sp.i++
			continue
		}
		break
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return &qnode{kind: qLowAnd, kids: parts}, nil
}

func (sp *smartsParser) orExpr(bond bool) (*qnode, error) {
	var parts []*qnode
	for {
		q, err := sp.andExpr(bond)
		if err != nil {
			return nil, err
		}
		parts = append(parts, q)
		if sp.i < len(sp.s) && sp.s[sp.i] == ',' {
			sp.i++
			continue
		}
		break
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return &qnode{kind: qOr, kids: parts}, nil
}

func (sp *smartsParser) andExpr(bond bool) (*qnode, error) {
	var parts []*qnode
	for sp.i < len(sp.s) {
		c := sp.s[sp.i]
		if c == ';' || c == ',' || c == ']' {
			break
		}
		if c == '&' {
			sp.i++
			continue
		}
		if bond && !(c == '-' || c == '=' || c == '#' || c == ':' || c == '~' || c == '@' || c == '!') {
			break
		}
		q, err := sp.unary(bond)
		if err != nil {
			return nil, err
		}
		parts = append(parts, q)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("empty expression at %d", sp.i)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return &qnode{kind: qAnd, kids: parts}, nil
}

func (sp *smartsParser) unary(bond bool) (*qnode, error) {
	if sp.s[sp.i] == '!' {
		sp.i++
		q, err := sp.unary(bond)
		if err != nil {
			return nil, err
		}
		return &qnode{kind: qNot, kids: []*qnode{q}}, nil
	}
	if bond {
		c := sp.s[sp.i]
		sp.i++
		switch c {
		case '-':
			return &qnode{kind: qBondSingle}, nil
		case '=':
			return &qnode{kind: qBondDouble}, nil
		case '#':
			return &qnode{kind: qBondTriple}, nil
		case ':':
			return &qnode{kind: qBondAromatic}, nil
		case '~':
			return &qnode{kind: qTrue}, nil
		case '@':
			return &qnode{kind: qBondRing}, nil
		}
		return nil, fmt.Errorf("bad bond primitive %q", c)
	}
	return sp.atomPrimitive(false)
}

func (sp *smartsParser) num() (int, bool) {
	n, j, ok := readUint(sp.s, sp.i, 4)
	if ok {
		sp.i = j
	}
	return n, ok
}

func (sp *smartsParser) atomPrimitive(organicOnly bool) (*qnode, error) {
	s := sp.s
	c := s[sp.i]
	switch {
	case c == '*':
		sp.i++
		return &qnode{kind: qTrue}, nil
	case c == 'a':
		if sp.i+1 < len(s) && s[sp.i+1] == 's' {
			sp.i += 2
			return &qnode{kind: qElem, val: 33, arom: 2}, nil
		}
		sp.i++
		return &qnode{kind: qAromatic}, nil
	case c == 'A':
		if sp.i+1 < len(s) && s[sp.i+1] >= 'a' && s[sp.i+1] <= 'z' {
			if z, ok := symbolToZ[s[sp.i:sp.i+2]]; ok {
				sp.i += 2
				return &qnode{kind: qElem, val: int(z), arom: 1}, nil
			}
		}
		sp.i++
		return &qnode{kind: qAliphatic}, nil
	case c == '#' && !organicOnly:
		sp.i++
		n, ok := sp.num()
		if !ok {
			return nil, fmt.Errorf("expected atomic number")
		}
		return &qnode{kind: qElem, val: n}, nil
	case c == '$' && !organicOnly:
		if sp.i+1 >= len(s) || s[sp.i+1] != '(' {
			return nil, fmt.Errorf("expected '(' after '$'")
		}
		sp.i += 2
		sub, err := sp.pattern()
		if err != nil {
			return nil, err
		}
		if sp.i >= len(s) || s[sp.i] != ')' {
			return nil, fmt.Errorf("unclosed recursive SMARTS")
		}
		sp.i++
		return &qnode{kind: qRecursive, rec: sub}, nil
	case !organicOnly && (c == 'H' || c == 'D' || c == 'X' || c == 'v' || c == 'R' || c == 'r'):
		sp.i++
		n, ok := sp.num()
		kinds := map[byte]qkind{'H': qHCount, 'D': qDegree, 'X': qTotalDegree, 'v': qValence, 'R': qRingCount, 'r': qRingSize}
		if !ok {
			if c == 'R' {
				return &qnode{kind: qInRing}, nil
			}
			n = 1
		}
		return &qnode{kind: kinds[c], val: n}, nil
	case !organicOnly && (c == '+' || c == '-'):
		sign := 1
		if c == '-' {
			sign = -1
		}
		sp.i++
		if n, ok := sp.num(); ok {
			return &qnode{kind: qCharge, val: sign * n}, nil
		}
		n := 1
		for sp.i < len(s) && s[sp.i] == c {
			n++
			sp.i++
		}
		return &qnode{kind: qCharge, val: sign * n}, nil
	case c >= 'A' && c <= 'Z':
		if sp.i+1 < len(s) && s[sp.i+1] >= 'a' && s[sp.i+1] <= 'z' && (!organicOnly || s[sp.i:sp.i+2] == "Cl" || s[sp.i:sp.i+2] == "Br") {
			if z, ok := symbolToZ[s[sp.i:sp.i+2]]; ok {
				sp.i += 2
				return &qnode{kind: qElem, val: int(z), arom: 1}, nil
			}
		}
		z, ok := symbolToZ[s[sp.i:sp.i+1]]
		if !ok {
			return nil, fmt.Errorf("unknown element %q", c)
		}
		sp.i++
		return &qnode{kind: qElem, val: int(z), arom: 1}, nil
	case c >= 'a' && c <= 'z':
		if sp.i+1 < len(s) {
			switch s[sp.i : sp.i+2] {
			case "se":
				sp.i += 2
				return &qnode{kind: qElem, val: 34, arom: 2}, nil
			case "te":
				sp.i += 2
				return &qnode{kind: qElem, val: 52, arom: 2}, nil
			}
		}
		z := map[byte]int{'b': 5, 'c': 6, 'n': 7, 'o': 8, 'p': 15, 's': 16}[c]
		if z == 0 {
			return nil, fmt.Errorf("unknown aromatic symbol %q", c)
		}
		sp.i++
		return &qnode{kind: qElem, val: z, arom: 2}, nil
	}
	return nil, fmt.Errorf("unexpected %q at %d", c, sp.i)
}

// matcher evaluates patterns on one molecule, caching recursive results.
//
// With hydrogens on (reset with withHs) it sees the molecule the way RDKit sees
// it after AddHs, without building that molecule: every hydrogen counted on
// an atom becomes a virtual graph atom numbered from len(m.Atoms) on, bonded
// to its parent by a single, non-ring bond. A matcher is scratch: reuse it
// with reset; it allocates only while its buffers grow.
type matcher struct {
	m       *Mol
	n       int     // real atoms
	nv      int     // real + virtual atoms
	val     []int   // total valence per real atom
	hs      []int   // total H including H neighbours, per real atom
	hStart  []int32 // virtual H range of real atom i: hStart[i] .. hStart[i+1]
	hParent []int32 // parent real atom of virtual atom n+k
	maps    []int32 // stack of mapping arrays (recursive patterns nest)
	cacheP  []*smartsPattern
	cacheV  [][]int8
	cacheN  int // cache entries in use
	// Crippen typing memo (crippenTypeMemo): the environment keys of the
	// typed atoms, entry e at memoKeys[memoOff[e]:memoOff[e+1]], its type,
	// and a hash table of entries+1
	memoOn   bool
	memoKeys []uint32
	memoOff  []int32
	memoType []int16
	memoTab  []int32
}

// virtualBond stands for the single, non-ring bond of a virtual hydrogen.
const virtualBond = -2

var matcherPool = sync.Pool{New: func() any { return new(matcher) }}

func getMatcher(m *Mol, withHs bool) *matcher {
	mt := matcherPool.Get().(*matcher)
	mt.reset(m, withHs)
	return mt
}

func putMatcher(mt *matcher) {
	mt.m = nil
	matcherPool.Put(mt)
}

func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n, n+n/2)
	}
	return s[:n]
}

func growI32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, n+n/2)
	}
	return s[:n]
}

// reset points the matcher at m, with virtual hydrogens when withHs.
func (mt *matcher) reset(m *Mol, withHs bool) {
	n := len(m.Atoms)
	mt.m, mt.n = m, n
	mt.val = growInts(mt.val, n)
	mt.hs = growInts(mt.hs, n)
	mt.hStart = growI32(mt.hStart, n+1)
	nv := n
	for i := range m.Atoms {
		mt.val[i] = m.totalValence(i)
		mt.hs[i] = m.Atoms[i].TotalHs()
		mt.hStart[i] = int32(nv)
		if withHs {
			nv += m.Atoms[i].TotalHs()
		}
	}
	mt.hStart[n] = int32(nv)
	// H neighbours in the graph count too (getTotalNumHs(true))
	for b := range m.Bonds {
		bd := &m.Bonds[b]
		if m.Atoms[bd.Begin].Z == 1 {
			mt.hs[bd.End]++
		}
		if m.Atoms[bd.End].Z == 1 {
			mt.hs[bd.Begin]++
		}
	}
	mt.nv = nv
	mt.hParent = growI32(mt.hParent, nv-n)
	for i := 0; i < n; i++ {
		for v := mt.hStart[i]; v < mt.hStart[i+1]; v++ {
			mt.hParent[int(v)-n] = int32(i)
		}
	}
	mt.maps = mt.maps[:0]
	mt.cacheN = 0
}

// cacheFor returns the recursive-match cache of p (0 unknown, 1 yes, -1 no).
func (mt *matcher) cacheFor(p *smartsPattern) []int8 {
	for k := 0; k < mt.cacheN; k++ {
		if mt.cacheP[k] == p {
			return mt.cacheV[k]
		}
	}
	if mt.cacheN == len(mt.cacheP) {
		mt.cacheP = append(mt.cacheP, nil)
		mt.cacheV = append(mt.cacheV, nil)
	}
	k := mt.cacheN
	mt.cacheN++
	mt.cacheP[k] = p
	c := mt.cacheV[k]
	if cap(c) < mt.nv {
		c = make([]int8, mt.nv, mt.nv+mt.nv/2)
	} else {
		c = c[:mt.nv]
		clear(c)
	}
	mt.cacheV[k] = c
	return c
}

func (mt *matcher) atomOK(q *qnode, i int) bool {
	if i >= mt.n {
		return mt.hAtomOK(q, i)
	}
	a := &mt.m.Atoms[i]
	switch q.kind {
	case qAnd, qLowAnd:
		for _, k := range q.kids {
			if !mt.atomOK(k, i) {
				return false
			}
		}
		return true
	case qOr:
		for _, k := range q.kids {
			if mt.atomOK(k, i) {
				return true
			}
		}
		return false
	case qNot:
		return !mt.atomOK(q.kids[0], i)
	case qTrue:
		return true
	case qElem:
		if int(a.Z) != q.val {
			return false
		}
		return q.arom == 0 || (q.arom == 2) == a.Aromatic
	case qAromatic:
		return a.Aromatic
	case qAliphatic:
		return !a.Aromatic
	case qHCount:
		return mt.hs[i] == q.val
	case qDegree:
		return len(a.bonds)+int(mt.hStart[i+1]-mt.hStart[i]) == q.val
	case qTotalDegree:
		return mt.m.totalDegree(i) == q.val
	case qValence:
		return mt.val[i] == q.val
	case qCharge:
		return int(a.Charge) == q.val
	case qInRing:
		return mt.m.atomRingCount[i] > 0
	case qRingCount:
		return int(mt.m.atomRingCount[i]) == q.val
	case qRingSize:
		for _, r := range mt.m.rings {
			if len(r) == q.val && containsI32(r, int32(i)) {
				return true
			}
		}
		return false
	case qRecursive:
		return mt.recursiveOK(q.rec, i)
	}
	return false
}

// hAtomOK evaluates q on virtual hydrogen i: an aliphatic, neutral H of
// degree 1 and valence 1, in no ring.
func (mt *matcher) hAtomOK(q *qnode, i int) bool {
	switch q.kind {
	case qAnd, qLowAnd:
		for _, k := range q.kids {
			if !mt.hAtomOK(k, i) {
				return false
			}
		}
		return true
	case qOr:
		for _, k := range q.kids {
			if mt.hAtomOK(k, i) {
				return true
			}
		}
		return false
	case qNot:
		return !mt.hAtomOK(q.kids[0], i)
	case qTrue, qAliphatic:
		return true
	case qElem:
		return q.val == 1 && q.arom != 2
	case qHCount:
		h := 0
		if mt.m.Atoms[mt.hParent[i-mt.n]].Z == 1 {
			h = 1
		}
		return h == q.val
	case qDegree, qTotalDegree, qValence:
		return q.val == 1
	case qCharge, qRingCount:
		return q.val == 0
	case qRecursive:
		return mt.recursiveOK(q.rec, i)
	}
	return false // qAromatic, qInRing, qRingSize
}

func (mt *matcher) recursiveOK(p *smartsPattern, i int) bool {
	c := mt.cacheFor(p)
	if c[i] == 0 {
		if mt.matchFrom(p, i) {
			c[i] = 1
		} else {
			c[i] = -1
		}
	}
	return c[i] == 1
}

func (mt *matcher) bondOK(q *qnode, b int32) bool {
	if b < 0 {
		return virtualBondOK(q)
	}
	bd := &mt.m.Bonds[b]
	switch q.kind {
	case qAnd, qLowAnd:
		for _, k := range q.kids {
			if !mt.bondOK(k, b) {
				return false
			}
		}
		return true
	case qOr:
		for _, k := range q.kids {
			if mt.bondOK(k, b) {
				return true
			}
		}
		return false
	case qNot:
		return !mt.bondOK(q.kids[0], b)
	case qTrue:
		return true
	case qBondSingle:
		return bd.Type == BondSingle
	case qBondDouble:
		return bd.Type == BondDouble
	case qBondTriple:
		return bd.Type == BondTriple
	case qBondAromatic:
		return bd.Type == BondAromatic
	case qBondRing:
		return mt.m.bondRingCount[b] > 0
	case qBondDefault:
		return bd.Type == BondSingle || bd.Type == BondAromatic
	}
	return false
}

// virtualBondOK evaluates q on the single, non-ring bond of a virtual H.
func virtualBondOK(q *qnode) bool {
	switch q.kind {
	case qAnd, qLowAnd:
		for _, k := range q.kids {
			if !virtualBondOK(k) {
				return false
			}
		}
		return true
	case qOr:
		for _, k := range q.kids {
			if virtualBondOK(k) {
				return true
			}
		}
		return false
	case qNot:
		return !virtualBondOK(q.kids[0])
	case qTrue, qBondSingle, qBondDefault:
		return true
	}
	return false
}

// bondBetween is Mol.bondBetween over real and virtual atoms: a bond index,
// virtualBond, or -1.
func (mt *matcher) bondBetween(a, b int32) int32 {
	n := int32(mt.n)
	switch {
	case a >= n && b >= n:
		return -1
	case a >= n:
		if mt.hParent[a-n] == b {
			return virtualBond
		}
		return -1
	case b >= n:
		if mt.hParent[b-n] == a {
			return virtualBond
		}
		return -1
	}
	return mt.m.bondBetween(a, b)
}

// matchFrom reports whether pattern p matches with its first atom on atom i.
func (mt *matcher) matchFrom(p *smartsPattern, i int) bool {
	if !mt.atomOK(p.atoms[0], i) {
		return false
	}
	if len(p.atoms) == 1 {
		return true
	}
	if len(p.atoms) == 2 && len(p.bonds) == 1 {
		// one neighbour to find: no mapping to keep
		q, bq := p.atoms[1], p.bonds[0].q
		if i >= mt.n {
			return mt.bondOK(bq, virtualBond) && mt.atomOK(q, int(mt.hParent[i-mt.n]))
		}
		for _, b := range mt.m.Atoms[i].bonds {
			if mt.bondOK(bq, b) && mt.atomOK(q, int(mt.m.Bonds[b].Other(int32(i)))) {
				return true
			}
		}
		for v := mt.hStart[i]; v < mt.hStart[i+1]; v++ {
			if mt.bondOK(bq, virtualBond) && mt.atomOK(q, int(v)) {
				return true
			}
		}
		return false
	}
	base := len(mt.maps)
	mt.maps = append(mt.maps, make([]int32, len(p.atoms))...)
	mapping := mt.maps[base:]
	for k := range mapping {
		mapping[k] = -1
	}
	mapping[0] = int32(i)
	ok := mt.extend(p, mapping, 1, nil)
	mt.maps = mt.maps[:base]
	return ok
}

// extend maps pattern atoms k.. recursively; when visit is non-nil it is
// called for every complete match and returning false stops the search.
func (mt *matcher) extend(p *smartsPattern, mapping []int32, k int, visit func([]int32) bool) bool {
	if k == len(p.atoms) {
		if visit != nil {
			return !visit(mapping)
		}
		return true
	}
	pb := p.bonds[p.parentBond[k]]
	par := pb.a
	if par == k {
		par = pb.b
	}
	ta := mapping[par]
	n := int32(mt.n)
	var real []int32
	var vlo, vhi int32
	if ta < n {
		real = mt.m.Atoms[ta].bonds
		vlo, vhi = mt.hStart[ta], mt.hStart[ta+1]
	} else {
		vlo, vhi = 0, 1 // the parent, reached through a virtual bond
	}
	for j := 0; j < len(real)+int(vhi-vlo); j++ {
		var o, tb int32
		switch {
		case j < len(real):
			tb = real[j]
			o = mt.m.Bonds[tb].Other(ta)
		case ta >= n:
			o, tb = mt.hParent[ta-n], virtualBond
		default:
			o, tb = vlo+int32(j-len(real)), virtualBond
		}
		used := false
		for _, x := range mapping[:k] {
			if x == o {
				used = true
				break
			}
		}
		if used || !mt.bondOK(pb.q, tb) || !mt.atomOK(p.atoms[k], int(o)) {
			continue
		}
		ok := true
		// check the other bonds to already-mapped atoms (ring closures)
		for _, bi := range p.adj[k] {
			if !p.closes[k] {
				break
			}
			if bi == p.parentBond[k] {
				continue
			}
			b := p.bonds[bi]
			other := b.a
			if other == k {
				other = b.b
			}
			if other > k {
				continue
			}
			tbi := mt.bondBetween(o, mapping[other])
			if tbi == -1 || !mt.bondOK(b.q, tbi) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		mapping[k] = o
		if mt.extend(p, mapping, k+1, visit) {
			return true
		}
		mapping[k] = -1
	}
	return false
}

// countUnique counts matches with distinct atom sets (RDKit countMatches).
func (mt *matcher) countUnique(p *smartsPattern) int {
	L := len(p.atoms)
	var sets []int32 // every match's atoms, sorted, L per match
	mapping := make([]int32, L)
	visit := func(mp []int32) bool {
		start := len(sets)
		sets = append(sets, mp...)
		slices.Sort(sets[start:])
		return true
	}
	for i := 0; i < mt.nv; i++ {
		if !mt.atomOK(p.atoms[0], i) {
			continue
		}
		for k := range mapping {
			mapping[k] = -1
		}
		mapping[0] = int32(i)
		mt.extend(p, mapping, 1, visit)
	}
	n := len(sets) / L
	if n == 0 {
		return 0
	}
	order := make([]int, n)
	for k := range order {
		order[k] = k
	}
	set := func(k int) []int32 { return sets[k*L : k*L+L] }
	slices.SortFunc(order, func(a, b int) int { return slices.Compare(set(a), set(b)) })
	distinct := 1
	for k := 1; k < n; k++ {
		if !slices.Equal(set(order[k-1]), set(order[k])) {
			distinct++
		}
	}
	return distinct
}

// nbrMask is a set of neighbour kinds: (element class, aromatic, bond kind)
// triples, one bit each (nbrBit).
type nbrMask [2]uint64

// Element classes of nbrMask; nbrClassOther holds every element not named.
var nbrClassZ = [...]int{0, 1, 6, 7, 8, 9, 15, 16, 17, 35, 53} // index 0: other

const nbrBondKinds = 5 // single, double, triple, aromatic, other

func nbrClass(z uint8) int {
	switch z {
	case 1:
		return 1
	case 6:
		return 2
	case 7:
		return 3
	case 8:
		return 4
	case 9:
		return 5
	case 15:
		return 6
	case 16:
		return 7
	case 17:
		return 8
	case 35:
		return 9
	case 53:
		return 10
	}
	return 0
}

func bondKind(t BondType) int {
	switch t {
	case BondSingle:
		return 0
	case BondDouble:
		return 1
	case BondTriple:
		return 2
	case BondAromatic:
		return 3
	}
	return 4
}

func nbrBit(class int, arom bool, kind int) int {
	b := (class*2)*nbrBondKinds + kind
	if arom {
		b += nbrBondKinds
	}
	return b
}

func (nm *nbrMask) set(bit int) { nm[bit>>6] |= 1 << (bit & 63) }

// patternNbrMask is every neighbour kind a pattern atom query aq, bonded by
// bond query bq, may match.
func patternNbrMask(bq, aq *qnode) nbrMask {
	var nm nbrMask
	for class := range nbrClassZ {
		for _, arom := range []bool{false, true} {
			ok := false
			if class == 0 {
				for z := range elementTable {
					if nbrClass(uint8(z)) == 0 && mayMatchElem(aq, z, arom) != triNo {
						ok = true
						break
					}
				}
			} else {
				ok = mayMatchElem(aq, nbrClassZ[class], arom) != triNo
			}
			if !ok {
				continue
			}
			for kind := 0; kind < nbrBondKinds; kind++ {
				if mayMatchBondKind(bq, kind) != triNo {
					nm.set(nbrBit(class, arom, kind))
				}
			}
		}
	}
	return nm
}

// mayMatchBondKind says whether bond query q can match a bond of the given
// kind (bondKind: 0 single, 1 double, 2 triple, 3 aromatic), whatever its
// ring membership.
func mayMatchBondKind(q *qnode, kind int) tri {
	return mayMatch(q, func(q *qnode) (tri, bool) {
		switch q.kind {
		case qBondSingle:
			return yesNo(kind == 0), true
		case qBondDouble:
			return yesNo(kind == 1), true
		case qBondTriple:
			return yesNo(kind == 2), true
		case qBondAromatic:
			return yesNo(kind == 3), true
		case qBondDefault:
			return yesNo(kind == 0 || kind == 3), true
		}
		return triMaybe, false
	})
}

func (nm *nbrMask) has(bit int) bool { return nm[bit>>6]&(1<<(bit&63)) != 0 }

// nbrKinds appends the kind (nbrBit) of every neighbour of atom i of the
// view to buf.
func (mt *matcher) nbrKinds(i int, buf []int) []int {
	if i >= mt.n {
		p := &mt.m.Atoms[mt.hParent[i-mt.n]]
		return append(buf, nbrBit(nbrClass(p.Z), p.Aromatic, 0))
	}
	for _, b := range mt.m.Atoms[i].bonds {
		bd := &mt.m.Bonds[b]
		o := &mt.m.Atoms[bd.Other(int32(i))]
		buf = append(buf, nbrBit(nbrClass(o.Z), o.Aromatic, bondKind(bd.Type)))
	}
	hk := nbrBit(1, false, 0)
	for v := mt.hStart[i]; v < mt.hStart[i+1]; v++ {
		buf = append(buf, hk)
	}
	return buf
}
