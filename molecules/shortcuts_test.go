package molecules

import (
	"slices"
	"testing"
)

// TestSimpleCyclesMatchRingFinder: on every golden (and, unless -short,
// MoleculeNet) molecule, the single-cycle shortcut of perceiveRings gives
// exactly the rings, in the order and atom order, of the full RDKit ring
// search.
func TestSimpleCyclesMatchRingFinder(t *testing.T) {
	smis := allGoldenSMILES(t)
	if !testing.Short() {
		smis = append(smis, moleculeNetSMILES(t)...)
	}
	smis = append(smis,
		"C1CC1.C1CCC1",                 // two fragments
		"C1CC2.C3CCC13.C2",             // fragment order differs from lowest-atom order
		"C1CCCCC1CCC1CCCC1OC1CCCCCCC1", // even and odd rings in one chain
		"c1ccccc1-c1ccncc1",
		"C1CC(CC1)C1CCCCCCC1",
	)
	shortcut, full := 0, 0
	for _, s := range smis {
		m, err := Parse(s)
		if err != nil {
			continue
		}
		fast := cloneLists(m.rings) // deep: the full search rewrites the ring storage
		if err := m.perceiveRingsWith(false); err != nil {
			t.Errorf("%s: full search: %v", s, err)
			continue
		}
		if !slices.EqualFunc(fast, m.rings, slices.Equal[[]int32]) {
			t.Errorf("%s: shortcut rings %v, RDKit search %v", s, fast, m.rings)
		}
		if isSimpleCycles(m) {
			shortcut++
		} else {
			full++
		}
	}
	if shortcut == 0 || full == 0 {
		t.Fatalf("shortcut taken %d times, otherwise %d: both must be exercised", shortcut, full)
	}
	t.Logf("%d molecules through the single-cycle shortcut, %d with fused or no rings", shortcut, full)
}

// isSimpleCycles reports whether every ring atom of m lies in one ring and
// has two ring neighbours.
func isSimpleCycles(m *Mol) bool {
	if len(m.rings) == 0 {
		return false
	}
	for i := range m.Atoms {
		if m.atomRingCount[i] > 1 {
			return false
		}
	}
	return true
}

// TestCrippenMemoMatchesTyping: typing each distinct environment once (and
// hydrogens from their parent's element where the table allows) gives
// every atom the type the full row-by-row match gives. The memo is kept
// from molecule to molecule, so most types here are recalled from earlier
// molecules: the test checks that too (TestCrippenMemoAcrossMolecules
// makes sure of it).
func TestCrippenMemoMatchesTyping(t *testing.T) {
	smis := allGoldenSMILES(t)
	if !testing.Short() {
		smis = append(smis, moleculeNetSMILES(t)...)
	}
	smis = append(smis, "[H]OC(=O)c1ccccc1", "OO", "[OH-]", "C[SH]", "[nH]1cccc1", "O=C(O)CC(O)=O", "[Na+].[Cl-]", "*O")
	n := 0
	for _, s := range smis {
		m, err := Parse(s)
		if err != nil {
			continue
		}
		fast := make([]CrippenAtom, m.NumAtoms())
		slow := make([]CrippenAtom, m.NumAtoms())
		lf, mf := crippenWith(m, fast, true)
		ls, ms := crippenWith(m, slow, false)
		if !slices.Equal(fast, slow) || lf != ls || mf != ms {
			t.Errorf("%s: memo types %v (logP %v), full %v (logP %v)", s, fast, lf, slow, ls)
		}
		n++
	}
	t.Logf("%d molecules typed identically", n)
}

// TestCrippenMemoAcrossMolecules: a matcher's memo answers an environment
// typed in an earlier molecule without typing it again.
func TestCrippenMemoAcrossMolecules(t *testing.T) {
	a, err := Parse("c1ccccc1CCN")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("c1ccccc1") // only environments a has (fewer than a's)
	if err != nil {
		t.Fatal(err)
	}
	mt := &matcher{}
	mt.reset(a, true)
	mt.memoReset(true)
	for i := range a.Atoms {
		mt.crippenTypeMemo(i)
	}
	entries := len(mt.memoType)
	if entries == 0 {
		t.Fatal("nothing memoised")
	}
	mt.reset(b, true)
	mt.memoReset(true)
	for i := range b.Atoms {
		mt.crippenTypeMemo(i)
	}
	if len(mt.memoType) != entries {
		t.Errorf("after a second molecule with known environments the memo holds %d entries, want the first's %d", len(mt.memoType), entries)
	}
}
