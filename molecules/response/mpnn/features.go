package mpnn

import (
	"fmt"
	"math"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store/errs"
)

// FeatureVersion identifies the featurisation; models record it and Load
// refuses a model built with another one.
const FeatureVersion = 1

// elements lists the atomic numbers with their own one-hot slot; every other
// element shares the last slot.
// The list is sized so that AtomDim is 64: the W_o input (AtomDim + Hidden)
// then stays a multiple of the GEMM kernels' 16-column tile.
var elements = [...]uint8{1, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 20, 22, 25, 26, 27, 28, 29, 30, 32, 33, 34, 35, 47, 50, 53, 80}

// elementSlot maps an atomic number to its slot in the element one-hot.
var elementSlot = func() [256]uint8 {
	var t [256]uint8
	for i := range t {
		t[i] = uint8(len(elements))
	}
	for i, z := range elements {
		t[z] = uint8(i)
	}
	return t
}()

// Atom feature layout: one-hot blocks with an "other" slot each, then
// scalar flags.
const (
	offElement  = 0
	nElement    = len(elements) + 1
	offDegree   = offElement + nElement // 0..5, other
	nDegree     = 7
	offCharge   = offDegree + nDegree // -2,-1,0,1,2, other
	nCharge     = 6
	offChiral   = offCharge + nCharge // none, @, @@, other
	nChiral     = 4
	offHs       = offChiral + nChiral // 0..4, other
	nHs         = 6
	offHybrid   = offHs + nHs // s (no neighbours or H), sp, sp2, sp3, sp3d, sp3d2
	nHybrid     = 6
	offAromatic = offHybrid + nHybrid
	offInRing   = offAromatic + 1
	offMass     = offInRing + 1

	// AtomDim is the width of an atom feature row.
	AtomDim = offMass + 1
)

// Bond feature layout.
const (
	offBondType   = 0 // single, double, triple, aromatic, other
	nBondType     = 5
	offConjugated = offBondType + nBondType
	offBondRing   = offConjugated + 1
	offStereo     = offBondRing + 1 // none, Z, E
	nStereo       = 3

	// BondDim is the width of a bond feature row.
	BondDim = offStereo + nStereo
)

// Graph is a featurised molecule: atom feature rows, and two directed bonds
// per chemical bond (edge 2b runs Begin→End of bond b, edge 2b+1 the
// reverse, so the reverse of edge e is e^1), each with its bond features and
// endpoints. Extra holds optional molecule-level features appended after
// the readout. A Graph is immutable once built and may be shared.
type Graph struct {
	// Atoms is the number of atoms (hydrogens are implicit).
	Atoms int
	// AtomF holds Atoms rows of AtomDim features, each followed by the
	// graph's per-atom extras when it has them (WithAtomFeatures).
	AtomF []float32
	// Src and Dst are the endpoints of each directed bond.
	Src, Dst []int32
	// BondF holds one row of BondDim features per directed bond.
	BondF []float32
	// Extra is the optional molecule-level feature vector.
	Extra []float32
}

// Edges returns the number of directed bonds.
func (g *Graph) Edges() int { return len(g.Src) }

