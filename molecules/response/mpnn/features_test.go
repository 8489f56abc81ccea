package mpnn

import (
	"math"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

func TestGraphOf(t *testing.T) {
	type atomWant struct {
		atom               int
		element            uint8 // atomic number, 0: "other" slot
		degree, hs, hybrid int
		charge             int
		aromatic, ring     bool
	}
	cases := []struct {
		smiles      string
		atoms, bnds int
		want        []atomWant
		bondType    map[int]int // bond index → type slot
		conjugated  map[int]bool
	}{
		{"CC(=O)O", 4, 3, []atomWant{
			{0, 6, 1, 3, 3, 0, false, false},
			{1, 6, 3, 0, 2, 0, false, false},
			{2, 8, 1, 0, 2, 0, false, false},
			{3, 8, 1, 1, 3, 0, false, false},
		}, map[int]int{0: 0, 1: 1, 2: 0}, map[int]bool{0: false, 1: false}},
		{"c1ccccc1", 6, 6, []atomWant{{0, 6, 2, 1, 2, 0, true, true}}, map[int]int{0: 3}, map[int]bool{0: true}},
		{"C#N", 2, 1, []atomWant{{0, 6, 1, 1, 1, 0, false, false}, {1, 7, 1, 0, 1, 0, false, false}}, map[int]int{0: 2}, nil},
		{"[NH4+]", 1, 0, []atomWant{{0, 7, 0, 4, 3, 1, false, false}}, nil, nil},
		{"C=CC=C", 4, 3, nil, map[int]int{1: 0}, map[int]bool{0: true, 1: true, 2: true}},
		{"[Pt]", 1, 0, []atomWant{{0, 0, 0, 0, 0, 0, false, false}}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.smiles, func(t *testing.T) {
			m, err := molecules.Parse(c.smiles)
			if err != nil {
				t.Fatal(err)
			}
			g := GraphOf(m, []float32{1, 2})
			if err := g.validate(0, 2, 0); err != nil {
				t.Fatal(err)
			}
			if g.Atoms != c.atoms || g.Edges() != 2*c.bnds {
				t.Fatalf("atoms %d edges %d, want %d and %d", g.Atoms, g.Edges(), c.atoms, 2*c.bnds)
			}
			// every one-hot block has exactly one 1
			blocks := [][2]int{{offElement, nElement}, {offDegree, nDegree}, {offCharge, nCharge}, {offChiral, nChiral}, {offHs, nHs}, {offHybrid, nHybrid}}
			for a := 0; a < g.Atoms; a++ {
				row := g.AtomF[a*AtomDim : (a+1)*AtomDim]
				for _, b := range blocks {
					var s float32
					for _, v := range row[b[0] : b[0]+b[1]] {
						s += v
					}
					if s != 1 {
						t.Errorf("atom %d block at %d sums to %v", a, b[0], s)
					}
				}
				if row[offMass] <= 0 {
					t.Errorf("atom %d mass feature %v", a, row[offMass])
				}
			}
			hot := func(row []float32, off, n int) int {
				for i, v := range row[off : off+n] {
					if v == 1 {
						return i
					}
				}
				return -1
			}
			for _, w := range c.want {
				row := g.AtomF[w.atom*AtomDim : (w.atom+1)*AtomDim]
				el := nElement - 1
				if w.element != 0 {
					el = int(elementSlot[w.element])
				}
				got := []int{hot(row, offElement, nElement), hot(row, offDegree, nDegree), hot(row, offHs, nHs), hot(row, offHybrid, nHybrid), hot(row, offCharge, nCharge) - 2}
				want := []int{el, w.degree, w.hs, w.hybrid, w.charge}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("atom %d: element/degree/Hs/hybrid/charge = %v, want %v", w.atom, got, want)
						break
					}
				}
				if (row[offAromatic] == 1) != w.aromatic || (row[offInRing] == 1) != w.ring {
					t.Errorf("atom %d aromatic %v ring %v, want %v %v", w.atom, row[offAromatic], row[offInRing], w.aromatic, w.ring)
				}
			}
			for b, ty := range c.bondType {
				for _, e := range []int{2 * b, 2*b + 1} {
					if got := hot(g.BondF[e*BondDim:(e+1)*BondDim], offBondType, nBondType); got != ty {
						t.Errorf("edge %d type slot %d, want %d", e, got, ty)
					}
				}
			}
			for b, cj := range c.conjugated {
				if got := g.BondF[2*b*BondDim+offConjugated] == 1; got != cj {
					t.Errorf("bond %d conjugated %v, want %v", b, got, cj)
				}
			}
			if len(g.Extra) != 2 || g.Extra[1] != 2 {
				t.Errorf("extra %v", g.Extra)
			}
		})
	}
}

func TestWithout(t *testing.T) {
	m, err := molecules.Parse("CC(=O)O")
	if err != nil {
		t.Fatal(err)
	}
	g := GraphOf(m, nil)
	o := g.without(1) // the central carbon: no bonds remain
	if o.Atoms != 3 || o.Edges() != 0 {
		t.Fatalf("without centre: %d atoms %d edges", o.Atoms, o.Edges())
	}
	o = g.without(3) // the hydroxyl O: C–C(=O) remains
	if o.Atoms != 3 || o.Edges() != 4 {
		t.Fatalf("without OH: %d atoms %d edges", o.Atoms, o.Edges())
	}
	if err := o.validate(0, 0, 0); err != nil {
		t.Fatal(err)
	}
}

// TestAtomContributionsOcclusion checks each contribution against an
// explicit prediction of the occluded graph.
func TestAtomContributionsOcclusion(t *testing.T) {
	cfg := Config{Hidden: 16, Depth: 3, Extras: 1, Seed: 9}.withDefaults()
	m := newModel(cfg)
	m.yMean[0], m.ySD[0] = -2, 1.5
	mol, err := molecules.Parse("CC(=O)Nc1ccc(O)cc1")
	if err != nil {
		t.Fatal(err)
	}
	g := GraphOf(mol, []float32{0.5})
	c, err := m.AtomContributions(g)
	if err != nil {
		t.Fatal(err)
	}
	gs := []Graph{g}
	for a := 0; a < g.Atoms; a++ {
		gs = append(gs, g.without(a))
	}
	out := make([][]float64, len(gs))
	for i := range out {
		out[i] = make([]float64, 1)
	}
	if err := m.Predict(gs, out); err != nil {
		t.Fatal(err)
	}
	for a := range c {
		if want := out[0][0] - out[a+1][0]; math.Abs(c[a]-want) > 1e-12 {
			t.Errorf("atom %d: contribution %v, want %v", a, c[a], want)
		}
	}
}

func TestAtomDim(t *testing.T) {
	if AtomDim != 64 {
		t.Errorf("AtomDim = %d; keep it a multiple of 16 (W_o's input is AtomDim + Hidden)", AtomDim)
	}
}
