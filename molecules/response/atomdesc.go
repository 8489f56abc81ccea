package response

import (
	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/descriptors"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

// atomDescNames lists the per-atom descriptors a message-passing member may
// read beside its built-in atom features (mpnn.Config.AtomExtras): each
// atom's Wildman–Crippen logP and molar-refractivity contributions with
// those of its hydrogens, its share of Labute's surface area and its
// Kier–Hall E-state index, the atom-level terms that the molecule-level
// descriptors sum. MR, area and E-state are divided by 10 so that all four
// are of order one.
var atomDescNames = [...]string{"CrippenLogP", "CrippenMR/10", "LabuteASA/10", "EState/10"}

// numAtomDesc is the number of per-atom descriptors.
const numAtomDesc = len(atomDescNames)

// atomDescriptors returns m's per-atom descriptors, numAtomDesc per atom in
// atom order.
func atomDescriptors(m *molecules.Mol) []float32 {
	n := len(m.Atoms)
	out := make([]float32, n*numAtomDesc)
	cr, _, _ := molecules.CrippenAtoms(m, nil)
	asa := make([]float64, n)
	descriptors.LabuteAtoms(m, asa)
	s, intrinsic := make([]float64, n), make([]float64, n)
	dist, queue := make([]int32, n), make([]int32, n)
	descriptors.EStateIndices(m, s, intrinsic, dist, queue)
	for i := range n {
		lp, mr := molecules.CrippenContrib(cr[i].Type)
		if cr[i].Hs > 0 {
			hlp, hmr := molecules.CrippenContrib(cr[i].HType)
			lp += float64(cr[i].Hs) * hlp
			mr += float64(cr[i].Hs) * hmr
		}
		row := out[i*numAtomDesc : (i+1)*numAtomDesc]
		row[0], row[1], row[2], row[3] = float32(lp), float32(mr/10), float32(asa[i]/10), float32(s[i]/10)
		for j, v := range row {
			if v != v || v > 1e6 || v < -1e6 { // NaN or absurd: no signal
				row[j] = 0
			}
		}
	}
	return out
}

// graphOf featurises m for a message-passing member that reads atomExtras
// per-atom descriptors (0 or numAtomDesc).
func graphOf(m *molecules.Mol, atomExtras int) (mpnn.Graph, error) {
	g := mpnn.GraphOf(m, nil)
	if atomExtras == 0 {
		return g, nil
	}
	return mpnn.WithAtomFeatures(g, atomDescriptors(m), atomExtras)
}
