package experiments

import (
	"context"
	"flag"
	"fmt"
	"github.com/rxlab/rxlab/molecules/response"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var long = flag.Bool("response.long", false, "train the full goal models (minutes) and print the metrics table")
var goalsOut = flag.String("response.goals", "", "also write the goals table (markdown) to this file")
var goalSets = flag.String("response.goalsets", "", "comma-separated datasets whose goal rows TestGoals trains (default: all)")

// goal is one row of the goals table.
type goal struct {
	in        response.TrainInput
	metric    string
	target    float64 // the goal; 0 = none
	lower     bool    // lower is better
	published string  // reference result
}

var goals = []goal{
	{response.TrainInput{Dataset: "esol", Split: response.SplitRandom, Seed: 1}, "rmse", 0.58, true, "MPNN 0.58 (MoleculeNet), Chemprop 0.555"},
	{response.TrainInput{Dataset: "esol", Split: response.SplitRandom, Seed: 1, Arch: response.ArchMLP}, "rmse", 0.58, true, "the MLP half of the default"},
	{response.TrainInput{Dataset: "esol", Split: response.SplitScaffold, Seed: 1}, "rmse", 0.885, true, "GraphConv 0.885 (DeepChem)"},
	{response.TrainInput{Dataset: "lipo", Split: response.SplitRandom, Seed: 1}, "rmse", 0.655, true, "MPNN 0.655 (MoleculeNet)"},
	{response.TrainInput{Dataset: "freesolv", Split: response.SplitRandom, Seed: 1}, "rmse", 1.15, true, "MPNN 1.15 (MoleculeNet)"},
	{response.TrainInput{Dataset: "bbbp", Split: response.SplitScaffold, Seed: 1}, "rocAuc", 0.90, false, "goal 0.90; MoleculeNet KernelSVM 0.729"},
	{response.TrainInput{Dataset: "tox21", Target: "all", Split: response.SplitRandom, Seed: 1}, "rocAuc", 0, false, "GraphConv 0.829 (MoleculeNet, random)"},
	{response.TrainInput{Dataset: response.GDSCName, Split: response.SplitRandom, Seed: 1}, "rmse", 0, true, ""},
	{response.TrainInput{Dataset: response.GDSCName, Split: response.SplitCell, Seed: 1}, "rmse", 0, true, "goal: beat per-drug mean (rmse and per-drug r)"},
	{response.TrainInput{Dataset: response.GDSCName, Split: response.SplitDrug, Seed: 1}, "pearson", 0, false, "DeepCDR r = 0.503 (unseen drugs)"},
}

// TestGoals trains every goal model with the default ensemble and prints
// held-out metrics beside the naive baseline and the published numbers:
//
//	go test ./molecules/response -run TestGoals -response.long -v -timeout 2h
//
// -response.goalsets esol,lipo trains only those datasets' rows.
func TestGoals(t *testing.T) {
	if !*long {
		t.Skip("long: run with -response.long")
	}
	var b strings.Builder
	fmt.Fprintln(&b, "| dataset | split | arch | metric | ours (5-ensemble) | naive baseline | goal | met | published | extra | train s |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, g := range goals {
		if *goalSets != "" && !slices.Contains(strings.Split(*goalSets, ","), g.in.Dataset) {
			continue
		}
		m, err := response.Train(context.Background(), g.in, nil)
		if err != nil {
			t.Fatalf("%+v: %v", g.in, err)
		}
		info := m.Info()
		ours, base := info.Metrics[g.metric], info.Baseline[g.metric]
		met := "–"
		if g.target != 0 {
			ok := ours <= g.target
			if !g.lower {
				ok = ours >= g.target
			}
			met = map[bool]string{true: "yes", false: "NO"}[ok]
		}
		var extra []string
		if lo, ok := info.Metrics[g.metric+"Low95"]; ok {
			extra = append(extra, fmt.Sprintf("%s 95%% CI %.3f–%.3f", g.metric, lo, info.Metrics[g.metric+"High95"]))
		}
		if lo, ok := info.Metrics["meanPerDrugPearsonLow95"]; ok {
			extra = append(extra, fmt.Sprintf("meanPerDrugPearson 95%% CI %.3f–%.3f", lo, info.Metrics["meanPerDrugPearsonHigh95"]))
		}
		if lo, ok := info.Metrics["rmseVsBaselineLow95"]; ok {
			extra = append(extra, fmt.Sprintf("rmse − baseline 95%% CI %.3f–%.3f", lo, info.Metrics["rmseVsBaselineHigh95"]))
		}
		for _, k := range []string{"rmse", "rmseBeforeRefit", "mae", "r2", "pearson", "meanPerDrugPearson", "intervalCoverage", "rmseInDomain", "rmseOutOfDomain", "rocAucInDomain", "rocAucOutOfDomain", "drugTissueBaselineRmse", "drugTissueBaselineMeanPerDrugPearson", "cellMeanBaselineRmse", "cellMeanBaselinePearson", "cellMeanBaselineMeanPerDrugPearson", "intervalHalfWidth"} {
			if v, ok := info.Metrics[k]; ok && k != g.metric {
				s := fmt.Sprintf("%s %.3f", k, v)
				if bv, ok := info.Baseline[k]; ok {
					s += fmt.Sprintf(" (base %.3f)", bv)
				}
				extra = append(extra, s)
			}
		}
		extra = append(extra, fmt.Sprintf("inDomain≥%.2f, k=%.2f", info.InDomainThreshold, info.IntervalScale))
		goalS := ""
		if g.target != 0 {
			goalS = fmt.Sprintf("%.3f", g.target)
		}
		fmt.Fprintf(&b, "| %s/%s | %s | %s | %s | %.3f | %.3f | %s | %s | %s | %s | %.0f |\n",
			info.Dataset, info.Target, info.Split, archOf(info.Arch), g.metric, ours, base, goalS, met, g.published, strings.Join(extra, "; "), info.TrainSeconds)
		t.Logf("%s done in %s", info.ID, time.Duration(info.TrainSeconds*float64(time.Second)))
	}
	fmt.Print(b.String())
	if *goalsOut != "" {
		if err := os.WriteFile(*goalsOut, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSeedDemo runs Seed on a fresh store and waits for the demo models.
func TestSeedDemo(t *testing.T) {
	if !*long {
		t.Skip("long: run with -response.long")
	}
	ctx := context.Background()
	s, r, db := openService(t, t.TempDir())
	defer db.Close()
	defer r.Shutdown(ctx)
	start := time.Now()
	js, err := s.Seed(ctx)
	if err != nil || len(js) != len(response.SeedInputs()) {
		t.Fatalf("Seed: %d jobs, %v", len(js), err)
	}
	for _, j := range js {
		if j = waitJobLong(t, r, j.ID); j.State != "SUCCEEDED" {
			t.Fatalf("seed job %s: %s %s", j.ID, j.State, j.Error)
		}
	}
	t.Logf("Seed trained %d models in %s", len(js), time.Since(start))
	again, err := s.Seed(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Seed started %d jobs, %v", len(again), err)
	}
}

func archOf(a string) string {
	if a == "" {
		return response.ArchMLP
	}
	return a
}