// GraphOf featurises a parsed molecule. extra (may be nil) is copied into
// the graph as its molecule-level features.
func GraphOf(m *molecules.Mol, extra []float32) Graph {
	n := m.NumAtoms()
	g := Graph{Atoms: n, AtomF: make([]float32, n*AtomDim)}
	if len(extra) > 0 {
		g.Extra = append([]float32(nil), extra...)
	}
	pi := make([]int, n) // π-bond count per atom, for hybridisation and conjugation
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		p := 0
		switch {
		case b.Aromatic || b.Type == molecules.BondAromatic:
			p = 1
		case b.Type == molecules.BondDouble:
			p = 1
		case b.Type == molecules.BondTriple:
			p = 2
		}
		pi[b.Begin] += p
		pi[b.End] += p
	}
	var one [1]molecules.Atom
	single := molecules.Mol{Atoms: one[:]}
	for i := 0; i < n; i++ {
		a := &m.Atoms[i]
		row := g.AtomF[i*AtomDim : (i+1)*AtomDim]
		row[offElement+int(elementSlot[a.Z])] = 1
		deg := a.Degree()
		row[offDegree+min(deg, nDegree-1)] = 1
		c := int(a.Charge) + 2
		if c < 0 || c > 4 {
			c = nCharge - 1
		}
		row[offCharge+c] = 1
		ch := int(a.Chiral)
		if ch > 2 {
			ch = 3
		}
		row[offChiral+ch] = 1
		hs := a.TotalHs()
		row[offHs+min(hs, nHs-1)] = 1
		row[offHybrid+hybridSlot(a, deg, hs, pi[i])] = 1
		if a.Aromatic {
			row[offAromatic] = 1
		}
		if m.AtomInRing(i) {
			row[offInRing] = 1
		}
		one[0] = molecules.Atom{Z: a.Z, Isotope: a.Isotope}
		row[offMass] = float32(molecules.MolWt(&single) / 100)
	}
	ne := 2 * len(m.Bonds)
	g.Src, g.Dst = make([]int32, ne), make([]int32, ne)
	g.BondF = make([]float32, ne*BondDim)
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		var row [BondDim]float32
		switch {
		case b.Aromatic || b.Type == molecules.BondAromatic:
			row[offBondType+3] = 1
		case b.Type == molecules.BondSingle:
			row[offBondType] = 1
		case b.Type == molecules.BondDouble:
			row[offBondType+1] = 1
		case b.Type == molecules.BondTriple:
			row[offBondType+2] = 1
		default:
			row[offBondType+4] = 1
		}
		// Conjugated: a π bond next to another π system, or a single bond
		// joining two atoms that carry π bonds (a heuristic for RDKit's
		// conjugation, which package molecules does not export).
		own := 0
		if row[offBondType+1] == 1 || row[offBondType+3] == 1 {
			own = 1
		} else if row[offBondType+2] == 1 {
			own = 2
		}
		// π neighbour: another bond at either end leading to an atom with a π bond
		piNext := func(a int32) bool {
			for _, ob := range m.AtomBonds(int(a)) {
				if int(ob) != bi && pi[m.Bonds[ob].Other(a)] > 0 {
					return true
				}
			}
			return false
		}
		if b.Aromatic || (own > 0 && (pi[b.Begin] > own || pi[b.End] > own || piNext(b.Begin) || piNext(b.End))) ||
			(own == 0 && pi[b.Begin] > 0 && pi[b.End] > 0) {
			row[offConjugated] = 1
		}
		if m.BondInRing(bi) {
			row[offBondRing] = 1
		}
		st := int(b.Stereo)
		if st > 2 {
			st = 0
		}
		row[offStereo+st] = 1
		for k, e := range [2]int{2 * bi, 2*bi + 1} {
			copy(g.BondF[e*BondDim:(e+1)*BondDim], row[:])
			if k == 0 {
				g.Src[e], g.Dst[e] = b.Begin, b.End
			} else {
				g.Src[e], g.Dst[e] = b.End, b.Begin
			}
		}
	}
	return g
}

// hybridSlot approximates RDKit's hybridisation from the graph: aromatic or
// one π bond is sp2, two π bonds sp, five or six σ partners sp3d / sp3d2,
// an atom with no partners s, the rest sp3.
func hybridSlot(a *molecules.Atom, deg, hs, pi int) int {
	sigma := deg + hs
	switch {
	case sigma >= 6:
		return 5
	case sigma == 5:
		return 4
	case a.Aromatic || pi == 1:
		return 2
	case pi >= 2:
		return 1
	case sigma == 0:
		return 0
	}
	return 3
}

