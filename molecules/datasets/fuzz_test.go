package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/rxlab/rxlab/store"
)

// FuzzUpload: any file gives a result or an input error, never a panic; a
// stored dataset holds exactly the accepted rows, and every row error
// names a line of the file.
func FuzzUpload(f *testing.F) {
	for _, s := range []string{"smiles,y\nCCO,1\n", "smiles,y\nC1CC,1\nCCO,x\n\"CC\"O,1\n", "y,smiles\n1,c1ccccc1\n,CCO\n",
		"\ufeffsmiles,y\r\nCCO,1\r\n", "smiles,y\n\"C\nC\",1\n", "smiles\n", "", "smiles,y\nCCO,1e400\nCCO,NaN\n"} {
		f.Add([]byte(s), false)
	}
	s, _ := newStore(f, Limits{MaxBytes: 1 << 16, MaxRows: 200, MaxLineBytes: 512})
	ctx := as("F", "chemist")
	n := 0
	f.Fuzz(func(t *testing.T, data []byte, std bool) {
		n++
		in := Input{Name: fmt.Sprintf("f%d", n), SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression, Standardize: std}
		res, err := s.Upload(ctx, in, bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error %v is not an input error", err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, e := range res.Errors {
			if e.Line < 2 || e.Line > lines || e.Column < 1 {
				t.Fatalf("error %+v outside the file's %d lines", e, lines)
			}
		}
		if !res.Committed {
			if res.Accepted != 0 {
				t.Fatalf("not committed with %d accepted rows", res.Accepted)
			}
			return
		}
		smiles, targets, _, hash, err := s.Rows(ctx, res.Dataset.ID)
		if err != nil || len(smiles) != res.Accepted || len(targets) != res.Accepted || hash != res.Dataset.Hash {
			t.Fatalf("rows %d targets %d (%v), accepted %d", len(smiles), len(targets), err, res.Accepted)
		}
	})
}
