package response

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"testing"
)

var ridgeProbe = flag.Bool("response.ridgeprobe", false, "run TestRidgeProbe (about 1 minute)")

// TestRidgeProbe measures, outside the model, what per-drug linear weights
// on the cell lines' genomic features add to the drug-by-tissue means for
// unseen cell lines, for several ridge penalties: on the nested split of
// TestGDSCSweep (seeds 1–5), for every drug id, genomicWeights of its
// training pairs' leave-one-out residuals from the drug-by-tissue mean over
// genomicColumns, scored on the outer validation cell lines. It chose
// gdscGenomicRidge (RESULTS.md, "GDSC: drug-by-tissue offsets").
//
//	go test ./molecules/response -run TestRidgeProbe -response.ridgeprobe -v
func TestRidgeProbe(t *testing.T) {
	if !*ridgeProbe {
		t.Skip("set -response.ridgeprobe to run")
	}
	g, err := LoadGDSC()
	if err != nil {
		t.Skip(err)
	}
	key := make([]string, len(g.DrugIDs))
	for d, id := range g.DrugIDs {
		key[d] = strconv.Itoa(id)
	}
	tissue := cellTissues(g)
	for _, lambda := range []float64{0, 30, 100, 300, 1000} {
		var res []float64
		for seed := uint64(1); seed <= 5; seed++ {
			sp := nestGroupSplit(splitByGroupIDs(g.PairCell, seed), g.PairCell, seed)
			sum, cnt := map[string]float64{}, map[string]float64{}
			for _, i := range sp.Train {
				sum[key[g.PairDrug[i]]] += g.LnIC50[i]
				cnt[key[g.PairDrug[i]]]++
			}
			means := map[string]float64{}
			for k := range sum {
				means[k] = sum[k] / cnt[k]
			}
			// Raw ln IC50 (yMean 0, ySD 1).
			rowOff := make([]float64, len(g.LnIC50))
			offs := tissueOffsets(g, sp.Train, key, means, 0, 1, rowOff)
			var w map[string][]float64
			cols := genomicColumns(g, sp.Train)
			if lambda > 0 {
				if w, err = genomicWeights(g, sp.Train, key, cols, lambda, func(i int) float64 {
					return g.LnIC50[i] - means[key[g.PairDrug[i]]] - rowOff[i]
				}); err != nil {
					t.Fatal(err)
				}
			}
			se := 0.0
			for _, i := range sp.Test {
				k := key[g.PairDrug[i]]
				p := means[k] + offs[k][tissue[g.PairCell[i]]] + genomicEffect(w[k], cols, g.CellFeatures[g.PairCell[i]])
				se += (p - g.LnIC50[i]) * (p - g.LnIC50[i])
			}
			res = append(res, math.Sqrt(se/float64(len(sp.Test))))
		}
		fmt.Printf("RIDGE λ %v: %s mean %.4f\n", lambda, perSeed(res), meanOf(res))
	}
}
