package response

import (
	"flag"
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

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
			mu, dSum, dN, cSum, cN, trainDrugs := lookupSums(g, train)
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

// TestDrugMeanProbe measures, outside the model, how well a ridge
// regression on a drug's standardised descriptors (and optionally its
// fingerprint counts) predicts an unseen drug's mean ln IC50: nested drug
// split, seeds 1–5, fitted on the training drugs' means, scored on the outer
// validation drugs by the Pearson r of the drug means and by the pooled r
// of the pairs when the cell lines' offsets are added.
func TestDrugMeanProbe(t *testing.T) {
	if !*cellProbe {
		t.Skip("set -response.cellprobe to run")
	}
	g, err := LoadGDSC()
	if err != nil {
		t.Skip(err)
	}
	p, _ := molecules.NewParser(molecules.ParserConfig{})
	for _, cfg := range []struct {
		name    string
		descSet int
		fp      bool
	}{{"basic", DescBasic, false}, {"physchem", DescPhyschem, false}, {"basic+fp", DescBasic, true}, {"physchem+fp", DescPhyschem, true}} {
		feats := make([]molFeat, len(g.DrugSMILES))
		for d, s := range g.DrugSMILES {
			mol, err := p.Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			feats[d] = featurize(mol, GDSCDrugBits, nil, false, cfg.descSet)
		}
		for _, lambda := range []float64{1, 10, 100} {
			var rDrug, rPair []float64
			for seed := uint64(1); seed <= 5; seed++ {
				sp := nestGroupSplit(splitByGroupIDs(g.PairDrug, seed), g.PairDrug, seed)
				train := slices.Concat(sp.Train, sp.Val)
				mu, dSum, dN, cSum, cN, drugs := lookupSums(g, train)
				var rows [][]float64
				for _, d := range drugs {
					rows = append(rows, feats[d].desc)
				}
				sc := fitScaler(rows)
				row := func(d int) []float64 {
					x := make([]float32, len(sc.Mean))
					sc.apply(feats[d].desc, x)
					out := make([]float64, 0, len(x)+GDSCDrugBits)
					for _, v := range x {
						out = append(out, float64(v))
					}
					if cfg.fp {
						fp := make([]float64, GDSCDrugBits)
						for _, c := range feats[d].counts {
							fp[c.Bit] = math.Log1p(float64(c.Count))
						}
						out = append(out, fp...)
					}
					return out
				}
				X := make([][]float64, len(drugs))
				y := make([]float64, len(drugs))
				for k, d := range drugs {
					X[k], y[k] = row(d), dSum[d]/dN[d]
				}
				w := ridgeFit(t, X, y, lambda)
				pred := map[int]float64{}
				var pm, am []float64
				for _, i := range sp.Test {
					d := g.PairDrug[i]
					if _, ok := pred[d]; !ok {
						x := row(d)
						s := 0.0
						for j := range x {
							s += w[j] * x[j]
						}
						pred[d] = s
						var a float64
						var n int
						for _, k := range sp.Test {
							if g.PairDrug[k] == d {
								a += g.LnIC50[k] - mu
								n++
							}
						}
						pm, am = append(pm, s), append(am, a/float64(n))
					}
				}
				rDrug = append(rDrug, RegressionMetrics(pm, am)["pearson"])
				var pp, yy []float64
				for _, i := range sp.Test {
					c := g.PairCell[i]
					pp = append(pp, mu+pred[g.PairDrug[i]]+cSum[c]/(cN[c]+gdscCellShrink))
					yy = append(yy, g.LnIC50[i])
				}
				rPair = append(rPair, RegressionMetrics(pp, yy)["pearson"])
			}
			fmt.Printf("drug means %-12s λ %-4v: r(drug means) %s mean %.3f | pooled r with cell offsets %s mean %.3f\n", cfg.name, lambda, perSeed(rDrug), meanOf(rDrug), perSeed(rPair), meanOf(rPair))
		}
	}
}

// ridgeFit solves (XᵀX + λI)·w = Xᵀy (no intercept: y is centred).
func ridgeFit(t *testing.T, X [][]float64, y []float64, lambda float64) []float64 {
	p := len(X[0])
	a := mat.NewSymDense(p, nil)
	b := mat.NewVecDense(p, nil)
	for u := 0; u < p; u++ {
		a.SetSym(u, u, lambda)
	}
	for k, x := range X {
		for u := 0; u < p; u++ {
			if x[u] == 0 {
				continue
			}
			b.SetVec(u, b.AtVec(u)+x[u]*y[k])
			for v := u; v < p; v++ {
				a.SetSym(u, v, a.At(u, v)+x[u]*x[v])
			}
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		t.Fatal("ridge system not positive definite")
	}
	w := mat.NewVecDense(p, nil)
	if err := ch.SolveVecTo(w, b); err != nil {
		t.Fatal(err)
	}
	return w.RawVector().Data
}

// lookupSums returns what the lookups of the probes are built from, over
// the training pairs train: the global mean; per drug the sum of its
// residuals from that mean and its pair count; per cell line the sum of
// its residuals from the drugs' means and its pair count; and the training
// drugs in order.
func lookupSums(g *GDSC, train []int) (mu float64, dSum, dN, cSum, cN map[int]float64, drugs []int) {
	for _, i := range train {
		mu += g.LnIC50[i]
	}
	mu /= float64(len(train))
	dSum, dN = map[int]float64{}, map[int]float64{}
	for _, i := range train {
		dSum[g.PairDrug[i]] += g.LnIC50[i] - mu
		dN[g.PairDrug[i]]++
	}
	cSum, cN = map[int]float64{}, map[int]float64{}
	for _, i := range train {
		d := g.PairDrug[i]
		cSum[g.PairCell[i]] += g.LnIC50[i] - mu - dSum[d]/dN[d]
		cN[g.PairCell[i]]++
	}
	for d := range dSum {
		drugs = append(drugs, d)
	}
	slices.Sort(drugs)
	return
}
