package response

import (
	"context"
	"flag"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

var families = flag.Bool("response.families", false, "run TestBlendFamilies: would a third member family (a descriptors-only MLP) help ESOL's hybrid? (about 20 minutes)")

// TestBlendFamilies is an experiment, not a check: on ESOL's random split
// (seeds 1–3) it trains the default hybrid and a descriptors-only MLP
// ensemble (E-state set, no fingerprint) and prints the validation and test
// RMSE of the families alone and of their even blends, to judge on
// validation whether a third family would pay before building one.
func TestBlendFamilies(t *testing.T) {
	if !*families {
		t.Skip("run with -response.families")
	}
	smiles, _, ys := trainRows(t, "esol")
	var val, test [6][]float64 // MLP, graph, hybrid, nofp, hybrid+nofp (thirds), MLP+nofp
	for seed := uint64(1); seed <= 3; seed++ {
		hy, err := Train(context.Background(), TrainInput{Dataset: "esol", Split: SplitRandom, Seed: seed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		nofp, err := Train(context.Background(), TrainInput{Dataset: "esol", Split: SplitRandom, Seed: seed, Arch: ArchMLP, descSet: DescEState, minBitCount: 1 << 30}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(hy.rec.Rows.Test, nofp.rec.Rows.Test) || !slices.Equal(hy.rec.Rows.Val, nofp.rec.Rows.Val) {
			t.Fatal("the two models' splits differ")
		}
		for pi, idx := range [][]int{hy.rec.Rows.Val, hy.rec.Rows.Test} {
			var feats []molFeat
			var sm []string
			var y []float64
			for _, i := range idx {
				mol, _ := hy.parser.Parse(smiles[i])
				f := featurize(mol, hy.rec.Bits, hy.colOf, false, hy.rec.DescSet)
				g := mpnn.GraphOf(mol, nil)
				f.graph = &g
				feats, sm, y = append(feats, f), append(sm, smiles[i]), append(y, ys[i])
			}
			eng := hy.pool.get()
			h := hy.halfSums(eng, feats)
			hy.pool.put(eng)
			np, err := nofp.Predict(context.Background(), sm, PredictOptions{NoAttributions: true})
			if err != nil {
				t.Fatal(err)
			}
			var sse [6]float64
			for r := range y {
				mlp, gr, c := h.sumM[r]/float64(h.nM), h.sumG[r]/float64(h.nG), *np[r].Value
				for k, p := range []float64{mlp, gr, (mlp + gr) / 2, c, (mlp + gr + c) / 3, (mlp + c) / 2} {
					sse[k] += (p - y[r]) * (p - y[r])
				}
			}
			for k := range sse {
				v := math.Sqrt(sse[k] / float64(len(y)))
				if pi == 0 {
					val[k] = append(val[k], v)
				} else {
					test[k] = append(test[k], v)
				}
			}
		}
	}
	for k, name := range []string{"MLP (E-state + fingerprint)", "D-MPNN", "hybrid (default)", "descriptors-only MLP", "hybrid + descriptors-only MLP", "MLP + descriptors-only MLP"} {
		fmt.Printf("FAMILIES %-32s val %.3f %.3f %.3f mean %.3f | test %.3f %.3f %.3f mean %.3f\n", name,
			val[k][0], val[k][1], val[k][2], meanOf(val[k]), test[k][0], test[k][1], test[k][2], meanOf(test[k]))
	}
}
