package molecules

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		smi  string
		pos  int
		want string
	}{
		{"", 0, "empty"},
		{"C1CC", 1, "never closed"},
		{"CC)", 2, "unmatched ')'"},
		{"C(C", 3, "unclosed branch"},
		{"CC=", 2, "bond symbol at the end"},
		{"C[Xx]", 2, "unknown element"},
		{"C[C", 1, "expected ']'"},
		{"C==C", 2, "two bond symbols"},
		{"C11", 2, "itself"},
		{"C12CCCCC12", 9, "duplicates"},
		{"c1ccnc1", 0, "kekulize"},
		{"C(C)(C)(C)(C)C", -1, "valence"},
		{"[CH5]", -1, "valence"},
		{"C%1CC", 1, "two digits"},
		{"C.", 2, ""},
		{"?C", 0, "unexpected character"},
		{"C(=)C", 3, ""},
	}
	for _, c := range cases {
		_, err := Parse(c.smi)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error", c.smi)
			continue
		}
		var se *SMILESError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T is not *SMILESError", c.smi, err)
			continue
		}
		if !errors.Is(err, errs.Invalid) || se.Code() != "BAD_SMILES" {
			t.Errorf("Parse(%q): error must wrap ErrInvalid with code BAD_SMILES", c.smi)
		}
		if c.pos != se.Position && !(c.pos == -1 && se.Position == -1) && c.want != "" {
			t.Errorf("Parse(%q): position %d, want %d (%v)", c.smi, se.Position, c.pos, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q): error %q does not mention %q", c.smi, err, c.want)
		}
	}
}

func TestParseLimits(t *testing.T) {
	p, err := NewParser(ParserConfig{MaxAtoms: 10, MaxRings: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse(strings.Repeat("C", 11)); err == nil || !strings.Contains(err.Error(), "more than 10 atoms") {
		t.Errorf("atom cap: %v", err)
	}
	if _, err := p.Parse("C1CC2CC3CC1CC23"); err == nil || !strings.Contains(err.Error(), "ring closures") {
		t.Errorf("ring cap: %v", err)
	}
	if _, err := NewParser(ParserConfig{MaxAtoms: -1}); err == nil {
		t.Error("negative limit accepted")
	}
}

func TestParseProperties(t *testing.T) {
	cases := []struct {
		smi     string
		formula string
		heavy   int
		nAtoms  int
	}{
		{"[H]C([H])([H])O", "CH4O", 2, 2},
		{"[2H]OC", "CH4O", 2, 3},
		{"CC(=O)Oc1ccccc1C(=O)O", "C9H8O4", 13, 13},
		{"[NH4+].[Cl-]", "H4ClN", 2, 2},
		{"[Zn++].[O-]S([O-])(=O)=O", "O4SZn", 6, 6},
		{"BrC(Cl)I", "CHBrClI", 4, 4},
		{"[13CH4]", "CH4", 1, 1},
		{"C[N+](C)(C)C", "C4H12N+", 5, 5},
		{"CN(=O)=O", "CH3NO2", 4, 4},
		{"[O-]C(=O)C", "C2H3O2-", 4, 4},
		{"C%10CC%10", "C3H6", 3, 3},
		{"C%(123)CC%(123)", "C3H6", 3, 3},
		{"c1cc[nH]c1", "C4H5N", 5, 5},
		{"[Fe++]", "Fe+2", 1, 1},
		{"[CH3:7]C", "C2H6", 2, 2},
		{"C->[Fe]", "CH4Fe", 2, 2},
		{"F/C=C/F", "C2H2F2", 4, 4},
		{"N[C@@H](C)C(=O)O", "C3H7NO2", 6, 6},
		{"CCO ethanol", "C2H6O", 3, 3},
	}
	for _, c := range cases {
		m, err := Parse(c.smi)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.smi, err)
			continue
		}
		if got := m.Formula(); got != c.formula {
			t.Errorf("%s formula %s, want %s", c.smi, got, c.formula)
		}
		if m.HeavyAtoms() != c.heavy || m.NumAtoms() != c.nAtoms {
			t.Errorf("%s heavy %d atoms %d, want %d %d", c.smi, m.HeavyAtoms(), m.NumAtoms(), c.heavy, c.nAtoms)
		}
	}
}

func ExampleParse() {
	m, err := Parse("CC(=O)Oc1ccccc1C(=O)O")
	if err != nil {
		panic(err)
	}
	d := Describe(m)
	fmt.Println(m.Formula(), m.HeavyAtoms())
	fmt.Printf("MolWt %.3f LogP %.4f TPSA %.2f HBD %d HBA %d RotB %d\n", d.MolWt, d.LogP, d.TPSA, d.HBD, d.HBA, d.RotatableBonds)
	fmt.Println(Morgan(m, 2, 2048).OnBits()[:5])
	// Output:
	// C9H8O4 13
	// MolWt 180.159 LogP 1.3101 TPSA 63.60 HBD 1 HBA 3 RotB 2
	// [389 456 650 695 807]
}

func ExampleParse_error() {
	_, err := Parse("CC(C")
	fmt.Println(err)
	var se *SMILESError
	if errors.As(err, &se) {
		fmt.Println(se.Code(), se.Position)
	}
	// Output:
	// bad SMILES at position 4: unclosed branch: expected ')'
	// BAD_SMILES 4
}
