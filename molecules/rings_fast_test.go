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
		fast := slices.Clone(m.rings)
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
