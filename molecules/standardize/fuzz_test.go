package standardize

import (
	"context"
	"errors"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store/errs"
)

// FuzzStandardize: any input gives a result or an input error, never a
// panic; a result parses again (when the input's own canonical SMILES
// does), and the steps are empty only when nothing changed.
func FuzzStandardize(f *testing.F) {
	for _, s := range []string{"CC(=O)[O-].[Na+]", "C[NH3+].[Cl-]", "CS(C)=O", "CN=N#N", "[O-]C=[N+](C)C",
		"OC(=O)c1ccccc1[O-]", "C[N+](C)(C)CC(=O)[O-]", "[Na].CC(=O)O", "c1nn[n-]n1", "[B-](F)(F)(F)F",
		"NC=CC=[N+](C)C", "C[C@H](N)C(=O)[O-]", "[2H]C([2H])([2H])[NH3+]", "c1ccnc1", "", "C1CC"} {
		f.Add(s)
	}
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, smi string) {
		if len(smi) > 300 {
			return
		}
		res, err := s.Standardize(ctx, smi)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("%q: error %v is not an input error", smi, err)
			}
			return
		}
		// Some parsed molecules do not survive their own canonical SMILES
		// (RDKit writes c1cc$c1 as C1$CC=C1, which it then refuses); the
		// standardizer owes a parsable answer only for those that do.
		if _, err := molecules.Parse(res.Input); err != nil {
			return
		}
		if _, err := molecules.Parse(res.SMILES); err != nil {
			t.Fatalf("%q: output %q does not parse: %v", smi, res.SMILES, err)
		}
		if len(res.Steps) == 0 && res.SMILES != res.Input {
			t.Fatalf("%q: output %q differs from input %q without a step", smi, res.SMILES, res.Input)
		}
	})
}
