package response

import (
	"math"
	"math/bits"
	"slices"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/descriptors"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

// Featurisation constants.
const (
	// FPRadius is the Morgan radius of every feature (ECFP4).
	FPRadius = 2
	// PropertyBits is the folded count width of the property models and of
	// the similarity fingerprint.
	PropertyBits = 2048
	// GDSCDrugBits is the folded count width of the drug in GDSC models.
	GDSCDrugBits = 512
)

// descriptorNames lists the descriptor features in input order: RDKit's
// MolWt, Crippen MolLogP and MolMR and TPSA from package molecules, then
// cheap graph counts (RDKit's NHOHCount and NOCount, ring counts,
// rotatable-bond and sp3 proxies, element counts). Describe's SMARTS-based
// donor/acceptor and strict rotatable-bond counts are left out: they cost
// more than parsing and the Lipinski counts carry the same information.
var descriptorNames = [...]string{
	"MolWt", "LogP", "MR", "TPSA", "NHOH", "NO", "RotatableBonds", "Rings",
	"AromaticRings", "FractionCSP3", "HeavyAtoms", "AromaticFraction",
	"nC", "nN", "nO", "nS", "nP", "nF", "nCl", "nBr", "nI", "nCharged", "TotalHs", "Fragments",
}

// NumDescriptors is the number of descriptor features.
const NumDescriptors = len(descriptorNames)

// countFeat is one non-zero folded count.
type countFeat struct {
	Bit   int32
	Count float32
}

// molFeat is the featurised form of one molecule.
type molFeat struct {
	counts []countFeat // sorted by bit
	fp     molecules.Fingerprint
	desc   []float64
	// envs[k] lists the atoms covered by the environments that set counts[k].Bit
	// (filled only when attributions are wanted).
	envAtoms [][]int32
	atoms    int
	// graph is the molecular graph for message-passing members (nil unless
	// the model has them); its Extra is filled when it is predicted.
	graph *mpnn.Graph
}

// featurize computes counts folded to nBits, the 2048-bit similarity
// fingerprint and raw descriptors. With envs it also records the atoms of the
// environments that set each bit.
//
// colOf, when not nil, maps a folded bit to its input column (−1: the bit is
// outside the model's vocabulary and dropped); Bit then holds the column.
func featurize(m *molecules.Mol, nBits int, colOf []int32, envs bool, descSet int) molFeat {
	return featurizeIn(nil, m, nBits, colOf, envs, descSet)
}

// featArena holds the per-molecule slices of one prediction batch: the
// counts, similarity fingerprints and descriptor vectors of its molecules
// are carved out of arrays kept from batch to batch, so that featurising a
// batch allocates nothing once they have grown to its size. reset starts a
// batch; the molFeats carved before it must not be used after it.
type featArena struct {
	counts []countFeat
	words  []uint64
	desc   []float64
}

func (a *featArena) reset() { a.counts, a.words, a.desc = a.counts[:0], a.words[:0], a.desc[:0] }

// carve returns n zeroed elements of *buf's spare capacity, capped so that
// appending to them cannot reach the next molecule's. When the array is
// full it is replaced by a larger one; slices carved from the old one stay
// valid. With a nil buf it allocates.
func carve[T any](buf *[]T, n int) []T {
	if buf == nil {
		return make([]T, n)
	}
	b := *buf
	if cap(b)-len(b) < n {
		b = make([]T, 0, max(2*cap(b), 64*n))
	}
	s := b[len(b) : len(b)+n : len(b)+n]
	clear(s)
	*buf = b[:len(b)+n]
	return s
}

// featurizeIn is featurize with the molecule's slices carved from ar (nil:
// allocated).
func featurizeIn(ar *featArena, m *molecules.Mol, nBits int, colOf []int32, envs bool, descSet int) molFeat {
	sc := physPool.Get().(*physScratch)
	defer physPool.Put(sc)
	var counts *[]countFeat
	var words *[]uint64
	var desc *[]float64
	if ar != nil {
		counts, words, desc = &ar.counts, &ar.words, &ar.desc
	}
	sc.envs = molecules.MorganEnvironmentsInto(sc.envs, m, FPRadius)
	em := sc.envs
	var f molFeat
	f.atoms = m.NumAtoms()
	f.fp = molecules.Fingerprint{NBits: PropertyBits, Words: carve(words, (PropertyBits+63)/64)}
	col := func(id uint32) int32 {
		b := int32(id % uint32(nBits))
		if colOf != nil {
			return colOf[b]
		}
		return b
	}
	// Count per column with a dense counter and a bitmap of the columns
	// seen; walking the bitmap yields them in order without a sort.
	sc.colCount = grow(sc.colCount, nBits)
	sc.colSeen = grow(sc.colSeen, (nBits+63)/64)
	distinct := 0
	for _, e := range em {
		f.fp.Set(int(e.ID % PropertyBits))
		if b := col(e.ID); b >= 0 {
			if sc.colCount[b] == 0 {
				sc.colSeen[b>>6] |= 1 << uint(b&63)
				distinct++
			}
			sc.colCount[b]++
		}
	}
	f.counts = carve(counts, distinct)[:0]
	for k, w := range sc.colSeen {
		for w != 0 {
			b := int32(k*64 + bits.TrailingZeros64(w))
			w &= w - 1
			f.counts = append(f.counts, countFeat{Bit: b, Count: float32(sc.colCount[b])})
			sc.colCount[b] = 0
		}
		sc.colSeen[k] = 0
	}
	// Inputs are ln(1 + count): a ring system repeated three times should
	// not weigh three times one occurrence (ESOL RMSE 0.686 → 0.660,
	// FreeSolv 1.194 → 1.109 against raw counts; log2(1 + count) gave
	// 0.674 and 1.158).
	for k := range f.counts {
		f.counts[k].Count = log1pCount(f.counts[k].Count)
	}
	if envs {
		f.envAtoms = make([][]int32, len(f.counts))
		for _, e := range em {
			b := col(e.ID)
			if b < 0 {
				continue
			}
			k, _ := slices.BinarySearchFunc(f.counts, b, func(c countFeat, t int32) int { return int(c.Bit - t) })
			for _, a := range molecules.EnvironmentAtoms(m, e.Atom, e.Radius) {
				if !slices.Contains(f.envAtoms[k], int32(a)) {
					f.envAtoms[k] = append(f.envAtoms[k], int32(a))
				}
			}
		}
	}
	var atoms []molecules.CrippenAtom
	out := carve(desc, max(descWidth(descSet), len(descriptorNames)))[:len(descriptorNames)]
	if descSet >= DescCrippen {
		var logp, mr float64
		atoms, logp, mr = molecules.CrippenAtoms(m, sc.crippen)
		sc.crippen = atoms
		f.desc = describeInto(out, m, logp, mr, sc)
		f.desc = appendCrippenTypes(f.desc, atoms)
	} else {
		logp, mr := molecules.Crippen(m)
		f.desc = describeInto(out, m, logp, mr, sc)
	}
	if descSet >= DescPhyschem {
		f.desc = sc.phys.Append(f.desc, m)
	}
	if descSet >= DescVSA {
		f.desc = descriptors.AppendVSA(f.desc, m, atoms)
	}
	if descSet >= DescEState {
		f.desc = descriptors.AppendEState(f.desc, m)
	}
	return f
}

// log1pTable holds float32(ln(1+k)) for the small counts nearly every
// environment has.
var log1pTable = func() (t [64]float32) {
	for k := range t {
		t[k] = float32(math.Log1p(float64(k)))
	}
	return t
}()

// log1pCount is float32(ln(1 + c)) for a whole-number count c.
func log1pCount(c float32) float32 {
	if k := int(c); k >= 0 && k < len(log1pTable) && float32(k) == c {
		return log1pTable[k]
	}
	return float32(math.Log1p(float64(c)))
}

// describeWith returns the raw descriptor vector (descriptorNames order)
// given the molecule's Crippen logP and MR, with room for width values (the
// blocks the caller appends).
func describeWith(m *molecules.Mol, logp, mr float64, width int) []float64 {
	sc := physPool.Get().(*physScratch)
	defer physPool.Put(sc)
	return describeInto(make([]float64, len(descriptorNames), max(width, len(descriptorNames))), m, logp, mr, sc)
}

// describeInto is describeWith writing into out (len(descriptorNames)
// zeroes), with sc's arrays as scratch.
func describeInto(out []float64, m *molecules.Mol, logp, mr float64, sc *physScratch) []float64 {
	out[0] = molecules.MolWt(m)
	out[1], out[2] = logp, mr
	out[3] = molecules.TPSA(m)
	heavy, arom, charged, hs, carbons, sp3 := 0, 0, 0, 0, 0, 0
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Z > 1 {
			heavy++
		}
		if a.Aromatic {
			arom++
		}
		if a.Charge != 0 {
			charged++
		}
		h := a.TotalHs()
		hs += h
		if a.Z == 7 || a.Z == 8 {
			out[4] += float64(h) // NHOHCount
			out[5]++             // NOCount
		}
		if a.Z == 6 {
			carbons++
			saturated := !a.Aromatic
			for _, b := range m.AtomBonds(i) {
				if t := m.Bonds[b].Type; t != molecules.BondSingle || m.Bonds[b].Aromatic {
					saturated = false
				}
			}
			if saturated {
				sp3++
			}
		}
		switch a.Z {
		case 6:
			out[12]++
		case 7:
			out[13]++
		case 8:
			out[14]++
		case 16:
			out[15]++
		case 15:
			out[16]++
		case 9:
			out[17]++
		case 17:
			out[18]++
		case 35:
			out[19]++
		case 53:
			out[20]++
		}
	}
	// Rotatable: single, non-ring bonds between two atoms with another heavy neighbour each.
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		if b.Type != molecules.BondSingle || b.Aromatic || m.BondInRing(bi) {
			continue
		}
		if len(m.AtomBonds(int(b.Begin))) > 1 && len(m.AtomBonds(int(b.End))) > 1 {
			out[6]++
		}
	}
	rings := m.Rings()
	out[7] = float64(len(rings))
	for _, r := range rings {
		all := true
		for _, a := range r {
			all = all && m.Atoms[a].Aromatic
		}
		if all {
			out[8]++
		}
	}
	if carbons > 0 {
		out[9] = float64(sp3) / float64(carbons)
	}
	out[10] = float64(heavy)
	if heavy > 0 {
		out[11] = float64(arom) / float64(heavy)
	}
	out[21] = float64(charged)
	out[22] = float64(hs)
	out[23] = float64(sc.fragments(m))
	for i, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out[i] = 0
		}
	}
	return out
}

