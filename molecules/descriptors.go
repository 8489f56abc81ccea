package molecules

import (
	_ "embed"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Descriptors holds RDKit-defined molecular descriptors.
type Descriptors struct {
	MolWt              float64 // Descriptors.MolWt (average masses)
	ExactMass          float64 // Descriptors.ExactMolWt (monoisotopic)
	LogP               float64 // Crippen MolLogP
	MR                 float64 // Crippen MolMR
	TPSA               float64 // CalcTPSA, N and O only
	HBD                int     // NumHDonors (CalcNumHBD)
	HBA                int     // NumHAcceptors (CalcNumHBA)
	RotatableBonds     int     // NumRotatableBonds, strict definition
	Rings              int     // CalcNumRings (symmetrized SSSR)
	AromaticRings      int     // CalcNumAromaticRings
	FractionCSP3       float64 // CalcFractionCSP3
	LipinskiViolations int     // MolWt>500, LogP>5, NHOH>5, NO>10
}

//go:embed crippen_params.txt
var crippenText string

type crippenRow struct {
	label string
	typ   int16 // index into crippenLabels
	pat   *smartsPattern
	logp  float64
	mr    float64
}

// crippenLabels are the distinct type labels in parameter-table order;
// crippenLogP and crippenMR are each label's contributions (every row of a
// label carries the same values in RDKit's table).
var (
	crippenTable, crippenLabels, crippenLogP, crippenMR = func() ([]crippenRow, []string, []float64, []float64) {
		var rows []crippenRow
		var labels []string
		var lps, mrs []float64
		idx := map[string]int16{}
		for _, line := range strings.Split(crippenText, "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			f := strings.Split(line, "\t")
			if len(f) < 3 || f[1] == "" {
				continue
			}
			lp, _ := strconv.ParseFloat(f[2], 64)
			mr := 0.0
			if len(f) > 3 && f[3] != "" {
				mr, _ = strconv.ParseFloat(f[3], 64)
			}
			t, ok := idx[f[0]]
			if !ok {
				t = int16(len(labels))
				idx[f[0]] = t
				labels = append(labels, f[0])
				lps = append(lps, lp)
				mrs = append(mrs, mr)
			} else if lps[t] != lp || mrs[t] != mr {
				panic("crippen_params.txt: label " + f[0] + " with two parameter sets")
			}
			rows = append(rows, crippenRow{f[0], t, mustSMARTS(f[1]), lp, mr})
		}
		return rows, labels, lps, mrs
	}()
)

var (
	hbdPattern = mustSMARTS("[N&!H0&v3,N&!H0&+1&v4,O&H1&+0,S&H1&+0,n&H1&+0]")
	hbaPattern = mustSMARTS("[$([O,S;H1;v2]-[!$(*=[O,N,P,S])]),$([O,S;H0;v2]),$([O,S;-]),$([N;v3;!$(N-*=!@[O,N,P,S])]),$([nH0,o,s;+0])]")
	rotPattern = mustSMARTS("[!$(*#*)&!D1&!$(C(F)(F)F)&!$(C(Cl)(Cl)Cl)&!$(C(Br)(Br)Br)&!$(C([CH3])([CH3])[CH3])&!$([CD3](=[N,O,S])-!@[#7,O,S!D1])&!$([#7,O,S!D1]-!@[CD3]=[N,O,S])&!$([CD3](=[N+])-!@[#7!D1])&!$([#7!D1]-!@[CD3]=[N+])]-,:;!@[!$(*#*)&!D1&!$(C(F)(F)F)&!$(C(Cl)(Cl)Cl)&!$(C(Br)(Br)Br)&!$(C([CH3])([CH3])[CH3])]")
)

// Describe computes all descriptors.
func Describe(m *Mol) Descriptors {
	var d Descriptors
	d.MolWt = MolWt(m)
	d.ExactMass = ExactMolWt(m)
	d.LogP, d.MR = Crippen(m)
	d.TPSA = TPSA(m)
	mt := getMatcher(m, false)
	d.HBD = mt.countAtoms(hbdPattern)
	d.HBA = mt.countAtoms(hbaPattern)
	d.RotatableBonds = mt.countUnique(rotPattern)
	putMatcher(mt)
	d.Rings = len(m.rings)
	for _, rb := range m.ringBonds {
		all := true
		for _, b := range rb {
			if !m.Bonds[b].Aromatic {
				all = false
				break
			}
		}
		if all {
			d.AromaticRings++
		}
	}
	nC, nSP3 := 0, 0
	nhoh, no := 0, 0
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Z == 6 {
			nC++
			if m.totalDegree(i) == 4 {
				nSP3++
			}
		}
		if a.Z == 7 || a.Z == 8 {
			no++
			nhoh += m.totalHsWithNbrs(i)
		}
	}
	if nC > 0 {
		d.FractionCSP3 = float64(nSP3) / float64(nC)
	}
	if d.MolWt > 500 {
		d.LipinskiViolations++
	}
	if d.LogP > 5 {
		d.LipinskiViolations++
	}
	if nhoh > 5 {
		d.LipinskiViolations++
	}
	if no > 10 {
		d.LipinskiViolations++
	}
	return d
}

