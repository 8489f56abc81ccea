package descriptors

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

// physchemGolden maps a column of testdata/physchem_rdkit2022.09.tsv to the
// physchem descriptor it checks. RDKit's Chi2n–Chi4n are the simple path
// indices our Chi2–Chi4 compute.
var physchemGolden = []struct{ col, ours string }{
	{"Chi0", "Chi0"}, {"Chi1", "Chi1"}, {"Chi2", "Chi2"}, {"Chi3", "Chi3"}, {"Chi4", "Chi4"},
	{"Chi0v", "Chi0v"}, {"Chi1v", "Chi1v"}, {"Chi2v", "Chi2v"}, {"Chi3v", "Chi3v"}, {"Chi4v", "Chi4v"},
	{"Kappa1", "Kappa1"}, {"Kappa2", "Kappa2"}, {"Kappa3", "Kappa3"},
	{"RingSystems", "RingSystems"}, {"LargestRingSystem", "LargestRingSystem"},
}

// rdkitDiffers names why RDKit's value of a descriptor is expected to
// differ from ours on m ("" when it should agree):
//   - a dummy atom (*) is heavy in RDKit, not here (every block);
//   - an isolated heavy atom or H2 adds nothing to RDKit's Chi0/Chi1 and
//     1 (or 0) here (the simple indices);
//   - RDKit's δv counts a formal charge as valence electrons, and gives
//     elements outside Kier–Hall's table (metals, Te, …) a δv, where ours
//     gives 0, and RDKit leaves out an atom of δv 0 (CH4, SiH4) where ours
//     floors δv at 0.001 (the valence indices).
func rdkitDiffers(m *molecules.Mol, name string) string {
	for i := range m.Atoms {
		a := &m.Atoms[i]
		ve, inTable := valenceElectrons(a.Z)
		switch {
		case a.Z == 0:
			return "dummy atom"
		case strings.HasSuffix(name, "v") && a.Charge != 0:
			return "charged atom in a valence index"
		case strings.HasSuffix(name, "v") && a.Z > 1 && !inTable:
			return "element outside the Kier–Hall valence table"
		case strings.HasSuffix(name, "v") && inTable && ve == a.TotalHs():
			return "atom with δv 0 (CH4, SiH4) in a valence index"
		case (name == "Chi0" || name == "Chi1") && (a.Z == 1 || len(m.AtomBonds(i)) == 0):
			return "isolated atom or explicit hydrogen"
		}
	}
	return ""
}

// goldenRows reads a TSV of testdata: the header's column names and each
// row's fields, with the line numbers.
func goldenRows(t *testing.T, path string) (header []string, rows [][]string, lines []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		switch txt := sc.Text(); {
		case strings.HasPrefix(txt, "#"):
		case strings.HasPrefix(txt, "smiles\t"):
			header = strings.Split(txt, "\t")
		default:
			rows = append(rows, strings.Split(txt, "\t"))
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, rows, lines
}

// TestPhyschemAgainstRDKit compares the connectivity indices, the shape
// indices and the ring-system counts with RDKit 2022.09.3 on the 714
// molecules of testdata/physchem_rdkit2022.09.tsv (make_physchem_golden.py),
// each within 0.01 (the file holds 4 decimals), except where
// rdkitDiffers names a known difference of definition. Kappa is Kier's, without the
// Hall–Kier α that RDKit's Kappa1–3 add, so the golden computes it from
// RDKit's path counts.
func TestPhyschemAgainstRDKit(t *testing.T) {
	header, rows, lines := goldenRows(t, "testdata/physchem_rdkit2022.09.tsv")
	var s Physchem
	bad, skipped := map[string]int{}, map[string]int{}
	parsed := 0
	for r, cols := range rows {
		if len(cols) != len(header) {
			t.Fatalf("line %d: %d columns, header %d", lines[r], len(cols), len(header))
		}
		m, err := molecules.Parse(cols[0])
		if err != nil {
			continue
		}
		parsed++
		got := s.Append(nil, m)
		for _, g := range physchemGolden {
			if rdkitDiffers(m, g.ours) != "" {
				skipped[g.ours]++
				continue
			}
			want, err := strconv.ParseFloat(cols[slices.Index(header, g.col)], 64)
			if err != nil {
				t.Fatalf("line %d %s: %v", lines[r], g.col, err)
			}
			if v := got[slices.Index(physchemNames[:], g.ours)]; math.Abs(v-want) > 0.01 {
				if bad[g.ours] == 0 {
					t.Logf("line %d %s: %s %.4f, RDKit %.4f", lines[r], cols[0], g.ours, v, want)
				}
				bad[g.ours]++
			}
		}
	}
	for _, g := range physchemGolden {
		t.Logf("%-18s %d of %d molecules agree (%d left out for a known difference)",
			g.ours, parsed-skipped[g.ours]-bad[g.ours], parsed-skipped[g.ours], skipped[g.ours])
	}
	if parsed < 700 {
		t.Errorf("%d of %d golden molecules parse", parsed, len(rows))
	}
	for name, n := range skipped {
		if n > parsed/4 {
			t.Errorf("%s: %d of %d molecules left out, so the comparison covers too few", name, n, parsed)
		}
	}
	for name, n := range bad {
		if n > 0 {
			t.Errorf("%s disagrees with RDKit on %d molecules", name, n)
		}
	}
}

// TestScaffoldAgainstRDKit compares ScaffoldAtoms with RDKit's
// MurckoScaffold.GetScaffoldForMol, less the terminal atoms double-bonded
// to the scaffold that RDKit keeps and ScaffoldAtoms drops, and checks
// that two molecules share a ScaffoldKey exactly when RDKit's scaffolds
// share a canonical SMILES (and no exocyclic atoms that could tell them
// apart only in RDKit's view).
func TestScaffoldAgainstRDKit(t *testing.T) {
	header, rows, lines := goldenRows(t, "testdata/physchem_rdkit2022.09.tsv")
	ca, ce, cs := slices.Index(header, "ScaffoldAtoms"), slices.Index(header, "ScaffoldExo"), slices.Index(header, "ScaffoldSMILES")
	byKey := map[string]string{} // our key -> RDKit SMILES of the first molecule with it
	bySMILES := map[string]string{}
	n, agree := 0, 0
	for r, cols := range rows {
		m, err := molecules.Parse(cols[0])
		if err != nil {
			continue
		}
		n++
		atoms, _ := strconv.Atoi(cols[ca])
		exo, _ := strconv.Atoi(cols[ce])
		if got := len(ScaffoldAtoms(m)); got != atoms-exo {
			t.Errorf("line %d %s: %d scaffold atoms, RDKit %d less %d exocyclic", lines[r], cols[0], got, atoms, exo)
			continue
		}
		agree++
		if exo > 0 {
			continue // RDKit's SMILES carries atoms our key leaves out
		}
		key, smi := ScaffoldKey(m), cols[cs]
		if prev, ok := byKey[key]; ok && prev != smi {
			t.Errorf("line %d: ScaffoldKey joins RDKit scaffolds %s and %s", lines[r], prev, smi)
		}
		if prev, ok := bySMILES[smi]; ok && prev != key {
			t.Errorf("line %d: RDKit scaffold %s gets two keys", lines[r], smi)
		}
		byKey[key], bySMILES[smi] = smi, key
	}
	t.Logf("%d of %d molecules: scaffold size as RDKit's; %d distinct scaffolds compared", agree, n, len(bySMILES))
	if n < 700 {
		t.Errorf("only %d golden molecules parse", n)
	}
}
