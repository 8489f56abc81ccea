package response

import (
	"context"
	"flag"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

var knnProbe = flag.Bool("response.knnprobe", false, "run TestKNNProbe (ESOL MLP, about 10 minutes)")

// TestKNNProbe measures, outside the model, whether the residuals of a
// molecule's nearest training neighbours predict its own residual: on
// ESOL's nested split (seeds 1–5), out-of-fold residuals of the training
// pool come from 5 MLP ensembles each trained without one fold; a held-out
// molecule's prediction is then corrected by the similarity-weighted mean
// residual of its k nearest pool molecules, shrunk by λ. The setting is
// chosen by leave-one-out on the pool's own out-of-fold residuals and
// scored on the outer validation rows.
//
//	go test ./molecules/response -run TestKNNProbe -response.knnprobe -v -timeout 1h
func TestKNNProbe(t *testing.T) {
	if !*knnProbe {
		t.Skip("set -response.knnprobe to run")
	}
	ctx := context.Background()
	smiles, mols, ys := trainRows(t, "esol")
	fps := make([]molecules.Fingerprint, len(mols))
	for i, mol := range mols {
		fps[i] = molecules.Morgan(mol, 2, PropertyBits)
	}
	n := len(smiles)
	predict := func(m *Model, idx []int) []float64 {
		sm := make([]string, len(idx))
		for k, i := range idx {
			sm[k] = smiles[i]
		}
		pr, err := m.Predict(ctx, sm, PredictOptions{NoAttributions: true})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, len(idx))
		for k := range pr {
			out[k] = *pr[k].Value
		}
		return out
	}
	type setting struct {
		k      int
		lambda float64
		pow    float64
	}
	var settings []setting
	for _, k := range []int{1, 3, 5, 10, 20} {
		for _, l := range []float64{0, 0.25, 0.5, 1, 2} {
			for _, pw := range []float64{1, 3} {
				settings = append(settings, setting{k, l, pw})
			}
		}
	}
	// correct returns the correction of query q from pool rows (their
	// residuals res), skipping row skip.
	type nb struct {
		sim float64
		r   float64
	}
	correct := func(q molecules.Fingerprint, pool []int, res []float64, skip int, s setting, buf []nb) float64 {
		buf = buf[:0]
		for k, i := range pool {
			if i == skip {
				continue
			}
			buf = append(buf, nb{molecules.Tanimoto(q, fps[i]), res[k]})
		}
		slices.SortFunc(buf, func(a, b nb) int {
			if a.sim > b.sim {
				return -1
			} else if a.sim < b.sim {
				return 1
			}
			return 0
		})
		var num, den float64
		for _, x := range buf[:min(s.k, len(buf))] {
			w := math.Pow(x.sim, s.pow)
			num += w * x.r
			den += w
		}
		return num / (den + s.lambda)
	}
	var before, chosenAfter []float64
	bestOnOuter := make([]float64, len(settings))
	for seed := uint64(1); seed <= uint64(*sweepSeeds); seed++ {
		sp := nestSplit(RandomSplit(n, seed), seed)
		main, err := Train(ctx, TrainInput{Dataset: "esol", Split: SplitRandom, Seed: seed, Arch: ArchMLP, rows: &sp}, nil)
		if err != nil {
			t.Fatal(err)
		}
		outer := sp.Test
		pm := predict(main, outer)
		pool := slices.Concat(sp.Train, sp.Val)
		slices.Sort(pool)
		perm := newRand(seed, 11).Perm(len(pool))
		const K = 5
		oofRes := make([]float64, len(pool))
		for f := 0; f < K; f++ {
			var fold, rest []int
			for k, pi := range perm {
				if k%K == f {
					fold = append(fold, pool[pi])
				} else {
					rest = append(rest, pool[pi])
				}
			}
			nVal := len(sp.Val)
			fs := Split{Train: slices.Clone(rest[nVal:]), Val: slices.Clone(rest[:nVal]), Test: slices.Clone(fold)}
			fs.sort()
			m, err := Train(ctx, TrainInput{Dataset: "esol", Split: SplitRandom, Seed: seed*100 + uint64(f), Arch: ArchMLP, rows: &fs}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pf := predict(m, fs.Test)
			for k, i := range fs.Test {
				j, _ := slices.BinarySearch(pool, i)
				oofRes[j] = ys[i] - pf[k]
			}
		}
		var buf []nb
		// leave-one-out on the pool chooses the setting
		bestS, bestR := 0, math.Inf(1)
		for si, s := range settings {
			var sse float64
			for k, i := range pool {
				c := correct(fps[i], pool, oofRes, i, s, buf)
				e := oofRes[k] - c
				sse += e * e
			}
			if r := math.Sqrt(sse / float64(len(pool))); r < bestR {
				bestS, bestR = si, r
			}
		}
		var oofSSE float64
		for _, r := range oofRes {
			oofSSE += r * r
		}
		rmseOuter := func(s setting) float64 {
			var sse float64
			for k, i := range outer {
				e := ys[i] - pm[k] - correct(fps[i], pool, oofRes, -1, s, buf)
				sse += e * e
			}
			return math.Sqrt(sse / float64(len(outer)))
		}
		b := rmseOuter(setting{1, math.Inf(1), 1})
		a := rmseOuter(settings[bestS])
		before, chosenAfter = append(before, b), append(chosenAfter, a)
		for si, s := range settings {
			bestOnOuter[si] += rmseOuter(s)
		}
		fmt.Printf("knn seed %d: pool OOF rmse %.3f, LOO-corrected %.3f with %+v; outer %.3f → %.3f\n",
			seed, math.Sqrt(oofSSE/float64(len(pool))), bestR, settings[bestS], b, a)
	}
	fmt.Printf("knn outer: before %s mean %.3f; corrected %s mean %.3f\n", perSeed(before), meanOf(before), perSeed(chosenAfter), meanOf(chosenAfter))
	for si, s := range settings {
		fmt.Printf("knn setting %+v: outer mean %.3f\n", s, bestOnOuter[si]/float64(len(before)))
	}
}
