package response

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/rxlab/rxlab/store"
)

// Split names.
const (
	SplitRandom   = "random"
	SplitScaffold = "scaffold"
	// SplitCell holds out whole cell lines (GDSC).
	SplitCell = "cell"
	// SplitDrug holds out whole drugs (GDSC).
	SplitDrug = "drug"
	// SplitFull trains a property model on every row: a seeded tenth
	// early-stops and calibrates, then every member is refitted on all
	// rows. Nothing is held out, so the model has no test metrics; the
	// random split with the same seed estimates them.
	SplitFull = "full"
)

// Split holds row indices of the three parts.
type Split struct {
	Train []int `json:"train"`
	Val   []int `json:"val"`
	Test  []int `json:"test"`
}

func newRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// RandomSplit shuffles 0..n-1 with seed and cuts 80/10/10.
func RandomSplit(n int, seed uint64) Split {
	idx := newRand(seed, 1).Perm(n)
	nTest := n / 10
	nVal := n / 10
	s := Split{Test: idx[:nTest], Val: idx[nTest : nTest+nVal], Train: idx[nTest+nVal:]}
	s.sort()
	return s
}

// FullSplit is RandomSplit(n, seed) with its test rows moved to training:
// 90/10 training and validation rows, no test rows (SplitFull).
func FullSplit(n int, seed uint64) Split {
	idx := newRand(seed, 1).Perm(n)
	nTest, nVal := n/10, n/10
	s := Split{Val: idx[nTest : nTest+nVal], Train: append(idx[:nTest:nTest], idx[nTest+nVal:]...)}
	s.sort()
	return s
}

func (s *Split) sort() {
	slices.Sort(s.Train)
	slices.Sort(s.Val)
	slices.Sort(s.Test)
}

// GroupSplit keeps each group (rows with the same key) in one part: groups
// larger than half the test size go to training first (so that the rare
// big scaffold classes do not swamp the held-out parts), the rest are
// shuffled with seed and fill validation and test to 10 % each, then
// training. This is Chemprop's balanced scaffold split.
func GroupSplit(keys []string, seed uint64) Split {
	n := len(keys)
	groups := map[string][]int{}
	var order []string
	for i, k := range keys {
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	nVal, nTest := n/10, n/10
	var big, small [][]int
	for _, k := range order {
		g := groups[k]
		if len(g) > nTest/2 {
			big = append(big, g)
		} else {
			small = append(small, g)
		}
	}
	r := newRand(seed, 2)
	r.Shuffle(len(big), func(i, j int) { big[i], big[j] = big[j], big[i] })
	r.Shuffle(len(small), func(i, j int) { small[i], small[j] = small[j], small[i] })
	var s Split
	for _, g := range append(big, small...) {
		switch {
		case len(s.Train)+len(g) <= n-nVal-nTest:
			s.Train = append(s.Train, g...)
		case len(s.Val)+len(g) <= nVal:
			s.Val = append(s.Val, g...)
		default:
			s.Test = append(s.Test, g...)
		}
	}
	s.sort()
	return s
}

// splitByGroupIDs cuts distinct group ids 80/10/10 after a seeded shuffle
// and assigns every row to its group's part (GDSC unseen cell lines / drugs).
func splitByGroupIDs(groupOf []int, seed uint64) Split {
	var ids []int
	seen := map[int]bool{}
	for _, g := range groupOf {
		if !seen[g] {
			seen[g] = true
			ids = append(ids, g)
		}
	}
	slices.Sort(ids)
	r := newRand(seed, 3)
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	part := map[int]int{}
	nTest, nVal := len(ids)/10, len(ids)/10
	for k, g := range ids {
		switch {
		case k < nTest:
			part[g] = 2
		case k < nTest+nVal:
			part[g] = 1
		}
	}
	var s Split
	for i, g := range groupOf {
		switch part[g] {
		case 0:
			s.Train = append(s.Train, i)
		case 1:
			s.Val = append(s.Val, i)
		default:
			s.Test = append(s.Test, i)
		}
	}
	return s
}

func checkSplit(name string, allowed ...string) error {
	if slices.Contains(allowed, name) {
		return nil
	}
	return fmt.Errorf("response: split %q is not one of %v: %w", name, allowed, store.ErrInvalid)
}

// nestSplit moves s one level in for experiments that must not read the
// test rows: a part of the training rows drawn with seed, as large as the
// validation part, becomes the validation part; the rest of the training
// rows train; the validation part becomes the test part; the test rows are
// left out.
func nestSplit(s Split, seed uint64) Split {
	tr := slices.Clone(s.Train)
	newRand(seed, 7).Shuffle(len(tr), func(i, j int) { tr[i], tr[j] = tr[j], tr[i] })
	nVal := min(len(s.Val), len(tr)/2)
	n := Split{Train: tr[nVal:], Val: tr[:nVal], Test: slices.Clone(s.Val)}
	n.sort()
	return n
}

// nestGroupSplit is nestSplit for splits that hold out whole groups (GDSC
// cell lines or drugs; groupOf[i] is row i's group): a seeded part of the
// training groups, as many as the validation part has, validates, so the
// inner validation rows hold out whole groups too.
func nestGroupSplit(s Split, groupOf []int, seed uint64) Split {
	count := func(rows []int) []int {
		seen := map[int]bool{}
		var ids []int
		for _, i := range rows {
			if g := groupOf[i]; !seen[g] {
				seen[g] = true
				ids = append(ids, g)
			}
		}
		slices.Sort(ids)
		return ids
	}
	tr, nVal := count(s.Train), len(count(s.Val))
	newRand(seed, 7).Shuffle(len(tr), func(i, j int) { tr[i], tr[j] = tr[j], tr[i] })
	nVal = min(nVal, len(tr)/2)
	inVal := map[int]bool{}
	for _, g := range tr[:nVal] {
		inVal[g] = true
	}
	n := Split{Test: slices.Clone(s.Val)}
	for _, i := range s.Train {
		if inVal[groupOf[i]] {
			n.Val = append(n.Val, i)
		} else {
			n.Train = append(n.Train, i)
		}
	}
	n.sort()
	return n
}
