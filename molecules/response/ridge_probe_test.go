package response

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

var ridgeProbe = flag.Bool("response.ridgeprobe", false, "run TestRidgeProbe (about 1 minute)")

// cholSolve solves a·x = b for a symmetric positive-definite n×n a
// (row-major) by Cholesky factorisation.
func cholSolve(a []float64, n int, b []float64) []float64 {
	l := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := 0; k < j; k++ {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i*n+k] * y[k]
		}
		y[i] = s / l[i*n+i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	return x
}

// TestRidgeProbe measures, outside the model, what per-drug linear weights
// on the cell lines' genomic features would add to the drug-by-tissue
// means for unseen cell lines: on the nested split of TestGDSCSweep (seeds
// 1–5), for every drug id a ridge regression of its training pairs'
// leave-one-out residuals from the drug-by-tissue mean on the mutation and
// copy-number features set in at least 10 cell lines (counted over all
// cell lines; no response is read for that), scored on the outer
// validation cell lines. It is a probe for the next step, not part of a
// model (RESULTS.md, "GDSC: drug-by-tissue offsets").
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
	tissue := cellTissues(g)
	for _, minCells := range []int{10} {
		var cols []int
		for j, f := range g.Features {
			if strings.HasPrefix(f, tissuePrefix) {
				continue
			}
			n := 0
			for c := range g.CellFeatures {
				if g.CellFeatures[c][j] > 0 {
					n++
				}
			}
			if n >= minCells {
				cols = append(cols, j)
			}
		}
		p := len(cols)
		fmt.Println("features", p)
		for _, lam := range []float64{30, 100, 300, 1000} {
			var res, res0 []float64
			for seed := uint64(1); seed <= 5; seed++ {
				sp := nestGroupSplit(splitByGroupIDs(g.PairCell, seed), g.PairCell, seed)
				key := func(i int) string { return strconv.Itoa(g.PairDrug[i]) }
				ds, dc := map[string]float64{}, map[string]float64{}
				for _, i := range sp.Train {
					ds[key(i)] += g.LnIC50[i]
					dc[key(i)]++
				}
				ts, tc := map[string]float64{}, map[string]float64{}
				for _, i := range sp.Train {
					k := key(i) + "|" + tissue[g.PairCell[i]]
					ts[k] += g.LnIC50[i] - ds[key(i)]/dc[key(i)]
					tc[k]++
				}
				base := func(i int, loo bool) float64 {
					k := key(i) + "|" + tissue[g.PairCell[i]]
					if loo {
						r := g.LnIC50[i] - ds[key(i)]/dc[key(i)]
						return ds[key(i)]/dc[key(i)] + (ts[k]-r)/(tc[k]-1+5)
					}
					return ds[key(i)]/dc[key(i)] + ts[k]/(tc[k]+5)
				}
				byDrug := map[int][]int{}
				for _, i := range sp.Train {
					byDrug[g.PairDrug[i]] = append(byDrug[g.PairDrug[i]], i)
				}
				w := map[int][]float64{}
				for d, rows := range byDrug {
					a := make([]float64, p*p)
					b := make([]float64, p)
					for _, i := range rows {
						x := g.CellFeatures[g.PairCell[i]]
						r := g.LnIC50[i] - base(i, true)
						for u := 0; u < p; u++ {
							xu := float64(x[cols[u]])
							if xu == 0 {
								continue
							}
							b[u] += xu * r
							for v := 0; v < p; v++ {
								a[u*p+v] += xu * float64(x[cols[v]])
							}
						}
					}
					for u := 0; u < p; u++ {
						a[u*p+u] += lam
					}
					w[d] = cholSolve(a, p, b)
				}
				se, se0 := 0.0, 0.0
				for _, i := range sp.Test {
					pr := base(i, false)
					se0 += (pr - g.LnIC50[i]) * (pr - g.LnIC50[i])
					x := g.CellFeatures[g.PairCell[i]]
					for u, j := range cols {
						pr += w[g.PairDrug[i]][u] * float64(x[j])
					}
					se += (pr - g.LnIC50[i]) * (pr - g.LnIC50[i])
				}
				res = append(res, math.Sqrt(se/float64(len(sp.Test))))
				res0 = append(res0, math.Sqrt(se0/float64(len(sp.Test))))
			}
			fmt.Printf("lambda %v: base %.4f ridge %v mean %.4f\n", lam, meanOf(res0), res, meanOf(res))
		}
	}
}
