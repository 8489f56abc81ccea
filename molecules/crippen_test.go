package molecules

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// crippenToken writes one atom's typing the way make_crippen_golden.py does.
func crippenToken(c CrippenAtom) string {
	lab := func(t int16) string {
		if t < 0 {
			return "-"
		}
		return CrippenLabels()[t]
	}
	s := lab(c.Type)
	if c.Hs > 0 {
		s += "/" + lab(c.HType) + "*" + strconv.Itoa(int(c.Hs))
	}
	return s
}

// TestCrippenAtomsGolden compares every atom's Wildman–Crippen type and the
// type of its hydrogens with RDKit 2022.09 (Chem.AddHs + Crippen.cpp order).
// $CRIPPEN_GOLDEN names another file made by make_crippen_golden.py.
func TestCrippenAtomsGolden(t *testing.T) {
	path := "testdata/crippen_atoms_rdkit2022.09.tsv"
	if p := os.Getenv("CRIPPEN_GOLDEN"); p != "" {
		path = p
	}
	_, rows := readGolden(t, path)
	if len(rows) < 500 {
		t.Fatalf("only %d golden rows", len(rows))
	}
	var dst []CrippenAtom
	atoms, agree := 0, 0
	for _, r := range rows {
		smi := r["smiles"]
		m, err := Parse(smi)
		if err != nil {
			t.Errorf("%s: %v", smi, err)
			continue
		}
		want := strings.Fields(r["atoms"])
		var lp, mr float64
		dst, lp, mr = CrippenAtoms(m, dst)
		if len(dst) != len(want) {
			t.Errorf("%s: %d atoms, RDKit %d", smi, len(dst), len(want))
			continue
		}
		var slp, smr float64
		for i, c := range dst {
			atoms++
			if got := crippenToken(c); got == want[i] {
				agree++
			} else {
				t.Errorf("%s atom %d: got %s, RDKit %s", smi, i, got, want[i])
			}
			a, b := CrippenContrib(c.Type)
			ha, hb := CrippenContrib(c.HType)
			slp += a + float64(c.Hs)*ha
			smr += b + float64(c.Hs)*hb
		}
		if math.Abs(slp-lp) > 1e-9 || math.Abs(smr-mr) > 1e-9 {
			t.Errorf("%s: per-atom sums %.6f/%.6f, totals %.6f/%.6f", smi, slp, smr, lp, mr)
		}
		if l2, m2 := Crippen(m); l2 != lp || m2 != mr {
			t.Errorf("%s: Crippen %v/%v, CrippenAtoms %v/%v", smi, l2, m2, lp, mr)
		}
	}
	t.Logf("Crippen atom types: %d/%d atoms agree with RDKit (%.2f%%) over %d molecules",
		agree, atoms, 100*float64(agree)/float64(atoms), len(rows))
}

func TestCrippenLabels(t *testing.T) {
	labels := CrippenLabels()
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l] {
			t.Errorf("label %s twice", l)
		}
		seen[l] = true
	}
	for _, l := range []string{"C1", "C27", "CS", "H1", "HS", "N1", "NS", "O12", "F", "Hal", "Me1", "Me2"} {
		if !seen[l] {
			t.Errorf("label %s missing", l)
		}
	}
	if labels[0] != "C1" || len(labels) < 60 {
		t.Errorf("labels %v", labels)
	}
}

func TestCrippenAtomsReusesDst(t *testing.T) {
	m, err := Parse("OCC")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]CrippenAtom, 8)
	got, _, _ := CrippenAtoms(m, buf)
	if len(got) != 3 || &got[0] != &buf[0] {
		t.Fatalf("dst not reused: len %d", len(got))
	}
	got, _, _ = CrippenAtoms(m, buf[:1])
	if len(got) != 3 {
		t.Fatalf("len %d", len(got))
	}
}

func ExampleCrippenAtoms() {
	m, err := Parse("CC(=O)O")
	if err != nil {
		panic(err)
	}
	atoms, logp, mr := CrippenAtoms(m, nil)
	labels := CrippenLabels()
	for i, a := range atoms {
		s := labels[a.Type]
		if a.Hs > 0 {
			s += fmt.Sprintf(" + %d×%s", a.Hs, labels[a.HType])
		}
		fmt.Printf("%d %s: %s\n", i, m.Atoms[i].Symbol(), s)
	}
	fmt.Printf("logP %.4f MR %.4f\n", logp, mr)
	// Output:
	// 0 C: C1 + 3×H1
	// 1 C: C5
	// 2 O: O9
	// 3 O: O2 + 1×H4
	// logP 0.0909 MR 13.3098
}