func (mt *matcher) countAtoms(p *smartsPattern) int {
	n := 0
	for i := range mt.m.Atoms {
		if mt.atomOK(p.atoms[0], i) {
			n++
		}
	}
	return n
}

// MolWt is RDKit's average molecular weight (hydrogens at 1.008).
func MolWt(m *Mol) float64 {
	w := 0.0
	for i := range m.Atoms {
		a := &m.Atoms[i]
		w += atomMass(a) + float64(a.TotalHs())*elementTable[1].mass
	}
	return w
}

// ExactMolWt is the monoisotopic mass (RDKit ExactMolWt).
func ExactMolWt(m *Mol) float64 {
	w := 0.0
	for i := range m.Atoms {
		a := &m.Atoms[i]
		w += atomExactMass(a) + float64(a.TotalHs())*elementTable[1].isoMass
	}
	return w
}

// Crippen returns Wildman–Crippen logP and MR (RDKit MolLogP, MolMR).
func Crippen(m *Mol) (logp, mr float64) {
	return crippen(m, nil)
}

// CrippenAtom is one atom's Wildman–Crippen typing.
type CrippenAtom struct {
	Type  int16 // index into CrippenLabels(); -1 when no row matched
	HType int16 // type index of this atom's hydrogens; -1 when it has none
	Hs    int8  // number of hydrogens on the atom (implicit + explicit count)
}

// CrippenLabels returns the distinct Wildman–Crippen type labels (C1 … C27,
// CS, H1 … HS, N1 …, O1 …, F, Cl, …, Me1, Me2) in the order of RDKit's
// parameter table; the slice is shared, do not modify.
func CrippenLabels() []string { return crippenLabels }

// CrippenContrib returns the logP and MR contributions of type index t (0, 0
// for -1).
func CrippenContrib(t int16) (logp, mr float64) {
	if t < 0 || int(t) >= len(crippenLabels) {
		return 0, 0
	}
	return crippenLogP[t], crippenMR[t]
}

// crippenRowsFor lists, per first-atom key (crippenKey), the parameter rows
// whose first atom can match such an atom, in table order.
var crippenRowsFor = func() [][]uint8 {
	if len(crippenTable) > 256 {
		panic("crippen_params.txt: row indices must fit a byte")
	}
	out := make([][]uint8, 2*len(elementTable))
	for z := range elementTable {
		for _, arom := range []bool{false, true} {
			k := crippenKey(uint8(z), arom)
			for ri, row := range crippenTable {
				if mayMatchElem(row.pat.atoms[0], z, arom) != triNo {
					out[k] = append(out[k], uint8(ri))
				}
			}
		}
	}
	return out
}()

// crippenNeeds holds, per parameter row, the pattern neighbours of the first
// atom grouped by the neighbour kinds they can match (nbrMask): an atom
// with fewer neighbours of a group's kinds than the group has members
// cannot match the row (a necessary condition only; the matcher decides).
var crippenNeeds = func() [][]nbrNeed {
	out := make([][]nbrNeed, len(crippenTable))
	for ri, row := range crippenTable {
		p := row.pat
	next:
		for _, bi := range p.adj[0] {
			b := p.bonds[bi]
			o := b.a
			if o == 0 {
				o = b.b
			}
			nm := patternNbrMask(b.q, p.atoms[o])
			for k := range out[ri] {
				if out[ri][k].mask == nm {
					out[ri][k].count++
					continue next
				}
			}
			out[ri] = append(out[ri], nbrNeed{nm, 1})
		}
	}
	return out
}()

