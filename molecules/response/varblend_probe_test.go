package response

import (
	"context"
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

var varBlendProbe = flag.Bool("response.varblendprobe", false, "run TestVarBlendProbe (ESOL hybrids, about 8 minutes a seed)")

// TestVarBlendProbe measures, outside the model, whether weighting a
// hybrid's two halves per molecule by the inverse of each half's member
// variance beats the even blend: ESOL's default hybrid on the nested split
// (seeds -response.seed0…-response.seeds), scored on the outer validation
// rows, with the per-molecule weight shrunk toward ½ by α.
//
//	go test ./molecules/response -run TestVarBlendProbe -response.varblendprobe -response.seeds 5 -v -timeout 2h
func TestVarBlendProbe(t *testing.T) {
	if !*varBlendProbe {
		t.Skip("set -response.varblendprobe to run")
	}
	_, mols, ys := trainRows(t, "esol")
	alphas := []float64{0, 0.25, 0.5, 0.75, 1}
	for seed := uint64(*sweepSeed0); seed <= uint64(*sweepSeeds); seed++ {
		m, err := Train(context.Background(), TrainInput{Dataset: "esol", Split: SplitRandom, Seed: seed, nested: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var feats []molFeat
		var y []float64
		for _, i := range m.rec.Rows.Test {
			f := featurize(mols[i], m.rec.Bits, m.colOf, false, m.rec.DescSet)
			g := mpnn.GraphOf(mols[i], nil)
			f.graph = &g
			feats, y = append(feats, f), append(y, ys[i])
		}
		eng := m.pool.get()
		h := m.halfSums(eng, feats)
		m.pool.put(eng)
		line := fmt.Sprintf("varblend seed %d: model rmse %.4f;", seed, m.rec.Metrics["rmse"])
		for _, a := range alphas {
			var sse float64
			for r := range y {
				nM, nG := float64(h.nM), float64(h.nG)
				mM, mG := h.sumM[r]/nM, h.sumG[r]/nG
				vM := math.Max(h.sqM[r]/nM-mM*mM, 1e-12)
				vG := math.Max(h.sqG[r]/nG-mG*mG, 1e-12)
				w := (1 / vM) / (1/vM + 1/vG)
				w = (1-a)*0.5 + a*w
				pred := w*mM + (1-w)*mG // the sums are in target units
				sse += (pred - y[r]) * (pred - y[r])
			}
			line += fmt.Sprintf(" α %.2f %.4f", a, math.Sqrt(sse/float64(len(y))))
		}
		fmt.Println(line)
	}
}
