package molecules

import (
	"math/rand"
	"slices"
	"sort"
	"testing"
)

// This file keeps the first, straightforward port of RDKit's
// iterateCIPRanks as a reference: TestIterateCIPRanksMatchesReference checks
// the allocation-lean version in cip.go against it.

// rankInts gives dense ranks (0..) to values ordered by less.
func refRankBy(n int, less func(i, j int) bool, equal func(i, j int) bool) []int {
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

func refLessInts(a, b []int) bool {
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k] != b[k] {
			return a[k] < b[k]
		}
	}
	return len(a) < len(b)
}

func refEqualInts(a, b []int) bool {
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

// refIterateCIPRanks mirrors Chirality::iterateCIPRanks.
func (m *Mol) refIterateCIPRanks(invars []int, seed bool) []int {
	n := len(m.Atoms)
	ranks := refRankBy(n, func(i, j int) bool { return invars[i] < invars[j] }, func(i, j int) bool { return invars[i] == invars[j] })
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
		ranks = refRankBy(n, func(i, j int) bool { return refLessInts(entries[i], entries[j]) }, func(i, j int) bool { return refEqualInts(entries[i], entries[j]) })
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

// goldenSMILES returns every SMILES of the vendored golden files.
func goldenSMILES(t testing.TB) []string {
	var out []string
	for _, p := range []string{"testdata/edge_cases_rdkit2022.09.tsv", "testdata/edge_extra_rdkit2022.09.tsv",
		"testdata/nci5k_rdkit2022.09.tsv", "testdata/chembl_rdkit2022.09.tsv",
		"testdata/moleculenet_rdkit2022.09.tsv", "testdata/random_rdkit2022.09.tsv"} {
		_, rows := readGolden(t, p)
		for _, r := range rows {
			out = append(out, r["smiles"])
		}
	}
	return out
}

func TestIterateCIPRanksMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	n := 0
	for _, s := range goldenSMILES(t) {
		m, err := Parse(s)
		if err != nil {
			continue
		}
		n++
		inv := m.cipInvariants()
		if got, want := m.iterateCIPRanks(inv, false), m.refIterateCIPRanks(inv, false); !slices.Equal(got, want) {
			t.Fatalf("%s: ranks %v, reference %v", s, got, want)
		}
		// seeded as the stereo loop does: ranks scaled plus small labels
		seedInv := make([]int, len(inv))
		base := m.refIterateCIPRanks(inv, false)
		for i := range seedInv {
			seedInv[i] = base[i]*100 + rng.Intn(3)*10 + rng.Intn(3)
		}
		if got, want := m.iterateCIPRanks(seedInv, true), m.refIterateCIPRanks(seedInv, true); !slices.Equal(got, want) {
			t.Fatalf("%s: seeded ranks %v, reference %v", s, got, want)
		}
	}
	if n < 5000 {
		t.Fatalf("only %d molecules", n)
	}
}
