package molecules

import (
	"fmt"
	"slices"
	"testing"
)

// TestParseIntoMatchesParse parses every golden (and, unless -short,
// MoleculeNet) SMILES into one reused molecule, with bad SMILES and very
// different sizes in between, and checks each result against a fresh Parse:
// graph, rings, stereo canonical SMILES, Morgan environments, Crippen types
// and TPSA. A molecule read before a reuse must not be changed by it either.
func TestParseIntoMatchesParse(t *testing.T) {
	smis := allGoldenSMILES(t)
	if !testing.Short() {
		smis = append(smis, moleculeNetSMILES(t)...)
	}
	// interleave failures and a large molecule so that every array shrinks
	// and grows again
	var seq []string
	for i, s := range smis {
		seq = append(seq, s)
		switch i % 97 {
		case 13:
			seq = append(seq, "C1CC", "c1cccc1", "CC(", "")
		case 50:
			seq = append(seq, "C1CCC2CC3CCC4CC5CCC6CC7CCC8CC9CCC%10CC%11CCCC%11C%10C9C8C7C6C5C4C3C21")
		}
	}
	for _, cfg := range []ParserConfig{{}, {SkipStereo: true}} {
		p, err := NewParser(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var reused, kept *Mol
		var keptWant string
		checked := 0
		for _, s := range seq {
			want, werr := p.Parse(s)
			got, gerr := p.ParseInto(reused, s)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%q (%+v): Parse error %v, ParseInto error %v", s, cfg, werr, gerr)
			}
			if gerr != nil {
				if werr.Error() != gerr.Error() {
					t.Fatalf("%q: Parse error %q, ParseInto error %q", s, werr, gerr)
				}
				continue
			}
			if reused != nil && got != reused {
				t.Fatalf("%q: ParseInto did not reuse the molecule", s)
			}
			reused = got
			if d := molDiff(want, got); d != "" {
				t.Fatalf("%q (%+v): ParseInto differs from Parse: %s", s, cfg, d)
			}
			checked++
			if checked%1000 == 1 {
				// a molecule parsed fresh must not be touched by later reuse
				kept, keptWant = want, want.CanonicalSMILES()
			}
		}
		if kept != nil && kept.CanonicalSMILES() != keptWant {
			t.Fatalf("reusing another molecule changed a fresh one: %s → %s", keptWant, kept.CanonicalSMILES())
		}
		if checked < len(smis)/2 {
			t.Fatalf("only %d of %d molecules parsed", checked, len(smis))
		}
		t.Logf("%+v: %d molecules identical", cfg, checked)
	}
}

// molDiff describes the first difference between a and b, or "".
func molDiff(a, b *Mol) string {
	if len(a.Atoms) != len(b.Atoms) || len(a.Bonds) != len(b.Bonds) {
		return fmt.Sprintf("%d/%d atoms, %d/%d bonds", len(a.Atoms), len(b.Atoms), len(a.Bonds), len(b.Bonds))
	}
	for i := range a.Atoms {
		x, y := a.Atoms[i], b.Atoms[i]
		if x.Z != y.Z || x.Aromatic != y.Aromatic || x.Charge != y.Charge || x.Isotope != y.Isotope ||
			x.ExplicitHs != y.ExplicitHs || x.ImplicitHs != y.ImplicitHs || x.Radicals != y.Radicals ||
			x.Chiral != y.Chiral || x.NoImplicit != y.NoImplicit || x.expVal != y.expVal ||
			!slices.Equal(x.bonds, y.bonds) || !slices.Equal(x.stereoNbrs, y.stereoNbrs) {
			return fmt.Sprintf("atom %d: %+v / %+v", i, x, y)
		}
	}
	if !slices.Equal(a.Bonds, b.Bonds) {
		return "bonds"
	}
	if !slices.EqualFunc(a.rings, b.rings, slices.Equal[[]int32]) || !slices.EqualFunc(a.ringBonds, b.ringBonds, slices.Equal[[]int32]) {
		return fmt.Sprintf("rings %v / %v", a.rings, b.rings)
	}
	if !slices.Equal(a.atomRingCount, b.atomRingCount) || !slices.Equal(a.bondRingCount, b.bondRingCount) {
		return "ring counts"
	}
	if ca, cb := a.CanonicalSMILES(), b.CanonicalSMILES(); ca != cb {
		return fmt.Sprintf("canonical SMILES %s / %s", ca, cb)
	}
	if !slices.Equal(MorganEnvironments(a, 2), MorganEnvironments(b, 2)) {
		return "Morgan environments"
	}
	ta, la, _ := CrippenAtoms(a, nil)
	tb, lb, _ := CrippenAtoms(b, nil)
	if !slices.Equal(ta, tb) || la != lb || TPSA(a) != TPSA(b) {
		return "Crippen types or TPSA"
	}
	return ""
}

// ExampleParser_ParseInto parses a list of SMILES through one molecule:
// each call rewrites it, so the loop allocates almost nothing once the
// molecule has grown to the largest input.
func ExampleParser_ParseInto() {
	p, _ := NewParser(ParserConfig{SkipStereo: true})
	var m *Mol
	for _, s := range []string{"CCO", "c1ccccc1O", "C1CC", "CC(=O)Oc1ccccc1C(=O)O"} {
		mol, err := p.ParseInto(m, s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		m = mol
		fmt.Printf("%d heavy atoms, %d rings, TPSA %.2f\n", m.HeavyAtoms(), len(m.Rings()), TPSA(m))
	}
	// Output:
	// 3 heavy atoms, 0 rings, TPSA 20.23
	// 7 heavy atoms, 1 rings, TPSA 20.23
	// bad SMILES at position 1: ring closure 1 is never closed
	// 13 heavy atoms, 1 rings, TPSA 63.60
}
