package response

import (
	"flag"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

var cellProbe = flag.Bool("response.cellprobe", false, "run TestCellMeanProbe (seconds)")

// TestCellMeanProbe measures, outside the model, what table lookups score
// on unseen drugs (GDSC drug split, nested, seeds 1–5; outer validation
// drugs): the training mean plus each cell line's shrunk mean residual
// over the training drugs (a cell line sensitive to everything stays so),
// and optionally plus the similarity-weighted mean offset of the new
// drug's nearest training drugs.
//
//	go test ./molecules/response -run TestCellMeanProbe -response.cellprobe -v
func TestCellMeanProbe(t *testing.T) {
	if !*cellProbe {
		t.Skip("set -response.cellprobe to run")
	}
	g, err := LoadGDSC()
	if err != nil {
		t.Skip(err)
	}
	p, _ := molecules.NewParser(molecules.ParserConfig{})
	fps := make([]molecules.Fingerprint, len(g.DrugSMILES))
	for d, s := range g.DrugSMILES {
		mol, err := p.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		fps[d] = molecules.Morgan(mol, 2, PropertyBits)
	}
	type variant struct {
		name string
		shr  float64 // cell offset shrink (pairs); <0: no cell offset
		knn  int     // nearest training drugs for the drug offset; 0: none
		dpow float64
		dshr float64
	}
	variants := []variant{
		{"global mean", -1, 0, 0, 0},
		{"cell k=0", 0, 0, 0, 0},
		{"cell k=5", 5, 0, 0, 0},
		{"cell k=20", 20, 0, 0, 0},
		{"drug knn5", -1, 5, 1, 0},
		{"cell k=5 + drug knn1", 5, 1, 1, 0},
		{"cell k=5 + drug knn3", 5, 3, 1, 0},
		{"cell k=5 + drug knn5", 5, 5, 1, 0},
		{"cell k=5 + drug knn10", 5, 10, 1, 0},
		{"cell k=5 + drug knn5 p3", 5, 5, 3, 0},
		{"cell k=5 + drug knn5 shrink1", 5, 5, 1, 1},
	}
	for _, v := range variants {
		var rm, pr, pd []float64
		for seed := uint64(1); seed <= 5; seed++ {
			sp := nestGroupSplit(splitByGroupIDs(g.PairDrug, seed), g.PairDrug, seed)
			train := slices.Concat(sp.Train, sp.Val) // the model early-stops on Val; a lookup can use it
			var mu float64
			for _, i := range train {
				mu += g.LnIC50[i]
			}
			mu /= float64(len(train))
			// drug means over training drugs
			dSum, dN := map[int]float64{}, map[int]float64{}
			for _, i := range train {
				dSum[g.PairDrug[i]] += g.LnIC50[i] - mu
				dN[g.PairDrug[i]]++
			}
			cSum, cN := map[int]float64{}, map[int]float64{}
			for _, i := range train {
				d := g.PairDrug[i]
				cSum[g.PairCell[i]] += g.LnIC50[i] - mu - dSum[d]/dN[d]
				cN[g.PairCell[i]]++
			}
			var trainDrugs []int
			for d := range dSum {
				trainDrugs = append(trainDrugs, d)
			}
			slices.Sort(trainDrugs)
			drugOff := map[int]float64{}
			if v.knn > 0 {
				type nb struct {
					s float64
					d int
				}
				for _, i := range sp.Test {
					d := g.PairDrug[i]
					if _, ok := drugOff[d]; ok {
						continue
					}
					var nbs []nb
					for _, e := range trainDrugs {
						nbs = append(nbs, nb{molecules.Tanimoto(fps[d], fps[e]), e})
					}
					slices.SortFunc(nbs, func(a, b nb) int {
						if a.s != b.s {
							if a.s > b.s {
								return -1
							}
							return 1
						}
						return a.d - b.d
					})
					var num, den float64
					for _, x := range nbs[:v.knn] {
						w := math.Pow(x.s, v.dpow)
						num += w * dSum[x.d] / dN[x.d]
						den += w
					}
					drugOff[d] = num / (den + v.dshr)
				}
			}
			var pred, y []float64
			var drug []int
			for _, i := range sp.Test {
				p := mu + drugOff[g.PairDrug[i]]
				if v.shr >= 0 {
					c := g.PairCell[i]
					p += cSum[c] / (cN[c] + v.shr)
				}
				pred, y, drug = append(pred, p), append(y, g.LnIC50[i]), append(drug, g.PairDrug[i])
			}
			m := RegressionMetrics(pred, y)
			r, _ := meanPearsonByGroup(pred, y, drug)
			rm, pr, pd = append(rm, m["rmse"]), append(pr, m["pearson"]), append(pd, r)
		}
		fmt.Printf("unseen drugs %-30s rmse %s mean %.3f | pearson %s mean %.3f | per-drug r mean %.3f\n", v.name, perSeed(rm), meanOf(rm), perSeed(pr), meanOf(pr), meanOf(pd))
	}
}

// TestCellMeanProbeRandom is TestCellMeanProbe's lookup for random pairs:
// the drug id's training mean plus the cell line's shrunk mean residual.
func TestCellMeanProbeRandom(t *testing.T) {
	if !*cellProbe {
		t.Skip("set -response.cellprobe to run")
	}
	g, err := LoadGDSC()
	if err != nil {
		t.Skip(err)
	}
	for _, shr := range []float64{-1, 0, 5, 20} {
		var rm, pd []float64
		for seed := uint64(1); seed <= 5; seed++ {
			sp := nestSplit(RandomSplit(len(g.LnIC50), seed), seed)
			train := slices.Concat(sp.Train, sp.Val)
			dSum, dN := map[int]float64{}, map[int]float64{}
			for _, i := range train {
				dSum[g.PairDrug[i]] += g.LnIC50[i]
				dN[g.PairDrug[i]]++
			}
			cSum, cN := map[int]float64{}, map[int]float64{}
			for _, i := range train {
				d := g.PairDrug[i]
				cSum[g.PairCell[i]] += g.LnIC50[i] - dSum[d]/dN[d]
				cN[g.PairCell[i]]++
			}
			var pred, y []float64
			var drug []int
			for _, i := range sp.Test {
				d, c := g.PairDrug[i], g.PairCell[i]
				p := dSum[d] / dN[d]
				if shr >= 0 {
					p += cSum[c] / (cN[c] + shr)
				}
				pred, y, drug = append(pred, p), append(y, g.LnIC50[i]), append(drug, d)
			}
			m := RegressionMetrics(pred, y)
			r, _ := meanPearsonByGroup(pred, y, drug)
			rm, pd = append(rm, m["rmse"]), append(pd, r)
		}
		fmt.Printf("random pairs drug mean + cell shrink %v: rmse %s mean %.3f | per-drug r mean %.3f\n", shr, perSeed(rm), meanOf(rm), meanOf(pd))
	}
}
