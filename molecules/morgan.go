package molecules

import (
	"encoding/hex"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"sync"

	"github.com/rxlab/rxlab/store/errs"
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

// ParseFingerprintHex decodes Hex output back into an nBits fingerprint.
func ParseFingerprintHex(nBits int, s string) (Fingerprint, error) {
	if nBits <= 0 {
		return Fingerprint{}, fmt.Errorf("molecules: fingerprint size %d: %w", nBits, errs.Invalid)
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != (nBits+7)/8 {
		return Fingerprint{}, fmt.Errorf("molecules: fingerprint hex is not %d bits: %w", nBits, errs.Invalid)
	}
	fp := NewFingerprint(nBits)
	for i, x := range b {
		fp.Words[i/8] |= uint64(x) << (8 * (uint(i) % 8))
	}
	if nBits%64 != 0 && fp.Words[len(fp.Words)-1]>>(uint(nBits)%64) != 0 {
		return Fingerprint{}, fmt.Errorf("molecules: fingerprint hex sets bits beyond %d: %w", nBits, errs.Invalid)
	}
	return fp, nil
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

type envTuple struct {
	top  uint64 // the bond set's most significant word
	off  int    // offset of the bond set in the round arena
	inv  uint32
	atom int32
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

func hashWords(w []uint64) uint64 {
	h := uint64(14695981039346656037)
	for _, x := range w {
		h ^= x
		h *= 1099511628211
		h ^= h >> 29
	}
	return h
}

// morganScratch holds reusable buffers for one fingerprint computation.
type morganScratch struct {
	cur, next []uint32
	dead      []bool
	atomNbhd  []uint64
	roundNbhd []uint64
	seenWords []uint64
	seenHash  []uint64
	tuples    []envTuple
	nbrs      []uint64 // packed (bondType<<32 | invariant)
	table     []int32  // hash set over seenHash
}

var morganPool = sync.Pool{New: func() any { return new(morganScratch) }}

func growU64(b []uint64, n int) []uint64 {
	if cap(b) < n {
		return make([]uint64, n)
	}
	b = b[:n]
	for i := range b {
		b[i] = 0
	}
	return b
}

// morganEach calls emit for every environment RDKit's Morgan generator
// produces up to radius (default invariants, no chirality, bond types used).
// bonds is the environment's bond set (nil at radius 0); it is only valid
// during the call.
func morganEach(m *Mol, radius int, emit func(id uint32, atom, r int, bonds []uint64)) {
	n := len(m.Atoms)
	sc := morganPool.Get().(*morganScratch)
	defer morganPool.Put(sc)
	if cap(sc.cur) < n {
		sc.cur, sc.next, sc.dead = make([]uint32, n), make([]uint32, n), make([]bool, n)
	}
	cur, next, dead := sc.cur[:n], sc.next[:n], sc.dead[:n]
	for i := 0; i < n; i++ {
		cur[i] = m.morganAtomInvariant(i)
		dead[i] = false
		emit(cur[i], i, 0, nil)
	}
	if radius <= 0 {
		return
	}
	nw := (len(m.Bonds) + 63) / 64
	if nw <= 1 {
		morganRounds1(m, radius, sc, cur, next, dead, emit)
		return
	}
	sc.atomNbhd = growU64(sc.atomNbhd, n*nw)
	sc.roundNbhd = growU64(sc.roundNbhd, n*nw)
	atomNbhd, roundNbhd := sc.atomNbhd, sc.roundNbhd
	sc.seenWords = sc.seenWords[:0]
	sc.seenHash = sc.seenHash[:0]
	// open-addressing set of the bond sets seen (indices+1 into seenHash),
	// at most half full
	table, mask := sc.seenTable(n * radius)
	for layer := 0; layer < radius; layer++ {
		for i := range next {
			next[i] = 0
		}
		copy(roundNbhd, atomNbhd)
		tuples := sc.tuples[:0]
		for i := 0; i < n; i++ {
			if dead[i] {
				continue
			}
			a := &m.Atoms[i]
			if len(a.bonds) == 0 {
				dead[i] = true
				continue
			}
			nbrs := sc.nbrs[:0]
			rn := roundNbhd[i*nw : i*nw+nw]
			for _, b := range a.bonds {
				rn[b>>6] |= 1 << (uint(b) & 63)
				o := int(m.Bonds[b].Other(int32(i)))
				for k, w := range atomNbhd[o*nw : o*nw+nw] {
					rn[k] |= w
				}
				nbrs = append(nbrs, uint64(uint32(int32(m.Bonds[b].Type)))<<32|uint64(cur[o]))
			}
			// insertion sort: (bond type, invariant) lexicographic
			for x := 1; x < len(nbrs); x++ {
				for y := x; y > 0 && nbrs[y] < nbrs[y-1]; y-- {
					nbrs[y], nbrs[y-1] = nbrs[y-1], nbrs[y]
				}
			}
			inv := uint32(layer)
			inv = hashCombine(inv, cur[i])
			for _, p := range nbrs {
				var ph uint32
				ph = hashCombine(ph, uint32(p>>32))
				ph = hashCombine(ph, uint32(p))
				inv = hashCombine(inv, ph)
			}
			sc.nbrs = nbrs
			next[i] = inv
			tuples = append(tuples, envTuple{rn[nw-1], i * nw, inv, int32(i)})
		}
		if nw == 1 {
			sortTuples1(tuples)
		} else {
			sortTuplesN(tuples, roundNbhd, nw)
		}
		for _, t := range tuples {
			w := roundNbhd[t.off : t.off+nw]
			h := hashWords(w)
			dup := false
			slot := int(h) & mask
			for ; table[slot] != 0; slot = (slot + 1) & mask {
				k := int(table[slot] - 1)
				if sc.seenHash[k] == h && slices.Equal(sc.seenWords[k*nw:k*nw+nw], w) {
					dup = true
					break
				}
			}
			if dup {
				dead[t.atom] = true
				continue
			}
			table[slot] = int32(len(sc.seenHash) + 1)
			sc.seenHash = append(sc.seenHash, h)
			sc.seenWords = append(sc.seenWords, w...)
			emit(t.inv, int(t.atom), layer+1, w)
		}
		sc.tuples = tuples
		copy(cur, next)
		copy(atomNbhd, roundNbhd)
	}
}

// MorganEnvironments returns every environment RDKit's Morgan generator
// emits up to radius, in RDKit's emission order.
func MorganEnvironments(m *Mol, radius int) []MorganEnv {
	return MorganEnvironmentsInto(make([]MorganEnv, 0, len(m.Atoms)*(max(radius, 0)+1)), m, radius)
}

// MorganEnvironmentsInto is MorganEnvironments writing into dst's storage
// (overwriting it from index 0, growing it when needed), so a caller that
// featurizes many molecules one after the other can reuse one slice and
// allocate nothing per molecule.
func MorganEnvironmentsInto(dst []MorganEnv, m *Mol, radius int) []MorganEnv {
	out := dst[:0]
	morganEach(m, radius, func(id uint32, atom, r int, _ []uint64) {
		out = append(out, MorganEnv{ID: id, Atom: atom, Radius: r})
	})
	return out
}

// Morgan returns RDKit's Morgan fingerprint folded to nBits (ECFP4 is radius 2).
func Morgan(m *Mol, radius, nBits int) Fingerprint {
	fp := NewFingerprint(nBits)
	nb := uint32(nBits)
	morganEach(m, radius, func(id uint32, _, _ int, _ []uint64) {
		b := id % nb
		fp.Words[b>>6] |= 1 << (b & 63)
	})
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

// lessTuple1 orders environments of a molecule with at most 64 bonds: bond
// set as a number, then invariant, then atom.
func lessTuple1(x, y *envTuple) bool {
	if x.top != y.top {
		return x.top < y.top
	}
	if x.inv != y.inv {
		return x.inv < y.inv
	}
	return x.atom < y.atom
}

// sortTuples1 sorts one round's environments when the bond sets fit one
// word: insertion sort (inlined comparisons) for the usual few dozen atoms.
func sortTuples1(t []envTuple) {
	if len(t) > 48 {
		slices.SortFunc(t, func(x, y envTuple) int {
			if lessTuple1(&x, &y) {
				return -1
			}
			return 1 // atoms are distinct: never equal
		})
		return
	}
	for i := 1; i < len(t); i++ {
		x := t[i]
		j := i
		for j > 0 && lessTuple1(&x, &t[j-1]) {
			t[j] = t[j-1]
			j--
		}
		t[j] = x
	}
}

// sortTuplesN sorts one round's environments by bond set (nw words in
// words at each tuple's off, most significant word last), invariant, atom.
func sortTuplesN(tuples []envTuple, words []uint64, nw int) {
	slices.SortFunc(tuples, func(x, y envTuple) int {
		// bond sets compare as numbers, most significant word first
		if x.top != y.top {
			if x.top < y.top {
				return -1
			}
			return 1
		}
		if nw > 1 {
			if c := cmpWords(words[x.off:x.off+nw-1], words[y.off:y.off+nw-1]); c != 0 {
				return c
			}
		}
		if x.inv != y.inv {
			if x.inv < y.inv {
				return -1
			}
			return 1
		}
		return int(x.atom - y.atom)
	})
}

// morganRounds1 is morganEach's rounds after the first for molecules of at
// most 64 bonds, whose bond sets are single words.
func morganRounds1(m *Mol, radius int, sc *morganScratch, cur, next []uint32, dead []bool, emit func(id uint32, atom, r int, bonds []uint64)) {
	n := len(m.Atoms)
	sc.atomNbhd = growU64(sc.atomNbhd, n)
	sc.roundNbhd = growU64(sc.roundNbhd, n)
	atomNbhd, roundNbhd := sc.atomNbhd, sc.roundNbhd
	seen := sc.seenWords[:0] // the bond sets emitted so far
	nbrs, tuples := sc.nbrs[:0], sc.tuples[:0]
	// open-addressing set over seen (indices+1), at most half full
	table, mask := sc.seenTable(n * radius)
	for layer := 0; layer < radius; layer++ {
		clear(next)
		copy(roundNbhd, atomNbhd)
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
				bd := &m.Bonds[b]
				o := bd.Other(int32(i))
				rn |= 1<<(uint(b)&63) | atomNbhd[o]
				nbrs = append(nbrs, uint64(uint32(int32(bd.Type)))<<32|uint64(cur[o]))
			}
			roundNbhd[i] = rn
			// insertion sort: (bond type, invariant) lexicographic
			for x := 1; x < len(nbrs); x++ {
				for y := x; y > 0 && nbrs[y] < nbrs[y-1]; y-- {
					nbrs[y], nbrs[y-1] = nbrs[y-1], nbrs[y]
				}
			}
			inv := hashCombine(uint32(layer), cur[i])
			for _, p := range nbrs {
				inv = hashCombine(inv, hashCombine(hashCombine(0, uint32(p>>32)), uint32(p)))
			}
			next[i] = inv
			tuples = append(tuples, envTuple{rn, i, inv, int32(i)})
		}
		sortTuples1(tuples)
		for _, t := range tuples {
			w := t.top
			h := w * 0x9e3779b97f4a7c15
			slot := int(h>>32) & mask
			dup := false
			for ; table[slot] != 0; slot = (slot + 1) & mask {
				if seen[table[slot]-1] == w {
					dup = true
					break
				}
			}
			if dup {
				dead[t.atom] = true
				continue
			}
			seen = append(seen, w)
			table[slot] = int32(len(seen))
			emit(t.inv, int(t.atom), layer+1, roundNbhd[t.off:t.off+1])
		}
		copy(cur, next)
		copy(atomNbhd, roundNbhd)
	}
	sc.seenWords, sc.nbrs, sc.tuples = seen[:0], nbrs[:0], tuples[:0]
}

// seenTable returns the cleared open-addressing table (and its index mask)
// for up to entries bond sets, at most half full.
func (sc *morganScratch) seenTable(entries int) ([]int32, int) {
	size := 16
	for size < 2*entries {
		size *= 2
	}
	if cap(sc.table) < size {
		sc.table = make([]int32, size)
	}
	table := sc.table[:size]
	clear(table)
	return table, size - 1
}
