package molecules

import (
	"slices"
)

// Legacy CIP-style atom ranks as RDKit 2022.09's assignStereochemistry
// computes them (buildCIPInvariants + iterateCIPRanks), used to decide
// which tetrahedral marks and double-bond marks are real stereo and to
// label double bonds E/Z.

// twiceBondType is twice a bond's order (an aromatic bond counts 3), so
// valence and CIP sums stay integers.
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

func (m *Mol) cipInvariants() []int {
	inv := m.sc.intsN(len(m.Atoms))
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

// iterateCIPRanks mirrors Chirality::iterateCIPRanks. RDKit's entry for an
// atom is a prefix of per-iteration columns (the seed invariant, or the
// atomic number and first ranks, then the ranks of each later iteration)
// followed by its neighbours' ranks + 1, each repeated by twice the bond
// order, highest first, and a 0 per hydrogen; entries compare
// lexicographically (RDKit pads with -1, which sorts a proper prefix first,
// as here). Each column's ranks were computed from the columns before it,
// so they order the atoms consistently with the whole prefix: comparing the
// current ranks alone is comparing the prefix.
//
// Because the new order refines the old one, each iteration re-sorts only
// the atoms tied in the current ranks, by their neighbour entries.
//
// Entries are kept run-length encoded, one (value<<16 | repeats) word per
// run of equal values. Values fall strictly from run to run, so comparing
// the words in order compares the expanded entries: at the first differing
// run either the values differ (the larger wins) or the value is the same
// and the shorter run is followed by a smaller value or by the end.
func (m *Mol) iterateCIPRanks(invars []int, seed bool) []int {
	n := len(m.Atoms)
	idx := m.sc.int32sN(n)
	ranks := m.sc.intsN(n)
	denseRanksOf(m.sc, idx, ranks, invars)
	// idx stays sorted by ranks from here on
	maxIts := n/2 + 1
	numIts := 0
	lastNum := -1
	numRanks := countRanks(ranks)
	counts := m.sc.intsN(n)
	off := m.sc.int32sN(n + 1)
	lenOf := m.sc.int32sN(n)
	// room for every entry: twice the bond orders (at most 8 each way) plus Hs
	room := 0
	for i := range m.Atoms {
		room += 8*len(m.Atoms[i].bonds) + m.Atoms[i].TotalHs()
	}
	nb := m.sc.intsN(room)[:0]
	var nbrBuf [8]int32
	nbrs := nbrBuf[:0]
	next := m.sc.intsN(n)
	for numRanks < n && numIts < maxIts && (lastNum < 0 || lastNum < numRanks) {
		nb = nb[:0]
		// neighbour entries of the tied atoms only
		for k := 0; k < n; k++ {
			i := int(idx[k])
			tied := (k > 0 && ranks[idx[k-1]] == ranks[i]) || (k+1 < n && ranks[idx[k+1]] == ranks[i])
			off[i] = int32(len(nb))
			if !tied {
				lenOf[i] = 0
				continue
			}
			nbrs = nbrs[:0]
			for _, b := range m.Atoms[i].bonds {
				bd := &m.Bonds[b]
				o := bd.Other(int32(i))
				nbrs = append(nbrs, o)
				if bd.Type == BondDouble && m.Atoms[o].Z == 15 && (len(m.Atoms[o].bonds) == 3 || len(m.Atoms[o].bonds) == 4) {
					counts[o]++
				} else {
					counts[o] += twiceBondType(bd.Type)
				}
			}
			// neighbours by descending rank (insertion sort: stable, small)
			for x := 1; x < len(nbrs); x++ {
				for y := x; y > 0 && ranks[nbrs[y]] > ranks[nbrs[y-1]]; y-- {
					nbrs[y], nbrs[y-1] = nbrs[y-1], nbrs[y]
				}
			}
			// run-length encoded: (value<<16 | repeats), equal values merged
			for _, o := range nbrs {
				if c := counts[o]; c > 0 {
					v := ranks[o] + 1
					if l := len(nb); l > int(off[i]) && nb[l-1]>>16 == v {
						nb[l-1] += c
					} else {
						nb = append(nb, v<<16|c)
					}
				}
				counts[o] = 0
			}
			if h := m.Atoms[i].TotalHs(); h > 0 {
				nb = append(nb, h) // value 0
			}
			lenOf[i] = int32(len(nb)) - off[i]
		}
		cmpNb := func(a, b int32) int {
			oa, ob := int(off[a]), int(off[b])
			la, lb := int(lenOf[a]), int(lenOf[b])
			for k := 0; k < la && k < lb; k++ {
				if x, y := nb[oa+k], nb[ob+k]; x != y {
					return cmpInt(x, y)
				}
			}
			return cmpInt(la, lb)
		}
		lastNum = numRanks
		for lo := 0; lo < n; {
			hi := lo + 1
			for hi < n && ranks[idx[hi]] == ranks[idx[lo]] {
				hi++
			}
			if g := idx[lo:hi]; len(g) > 16 {
				slices.SortFunc(g, cmpNb)
			} else {
				for x := 1; x < len(g); x++ {
					for y := x; y > 0 && cmpNb(g[y], g[y-1]) < 0; y-- {
						g[y], g[y-1] = g[y-1], g[y]
					}
				}
			}
			lo = hi
		}
		cur := 0
		for k, i := range idx {
			if k > 0 {
				p := idx[k-1]
				if ranks[p] != ranks[i] || cmpNb(p, i) != 0 {
					cur++
				}
			}
			next[i] = cur
		}
		ranks, next = next, ranks
		numRanks = countRanks(ranks)
		numIts++
	}
	return ranks
}

func countRanks(ranks []int) int {
	num := 0
	for _, r := range ranks {
		if r+1 > num {
			num = r + 1
		}
	}
	return num
}

// denseRanksOf sets ranks[i] to the dense rank (0..) of invars[i] and idx
// to the atoms in rank order (ties by index), sorting packed (value, index)
// words when the values fit.
func denseRanksOf(sc *scratch, idx []int32, ranks []int, invars []int) {
	n := len(idx)
	fits := n < 1<<20
	for _, v := range invars {
		if v < 0 || v >= 1<<40 {
			fits = false
			break
		}
	}
	if !fits {
		denseRanks(idx, ranks, func(a, b int32) int { return cmpInt(invars[a], invars[b]) })
		return
	}
	keys := sc.uint64sN(n)
	for i, v := range invars {
		keys[i] = uint64(v)<<20 | uint64(i)
	}
	slices.Sort(keys)
	cur := 0
	for k, key := range keys {
		i := int(key & (1<<20 - 1))
		if k > 0 && key>>20 != keys[k-1]>>20 {
			cur++
		}
		idx[k] = int32(i)
		ranks[i] = cur
	}
}

// denseRanks sets ranks[i] to the dense rank (0..) of item i under cmp;
// idx is scratch of the same length.
func denseRanks(idx []int32, ranks []int, cmp func(a, b int32) int) {
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, cmp)
	cur := 0
	for k, i := range idx {
		if k > 0 && cmp(idx[k-1], i) != 0 {
			cur++
		}
		ranks[i] = cur
	}
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
	for x := range nb {
		for y := 0; y < x; y++ {
			if pr(nb[x]) == pr(nb[y]) {
				return 0
			}
		}
	}
	var listBuf, targetBuf [8]int32
	list := listBuf[:0]
	if len(nb) == 3 {
		list = append(list, -2) // lone pair first, lowest
	}
	list = append(list, nb...)
	prio := func(x int32) int {
		if x == -2 {
			return -2
		}
		return pr(x)
	}
	// target order: lowest first, then descending priority
	target := append(targetBuf[:0], list...)
	for x := 1; x < len(target); x++ {
		for y := x; y > 0 && prio(target[y]) < prio(target[y-1]); y-- {
			target[y], target[y-1] = target[y-1], target[y]
		}
	}
	rest := target[1:]
	for l, r := 0, len(rest)-1; l < r; l, r = l+1, r-1 {
		rest[l], rest[r] = rest[r], rest[l]
	}
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
