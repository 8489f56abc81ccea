package response

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
)

var gdscSweep = flag.String("response.gdscsweep", "", "comma-separated TestGDSCSweep variant names to run (\"all\": every one)")

var gdscSweepSplit = flag.String("response.gdscsplit", SplitCell, "TestGDSCSweep: the GDSC split (cell, drug, random)")

// TestGDSCSweep compares GDSC hyper-parameters the way TestSweep does for
// the property sets, over seeds -response.seed0…-response.seeds: with
// -response.nested a part of the training cell lines (drugs, pairs)
// early-stops, the validation split scores and the test split is not
// read. Per variant it prints the RMSE, the per-drug-mean baseline's RMSE
// on the same rows, their difference and the mean per-drug Pearson r.
//
//	go test ./molecules/response -run TestGDSCSweep -response.gdscsweep all -response.seeds 5 -response.nested -v
func TestGDSCSweep(t *testing.T) {
	if *gdscSweep == "" {
		t.Skip("set -response.gdscsweep to run")
	}
	if _, err := LoadGDSC(); err != nil {
		t.Skipf("GDSC data: %v", err)
	}
	variants := []struct {
		name string
		net  func(netConfig) netConfig
	}{
		{"default", func(c netConfig) netConfig { return c }},
		{"notissue", func(c netConfig) netConfig { return c }},
		{"pooled", func(c netConfig) netConfig { return c }},
		{"nogenomic", func(c netConfig) netConfig { return c }},
		{"nonoise", func(c netConfig) netConfig { return c }},
		{"nocelloff", func(c netConfig) netConfig { return c }},
		{"notissue-pooled", func(c netConfig) netConfig { return c }},
		{"hd10", func(c netConfig) netConfig { c.HiddenDropout = 0.1; return c }},
		{"hd25", func(c netConfig) netConfig { c.HiddenDropout = 0.25; return c }},
		{"h256", func(c netConfig) netConfig { c.Hidden = []int{256, 128}; return c }},
		{"h64", func(c netConfig) netConfig { c.Hidden = []int{64, 32}; return c }},
		{"lr1e-3", func(c netConfig) netConfig { c.LR = 1e-3; return c }},
		{"lr1e-4", func(c netConfig) netConfig { c.LR, c.Epochs = 1e-4, 30; return c }},
		{"wd1", func(c netConfig) netConfig { c.WeightDecay = 1; return c }},
		{"wd0", func(c netConfig) netConfig { c.WeightDecay = 0; return c }},
		{"p8", func(c netConfig) netConfig { c.Patience = 8; return c }},
		{"p8-e24", func(c netConfig) netConfig { c.Patience, c.Epochs = 8, 24; return c }},
		{"p4", func(c netConfig) netConfig { c.Patience, c.Epochs = 4, 24; return c }},
		{"b64", func(c netConfig) netConfig { c.Batch = 64; return c }},
		{"lrf100", func(c netConfig) netConfig { c.LRFinal = 0.01; return c }},
	}
	for _, v := range variants {
		if *gdscSweep != "all" && !slices.Contains(strings.Split(*gdscSweep, ","), v.name) {
			continue
		}
		var rm, base, diff, r, tb []float64
		for seed := uint64(*sweepSeed0); seed <= uint64(*sweepSeeds); seed++ {
			net := v.net(gdscNet(*gdscSweepSplit))
			in := TrainInput{Dataset: GDSCName, Split: *gdscSweepSplit, Seed: seed, net: &net, nested: *sweepNested}
			in.noTissueOffsets = strings.HasPrefix(v.name, "notissue")
			in.poolScreens = strings.HasSuffix(v.name, "pooled")
			in.noGenomicWeights = v.name == "nogenomic"
			in.noDrugNoise = v.name == "nonoise"
			in.noCellOffsets = v.name == "nocelloff"
			m, err := Train(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			rm = append(rm, m.rec.Metrics["rmse"])
			base = append(base, m.rec.Baseline["rmse"])
			diff = append(diff, rm[len(rm)-1]-base[len(base)-1])
			r = append(r, m.rec.Metrics["meanPerDrugPearson"])
			tb = append(tb, m.rec.Metrics["drugTissueBaselineRmse"]+m.rec.Metrics["cellMeanBaselineRmse"])
			fmt.Printf("GDSC-SEED %s %s seed %d rmse %.4f base %.4f lookup %.4f r %.3f pearson %.3f k %.2f coverage %.3f half-width %.3f train %.0f s\n", *gdscSweepSplit, v.name, seed, rm[len(rm)-1], base[len(base)-1], tb[len(tb)-1], r[len(r)-1], m.rec.Metrics["pearson"], m.rec.IntervalScale, m.rec.Metrics["intervalCoverage"], m.rec.Metrics["intervalHalfWidth"], m.rec.TrainSeconds)
		}
		name := v.name
		if *sweepNested {
			name += " (nested)"
		}
		fmt.Printf("GDSC %s %-16s rmse %s mean %.4f | −base %s mean %.4f | per-drug r %s mean %.3f | lookup baseline mean %.4f\n",
			*gdscSweepSplit, name, perSeed(rm), meanOf(rm), perSeed(diff), meanOf(diff), perSeed(r), meanOf(r), meanOf(tb))
	}
}
