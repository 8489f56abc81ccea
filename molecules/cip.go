package molecules

import (
	"sort"
)

// Legacy CIP-style atom ranks as RDKit 2022.09's assignStereochemistry
// computes them (buildCIPInvariants + iterateCIPRanks), used to decide
// which tetrahedral marks and double-bond marks are real stereo and to
// label double bonds E/Z.

func twiceBondType(t BondType) int {
	switch t {
	case BondSingle, BondDative:
		return 2
	case BondDouble:
		return 4
	case BondTriple:
		return 6
	case BondQuadruple:
		return 8
	case BondAromatic:
		return 3
	}
	return 0
}

// rankInts gives dense ranks (0..) to values ordered by less.
func rankBy(n int, less func(i, j int) bool, equal func(i, j int) bool) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return less(idx[a], idx[b]) })
	res := make([]int, n)
	if n == 0 {
		return res
	}
	cur := 0
	last := idx[0]
	for _, i := range idx {
		if !equal(i, last) {
			cur++
			last = i
		}
		res[i] = cur
	}
	return res
}

func lessInts(a, b []int) bool {
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k] != b[k] {
			return a[k] < b[k]
		}
	}
	return len(a) < len(b)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

func (m *Mol) cipInvariants() []int {
	inv := make([]int, len(m.Atoms))
	for i := range m.Atoms {
		a := &m.Atoms[i]
		num := int(a.Z) % 128
		mass := 0
		if a.Isotope != 0 {
			mass = int(a.Isotope) - elementTable[a.Z].isotope
			if mass >= 0 {
				mass++
			}
		}
		mass += 512
		if mass < 0 {
			mass = 0
		} else {
			mass %= 1024
		}
		mapnum := -1
		if a.MapNum != 0 {
			mapnum = int(a.MapNum)
		}
		mapnum = (mapnum + 1) % 1024
		inv[i] = ((num<<10)|mass)<<10 | mapnum
	}
	return inv
}

// iterateCIPRanks mirrors Chirality::iterateCIPRanks.
func (m *Mol) iterateCIPRanks(invars []int, seed bool) []int {
	n := len(m.Atoms)
	ranks := rankBy(n, func(i, j int) bool { return invars[i] < invars[j] }, func(i, j int) bool { return invars[i] == invars[j] })
	entries := make([][]int, n)
	for i := 0; i < n; i++ {
		if seed {
			entries[i] = []int{invars[i]}
		} else {
			entries[i] = []int{int(m.Atoms[i].Z), ranks[i]}
		}
	}
	maxIts := n/2 + 1
	numIts := 0
	lastNum := -1
	numRanks := 0
	for _, r := range ranks {
		if r+1 > numRanks {
			numRanks = r + 1
		}
	}
	counts := make([]int, n)
	var nbrs []int
	for numRanks < n && numIts < maxIts && (lastNum < 0 || lastNum < numRanks) {
		longest := 0
		for i := 0; i < n; i++ {
			nbrs = nbrs[:0]
			for _, b := range m.Atoms[i].bonds {
				bd := &m.Bonds[b]
				o := int(bd.Other(int32(i)))
				nbrs = append(nbrs, o)
				if bd.Type == BondDouble && m.Atoms[o].Z == 15 && (len(m.Atoms[o].bonds) == 3 || len(m.Atoms[o].bonds) == 4) {
					counts[o]++
				} else {
					counts[o] += twiceBondType(bd.Type)
				}
			}
			sort.SliceStable(nbrs, func(x, y int) bool { return ranks[nbrs[x]] > ranks[nbrs[y]] })
			for _, o := range nbrs {
				for c := 0; c < counts[o]; c++ {
					entries[i] = append(entries[i], ranks[o]+1)
				}
				counts[o] = 0
			}
			for h := 0; h < m.Atoms[i].TotalHs(); h++ {
				entries[i] = append(entries[i], 0)
			}
			if len(entries[i]) > longest {
				longest = len(entries[i])
			}
		}
		for i := 0; i < n; i++ {
			for len(entries[i]) < longest {
				entries[i] = append(entries[i], -1)
			}
		}
		lastNum = numRanks
		ranks = rankBy(n, func(i, j int) bool { return lessInts(entries[i], entries[j]) }, func(i, j int) bool { return equalInts(entries[i], entries[j]) })
		numRanks = 0
		for _, r := range ranks {
			if r+1 > numRanks {
				numRanks = r + 1
			}
		}
		if lastNum != numRanks {
			for i := 0; i < n; i++ {
				entries[i][numIts+1] = ranks[i]
				entries[i] = entries[i][:numIts+2]
			}
		}
		numIts++
	}
	return ranks
}

// cipRanks is assignAtomCIPRanks.
func (m *Mol) cipRanks() []int {
	return m.iterateCIPRanks(m.cipInvariants(), false)
}

// cipCode returns 'R' or 'S' for a tetrahedral centre given CIP ranks
// (implicit H or lone pair lowest), or 0 when neighbours tie.
func (m *Mol) cipCode(i int, ranks []int) byte {
	a := &m.Atoms[i]
	nb := a.stereoNbrs
	if len(nb) < 3 {
		return 0
	}
	pr := func(x int32) int {
		if x < 0 {
			return -1
		}
		return ranks[x]
	}
	seen := map[int]bool{}
	for _, x := range nb {
		if seen[pr(x)] {
			return 0
		}
		seen[pr(x)] = true
	}
	list := append([]int32(nil), nb...)
	if len(list) == 3 {
		list = append([]int32{-2}, list...) // lone pair first, lowest
	}
	prio := func(x int32) int {
		if x == -2 {
			return -2
		}
		return pr(x)
	}
	// target order: lowest first, then descending priority
	target := append([]int32(nil), list...)
	sort.SliceStable(target, func(x, y int) bool { return prio(target[x]) < prio(target[y]) })
	rest := append([]int32(nil), target[1:]...)
	for l, r := 0, len(rest)-1; l < r; l, r = l+1, r-1 {
		rest[l], rest[r] = rest[r], rest[l]
	}
	target = append(target[:1], rest...)
	odd, ok := relativeParity(list, target)
	if !ok {
		return 0
	}
	// '@' looking from the first listed neighbour = counterclockwise
	cw := a.Chiral == ChiralCW
	if odd {
		cw = !cw
	}
	if cw {
		return 'R'
	}
	return 'S'
}