// fragments counts connected components.
func (sc *physScratch) fragments(m *molecules.Mol) int {
	n := m.NumAtoms()
	seen := grow(sc.seen, n)
	sc.seen = seen
	clear(seen)
	comp := 0
	stack := sc.stack[:0]
	for s := 0; s < n; s++ {
		if seen[s] {
			continue
		}
		comp++
		seen[s] = true
		stack = append(stack[:0], int32(s))
		for len(stack) > 0 {
			a := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, b := range m.AtomBonds(int(a)) {
				if o := m.Bonds[b].Other(a); !seen[o] {
					seen[o] = true
					stack = append(stack, o)
				}
			}
		}
	}
	sc.stack = stack
	return comp
}

// scaler standardises dense features: (x − mean) / sd (sd 1 when constant).
type scaler struct {
	Mean []float64 `json:"mean"`
	SD   []float64 `json:"sd"`
}

func fitScaler(rows [][]float64) scaler {
	if len(rows) == 0 {
		return scaler{}
	}
	w := len(rows[0])
	s := scaler{Mean: make([]float64, w), SD: make([]float64, w)}
	for _, r := range rows {
		for j, v := range r {
			s.Mean[j] += v
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= float64(len(rows))
	}
	for _, r := range rows {
		for j, v := range r {
			d := v - s.Mean[j]
			s.SD[j] += d * d
		}
	}
	for j := range s.SD {
		s.SD[j] = math.Sqrt(s.SD[j] / float64(len(rows)))
		if s.SD[j] < 1e-9 {
			s.SD[j] = 1
		}
	}
	return s
}

// apply writes the standardised row into dst, clipped to ±10 sd so that an
// outlandish molecule cannot drive the network far outside its training range.
func (s scaler) apply(row []float64, dst []float32) {
	for j, v := range row {
		z := (v - s.Mean[j]) / s.SD[j]
		if z > 10 {
			z = 10
		} else if z < -10 {
			z = -10
		}
		dst[j] = float32(z)
	}
}

// vocabulary returns the folded bits set in at least minCount of the given
// molecules' count vectors (sorted) and the bit → column map.
func vocabulary(feats []molFeat, idx []int, nBits, minCount int) ([]int32, []int32) {
	freq := make([]int, nBits)
	for _, i := range idx {
		for _, c := range feats[i].counts {
			freq[c.Bit]++
		}
	}
	colOf := make([]int32, nBits)
	var vocab []int32
	for b, n := range freq {
		colOf[b] = -1
		if n >= minCount {
			colOf[b] = int32(len(vocab))
			vocab = append(vocab, int32(b))
		}
	}
	return vocab, colOf
}

// remap rewrites raw folded counts into vocabulary columns (no environments).
func remap(f molFeat, colOf []int32) molFeat {
	out := f
	out.counts = make([]countFeat, 0, len(f.counts))
	for _, c := range f.counts {
		if k := colOf[c.Bit]; k >= 0 {
			out.counts = append(out.counts, countFeat{Bit: k, Count: c.Count})
		}
	}
	out.envAtoms = nil
	return out
}

// colMap rebuilds the bit → column map of a vocabulary.
func colMap(vocab []int32, nBits int) []int32 {
	colOf := make([]int32, nBits)
	for i := range colOf {
		colOf[i] = -1
	}
	for k, b := range vocab {
		colOf[b] = int32(k)
	}
	return colOf
}

// Descriptor sets: which blocks follow the fingerprint counts.
const (
	// DescBasic is the 24 descriptors of descriptorNames (0, in records
	// from before descriptor sets, means the same).
	DescBasic = 1
	// DescCrippen adds the Wildman–Crippen atom-type counts.
	DescCrippen = 2
	// DescPhyschem adds, after those, the topological block of descriptors.PhyschemNames.
	DescPhyschem = 3
	// DescVSA adds, after those, the surface-area block of descriptors.VSANames.
	DescVSA = 4
	// DescEState adds, after those, the E-state block of descriptors.EStateNames.
	DescEState = 5
)

// NumCrippenTypes is the width of the Wildman–Crippen atom-type block that
// follows the descriptors in models trained with it: one column per label
// of molecules.CrippenLabels (TestCrippenTypeWidth holds the two equal).
const NumCrippenTypes = 72

// appendCrippenTypes appends the count of every Wildman–Crippen atom type
// (heavy atoms by their type, hydrogens by theirs) in CrippenLabels order:
// the atom-level decomposition of logP and MR that the two sums hide.
func appendCrippenTypes(dst []float64, atoms []molecules.CrippenAtom) []float64 {
	n := len(dst)
	dst = append(dst, make([]float64, NumCrippenTypes)...)
	for _, a := range atoms {
		if a.Type >= NumCrippenTypes || a.HType >= NumCrippenTypes {
			continue // cannot happen while the test below holds
		}
		if a.Type >= 0 {
			dst[n+int(a.Type)]++
		}
		if a.HType >= 0 {
			dst[n+int(a.HType)] += float64(a.Hs)
		}
	}
	return dst
}
