package descriptors

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

// goldenSMILES returns the first column of the molecules package's RDKit
// golden files: about 4,400 drug-like and MoleculeNet molecules.
func goldenSMILES(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, path := range []string{"../testdata/moleculenet_rdkit2022.09.tsv", "../testdata/chembl_rdkit2022.09.tsv"} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if txt := sc.Text(); !strings.HasPrefix(txt, "#") && !strings.HasPrefix(txt, "smiles\t") {
				out = append(out, strings.SplitN(txt, "\t", 2)[0])
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func mustParse(t testing.TB, s string) *molecules.Mol {
	t.Helper()
	m, err := molecules.Parse(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return m
}

func TestPhyschem(t *testing.T) {
	for _, tc := range []struct {
		smiles string
		want   map[string]float64
	}{
		// Benzene: six atoms of degree 2: Chi0 = 6/√2, Chi1 = 6·(1/2),
		// δv(aromatic CH) = 3; one symmetry class; one ring system.
		{"c1ccccc1", map[string]float64{"Chi0": 6 / math.Sqrt2, "Chi1": 3, "Chi1v": 2, "Kappa1": 6 * 25.0 / 36,
			"SymmetryClasses": 1, "SymmetryFraction": 1.0 / 6, "RingSystems": 1, "LargestRingSystem": 6, "FusedRings": 0}},
		// Isobutane: centre degree 3, three methyls: Chi1 = 3/√3; three
		// two-bond paths CH3–C–CH3 of product 3: Chi2 = 3/√3.
		{"CC(C)C", map[string]float64{"Chi0": 3 + 1/math.Sqrt(3), "Chi1": 3 / math.Sqrt(3), "Chi2": 3 / math.Sqrt(3), "SymmetryClasses": 2, "RingSystems": 0}},
		// Naphthalene: one system of ten atoms, two fused rings.
		{"c1ccc2ccccc2c1", map[string]float64{"RingSystems": 1, "LargestRingSystem": 10, "FusedRings": 2, "SymmetryClasses": 3}},
		// Chloromethane: δv(CH3) = 4 − 3 = 1, δv(Cl) = 7/(17 − 7 − 1).
		{"CCl", map[string]float64{"Chi1v": 1 / math.Sqrt(7.0/9)}},
	} {
		m, err := molecules.Parse(tc.smiles)
		if err != nil {
			t.Fatal(err)
		}
		got := AppendPhyschem(nil, m)
		for name, want := range tc.want {
			k := slices.Index(physchemNames[:], name)
			if k < 0 {
				t.Fatalf("no descriptor %s", name)
			}
			if math.Abs(got[k]-want) > 1e-9 {
				t.Errorf("%s %s = %v, want %v", tc.smiles, name, got[k], want)
			}
		}
	}
}

// enumeratePaths is the reference for pathSums: every simple path of 0–4
// bonds between heavy atoms walked from both ends (hence the halving).
func enumeratePaths(s *Physchem, m *molecules.Mol, w []float64) (p [5]float64) {
	on := make([]bool, m.NumAtoms())
	var walk func(a int32, l int, prod float64)
	walk = func(a int32, l int, prod float64) {
		if l > 0 {
			p[l] += 0.5 * prod
		}
		if l == 4 {
			return
		}
		for _, j := range s.adj[s.start[a]:s.start[a+1]] {
			if !on[j] {
				on[j] = true
				walk(j, l+1, prod*w[j])
				on[j] = false
			}
		}
	}
	for i := range m.Atoms {
		if m.Atoms[i].Z > 1 {
			p[0] += w[i]
			on[i] = true
			walk(int32(i), 0, w[i])
			on[i] = false
		}
	}
	return p
}

// TestPathSumsMatchEnumeration checks the centre-counted path sums (chi,
// valence chi, path counts) against brute-force enumeration on every
// golden molecule and on small rings, cages and fused systems where arms
// run into each other.
func TestPathSumsMatchEnumeration(t *testing.T) {
	smiles := []string{"C1CC1", "C1CCC1", "C12C3C1C23", "C12C3C4C1C4C23", "C1CC2CC1C2", "c1ccc2ccccc2c1",
		"C12C3C4C1C5C2C3C45", "CC(C)(C)C", "C1=CC=CC=C1C1CC1", "O=C1C2C1C2", "[H]C([H])([H])C", "CCC"}
	smiles = append(smiles, goldenSMILES(t)...)
	s := new(Physchem)
	n := 0
	for _, smi := range smiles {
		m, err := molecules.Parse(smi)
		if err != nil {
			continue
		}
		s.build(m)
		chi, chiV, paths := s.pathSums(m)
		for k, w := range [][]float64{s.invSqrt, s.invSqV, s.ones} {
			got, want := [][5]float64{chi, chiV, paths}[k], enumeratePaths(s, m, w)
			for l := range got {
				if math.Abs(got[l]-want[l]) > 1e-9*math.Max(1, math.Abs(want[l])) {
					t.Fatalf("%s: weights %d, %d-bond paths: %v, enumeration %v", smi, k, l, got[l], want[l])
				}
			}
		}
		n++
	}
	t.Logf("%d molecules", n)
}

// TestSymmetryClassesMatchSortedRefinement: the multiset-sum labels of
// symmetryClasses split the heavy atoms into the same number of classes as
// the textbook refinement (a label is the atom's own with its neighbours'
// labels, sorted, as an exact tuple), on every golden molecule.
func TestSymmetryClassesMatchSortedRefinement(t *testing.T) {
	s := new(Physchem)
	n := 0
	for _, smi := range goldenSMILES(t) {
		m, err := molecules.Parse(smi)
		if err != nil {
			continue
		}
		s.build(m)
		if got, want := s.symmetryClasses(m), sortedRefinementClasses(s, m); got != want {
			t.Fatalf("%s: %d classes, sorted-tuple refinement %d", smi, got, want)
		}
		n++
	}
	t.Logf("%d molecules", n)
}

// sortedRefinementClasses is symmetryClasses with exact labels: strings of
// the atom's label and its neighbours' sorted labels, renumbered each round.
func sortedRefinementClasses(s *Physchem, m *molecules.Mol) int {
	n := m.NumAtoms()
	label := make([]int, n)
	ids := map[string]int{}
	intern := func(k string) int {
		if v, ok := ids[k]; ok {
			return v
		}
		ids[k] = len(ids)
		return ids[k]
	}
	for i := range m.Atoms {
		a := &m.Atoms[i]
		label[i] = intern(fmt.Sprint(a.Z, a.Charge, a.TotalHs(), a.Aromatic, s.start[i+1]-s.start[i]))
	}
	for round := 0; round < 3; round++ {
		next := make([]int, n)
		for i := range m.Atoms {
			var nb []int
			for _, j := range s.adj[s.start[i]:s.start[i+1]] {
				nb = append(nb, label[j])
			}
			slices.Sort(nb)
			next[i] = intern(fmt.Sprint(round, label[i], nb))
		}
		label = next
	}
	classes := map[int]bool{}
	for i := range m.Atoms {
		if m.Atoms[i].Z > 1 {
			classes[label[i]] = true
		}
	}
	return len(classes)
}