// nbrNeed is a group of pattern neighbours able to match the same kinds.
type nbrNeed struct {
	mask  nbrMask
	count int
}

func crippenKey(z uint8, arom bool) int {
	k := 2 * int(z)
	if arom {
		k++
	}
	return k
}

type tri uint8

const (
	triMaybe tri = iota
	triNo
	triYes
)

// mayMatch evaluates atom query q in three-valued logic: leaf decides each
// primitive (ok false: not decided, triMaybe); And, Or, Not and True are
// combined here.
func mayMatch(q *qnode, leaf func(q *qnode) (t tri, ok bool)) tri {
	switch q.kind {
	case qAnd, qLowAnd:
		r := triYes
		for _, k := range q.kids {
			switch mayMatch(k, leaf) {
			case triNo:
				return triNo
			case triMaybe:
				r = triMaybe
			}
		}
		return r
	case qOr:
		r := triNo
		for _, k := range q.kids {
			switch mayMatch(k, leaf) {
			case triYes:
				return triYes
			case triMaybe:
				r = triMaybe
			}
		}
		return r
	case qNot:
		switch mayMatch(q.kids[0], leaf) {
		case triYes:
			return triNo
		case triNo:
			return triYes
		}
		return triMaybe
	case qTrue:
		return triYes
	}
	if t, ok := leaf(q); ok {
		return t
	}
	return triMaybe
}

