package molecules

import (
	"slices"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	cases := []struct {
		smarts, smiles string
		want           [][]int32 // every mapping, in order
	}{
		{"C(=O)[OH]", "CC(=O)O", [][]int32{{1, 2, 3}}},
		{"[O-]", "CC(=O)[O-].[O-]C", [][]int32{{3}, {4}}},
		{"[+,+2;!H0]", "C[NH3+].[Na+]", [][]int32{{1}}},
		{"[$([n-]1nnnc1)]", "c1nnn[n-]1", [][]int32{{4}}},
		{"[$([n-]1nnnc1)]", "c1nn[n-]n1", nil}, // the anion is not next to the carbon
		{"[CX4][OH]", "c1ccccc1O", nil},
		{"*N=N#N", "CN=N#N", nil}, // parsed as CN=[N+]=[N-]: no triple bond left
	}
	for _, c := range cases {
		p, err := CompileSMARTS(c.smarts)
		if err != nil {
			t.Fatalf("%s: %v", c.smarts, err)
		}
		m, err := Parse(c.smiles)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]int32
		m.Match(p, func(mp []int32) bool { got = append(got, slices.Clone(mp)); return true })
		if !slices.EqualFunc(got, c.want, slices.Equal[[]int32]) || m.HasMatch(p) != (len(c.want) > 0) {
			t.Errorf("%s in %s: %v, want %v", c.smarts, c.smiles, got, c.want)
		}
	}
	for _, bad := range []string{"", "C(", "C)", "[X", "[C", "C1CC.", "[Qq]"} {
		if _, err := CompileSMARTS(bad); err == nil {
			t.Errorf("CompileSMARTS(%q) succeeded", bad)
		}
	}
}

func TestEdits(t *testing.T) {
	cases := []struct {
		name, smiles string
		edit         func(m *Mol) error
		want         string
	}{
		{"deprotonate", "CC(=O)O", func(m *Mol) error { return m.SetCharge(3, -1) }, "CC(=O)[O-]"},
		{"fixed Hs", "CN", func(m *Mol) error {
			if err := m.SetExplicitHs(1, 3, true); err != nil {
				return err
			}
			return m.SetCharge(1, 1)
		}, "C[NH3+]"},
		{"sulfoxide", "CS(C)=O", func(m *Mol) error {
			if err := m.SetBondType(m.BondBetween(1, 3), BondSingle); err != nil {
				return err
			}
			if err := m.SetCharge(1, 1); err != nil {
				return err
			}
			return m.SetCharge(3, -1)
		}, "C[S+](C)[O-]"},
		{"protonated amine", "C[NH3+]", func(m *Mol) error {
			if err := m.SetExplicitHs(1, 2, true); err != nil {
				return err
			}
			return m.SetCharge(1, 0)
		}, "CN"},
	}
	for _, c := range cases {
		m, err := Parse(c.smiles)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.edit(m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out, err := Parse(m.CanonicalSMILES())
		if err != nil {
			t.Fatalf("%s: %s does not parse: %v", c.name, m.CanonicalSMILES(), err)
		}
		if got := out.CanonicalSMILES(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	m, _ := Parse("CCO")
	for _, err := range []error{m.SetCharge(3, 0), m.SetCharge(0, 99), m.SetExplicitHs(-1, 0, true), m.SetExplicitHs(0, 40, true),
		m.SetBondType(5, BondSingle), m.SetBondType(0, BondAromatic)} {
		if err == nil {
			t.Error("an out-of-range edit succeeded")
		}
	}
	if m.BondBetween(0, 2) != -1 || m.BondBetween(0, 9) != -1 || m.BondBetween(0, 1) != 0 {
		t.Error("BondBetween")
	}
	if !IsEarlyAtom(5) || IsEarlyAtom(6) || IsEarlyAtom(200) {
		t.Error("IsEarlyAtom")
	}
	if r := m.CanonicalRanks(); len(r) != 3 {
		t.Errorf("CanonicalRanks %v", r)
	}
	if v := AllowedValences(7); !slices.Equal(v, []int{3}) {
		t.Errorf("AllowedValences(N) = %v", v)
	}
}

// FuzzCompileSMARTS: any text compiles or gives an error, never a panic,
// and a compiled pattern matches molecules without panicking.
func FuzzCompileSMARTS(f *testing.F) {
	for _, s := range []string{"C(=O)[OH]", "[+,+2;!H0;!$(*~[-]),$(*(~[-])~[-])]", "[$([n-]1nnnc1)]", "c1ccccc1", "[#6X4v4R2r6]~*@*", "[!O]S(=O)(=O)[O-]", "*=N#N"} {
		f.Add(s)
	}
	var mols []*Mol
	for _, s := range []string{"CC(=O)[O-].[Na+]", "c1nnn[n-]1", "C[N+](C)(C)CC(=O)O", "O=S(=O)(O)c1ccc2ccccc2c1"} {
		m, err := Parse(s)
		if err != nil {
			f.Fatal(err)
		}
		mols = append(mols, m)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 200 {
			return
		}
		p, err := CompileSMARTS(s)
		if err != nil {
			return
		}
		for _, m := range mols {
			n := 0
			m.Match(p, func(mp []int32) bool { n++; return n < 1000 })
		}
	})
}