// validate checks that a graph is well formed for a model expecting extras
// extra features; i names the graph in errors.
func (g *Graph) validate(i, extras, atomExtras int) error {
	switch {
	case g.Atoms < 1:
		return fmt.Errorf("mpnn: graph %d has no atoms: %w", i, errs.Invalid)
	case len(g.AtomF) != g.Atoms*(AtomDim+atomExtras):
		return fmt.Errorf("mpnn: graph %d: %d atom features, want %d×%d (%d built-in, %d extra per atom): %w",
			i, len(g.AtomF), g.Atoms, AtomDim+atomExtras, AtomDim, atomExtras, errs.Invalid)
	case len(g.Dst) != len(g.Src) || len(g.Src)%2 != 0 || len(g.BondF) != len(g.Src)*BondDim:
		return fmt.Errorf("mpnn: graph %d: inconsistent bond arrays (%d src, %d dst, %d features): %w", i, len(g.Src), len(g.Dst), len(g.BondF), errs.Invalid)
	case len(g.Extra) != extras:
		return fmt.Errorf("mpnn: graph %d has %d extra features, the model wants %d: %w", i, len(g.Extra), extras, errs.Invalid)
	}
	for e, s := range g.Src {
		d := g.Dst[e]
		if s < 0 || int(s) >= g.Atoms || d < 0 || int(d) >= g.Atoms || s == d {
			return fmt.Errorf("mpnn: graph %d: directed bond %d joins atoms %d and %d of %d: %w", i, e, s, d, g.Atoms, errs.Invalid)
		}
		if r := e ^ 1; g.Src[r] != d || g.Dst[r] != s {
			return fmt.Errorf("mpnn: graph %d: directed bond %d is not the reverse of %d: %w", i, r, e, errs.Invalid)
		}
	}
	for _, v := range g.AtomF {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("mpnn: graph %d: non-finite atom feature: %w", i, errs.Invalid)
		}
	}
	for _, v := range g.Extra {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("mpnn: graph %d: non-finite extra feature: %w", i, errs.Invalid)
		}
	}
	return nil
}

// without returns the graph with atom k and its bonds removed (the occlusion
// used by AtomContributions). Atom indices above k shift down by one.
func (g *Graph) without(k int) Graph {
	o := Graph{Atoms: g.Atoms - 1, Extra: g.Extra}
	aw := len(g.AtomF) / g.Atoms
	o.AtomF = make([]float32, 0, (g.Atoms-1)*aw)
	o.AtomF = append(o.AtomF, g.AtomF[:k*aw]...)
	o.AtomF = append(o.AtomF, g.AtomF[(k+1)*aw:]...)
	shift := func(a int32) int32 {
		if int(a) > k {
			return a - 1
		}
		return a
	}
	for e := 0; e < len(g.Src); e += 2 {
		if int(g.Src[e]) == k || int(g.Dst[e]) == k {
			continue
		}
		o.Src = append(o.Src, shift(g.Src[e]), shift(g.Src[e+1]))
		o.Dst = append(o.Dst, shift(g.Dst[e]), shift(g.Dst[e+1]))
		o.BondF = append(o.BondF, g.BondF[e*BondDim:(e+2)*BondDim]...)
	}
	return o
}

// WithAtomFeatures returns g with k extra features per atom appended to
// each atom row: x holds Atoms rows of k values, in atom order. It is for a
// model whose Config.AtomExtras is k. g must have no atom extras yet.
func WithAtomFeatures(g Graph, x []float32, k int) (Graph, error) {
	if k < 1 || len(x) != g.Atoms*k || len(g.AtomF) != g.Atoms*AtomDim {
		return Graph{}, fmt.Errorf("mpnn: %d per-atom features for %d atoms of %d each, on rows of %d: %w",
			len(x), g.Atoms, k, len(g.AtomF)/max(g.Atoms, 1), errs.Invalid)
	}
	o := g
	w := AtomDim + k
	o.AtomF = make([]float32, g.Atoms*w)
	for i := 0; i < g.Atoms; i++ {
		copy(o.AtomF[i*w:], g.AtomF[i*AtomDim:(i+1)*AtomDim])
		copy(o.AtomF[i*w+AtomDim:(i+1)*w], x[i*k:(i+1)*k])
	}
	return o, nil
}
