package descriptors

import (
	"math"

	"github.com/rxlab/rxlab/molecules"
)

// vsaNames lists the surface-area block in order: Labute's
// approximate surface area (LabuteASA) and its split by the atoms'
// Wildman–Crippen logP contributions (SlogP_VSA1–12) and molar-refractivity
// contributions (SMR_VSA1–10), as RDKit defines them (Labute 2000, with
// RDKit's extended bins): how much of the molecule's surface is
// hydrophobic, polar or polarisable, which logP's single sum hides.
var vsaNames = [...]string{
	"LabuteASA",
	"SlogP_VSA1", "SlogP_VSA2", "SlogP_VSA3", "SlogP_VSA4", "SlogP_VSA5", "SlogP_VSA6",
	"SlogP_VSA7", "SlogP_VSA8", "SlogP_VSA9", "SlogP_VSA10", "SlogP_VSA11", "SlogP_VSA12",
	"SMR_VSA1", "SMR_VSA2", "SMR_VSA3", "SMR_VSA4", "SMR_VSA5",
	"SMR_VSA6", "SMR_VSA7", "SMR_VSA8", "SMR_VSA9", "SMR_VSA10",
}

// NumVSA is the width of the surface-area block.
const NumVSA = len(vsaNames)

// VSANames returns the names of the surface-area block in AppendVSA's
// order (RDKit's descriptor names).
func VSANames() []string { return append([]string(nil), vsaNames[:]...) }

// Upper bin edges of the VSA descriptors: an atom whose contribution v is
// below edge k (and not below edge k−1) adds its surface to bin k; at or
// above the last edge, to the last bin (RDKit's bisect_right).
var (
	slogpBins = [...]float64{-0.4, -0.2, 0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6}
	smrBins   = [...]float64{1.29, 1.82, 2.24, 2.45, 2.75, 3.05, 3.63, 3.8, 4.0}
)

// rb0 is RDKit 2022.09's bond radius Rb0 (Å) by atomic number 1–118 (its
// atomic_data.cpp; 0 where RDKit has none), the sphere radius of Labute's
// surface model (testdata/make_vsa_golden.py prints it).
var rb0 = [...]float64{0, // no element 0
	0.33, 0.7, 1.23, 0.9, 0.82, 0.77, 0.7, 0.66, 0.611, 0.7, 1.54, 1.36, 1.18, 0.937, 0.89, 1.04, 0.997, 1.74,
	2.03, 1.74, 1.44, 1.32, 1.22, 1.18, 1.17, 1.17, 1.16, 1.15, 1.17, 1.25, 1.26, 1.188, 1.2, 1.17, 1.167, 1.91,
	2.16, 1.91, 1.62, 1.45, 1.34, 1.3, 1.27, 1.25, 1.25, 1.28, 1.34, 1.48, 1.44, 1.385, 1.4, 1.378, 1.387, 1.98,
	2.35, 1.98, 1.69, 1.83, 1.82, 1.81, 1.8, 1.8, 1.99, 1.79, 1.76, 1.75, 1.74, 1.73, 1.72, 1.94, 1.72, 1.44,
	1.34, 1.3, 1.28, 1.26, 1.27, 1.3, 1.34, 1.49, 1.48, 1.48, 1.45, 1.46, 1.45, 2.4, 2, 1.9, 1.88, 1.79, 1.61,
	1.58, 1.55, 1.53, 1.07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
}

// radius is the Rb0 of atomic number z (0 when unknown).
func radius(z uint8) float64 {
	if int(z) < len(rb0) {
		return rb0[z]
	}
	return 0
}

// overlap is the part of sphere i (radius ri) that sphere j (radius rj)
// at distance d covers, in Labute's units (the V term of
// 4πri² − πri·ΣV); 0 for degenerate spheres.
func overlap(ri, rj, d float64) float64 {
	if d <= 0 {
		return 0
	}
	return rj*rj - (ri-d)*(ri-d)/d
}

// bondShrink is Labute's bond-length correction: the distance of two
// bonded spheres is ri + rj minus this.
func bondShrink(b *molecules.Bond) float64 {
	switch {
	case b.Aromatic || b.Type == molecules.BondAromatic || b.Type == molecules.BondUnspecified:
		return 0.1
	case b.Type == molecules.BondDouble:
		return 0.2
	case b.Type == molecules.BondTriple:
		return 0.3
	}
	return 0
}

// LabuteAtoms fills asa[i] (len(asa) = atoms) with atom i's share of
// Labute's approximate surface area and returns the hydrogen spheres'
// share (their sum is RDKit's LabuteASA). As in
// RDKit, every atom's sphere is cut by one hydrogen sphere whatever its
// hydrogen count, and one hydrogen sphere cut by every atom counts once.
func LabuteAtoms(m *molecules.Mol, asa []float64) (h float64) {
	clear(asa)
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		ri, rj := radius(m.Atoms[b.Begin].Z), radius(m.Atoms[b.End].Z)
		d := min(max(math.Abs(ri-rj), ri+rj-bondShrink(b)), ri+rj)
		asa[b.Begin] += overlap(ri, rj, d)
		asa[b.End] += overlap(rj, ri, d)
	}
	rh := rb0[1]
	var hCut float64
	for i := range m.Atoms {
		ri := radius(m.Atoms[i].Z)
		d := ri + rh
		asa[i] += overlap(ri, rh, d)
		hCut += overlap(rh, ri, d)
		asa[i] = 4*math.Pi*ri*ri - math.Pi*ri*asa[i]
	}
	if len(m.Atoms) == 0 {
		return 0
	}
	return 4*math.Pi*rh*rh - math.Pi*rh*hCut
}

// atomScratch returns a zeroed per-atom slice, from buf when it fits.
func atomScratch(buf []float64, n int) []float64 {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]float64, n)
}

// AppendVSA appends the surface-area block (VSANames order) to dst.
// crippen is the molecule's Wildman–Crippen typing (molecules.CrippenAtoms);
// an atom is binned by its own type's logP and MR contribution (its
// hydrogens' are left out, as in RDKit's per-atom contributions).
func AppendVSA(dst []float64, m *molecules.Mol, crippen []molecules.CrippenAtom) []float64 {
	n := len(dst)
	dst = append(dst, make([]float64, NumVSA)...)
	out := dst[n:]
	var buf [96]float64
	asa := atomScratch(buf[:], len(m.Atoms))
	total := LabuteAtoms(m, asa)
	for i, v := range asa {
		total += v
		if i >= len(crippen) {
			continue
		}
		logp, mr := molecules.CrippenContrib(crippen[i].Type)
		out[1+binOf(slogpBins[:], logp)] += v
		out[1+len(slogpBins)+1+binOf(smrBins[:], mr)] += v
	}
	out[0] = total
	zeroNonFinite(out)
	return dst
}

// zeroNonFinite replaces NaN and infinities in v by 0.
func zeroNonFinite(v []float64) {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			v[i] = 0
		}
	}
}

// binOf is the number of edges ≤ v (RDKit's bisect_right).
func binOf(edges []float64, v float64) int {
	k := 0
	for k < len(edges) && edges[k] <= v {
		k++
	}
	return k
}
