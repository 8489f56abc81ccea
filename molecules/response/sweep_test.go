package response

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
)

var sweepVariants = flag.String("response.variants", "", "comma-separated TestSweep variant names to run (default: all)")

var sweep = flag.String("response.sweep", "", "comma-separated datasets (esol,lipo,…) to run TestSweep's hyper-parameter and feature comparison on")

// sweepVariant is one configuration TestSweep compares.
type sweepVariant struct {
	name    string
	net     func(netConfig) netConfig
	descSet int
	// minCount is the vocabulary threshold (0: default).
	minCount int
	arch     string
}

// TestSweep trains every variant on random splits with seeds 1–3 and prints
// validation and test RMSE side by side. Choices are made on the validation
// column; the test column is reported, not used to choose:
//
//	go test ./molecules/response -run TestSweep -response.sweep esol,lipo -v -timeout 2h
func TestSweep(t *testing.T) {
	if *sweep == "" {
		t.Skip("run with -response.sweep esol,lipo")
	}
	variants := []sweepVariant{
		{"basic", func(c netConfig) netConfig { return c }, DescBasic, 0, ArchMLP},
		{"physchem", func(c netConfig) netConfig { return c }, DescPhyschem, 0, ArchMLP},
		{"physchem-min20", func(c netConfig) netConfig { return c }, DescPhyschem, 20, ArchMLP},
		{"physchem-h256-64", func(c netConfig) netConfig { c.Hidden = []int{256, 64}; return c }, DescPhyschem, 0, ArchMLP},
		{"physchem-h128-128", func(c netConfig) netConfig { c.Hidden = []int{128, 128}; return c }, DescPhyschem, 0, ArchMLP},
		{"crippen-h256-64", func(c netConfig) netConfig { c.Hidden = []int{256, 64}; return c }, DescCrippen, 0, ArchMLP},
		{"crippen", func(c netConfig) netConfig { return c }, DescCrippen, 0, ArchMLP},
		{"physchem-hybrid", func(c netConfig) netConfig { return c }, DescPhyschem, 0, ArchHybrid},
		{"physchem-mpnn", func(c netConfig) netConfig { return c }, DescPhyschem, 0, ArchMPNN},
	}
	for _, ds := range strings.Split(*sweep, ",") {
		for _, v := range variants {
			if *sweepVariants != "" && !slices.Contains(strings.Split(*sweepVariants, ","), v.name) {
				continue
			}
			var vs, ts []float64
			for seed := uint64(1); seed <= 3; seed++ {
				net := v.net(propertyNet(ds))
				in := TrainInput{Dataset: ds, Split: SplitRandom, Seed: seed, net: &net, descSet: v.descSet, minBitCount: v.minCount, Arch: v.arch}
				if ds == "tox21" {
					in.Target = "all"
				}
				m, err := Train(context.Background(), in, nil)
				if err != nil {
					t.Fatal(err)
				}
				key := "rmse"
				if m.rec.Task == Classification {
					key = "rocAuc"
				}
				vs = append(vs, m.rec.Validation[key])
				ts = append(ts, m.rec.Metrics[key])
			}
			fmt.Printf("SWEEP %-8s %-28s val %.3f %.3f %.3f mean %.3f | test %.3f %.3f %.3f mean %.3f\n",
				ds, v.name, vs[0], vs[1], vs[2], mean3(vs), ts[0], ts[1], ts[2], mean3(ts))
		}
	}
}

func mean3(v []float64) float64 { return (v[0] + v[1] + v[2]) / 3 }