// yesNo is triYes when b holds, else triNo.
func yesNo(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

// mayMatchElem says whether atom query q can match an atom of element z and
// the given aromaticity, whatever its other properties.
func mayMatchElem(q *qnode, z int, arom bool) tri {
	return mayMatch(q, func(q *qnode) (tri, bool) {
		switch q.kind {
		case qElem:
			return yesNo(!(z != q.val || (q.arom == 1 && arom) || (q.arom == 2 && !arom))), true
		case qAromatic:
			return yesNo(arom), true
		case qAliphatic:
			return yesNo(!arom), true
		}
		return triMaybe, false
	})
}

// crippenProps holds, per parameter row, which first-atom values of each
// simple property can pass the row's first-atom query (bit v for value v,
// 0..30; larger values are not filtered): a necessary condition only.
type crippenProps struct {
	h, x, d, chg uint32 // H count, total degree, degree (with H), charge+8
}

var crippenRowProps = func() []crippenProps {
	out := make([]crippenProps, len(crippenTable))
	for ri, row := range crippenTable {
		q := row.pat.atoms[0]
		for v := 0; v <= 30; v++ {
			if mayMatchProp(q, qHCount, v) != triNo {
				out[ri].h |= 1 << v
			}
			if mayMatchProp(q, qTotalDegree, v) != triNo {
				out[ri].x |= 1 << v
			}
			if mayMatchProp(q, qDegree, v) != triNo {
				out[ri].d |= 1 << v
			}
			if mayMatchProp(q, qCharge, v-8) != triNo {
				out[ri].chg |= 1 << v
			}
		}
	}
	return out
}()

// crippenRowsForHX narrows crippenRowsFor by the first atom's H count and
// total degree (both below crippenHX): [key][h*crippenHX+x].
const crippenHX = 8

var crippenRowsForHX = func() [][][]uint8 {
	out := make([][][]uint8, len(crippenRowsFor))
	for key, rows := range crippenRowsFor {
		out[key] = make([][]uint8, crippenHX*crippenHX)
		for h := 0; h < crippenHX; h++ {
			for x := 0; x < crippenHX; x++ {
				var sel []uint8
				for _, ri := range rows {
					if propOK(crippenRowProps[ri].h, h) && propOK(crippenRowProps[ri].x, x) {
						sel = append(sel, ri)
					}
				}
				out[key][h*crippenHX+x] = sel
			}
		}
	}
	return out
}()

// mayMatchProp says whether atom query q can match an atom whose property
// kind (qHCount, qTotalDegree, qDegree or qCharge) has value v, whatever
// its other properties.
func mayMatchProp(q *qnode, kind qkind, v int) tri {
	return mayMatch(q, func(q *qnode) (tri, bool) {
		if q.kind == kind {
			return yesNo(q.val == v), true
		}
		return triMaybe, false
	})
}

// propOK reports whether value v (offset already applied) passes mask.
func propOK(mask uint32, v int) bool { return v < 0 || v > 30 || mask&(1<<v) != 0 }

// crippenFilter is everything the prefilters read about one row, kept
// together.
type crippenFilter struct {
	props  crippenProps
	nNbr   int // pattern neighbours of the first atom
	nNeeds int
	needs  [4]nbrNeed
	more   []nbrNeed // groups past the fourth (none in RDKit's table)
}

var crippenFilters = func() []crippenFilter {
	out := make([]crippenFilter, len(crippenTable))
	for ri, row := range crippenTable {
		f := &out[ri]
		f.props = crippenRowProps[ri]
		f.nNbr = len(row.pat.adj[0])
		nd := crippenNeeds[ri]
		f.nNeeds = copy(f.needs[:], nd)
		if len(nd) > len(f.needs) {
			f.more = nd[len(f.needs):]
		}
	}
	return out
}()

// crippenMayMatch applies the prefilters of row ri to an atom with the
// given property values and neighbour kinds kinds (nm: their set).
func crippenMayMatch(ri uint8, h, x, d, chg int, kinds []int, nm nbrMask) bool {
	f := &crippenFilters[ri]
	if !propOK(f.props.h, h) || !propOK(f.props.x, x) || !propOK(f.props.d, d) || !propOK(f.props.chg, chg+8) {
		return false
	}
	if f.nNbr > len(kinds) {
		return false
	}
	for k := 0; k < f.nNeeds; k++ {
		if !needOK(&f.needs[k], kinds, nm) {
			return false
		}
	}
	for k := range f.more {
		if !needOK(&f.more[k], kinds, nm) {
			return false
		}
	}
	return true
}

func needOK(nd *nbrNeed, kinds []int, nm nbrMask) bool {
	if nd.mask[0]&nm[0] == 0 && nd.mask[1]&nm[1] == 0 {
		return false
	}
	if nd.count > 1 {
		c := 0
		for _, k := range kinds {
			if nd.mask.has(k) {
				c++
			}
		}
		if c < nd.count {
			return false
		}
	}
	return true
}

// crippenType is the type index of the first parameter row matching atom i
// of mt's view (a virtual hydrogen when i >= len(m.Atoms)), or -1.
func (mt *matcher) crippenType(i int) int16 {
	var key, h, x, chg int
	if i >= mt.n {
		key = crippenKey(1, false)
		x = 1
		if mt.m.Atoms[mt.hParent[i-mt.n]].Z == 1 {
			h = 1
		}
	} else {
		a := &mt.m.Atoms[i]
		key = crippenKey(a.Z, a.Aromatic)
		h, x, chg = mt.hs[i], mt.m.totalDegree(i), int(a.Charge)
	}
	var kindBuf [8]int
	kinds := mt.nbrKinds(i, kindBuf[:0])
	var nm nbrMask
	for _, k := range kinds {
		nm.set(k)
	}
	rows := crippenRowsFor[key]
	if h < crippenHX && x < crippenHX {
		rows = crippenRowsForHX[key][h*crippenHX+x]
	}
	for _, ri := range rows {
		if !crippenMayMatch(ri, h, x, len(kinds), chg, kinds, nm) {
			continue
		}
		if mt.matchFrom(crippenTable[ri].pat, i) {
			return crippenTable[ri].typ
		}
	}
	return -1
}

// CrippenAtoms types every atom of m the way RDKit does on the molecule with
// hydrogens added (first matching row of the parameter table wins) and
// returns logP and MR, equal to Crippen(m). dst is reused when large enough;
// the result has len m.NumAtoms(). H atoms present in the graph get their
// own entry; the hydrogens counted on an atom (Hs) all share HType.
func CrippenAtoms(m *Mol, dst []CrippenAtom) (atoms []CrippenAtom, logp, mr float64) {
	n := len(m.Atoms)
	if cap(dst) >= n {
		atoms = dst[:n]
	} else {
		atoms = make([]CrippenAtom, n)
	}
	logp, mr = crippen(m, atoms)
	return atoms, logp, mr
}

// crippen sums the contributions, storing each atom's typing in atoms
// unless it is nil.
func crippen(m *Mol, atoms []CrippenAtom) (logp, mr float64) {
	return crippenWith(m, atoms, true)
}

// crippenWith is crippen; memo lets atoms with the same local environment
// share one typing (tests compare it with typing every atom).
func crippenWith(m *Mol, atoms []CrippenAtom, memo bool) (logp, mr float64) {
	n := len(m.Atoms)
	mt := getMatcher(m, true)
	mt.memoReset(memo)
	for i := 0; i < n; i++ {
		t := mt.crippenTypeMemo(i)
		nh := m.Atoms[i].TotalHs()
		ht := int16(-1)
		if nh > 0 {
			// the hydrogens of one atom are interchangeable: type the first
			ht = mt.crippenTypeMemo(int(mt.hStart[i]))
		}
		if atoms != nil {
			atoms[i] = CrippenAtom{Type: t, HType: ht, Hs: int8(nh)}
		}
		lp, r := CrippenContrib(t)
		hlp, hr := CrippenContrib(ht)
		logp += lp + float64(nh)*hlp
		mr += r + float64(nh)*hr
	}
	putMatcher(mt)
	return logp, mr
}

// TPSA is Ertl's topological polar surface area over N and O (RDKit CalcTPSA).
func TPSA(m *Mol) float64 {
	res := 0.0
	for i := range m.Atoms {
		res += tpsaContrib(m, i)
	}
	return res
}

func tpsaContrib(m *Mol, i int) float64 {
	a := &m.Atoms[i]
	if a.Z != 7 && a.Z != 8 {
		return 0
	}
	var nNbrs, nSing, nDoub, nTrip, nArom, nHs int
	for _, b := range a.bonds {
		bd := &m.Bonds[b]
		o := &m.Atoms[bd.Other(int32(i))]
		if o.Z == 1 {
			nNbrs--
			nHs++
			continue
		}
		if bd.Aromatic {
			nArom++
			continue
		}
		switch bd.Type {
		case BondSingle:
			nSing++
		case BondDouble:
			nDoub++
		case BondTriple:
			nTrip++
		}
	}
	nHs += a.TotalHs()
	chg := int(a.Charge)
	in3 := false
	for _, r := range m.rings {
		if len(r) == 3 && containsI32(r, int32(i)) {
			in3 = true
		}
	}
	nNbrs += len(a.bonds)
	tmp := -1.0
	if a.Z == 7 {
		switch nNbrs {
		case 1:
			switch {
			case nHs == 0 && chg == 0 && nTrip == 1:
				tmp = 23.79
			case nHs == 1 && chg == 0 && nDoub == 1:
				tmp = 23.85
			case nHs == 2 && chg == 0 && nSing == 1:
				tmp = 26.02
			case nHs == 2 && chg == 1 && nDoub == 1:
				tmp = 25.59
			case nHs == 3 && chg == 1 && nSing == 1:
				tmp = 27.64
			}
		case 2:
			switch {
			case nHs == 0 && chg == 0 && nSing == 1 && nDoub == 1:
				tmp = 12.36
			case nHs == 0 && chg == 0 && nTrip == 1 && nDoub == 1:
				tmp = 13.60
			case nHs == 1 && chg == 0 && nSing == 2 && in3:
				tmp = 21.94
			case nHs == 1 && chg == 0 && nSing == 2 && !in3:
				tmp = 12.03
			case nHs == 0 && chg == 1 && nTrip == 1 && nSing == 1:
				tmp = 4.36
			case nHs == 1 && chg == 1 && nDoub == 1 && nSing == 1:
				tmp = 13.97
			case nHs == 2 && chg == 1 && nSing == 2:
				tmp = 16.61
			case nHs == 0 && chg == 0 && nArom == 2:
				tmp = 12.89
			case nHs == 1 && chg == 0 && nArom == 2:
				tmp = 15.79
			case nHs == 1 && chg == 1 && nArom == 2:
				tmp = 14.14
			}
		case 3:
			switch {
			case nHs == 0 && chg == 0 && nSing == 3 && in3:
				tmp = 3.01
			case nHs == 0 && chg == 0 && nSing == 3 && !in3:
				tmp = 3.24
			case nHs == 0 && chg == 0 && nSing == 1 && nDoub == 2:
				tmp = 11.68
			case nHs == 0 && chg == 1 && nSing == 2 && nDoub == 1:
				tmp = 3.01
			case nHs == 1 && chg == 1 && nSing == 3:
				tmp = 4.44
			case nHs == 0 && chg == 0 && nArom == 3:
				tmp = 4.41
			case nHs == 0 && chg == 0 && nSing == 1 && nArom == 2:
				tmp = 4.93
			case nHs == 0 && chg == 0 && nDoub == 1 && nArom == 2:
				tmp = 8.39
			case nHs == 0 && chg == 1 && nArom == 3:
				tmp = 4.10
			case nHs == 0 && chg == 1 && nSing == 1 && nArom == 2:
				tmp = 3.88
			}
		case 4:
			if nHs == 0 && nSing == 4 && chg == 1 {
				tmp = 0
			}
		}
		if tmp < 0 {
			tmp = math.Max(0, 30.5-float64(nNbrs)*8.2+float64(nHs)*1.5)
		}
		return tmp
	}
	switch nNbrs {
	case 1:
		switch {
		case nHs == 0 && chg == 0 && nDoub == 1:
			tmp = 17.07
		case nHs == 1 && chg == 0 && nSing == 1:
			tmp = 20.23
		case nHs == 0 && chg == -1 && nSing == 1:
			tmp = 23.06
		}
	case 2:
		switch {
		case nHs == 0 && chg == 0 && nSing == 2 && in3:
			tmp = 12.53
		case nHs == 0 && chg == 0 && nSing == 2 && !in3:
			tmp = 9.23
		case nHs == 0 && chg == 0 && nArom == 2:
			tmp = 13.14
		}
	}
	if tmp < 0 {
		tmp = math.Max(0, 28.5-float64(nNbrs)*8.6+float64(nHs)*1.5)
	}
	return tmp
}

// Formula returns the molecular formula as RDKit's CalcMolFormula writes it
// by default: C first, then H, then the other elements alphabetically;
// isotopes counted under their element; net charge appended (+, -, +n, -n).
func (m *Mol) Formula() string {
	counts := map[string]int{}
	charge := 0
	for i := range m.Atoms {
		a := &m.Atoms[i]
		counts[a.Symbol()]++
		if h := a.TotalHs(); h > 0 {
			counts["H"] += h
		}
		charge += int(a.Charge)
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return hillKey(keys[i]) < hillKey(keys[j]) })
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k)
		if counts[k] > 1 {
			sb.WriteString(strconv.Itoa(counts[k]))
		}
	}
	switch {
	case charge == 1:
		sb.WriteString("+")
	case charge == -1:
		sb.WriteString("-")
	case charge > 1:
		sb.WriteString("+" + strconv.Itoa(charge))
	case charge < -1:
		sb.WriteString(strconv.Itoa(charge))
	}
	return sb.String()
}

