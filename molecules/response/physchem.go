package response

import (
	"math"
	"slices"

	"github.com/rxlab/rxlab/molecules"
)

// physchemNames lists the topological descriptors of the physchem block in
// input order: Kier–Hall connectivity indices (simple and valence, paths of
// 0–4 bonds), Kier's kappa shape indices, a symmetry measure and ring-system
// counts. They describe size, branching, shape and symmetry: what decides
// crystal packing (melting point) and so solubility beyond logP (the General
// Solubility Equation's second term). They follow the published definitions
// (Kier & Hall 1986; Kier 1985); they are features of our own, not checked
// against RDKit's Chi/Kappa functions.
var physchemNames = [...]string{
	"Chi0", "Chi1", "Chi2", "Chi3", "Chi4",
	"Chi0v", "Chi1v", "Chi2v", "Chi3v", "Chi4v",
	"Kappa1", "Kappa2", "Kappa3",
	"SymmetryClasses", "SymmetryFraction",
	"RingSystems", "LargestRingSystem", "FusedRings",
}

// NumPhyschem is the width of the physchem block.
const NumPhyschem = len(physchemNames)

// valenceElectrons is the outer-shell electron count used by Kier–Hall δv.
func valenceElectrons(z uint8) (int, bool) {
	switch z {
	case 5, 13:
		return 3, true
	case 6, 14, 32:
		return 4, true
	case 7, 15, 33:
		return 5, true
	case 8, 16, 34:
		return 6, true
	case 9, 17, 35, 53:
		return 7, true
	}
	return 0, false
}

// appendPhyschem appends the physchem block (physchemNames order) to dst.
func appendPhyschem(dst []float64, m *molecules.Mol) []float64 {
	n := m.NumAtoms()
	heavy := make([]bool, n)
	deg := make([]float64, n)
	degV := make([]float64, n)
	nHeavy := 0
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Z <= 1 {
			continue
		}
		heavy[i] = true
		nHeavy++
	}
	nbr := make([][]int, n)
	for i := range m.Atoms {
		if !heavy[i] {
			continue
		}
		for _, j := range m.Neighbors(i) {
			if heavy[j] {
				nbr[i] = append(nbr[i], j)
			}
		}
		a := &m.Atoms[i]
		deg[i] = float64(len(nbr[i]))
		degV[i] = deg[i]
		if zv, ok := valenceElectrons(a.Z); ok {
			zv -= int(a.Charge)
			v := float64(zv - a.TotalHs())
			if a.Z > 10 {
				v /= float64(int(a.Z) - zv - 1)
			}
			if v > 0 {
				degV[i] = v
			}
		}
	}
	// Paths of 0–4 bonds: chi sums and the path counts kappa needs. Each
	// path of ≥ 1 bond is walked once from each end, hence the halving.
	var chi, chiV [5]float64
	var paths [5]float64
	path := make([]int, 0, 5)
	onPath := make([]bool, n)
	var walk func(prod, prodV float64)
	walk = func(prod, prodV float64) {
		l := len(path) - 1
		if l > 0 {
			chi[l] += 0.5 / math.Sqrt(prod)
			chiV[l] += 0.5 / math.Sqrt(prodV)
			paths[l] += 0.5
		}
		if l == 4 {
			return
		}
		for _, j := range nbr[path[l]] {
			if onPath[j] {
				continue
			}
			onPath[j] = true
			path = append(path, j)
			walk(prod*max(deg[j], 1), prodV*max(degV[j], 1e-3))
			path = path[:len(path)-1]
			onPath[j] = false
		}
	}
	for i := range m.Atoms {
		if !heavy[i] {
			continue
		}
		chi[0] += 1 / math.Sqrt(max(deg[i], 1))
		chiV[0] += 1 / math.Sqrt(max(degV[i], 1e-3))
		onPath[i] = true
		path = append(path[:0], i)
		walk(max(deg[i], 1), max(degV[i], 1e-3))
		onPath[i] = false
	}
	dst = append(dst, chi[:]...)
	dst = append(dst, chiV[:]...)
	A := float64(nHeavy)
	kappa := func(num, p float64) float64 {
		if p == 0 {
			return 0
		}
		return num / (p * p)
	}
	k3 := (A - 1) * (A - 3) * (A - 3)
	if nHeavy%2 == 0 {
		k3 = (A - 3) * (A - 2) * (A - 2)
	}
	dst = append(dst, kappa(A*(A-1)*(A-1), paths[1]), kappa((A-1)*(A-2)*(A-2), paths[2]), kappa(k3, paths[3]))
	classes := symmetryClasses(m, heavy, nbr)
	frac := 0.0
	if nHeavy > 0 {
		frac = float64(classes) / A
	}
	dst = append(dst, float64(classes), frac)
	systems, largest, fused := ringSystems(m)
	return append(dst, float64(systems), float64(largest), float64(fused))
}

// symmetryClasses counts the classes of heavy atoms that three rounds of
// neighbourhood refinement (element, charge, hydrogens, aromaticity, degree)
// cannot tell apart: few classes for many atoms is a symmetric molecule.
func symmetryClasses(m *molecules.Mol, heavy []bool, nbr [][]int) int {
	n := m.NumAtoms()
	inv := make([]uint64, n)
	for i := range m.Atoms {
		a := &m.Atoms[i]
		ar := uint64(0)
		if a.Aromatic {
			ar = 1
		}
		inv[i] = uint64(a.Z)<<24 | uint64(uint8(a.Charge))<<16 | uint64(a.TotalHs())<<8 | ar<<7 | uint64(len(nbr[i]))
	}
	next := make([]uint64, n)
	var nb []uint64
	for round := 0; round < 3; round++ {
		for i := range m.Atoms {
			nb = nb[:0]
			for _, j := range nbr[i] {
				nb = append(nb, inv[j])
			}
			slices.Sort(nb)
			h := inv[i]*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
			for _, v := range nb {
				h = (h^v)*0x100000001B3 + 0x9E3779B97F4A7C15
				h ^= h >> 29
			}
			next[i] = h
		}
		inv, next = next, inv
	}
	var seen []uint64
	for i := range m.Atoms {
		if heavy[i] {
			seen = append(seen, inv[i])
		}
	}
	slices.Sort(seen)
	return len(slices.Compact(seen))
}

// ringSystems groups the SSSR rings that share an atom: the number of
// systems, the atoms of the largest, and the rings that sit in a system of
// two or more.
func ringSystems(m *molecules.Mol) (systems, largest, fused int) {
	rings := m.Rings()
	if len(rings) == 0 {
		return 0, 0, 0
	}
	parent := make([]int, len(rings))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := make(map[int32]int)
	for r, ring := range rings {
		for _, a := range ring {
			if o, ok := owner[a]; ok {
				parent[find(r)] = find(o)
			} else {
				owner[a] = r
			}
		}
	}
	size := map[int]int{}
	count := map[int]int{}
	for a, r := range owner {
		_ = a
		size[find(r)]++
	}
	for r := range rings {
		count[find(r)]++
	}
	for root, c := range count {
		systems++
		largest = max(largest, size[root])
		if c > 1 {
			fused += c
		}
	}
	return systems, largest, fused
}
