package descriptors

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
// (Kier & Hall 1986; Kier 1985) and agree with RDKit's Chi0/Chi1/Chi0v and
// with the higher orders summed over RDKit's paths (TestPhyschemAgainstRDKit
// names where definitions differ); Kappa here is Kier's, without the
// Hall–Kier α that RDKit's Kappa1–3 add.
var physchemNames = [...]string{
	"Chi0", "Chi1", "Chi2", "Chi3", "Chi4",
	"Chi0v", "Chi1v", "Chi2v", "Chi3v", "Chi4v",
	"Kappa1", "Kappa2", "Kappa3",
	"SymmetryClasses", "SymmetryFraction",
	"RingSystems", "LargestRingSystem", "FusedRings",
}

// NumPhyschem is the width of the physchem block.
const NumPhyschem = len(physchemNames)

// PhyschemNames returns the names of the physchem block in Append's order.
func PhyschemNames() []string { return append([]string(nil), physchemNames[:]...) }

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

// Physchem computes the physchem block with reusable working arrays; the
// zero value is ready to use. Keep one per goroutine (it is not safe for
// concurrent use): after the first molecules it allocates nothing.
type Physchem struct {
	start, adj      []int32 // heavy-atom adjacency, CSR
	invSqrt, invSqV []float64
	ones, arm       []float64
	nbSum           [3][]float64
	mark            []int32 // pathSums: stamp of c's neighbours
	stamp           int32
	inv, next, nb   []uint64
	owner, parent   []int32
	size, count     []int32
	chi, chiV       [5]float64
	paths           [5]float64
}

// AppendPhyschem appends the physchem block (PhyschemNames order) to dst,
// with working arrays of its own; Physchem.Append reuses them.
func AppendPhyschem(dst []float64, m *molecules.Mol) []float64 {
	var s Physchem
	return s.Append(dst, m)
}

