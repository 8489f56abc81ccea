package datasets

import (
	"bytes"
	"fmt"
	"testing"
)

// benchSMILES are drug-like molecules of 10 to 25 heavy atoms.
var benchSMILES = []string{"CC(=O)Nc1ccc(O)cc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "COc1ccc2[nH]cc(CCN(C)C)c2c1", "O=C(O)c1ccccc1OC(C)=O",
	"CN1CCC[C@H]1c1cccnc1", "Clc1ccc2c(c1)C(c1ccccc1)=NCC(=O)N2", "CC(C)NCC(O)c1ccc(O)c(O)c1", "Nc1ccc(S(=O)(=O)Nc2ncccn2)cc1"}

// BenchmarkUpload uploads a CSV of 20,000 rows per iteration and reports
// rows/s (parse, canonicalize, check, stage and commit).
func BenchmarkUpload(b *testing.B) {
	for _, std := range []bool{false, true} {
		b.Run(fmt.Sprintf("standardize=%v", std), func(b *testing.B) {
			s, _ := newStore(b, Limits{})
			ctx := as("B", "chemist")
			var csv bytes.Buffer
			csv.WriteString("id,smiles,y\n")
			const rows = 20000
			for i := 0; i < rows; i++ {
				fmt.Fprintf(&csv, "r%d,%s,%.3f\n", i, benchSMILES[i%len(benchSMILES)], float64(i%97)/10)
			}
			b.SetBytes(int64(csv.Len()))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in := Input{Name: fmt.Sprintf("b%d", i), SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression, Standardize: std}
				res, err := s.Upload(ctx, in, bytes.NewReader(csv.Bytes()))
				if err != nil || res.Accepted != rows {
					b.Fatalf("%v %d", err, res.Accepted)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
