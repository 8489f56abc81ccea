package standardize

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkStandardize: salts and charged drug-like molecules (the common
// case), and molecules with many sites of one rule (the normalizer's work
// bound, ExactRewriteAtoms).
func BenchmarkStandardize(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	cases := map[string][]string{
		"salts":    {"CC(=O)Oc1ccccc1C(=O)[O-].[Na+]", "CN1CCC[C@H]1c1cccnc1.Cl", "C[N+](C)(C)CC(=O)[O-]", "CS(C)=O", "CCN(CC)CC.OC(=O)C(O)=O", "c1ccccc1O"},
		"sites150": {"C" + strings.Repeat("S(=O)C", 150)},
	}
	for name, smiles := range cases {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				if _, err := s.Standardize(ctx, smiles[i%len(smiles)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