// Append appends the physchem block (PhyschemNames order) of m to dst.
func (s *Physchem) Append(dst []float64, m *molecules.Mol) []float64 {
	nHeavy := s.build(m)
	// Paths of 0–4 bonds: chi sums and the path counts kappa needs.
	s.chi, s.chiV, s.paths = s.pathSums(m)
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

// build fills the heavy-atom adjacency, the 1/√δ and 1/√δv factors and the
// path scratch for m, and returns the number of heavy atoms.
func (s *Physchem) build(m *molecules.Mol) int {
	n := m.NumAtoms()
	s.start = grow(s.start, n+1)
	s.adj = s.adj[:0]
	s.invSqrt = grow(s.invSqrt, n)
	s.invSqV = grow(s.invSqV, n)
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
	s.ones = grow(s.ones, n)
	for i := range s.ones {
		s.ones[i] = 1
	}
	s.mark = grow(s.mark, n)
	clear(s.mark)
	s.stamp = 0
	return nHeavy
}

// pathSums returns, for paths of 0 to 4 bonds between heavy atoms, the sums
// over the paths of the product over their atoms of 1/√δ (Kier and Hall's
// χ), of 1/√δv (valence χ) and of 1 (the path counts kappa needs). Instead
// of enumerating paths, each is counted once from its middle: 2-bond paths
// from their centre atom, 3-bond paths from their centre bond, 4-bond paths
// from their centre atom as pairs of two-bond arms, minus the pairs that
// reuse an atom (arms that run into each other across a three- or
// four-membered ring). A test holds the sums equal to brute-force
// enumeration on every embedded molecule.
func (s *Physchem) pathSums(m *molecules.Mol) (chi, chiV, paths [5]float64) {
	n := m.NumAtoms()
	w := [3][]float64{s.invSqrt, s.invSqV, s.ones}
	// S[k][i]: sum of w[k] over i's neighbours.
	for k := range s.nbSum {
		s.nbSum[k] = grow(s.nbSum[k], n)
	}
	for i := 0; i < n; i++ {
		var t [3]float64
		for _, j := range s.adj[s.start[i]:s.start[i+1]] {
			t[0] += w[0][j]
			t[1] += w[1][j]
			t[2]++
		}
		s.nbSum[0][i], s.nbSum[1][i], s.nbSum[2][i] = t[0], t[1], t[2]
	}
	var p [3][5]float64
	for ci := range m.Atoms {
		if m.Atoms[ci].Z <= 1 {
			continue
		}
		c := int32(ci)
		ns := s.adj[s.start[c]:s.start[c+1]]
		s.stamp++
		for _, a := range ns {
			s.mark[a] = s.stamp
		}
		s.arm = grow(s.arm, 3*len(ns))
		for k := 0; k < 3; k++ {
			wk, S := w[k], s.nbSum[k]
			wc := wk[c]
			p[k][0] += wc
			sq, tSum, tSq := 0.0, 0.0, 0.0
			for x, a := range ns {
				wa := wk[a]
				sq += wa * wa
				// arms c–a–b, b ∈ N(a)∖{c}
				t := wa * (S[a] - wc)
				s.arm[3*x+k] = t
				tSum += t
				tSq += t * t
				if a > c {
					p[k][1] += wc * wa
					// 3 bonds y–c–a–z around the centre bond c–a, y ≠ z;
					// y = z are c and a's common neighbours (triangles).
					common := 0.0
					for _, z := range s.adj[s.start[a]:s.start[a+1]] {
						if s.mark[z] == s.stamp {
							common += wk[z] * wk[z]
						}
					}
					p[k][3] += wc * wa * ((S[c]-wa)*(S[a]-wc) - common)
				}
			}
			p[k][2] += wc * (S[c]*S[c] - sq) / 2
			p[k][4] += wc * (tSum*tSum - tSq) / 2
		}
		// 4 bonds b1–a1–c–a2–b2: take out the arm pairs that share an atom.
		for x1, a1 := range ns {
			s.stamp++
			for _, z := range s.adj[s.start[a1]:s.start[a1+1]] {
				s.mark[z] = s.stamp
			}
			for x2 := x1 + 1; x2 < len(ns); x2++ {
				a2 := ns[x2]
				// b1 = a2 or b2 = a1: a1 and a2 bonded (a triangle with
				// c); the pair with both was taken out twice.
				if s.mark[a2] == s.stamp {
					for k := 0; k < 3; k++ {
						w12 := w[k][a1] * w[k][a2]
						p[k][4] -= w[k][c] * (w12*(s.arm[3*x1+k]+s.arm[3*x2+k]) - w12*w12)
					}
				}
				// b1 = b2: a common neighbour z ≠ c of a1 and a2.
				for _, z := range s.adj[s.start[a2]:s.start[a2+1]] {
					if z != c && s.mark[z] == s.stamp {
						for k := 0; k < 3; k++ {
							p[k][4] -= w[k][c] * w[k][a1] * w[k][a2] * w[k][z] * w[k][z]
						}
					}
				}
			}
		}
	}
	return p[0], p[1], p[2]
}

// mix64 is SplitMix64's finaliser, a bijective 64-bit mixer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

// symmetryClasses counts the classes of heavy atoms that three rounds of
// neighbourhood refinement (element, charge, hydrogens, aromaticity, degree)
// cannot tell apart: few classes for many atoms is a symmetric molecule.
func (s *Physchem) symmetryClasses(m *molecules.Mol) int {
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
		// An atom's next label hashes its own with the multiset of its
		// neighbours' labels, taken as a sum of mixed values: equal
		// multisets give equal sums, unequal ones collide with chance
		// 2⁻⁶⁴, and no neighbour list has to be gathered and sorted.
		for i := range m.Atoms {
			h := mix64(inv[i] ^ 0x632BE59BD9B4E019)
			for _, j := range s.adj[s.start[i]:s.start[i+1]] {
				h += mix64(inv[j])
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
func (s *Physchem) ringSystems(m *molecules.Mol) (systems, largest, fused int) {
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

// grow returns s with length n, reusing its array when it is large enough
// (the contents are not cleared).
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
