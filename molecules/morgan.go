package molecules

import (
	"encoding/hex"
	"math/bits"
	"sort"
)

// Fingerprint is a folded bit vector.
type Fingerprint struct {
	NBits int
	Words []uint64
}

// NewFingerprint returns an all-zero fingerprint of n bits.
func NewFingerprint(n int) Fingerprint {
	return Fingerprint{NBits: n, Words: make([]uint64, (n+63)/64)}
}

// Set turns bit i on.
func (f Fingerprint) Set(i int) { f.Words[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether bit i is on.
func (f Fingerprint) Has(i int) bool { return f.Words[i>>6]&(1<<(uint(i)&63)) != 0 }

// OnBits lists the set bits in increasing order.
func (f Fingerprint) OnBits() []int {
	var out []int
	for wi, w := range f.Words {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			out = append(out, wi*64+t)
			w &= w - 1
		}
	}
	return out
}

// Count is the number of set bits.
func (f Fingerprint) Count() int {
	n := 0
	for _, w := range f.Words {
		n += bits.OnesCount64(w)
	}
	return n
}

// Hex encodes the bits little-endian (bit 0 is the low bit of the first byte).
func (f Fingerprint) Hex() string {
	b := make([]byte, (f.NBits+7)/8)
	for i := range b {
		b[i] = byte(f.Words[i/8] >> (8 * (uint(i) % 8)))
	}
	return hex.EncodeToString(b)
}

// Tanimoto is |a∧b| / |a∨b| (1 when both are empty).
func Tanimoto(a, b Fingerprint) float64 {
	and, or := 0, 0
	for i := range a.Words {
		and += bits.OnesCount64(a.Words[i] & b.Words[i])
		or += bits.OnesCount64(a.Words[i] | b.Words[i])
	}
	if or == 0 {
		return 1
	}
	return float64(and) / float64(or)
}

// MorganEnv is one circular environment: its unfolded 32-bit identifier,
// the centre atom and the radius.
type MorganEnv struct {
	ID     uint32
	Atom   int
	Radius int
	bonds  []uint64 // bond set of the environment (radius ≥ 1)
}

func hashCombine(seed, v uint32) uint32 {
	return seed ^ (v + 0x9e3779b9 + (seed << 6) + (seed >> 2))
}

// atomInvariant is RDKit's getConnectivityInvariants with ring membership.
func (m *Mol) morganAtomInvariant(i int) uint32 {
	a := &m.Atoms[i]
	var h uint32
	h = hashCombine(h, uint32(a.Z))
	h = hashCombine(h, uint32(m.totalDegree(i)))
	h = hashCombine(h, uint32(m.totalHsWithNbrs(i)))
	h = hashCombine(h, uint32(int32(a.Charge)))
	dm := int32(atomMass(a) - elementTable[a.Z].mass)
	h = hashCombine(h, uint32(dm))
	if m.atomRingCount[i] > 0 {
		h = hashCombine(h, 1)
	}
	return h
}

type nbrInv struct {
	bt  int32
	inv uint32
}

type envTuple struct {
	nbhd []uint64
	inv  uint32
	atom int
}

func cmpWords(a, b []uint64) int {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func wordsEqual(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// MorganEnvironments returns every environment RDKit's Morgan generator
// emits up to radius (default invariants, no chirality, bond types used).
func MorganEnvironments(m *Mol, radius int) []MorganEnv {
	n := len(m.Atoms)
	nw := (len(m.Bonds) + 63) / 64
	if nw == 0 {
		nw = 1
	}
	cur := make([]uint32, n)
	out := make([]MorganEnv, 0, n*(radius+1))
	for i := 0; i < n; i++ {
		cur[i] = m.morganAtomInvariant(i)
		out = append(out, MorganEnv{ID: cur[i], Atom: i, Radius: 0})
	}
	if radius <= 0 {
		return out
	}
	atomNbhd := make([][]uint64, n)
	roundNbhd := make([][]uint64, n)
	store := make([]uint64, 2*n*nw)
	for i := 0; i < n; i++ {
		atomNbhd[i] = store[i*nw : (i+1)*nw]
		roundNbhd[i] = store[(n+i)*nw : (n+i+1)*nw]
	}
	dead := make([]bool, n)
	var seen [][]uint64
	next := make([]uint32, n)
	var nbrs []nbrInv
	var tuples []envTuple
	for layer := 0; layer < radius; layer++ {
		for i := range next {
			next[i] = 0
		}
		for i := 0; i < n; i++ {
			copy(roundNbhd[i], atomNbhd[i])
		}
		tuples = tuples[:0]
		for i := 0; i < n; i++ {
			if dead[i] {
				continue
			}
			a := &m.Atoms[i]
			if len(a.bonds) == 0 {
				dead[i] = true
				continue
			}
			nbrs = nbrs[:0]
			rn := roundNbhd[i]
			for _, b := range a.bonds {
				rn[b>>6] |= 1 << (uint(b) & 63)
				o := m.Bonds[b].Other(int32(i))
				for k, w := range atomNbhd[o] {
					rn[k] |= w
				}
				nbrs = append(nbrs, nbrInv{int32(m.Bonds[b].Type), cur[o]})
			}
			sort.Slice(nbrs, func(x, y int) bool {
				if nbrs[x].bt != nbrs[y].bt {
					return nbrs[x].bt < nbrs[y].bt
				}
				return nbrs[x].inv < nbrs[y].inv
			})
			inv := uint32(layer)
			inv = hashCombine(inv, cur[i])
			for _, p := range nbrs {
				var ph uint32
				ph = hashCombine(ph, uint32(p.bt))
				ph = hashCombine(ph, p.inv)
				inv = hashCombine(inv, ph)
			}
			next[i] = inv
			tuples = append(tuples, envTuple{rn, inv, i})
		}
		sort.Slice(tuples, func(x, y int) bool {
			if c := cmpWords(tuples[x].nbhd, tuples[y].nbhd); c != 0 {
				return c < 0
			}
			if tuples[x].inv != tuples[y].inv {
				return tuples[x].inv < tuples[y].inv
			}
			return tuples[x].atom < tuples[y].atom
		})
		for _, t := range tuples {
			dup := false
			for _, s := range seen {
				if wordsEqual(s, t.nbhd) {
					dup = true
					break
				}
			}
			if dup {
				dead[t.atom] = true
				continue
			}
			nb := append([]uint64(nil), t.nbhd...)
			seen = append(seen, nb)
			out = append(out, MorganEnv{ID: t.inv, Atom: t.atom, Radius: layer + 1, bonds: nb})
		}
		copy(cur, next)
		for i := 0; i < n; i++ {
			copy(atomNbhd[i], roundNbhd[i])
		}
	}
	return out
}

// Morgan returns RDKit's Morgan fingerprint folded to nBits (ECFP4 is radius 2).
func Morgan(m *Mol, radius, nBits int) Fingerprint {
	fp := NewFingerprint(nBits)
	for _, e := range MorganEnvironments(m, radius) {
		fp.Set(int(e.ID % uint32(nBits)))
	}
	return fp
}

// MorganCounts returns the unfolded count form: identifier → number of
// environments (RDKit GetMorganFingerprint / sparse count fingerprint).
func MorganCounts(m *Mol, radius int) map[uint32]int {
	out := map[uint32]int{}
	for _, e := range MorganEnvironments(m, radius) {
		out[e.ID]++
	}
	return out
}

// MorganFoldedCounts returns counts folded to nBits (RDKit's count vector).
func MorganFoldedCounts(m *Mol, radius, nBits int) []uint32 {
	out := make([]uint32, nBits)
	for _, e := range MorganEnvironments(m, radius) {
		out[e.ID%uint32(nBits)]++
	}
	return out
}

// BitEnv is one (centre atom, radius) pair that sets a fingerprint bit.
type BitEnv struct {
	Atom   int
	Radius int
}

// MorganWithInfo returns the folded fingerprint and, per set bit, the
// environments that set it (RDKit's bitInfo).
func MorganWithInfo(m *Mol, radius, nBits int) (Fingerprint, map[int][]BitEnv) {
	fp := NewFingerprint(nBits)
	info := map[int][]BitEnv{}
	for _, e := range MorganEnvironments(m, radius) {
		b := int(e.ID % uint32(nBits))
		fp.Set(b)
		info[b] = append(info[b], BitEnv{Atom: e.Atom, Radius: e.Radius})
	}
	return fp, info
}

// EnvironmentAtoms lists the atoms covered by the environment of radius r
// around atom centre (the centre plus every atom within r bonds), sorted.
func EnvironmentAtoms(m *Mol, centre, r int) []int {
	dist := map[int]int{centre: 0}
	q := []int{centre}
	for len(q) > 0 {
		a := q[0]
		q = q[1:]
		if dist[a] == r {
			continue
		}
		for _, b := range m.Atoms[a].bonds {
			o := int(m.Bonds[b].Other(int32(a)))
			if _, ok := dist[o]; !ok {
				dist[o] = dist[a] + 1
				q = append(q, o)
			}
		}
	}
	out := make([]int, 0, len(dist))
	for a := range dist {
		out = append(out, a)
	}
	sort.Ints(out)
	return out
}
