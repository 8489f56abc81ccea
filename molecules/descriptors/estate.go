package descriptors

import (
	"math/bits"

	"github.com/rxlab/rxlab/molecules"
)

// estateNames lists the electrotopological block in order, as RDKit
// defines it: the Labute surface of the atoms binned by
// their Kier–Hall E-state index (EState_VSA1–11; RDKit's bins were chosen
// on a solubility set) and the atoms' E-state indices binned by their
// Labute surface (VSA_EState1–10).
var estateNames = [...]string{
	"EState_VSA1", "EState_VSA2", "EState_VSA3", "EState_VSA4", "EState_VSA5", "EState_VSA6",
	"EState_VSA7", "EState_VSA8", "EState_VSA9", "EState_VSA10", "EState_VSA11",
	"VSA_EState1", "VSA_EState2", "VSA_EState3", "VSA_EState4", "VSA_EState5",
	"VSA_EState6", "VSA_EState7", "VSA_EState8", "VSA_EState9", "VSA_EState10",
}

// NumEState is the width of the E-state block.
const NumEState = len(estateNames)

// EStateNames returns the names of the E-state block in AppendEState's
// order (RDKit's descriptor names).
func EStateNames() []string { return append([]string(nil), estateNames[:]...) }

// Bin edges of the E-state block (see binOf).
var (
	estateBins   = [...]float64{-0.390, 0.290, 0.717, 1.165, 1.540, 1.807, 2.05, 4.69, 9.17, 15.0}
	vsaStateBins = [...]float64{4.78, 5.00, 5.410, 5.740, 6.00, 6.07, 6.45, 7.00, 11.0}
)

// outerElectrons is RDKit 2022.09's outer-shell electron count by atomic
// number 1–118 (testdata/make_vsa_golden.py prints it).
var outerElectrons = [...]uint8{0, // no element 0
	1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 2, 3, 4, 5, 6, 7,
	8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
	14, 15, 4, 5, 6, 7, 8, 9, 10, 11, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
}

// principalQuantum is the period of atomic number z.
func principalQuantum(z uint8) float64 {
	switch {
	case z <= 2:
		return 1
	case z <= 10:
		return 2
	case z <= 18:
		return 3
	case z <= 36:
		return 4
	case z <= 54:
		return 5
	case z <= 86:
		return 6
	}
	return 7
}

// EStateIndices fills s (len = atoms) with the Kier–Hall E-state index of
// every atom: the intrinsic state I = (4/N²·δv + 1)/δ (δ the graph degree,
// δv the outer electrons less the hydrogens, N the period; 0 for an
// isolated atom) plus Σj (Ii − Ij)/(dij + 1)² over the atoms j of its
// fragment at topological distance dij. dist and queue are scratch of the
// same length.
func EStateIndices(m *molecules.Mol, s, intrinsic []float64, dist, queue []int32) {
	n := len(m.Atoms)
	for i := range m.Atoms {
		a := &m.Atoms[i]
		intrinsic[i] = 0
		d := len(m.AtomBonds(i))
		if d == 0 {
			continue
		}
		dv := -a.TotalHs()
		if int(a.Z) < len(outerElectrons) {
			dv += int(outerElectrons[a.Z])
		}
		N := principalQuantum(a.Z)
		intrinsic[i] = (4/(N*N)*float64(dv) + 1) / float64(d)
	}
	copy(s, intrinsic)
	// The graph as CSR lists (on the stack for drug-sized molecules): the
	// n breadth-first searches below then walk plain int32 arrays.
	var startBuf [97]int32
	var adjBuf [256]int32
	start, adj := startBuf[:0], adjBuf[:0]
	if n+1 > len(startBuf) || 2*len(m.Bonds) > len(adjBuf) {
		start, adj = make([]int32, 0, n+1), make([]int32, 0, 2*len(m.Bonds))
	}
	for i := 0; i < n; i++ {
		start = append(start, int32(len(adj)))
		for _, bi := range m.AtomBonds(i) {
			adj = append(adj, m.Bonds[bi].Other(int32(i)))
		}
	}
	start = append(start, int32(len(adj)))
	if n <= 64 {
		// Bit-parallel breadth-first search: a level is a 64-bit set, the
		// next one the union of its atoms' neighbour masks.
		var nbr [64]uint64
		for a := 0; a < n; a++ {
			for _, o := range adj[start[a]:start[a+1]] {
				nbr[a] |= 1 << uint(o)
			}
		}
		for i := 0; i < n; i++ {
			ii := intrinsic[i]
			visited, frontier := uint64(1)<<uint(i), uint64(1)<<uint(i)
			for d := 1; ; d++ {
				next := uint64(0)
				for f := frontier; f != 0; f &= f - 1 {
					next |= nbr[bits.TrailingZeros64(f)]
				}
				next &^= visited
				if next == 0 {
					break
				}
				visited |= next
				sum := 0.0
				for f := next; f != 0; f &= f - 1 {
					sum += intrinsic[bits.TrailingZeros64(f)]
				}
				p := float64(d + 1)
				s[i] += (float64(bits.OnesCount64(next))*ii - sum) / (p * p)
				frontier = next
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		// Breadth-first from i, one level at a time: the atoms at distance
		// d contribute Σj (Ii − Ij)/(d+1)² = (count·Ii − Σ Ij)/(d+1)², one
		// division per level instead of one per pair.
		for k := range dist[:n] {
			dist[k] = -1
		}
		dist[i] = 0
		queue[0] = int32(i)
		ii := intrinsic[i]
		head, tail := 0, 1
		for d := int32(1); head < tail; d++ {
			end := tail
			cnt, sum := 0, 0.0
			for ; head < end; head++ {
				a := queue[head]
				for _, o := range adj[start[a]:start[a+1]] {
					if dist[o] < 0 {
						dist[o] = d
						queue[tail] = o
						tail++
						cnt++
						sum += intrinsic[o]
					}
				}
			}
			if cnt > 0 {
				p := float64(d + 1)
				s[i] += (float64(cnt)*ii - sum) / (p * p)
			}
		}
	}
}

// AppendEState appends the E-state block (EStateNames order) to dst.
func AppendEState(dst []float64, m *molecules.Mol) []float64 {
	n := len(dst)
	dst = append(dst, make([]float64, NumEState)...)
	out := dst[n:]
	na := len(m.Atoms)
	var buf [3 * 96]float64
	var ibuf [2 * 96]int32
	var asa, s, intrinsic []float64
	var dist, queue []int32
	if na <= 96 {
		asa, s, intrinsic = buf[:na], buf[96:96+na], buf[192:192+na]
		dist, queue = ibuf[:na], ibuf[96:96+na]
	} else {
		asa, s, intrinsic = make([]float64, na), make([]float64, na), make([]float64, na)
		dist, queue = make([]int32, na), make([]int32, na)
	}
	LabuteAtoms(m, asa)
	EStateIndices(m, s, intrinsic, dist, queue)
	for i := range asa {
		out[binOf(estateBins[:], s[i])] += asa[i]
		out[len(estateBins)+1+binOf(vsaStateBins[:], asa[i])] += s[i]
	}
	zeroNonFinite(out)
	return dst
}
