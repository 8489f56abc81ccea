package descriptors

import "testing"

func TestScaffold(t *testing.T) {
	cases := []struct {
		a, b  string
		same  bool
		atoms int // scaffold atoms of a
	}{
		{"Cc1ccccc1", "CCc1ccccc1", true, 6},                        // side chains go
		{"c1ccccc1", "Oc1ccccc1", true, 6},                          // substituent goes
		{"c1ccc(cc1)-c1ccccc1", "c1ccc(cc1)Cc1ccccc1", false, 12},   // biphenyl vs diphenylmethane (linker kept)
		{"c1ccc(cc1)CCc1ccccc1", "CC(c1ccccc1)Cc1ccccc1", true, 14}, // the methyl branch on the linker goes
		{"CCCCO", "CCO", true, 0},                                   // acyclic share ""
		{"c1ccncc1", "c1ccccc1", false, 6},                          // element matters
		{"C1CCCCC1", "c1ccccc1", false, 6},                          // aromaticity matters
		{"OC(=O)c1ccc2ccccc2c1", "Nc1ccc2ccccc2c1", true, 10},       // naphthalene
		{"c1ccc2c(c1)CCN2", "c1ccc2c(c1)NCC2", true, 9},             // same indoline, other atom order
		{"CN1CCN(CC1)c1ccccc1", "c1ccc(cc1)N1CCNCC1", true, 12},     // phenylpiperazine
	}
	for _, c := range cases {
		ma, mb := mustParse(t, c.a), mustParse(t, c.b)
		if n := len(ScaffoldAtoms(ma)); n != c.atoms {
			t.Errorf("ScaffoldAtoms(%s) = %d atoms, want %d", c.a, n, c.atoms)
		}
		if got := ScaffoldKey(ma) == ScaffoldKey(mb); got != c.same {
			t.Errorf("ScaffoldKey(%s) == ScaffoldKey(%s) is %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
