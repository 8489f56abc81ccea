package response

import (
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

// BenchmarkFeaturizeDescSets is the featurisation of parsed Lipophilicity
// molecules (Morgan counts and descriptors, no parsing) with each
// descriptor set, on one goroutine: the differences from physchem are the
// surface-area (vsa) and E-state (estate) blocks' cost per molecule.
func BenchmarkFeaturizeDescSets(b *testing.B) {
	m, smiles := benchSetup(b)
	var mols []*molecules.Mol
	for _, s := range smiles[:500] {
		if mol, err := m.parser.Parse(s); err == nil {
			mols = append(mols, mol)
		}
	}
	for _, c := range []struct {
		name string
		set  int
	}{{"physchem", DescPhyschem}, {"vsa", DescVSA}, {"estate", DescEState}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, mol := range mols {
					_ = featurize(mol, m.rec.Bits, m.colOf, false, c.set)
				}
				n += len(mols)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/mol")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestDescWidth: every descriptor set's vector is as wide as descWidth says
// and starts with the smaller sets' vectors (the message-passing members
// of a hybrid read such a prefix).
func TestDescWidth(t *testing.T) {
	mol, err := molecules.Parse("CC(=O)Nc1ccc(O)cc1")
	if err != nil {
		t.Fatal(err)
	}
	var prev []float64
	for set := DescBasic; set <= DescEState; set++ {
		d := featurize(mol, PropertyBits, nil, false, set).desc
		if len(d) != descWidth(set) {
			t.Errorf("set %d: %d descriptors, descWidth %d", set, len(d), descWidth(set))
		}
		for i := range prev {
			if d[i] != prev[i] {
				t.Errorf("set %d: descriptor %d is %v, set %d's %v", set, i, d[i], set-1, prev[i])
				break
			}
		}
		prev = d
	}
}