func hillKey(sym string) string {
	switch sym {
	case "C":
		return "0"
	case "H":
		return "1"
	}
	return "2" + sym
}

// Crippen typing memo. Every parameter row of most first-atom kinds is a
// star around its first atom (every pattern bond touches it) whose other
// atoms ask only for element, aromaticity and charge, and whose bonds ask
// only for the bond order. Whether such a row matches an atom depends only
// on the atom's own properties and on the multiset of (bond, neighbour
// element, aromaticity, charge): crippenEnvKey. Atoms with equal keys get
// the same type, so each distinct environment is typed once, in the first
// molecule that has it (the memo is kept from molecule to molecule).

// crippenMemoOK[key] (crippenKey) is true when every row for that
// first-atom kind is such a star and there are enough rows to pay for it.
var crippenMemoOK = func() []bool {
	star := make([]bool, len(crippenTable))
	for ri, row := range crippenTable {
		star[ri] = starPattern(row.pat)
	}
	out := make([]bool, len(crippenRowsFor))
	for key, rows := range crippenRowsFor {
		// typing against a few rows costs less than the memo lookup
		ok := len(rows) >= 8
		for _, ri := range rows {
			ok = ok && star[ri]
		}
		out[key] = ok
	}
	return out
}()

// starPattern reports whether every bond of p touches atom 0, atom 0's
// query reads only properties in crippenEnvKey, the other atoms' queries
// only element, aromaticity and charge, and the bond queries only order.
func starPattern(p *smartsPattern) bool {
	self := map[qkind]bool{qElem: true, qAromatic: true, qAliphatic: true, qHCount: true,
		qDegree: true, qTotalDegree: true, qValence: true, qCharge: true, qInRing: true, qRingCount: true}
	nbr := map[qkind]bool{qElem: true, qAromatic: true, qAliphatic: true, qCharge: true}
	bond := map[qkind]bool{qBondSingle: true, qBondDouble: true, qBondTriple: true, qBondAromatic: true, qBondDefault: true}
	if !queryUses(p.atoms[0], self) {
		return false
	}
	for k := 1; k < len(p.atoms); k++ {
		if !queryUses(p.atoms[k], nbr) || len(p.adj[k]) != 1 {
			return false
		}
	}
	for _, b := range p.bonds {
		if (b.a != 0 && b.b != 0) || !queryUses(b.q, bond) {
			return false
		}
	}
	return true
}

