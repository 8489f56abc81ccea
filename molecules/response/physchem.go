package response

import (
	"math"
	"slices"
	"sync"

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

// physScratch holds featurize's and appendPhyschem's working arrays; it is
// pooled because featurisation runs once per predicted molecule.
type physScratch struct {
	envs            []molecules.MorganEnv // featurize
	cols            []int32               // featurize
	start, adj      []int32               // heavy-atom adjacency, CSR
	invSqrt, invSqV []float64
	onPath          []bool
	inv, next, nb   []uint64
	owner, parent   []int32
	size, count     []int32
	chi, chiV       [5]float64
	paths           [5]float64
}

var physPool = sync.Pool{New: func() any { return new(physScratch) }}

// appendPhyschem appends the physchem block (physchemNames order) to dst.
func appendPhyschem(dst []float64, m *molecules.Mol) []float64 {
	s := physPool.Get().(*physScratch)
	defer physPool.Put(s)
	n := m.NumAtoms()
	s.start = grow(s.start, n+1)
	s.adj = s.adj[:0]
	s.invSqrt = grow(s.invSqrt, n)
	s.invSqV = grow(s.invSqV, n)
	s.onPath = grow(s.onPath, n)
	clear(s.onPath)
	nHeavy := 0
	for i := range m.Atoms {
		a := &m.Atoms[i]
		s.start[i] = int32(len(s.adj))
		if a.Z <= 1 {
			continue
		}
		nHeavy++
		for _, b := range m.AtomBonds(i) {
			j := m.Bonds[b].Other(int32(i))
			if m.Atoms[j].Z > 1 {
				s.adj = append(s.adj, j)
			}
		}
		deg := float64(len(s.adj) - int(s.start[i]))
		degV := deg
		if zv, ok := valenceElectrons(a.Z); ok {
			zv -= int(a.Charge)
			v := float64(zv - a.TotalHs())
			if a.Z > 10 {
				v /= float64(int(a.Z) - zv - 1)
			}
			if v > 0 {
				degV = v
			}
		}
		s.invSqrt[i] = 1 / math.Sqrt(max(deg, 1))
		s.invSqV[i] = 1 / math.Sqrt(max(degV, 1e-3))
	}
	s.start[n] = int32(len(s.adj))
	// Paths of 0–4 bonds: chi sums and the path counts kappa needs. Each
	// path of ≥ 1 bond is walked once from each end, hence the halving.
	s.chi, s.chiV, s.paths = [5]float64{}, [5]float64{}, [5]float64{}
	for i := range m.Atoms {
		if m.Atoms[i].Z <= 1 {
			continue
		}
		s.chi[0] += s.invSqrt[i]
		s.chiV[0] += s.invSqV[i]
		s.onPath[i] = true
		s.walk(int32(i), 0, s.invSqrt[i], s.invSqV[i])
		s.onPath[i] = false
	}
	dst = append(dst, s.chi[:]...)
	dst = append(dst, s.chiV[:]...)
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
	dst = append(dst, kappa(A*(A-1)*(A-1), s.paths[1]), kappa((A-1)*(A-2)*(A-2), s.paths[2]), kappa(k3, s.paths[3]))
	classes := s.symmetryClasses(m)
	frac := 0.0
	if nHeavy > 0 {
		frac = float64(classes) / A
	}
	dst = append(dst, float64(classes), frac)
	systems, largest, fused := s.ringSystems(m)
	return append(dst, float64(systems), float64(largest), float64(fused))
}

// walk extends the path ending at atom a (l bonds so far, products of
// 1/√δ and 1/√δv along it) by every heavy neighbour not on it, up to 4 bonds.
func (s *physScratch) walk(a int32, l int, p, pv float64) {
	if l > 0 {
		s.chi[l] += 0.5 * p
		s.chiV[l] += 0.5 * pv
		s.paths[l] += 0.5
	}
	if l == 3 {
		// The last bond: sum the neighbours' factors instead of a call
		// per 4-bond path (most paths end here).
		var si, sv, cnt float64
		for _, j := range s.adj[s.start[a]:s.start[a+1]] {
			if !s.onPath[j] {
				si += s.invSqrt[j]
				sv += s.invSqV[j]
				cnt++
			}
		}
		s.chi[4] += 0.5 * p * si
		s.chiV[4] += 0.5 * pv * sv
		s.paths[4] += 0.5 * cnt
		return
	}
	for _, j := range s.adj[s.start[a]:s.start[a+1]] {
		if s.onPath[j] {
			continue
		}
		s.onPath[j] = true
		s.walk(j, l+1, p*s.invSqrt[j], pv*s.invSqV[j])
		s.onPath[j] = false
	}
}

// symmetryClasses counts the classes of heavy atoms that three rounds of
// neighbourhood refinement (element, charge, hydrogens, aromaticity, degree)
// cannot tell apart: few classes for many atoms is a symmetric molecule.
func (s *physScratch) symmetryClasses(m *molecules.Mol) int {
	n := m.NumAtoms()
	s.inv = grow(s.inv, n)
	s.next = grow(s.next, n)
	inv, next := s.inv, s.next
	for i := range m.Atoms {
		a := &m.Atoms[i]
		ar := uint64(0)
		if a.Aromatic {
			ar = 1
		}
		deg := uint64(s.start[i+1] - s.start[i])
		inv[i] = uint64(a.Z)<<24 | uint64(uint8(a.Charge))<<16 | uint64(a.TotalHs())<<8 | ar<<7 | deg
	}
	for round := 0; round < 3; round++ {
		for i := range m.Atoms {
			s.nb = s.nb[:0]
			for _, j := range s.adj[s.start[i]:s.start[i+1]] {
				s.nb = append(s.nb, inv[j])
			}
			// insertion sort: an atom has at most a handful of neighbours
			nb := s.nb
			for x := 1; x < len(nb); x++ {
				for y := x; y > 0 && nb[y] < nb[y-1]; y-- {
					nb[y], nb[y-1] = nb[y-1], nb[y]
				}
			}
			h := inv[i]*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
			for _, v := range s.nb {
				h = (h^v)*0x100000001B3 + 0x9E3779B97F4A7C15
				h ^= h >> 29
			}
			next[i] = h
		}
		inv, next = next, inv
	}
	s.nb = s.nb[:0]
	for i := range m.Atoms {
		if m.Atoms[i].Z > 1 {
			s.nb = append(s.nb, inv[i])
		}
	}
	slices.Sort(s.nb)
	return len(slices.Compact(s.nb))
}

// ringSystems groups the SSSR rings that share an atom: the number of
// systems, the atoms of the largest, and the rings that sit in a system of
// two or more.
func (s *physScratch) ringSystems(m *molecules.Mol) (systems, largest, fused int) {
	rings := m.Rings()
	if len(rings) == 0 {
		return 0, 0, 0
	}
	s.parent = grow(s.parent, len(rings))
	for i := range s.parent {
		s.parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for s.parent[i] != i {
			s.parent[i] = s.parent[s.parent[i]]
			i = s.parent[i]
		}
		return i
	}
	s.owner = grow(s.owner, m.NumAtoms())
	for i := range s.owner {
		s.owner[i] = -1
	}
	for r, ring := range rings {
		for _, a := range ring {
			if o := s.owner[a]; o >= 0 {
				s.parent[find(int32(r))] = find(o)
			} else {
				s.owner[a] = int32(r)
			}
		}
	}
	s.size = grow(s.size, len(rings))
	s.count = grow(s.count, len(rings))
	clear(s.size)
	clear(s.count)
	for _, r := range s.owner {
		if r >= 0 {
			s.size[find(r)]++
		}
	}
	for r := range rings {
		s.count[find(int32(r))]++
	}
	for r := range rings {
		c := int(s.count[r])
		if c == 0 {
			continue
		}
		systems++
		largest = max(largest, int(s.size[r]))
		if c > 1 {
			fused += c
		}
	}
	return systems, largest, fused
}