// queryUses reports whether q's primitives are all in allowed (logical
// nodes and True are always allowed).
func queryUses(q *qnode, allowed map[qkind]bool) bool {
	switch q.kind {
	case qAnd, qLowAnd, qOr, qNot:
		for _, k := range q.kids {
			if !queryUses(k, allowed) {
				return false
			}
		}
		return true
	case qTrue:
		return true
	}
	return allowed[q.kind]
}

// memoReset empties the typing memo for the matcher's molecule (enabled
// when on).
func (mt *matcher) memoReset(on bool) {
	mt.memoOn = on
	if !on {
		return
	}
	// The memo outlives the molecule: a key describes everything the rows
	// read, whatever molecule the atom is in, so an environment typed in
	// one molecule is known in the next (the matcher is pooled). It starts
	// over when this molecule's atoms could fill more than half the table.
	if need := 2 * (len(mt.memoType) + mt.n); need <= len(mt.memoTab) {
		return
	}
	mt.memoKeys = mt.memoKeys[:0]
	mt.memoOff = mt.memoOff[:0]
	mt.memoType = mt.memoType[:0]
	size := 4096
	for size < 2*mt.n {
		size *= 2
	}
	if cap(mt.memoTab) < size {
		mt.memoTab = make([]int32, size)
	}
	mt.memoTab = mt.memoTab[:size]
	clear(mt.memoTab)
}

// crippenEnvKey appends atom i's environment key to dst: its element,
// aromaticity, charge, H count, degrees, valence and ring count, then one
// word per neighbour (bond type and aromaticity, neighbour element,
// aromaticity and charge; virtual hydrogens flagged), sorted. ok is false
// when a value does not fit its field.
func (mt *matcher) crippenEnvKey(dst []uint32, i int) ([]uint32, bool) {
	a := &mt.m.Atoms[i]
	nvirt := int(mt.hStart[i+1] - mt.hStart[i])
	deg := len(a.bonds) + nvirt
	hs, td, val := mt.hs[i], mt.m.totalDegree(i), mt.val[i]
	if hs > 31 || deg > 31 || td > 255 || val > 255 || deg > 24 {
		return dst, false
	}
	dst = append(dst,
		uint32(a.Z)|b2u(a.Aromatic)<<8|uint32(uint8(a.Charge))<<9|uint32(hs)<<17|uint32(deg)<<22,
		uint32(td)|uint32(val)<<8|uint32(mt.m.atomRingCount[i])<<16)
	start := len(dst)
	for _, b := range a.bonds {
		bd := &mt.m.Bonds[b]
		o := &mt.m.Atoms[bd.Other(int32(i))]
		dst = append(dst, uint32(bd.Type)|b2u(bd.Aromatic)<<5|uint32(o.Z)<<6|b2u(o.Aromatic)<<14|uint32(uint8(o.Charge))<<15)
	}
	if nvirt > 0 {
		v := uint32(1)<<6 | 1<<23 // a neutral aliphatic H on a virtual bond
		for k := 0; k < nvirt; k++ {
			dst = append(dst, v)
		}
	}
	nb := dst[start:]
	for x := 1; x < len(nb); x++ {
		for y := x; y > 0 && nb[y] < nb[y-1]; y-- {
			nb[y], nb[y-1] = nb[y-1], nb[y]
		}
	}
	return dst, true
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// crippenHTypeByParent[crippenKey(z, arom)] is the type of a virtual
// hydrogen on an atom of element z and that aromaticity when the parameter
// table decides it from the parent's element alone (every earlier hydrogen
// row needs a different neighbour element, and a two-atom row accepts this
// one), else -2.
var crippenHTypeByParent = func() []int16 {
	out := make([]int16, len(crippenRowsFor))
	hRows := crippenRowsFor[crippenKey(1, false)]
	for z := range elementTable {
		for _, arom := range []bool{false, true} {
			t := int16(-2)
		rows:
			for _, ri := range hRows {
				p := crippenTable[ri].pat
				if mayMatchElem(p.atoms[0], 1, false) != triYes {
					break // the hydrogen itself may fail: undecided
				}
				nbr := triNo // can the pattern's neighbour of the H be the parent?
				for _, bi := range p.adj[0] {
					b := p.bonds[bi]
					o := b.a
					if o == 0 {
						o = b.b
					}
					if mayMatchElem(p.atoms[o], z, arom) != triNo {
						nbr = mayMatchElem(p.atoms[o], z, arom)
					}
					if len(p.atoms) == 2 && len(p.bonds) == 1 && nbr == triYes && virtualBondOK(b.q) {
						t = crippenTable[ri].typ
						break rows
					}
				}
				switch {
				case len(p.atoms) == 1:
					t = crippenTable[ri].typ
					break rows
				case nbr != triNo:
					break rows // might match: undecided
				}
			}
			out[crippenKey(uint8(z), arom)] = t
		}
	}
	return out
}()

// crippenTypeMemo is crippenType, typing each distinct environment of a
// star-only atom kind once, and hydrogens whose parent's element decides.
func (mt *matcher) crippenTypeMemo(i int) int16 {
	if !mt.memoOn {
		return mt.crippenType(i)
	}
	if i >= mt.n {
		p := &mt.m.Atoms[mt.hParent[i-mt.n]]
		if t := crippenHTypeByParent[crippenKey(p.Z, p.Aromatic)]; t != -2 {
			return t
		}
		return mt.crippenType(i)
	}
	a := &mt.m.Atoms[i]
	if !crippenMemoOK[crippenKey(a.Z, a.Aromatic)] {
		return mt.crippenType(i)
	}
	start := len(mt.memoKeys)
	keys, ok := mt.crippenEnvKey(mt.memoKeys, i)
	if !ok {
		mt.memoKeys = keys[:start]
		return mt.crippenType(i)
	}
	key := keys[start:]
	h := uint64(14695981039346656037)
	for _, w := range key {
		h ^= uint64(w)
		h *= 1099511628211
	}
	mask := len(mt.memoTab) - 1
	slot := int(h^h>>29) & mask
	for ; mt.memoTab[slot] != 0; slot = (slot + 1) & mask {
		e := int(mt.memoTab[slot] - 1)
		hi := start // the last entry's key ends where this one starts
		if e+1 < len(mt.memoOff) {
			hi = int(mt.memoOff[e+1])
		}
		if slices.Equal(keys[mt.memoOff[e]:hi], key) {
			mt.memoKeys = keys[:start]
			return mt.memoType[e]
		}
	}
	t := mt.crippenType(i)
	mt.memoKeys = keys
	mt.memoOff = append(mt.memoOff, int32(start))
	mt.memoType = append(mt.memoType, t)
	mt.memoTab[slot] = int32(len(mt.memoType))
	return t
}
