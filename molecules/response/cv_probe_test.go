package response

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var (
	cvProbe  = flag.String("response.cv", "", "TestCrossValidation: the property set to cross-validate (esol, freesolv, lipo)")
	cvFolds  = flag.Int("response.cvfolds", 10, "TestCrossValidation: number of folds")
	cvOnly   = flag.String("response.cvonly", "", "TestCrossValidation: the folds this process trains, e.g. 0-4 (default: all)")
	cvDir    = flag.String("response.cvdir", "", "TestCrossValidation: directory for each fold's predictions (default: a temporary one); folds already there are not retrained")
	cvSeedCV = flag.Int("response.cvseed", 1, "TestCrossValidation: seed of the fold assignment, the inner validation part and the members")
)

// cvSplit is fold f of a k-fold cross-validation over n rows: the fold's
// rows (a seeded permutation cut into k parts) are the test rows; of the
// others, a seeded tenth of n early-stops and calibrates, as the random
// split's validation part does, and the rest train.
func cvSplit(n, k, f int, seed uint64) Split {
	perm := newRand(seed, 11).Perm(n)
	lo, hi := f*n/k, (f+1)*n/k
	rest := append(slices.Clone(perm[:lo]), perm[hi:]...)
	newRand(seed, 12+uint64(f)).Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	nVal := n / 10
	s := Split{Test: slices.Clone(perm[lo:hi]), Val: rest[:nVal], Train: rest[nVal:]}
	s.sort()
	return s
}

func TestCVSplit(t *testing.T) {
	const n, k = 103, 10
	seen := make([]int, n)
	for f := 0; f < k; f++ {
		s := cvSplit(n, k, f, 1)
		if len(s.Val) != n/10 || len(s.Train)+len(s.Val)+len(s.Test) != n {
			t.Fatalf("fold %d: %d/%d/%d rows", f, len(s.Train), len(s.Val), len(s.Test))
		}
		in := map[int]int{}
		for p, part := range [][]int{s.Train, s.Val, s.Test} {
			for _, i := range part {
				if _, dup := in[i]; dup {
					t.Fatalf("fold %d: row %d in two parts", f, i)
				}
				in[i] = p
			}
		}
		for _, i := range s.Test {
			seen[i]++
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("row %d is a test row of %d folds, want 1", i, c)
		}
	}
}

// cvRow is one test molecule's outcome in its fold.
type cvRow struct {
	Fold     int      `json:"fold"`
	Row      int      `json:"row"`
	Y        float64  `json:"y"`
	Pred     float64  `json:"pred"`
	MLP      *float64 `json:"mlp,omitempty"`
	Graph    *float64 `json:"graph,omitempty"`
	Baseline float64  `json:"baseline"`
	InDomain bool     `json:"inDomain"`
	Covered  bool     `json:"covered"`
}

// TestCrossValidation scores a property set's default model (refit,
// calibration and all) by k-fold cross-validation: every labelled molecule
// is a test molecule exactly once, so the pooled RMSE rests on the whole
// set instead of the random split's tenth. Each fold's predictions are
// kept in -response.cvdir, so two processes can share the folds:
//
//	go test ./molecules/response -run TestCrossValidation -response.cv esol -response.cvdir /tmp/cv-esol -response.cvonly 0-4 -v -timeout 3h &
//	go test ./molecules/response -run TestCrossValidation -response.cv esol -response.cvdir /tmp/cv-esol -response.cvonly 5-9 -v -timeout 3h
//
// and a last run without -response.cvonly reports the folds together.
func TestCrossValidation(t *testing.T) {
	if *cvProbe == "" {
		t.Skip("set -response.cv esol to run")
	}
	dataset, k, seed := *cvProbe, *cvFolds, uint64(*cvSeedCV)
	dir := *cvDir
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	folds := make([]bool, k)
	if *cvOnly == "" {
		for f := range folds {
			folds[f] = true
		}
	} else {
		a, b, _ := strings.Cut(*cvOnly, "-")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		if b == "" {
			hi, err2 = lo, nil
		}
		if err1 != nil || err2 != nil || lo < 0 || hi >= k || lo > hi {
			t.Fatalf("-response.cvonly %q: want A-B within 0–%d", *cvOnly, k-1)
		}
		for f := lo; f <= hi; f++ {
			folds[f] = true
		}
	}
	_, mols, ys := trainRows(t, dataset)
	n := len(ys)
	foldPath := func(f int) string {
		return filepath.Join(dir, fmt.Sprintf("%s-s%d-k%d-fold%d.json", dataset, seed, k, f))
	}
	for f := 0; f < k; f++ {
		path := foldPath(f)
		if _, err := os.Stat(path); err == nil || !folds[f] {
			continue
		}
		sp := cvSplit(n, k, f, seed)
		m, err := Train(context.Background(), TrainInput{Dataset: dataset, Split: SplitRandom, Seed: seed, rows: &sp}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var feats []molFeat
		for _, i := range sp.Test {
			ft := featurize(mols[i], m.rec.Bits, m.colOf, false, m.rec.DescSet)
			if len(m.graphs) > 0 {
				g, err := graphOf(mols[i], m.rec.Graph.AtomExtras)
				if err != nil {
					t.Fatal(err)
				}
				ft.graph = &g
			}
			feats = append(feats, ft)
		}
		eng := m.pool.get()
		h := m.halfSums(eng, feats)
		m.pool.put(eng)
		mean, sd := h.combine(m.mlpWeight())
		mlp, graph := h.halfMeans()
		var base float64
		for _, i := range sp.Train {
			base += ys[i]
		}
		for _, i := range sp.Val {
			base += ys[i]
		}
		base /= float64(len(sp.Train) + len(sp.Val))
		var out []cvRow
		var sse float64
		for r, i := range sp.Test {
			sim, _ := m.index.max(feats[r].fp, nil)
			half := IntervalZ * m.rec.IntervalScale * sd[r]
			c := cvRow{Fold: f, Row: i, Y: ys[i], Pred: mean[r], Baseline: base,
				InDomain: sim >= m.rec.InDomainThreshold, Covered: math.Abs(ys[i]-mean[r]) <= half}
			if mlp != nil {
				c.MLP = &mlp[r]
			}
			if graph != nil {
				c.Graph = &graph[r]
			}
			out = append(out, c)
			sse += (mean[r] - ys[i]) * (mean[r] - ys[i])
		}
		// The probe's own blend must be the model's: its test RMSE.
		if got, want := math.Sqrt(sse/float64(len(out))), m.rec.Metrics["rmse"]; math.Abs(got-want) > 1e-6 {
			t.Fatalf("fold %d: probe rmse %.6f, model's test rmse %.6f", f, got, want)
		}
		raw, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		halves := ""
		if v, ok := m.rec.Metrics["rmseMLP"]; ok {
			halves = fmt.Sprintf(" (MLP half %.4f, graph half %.4f)", v, m.rec.Metrics["rmseGraph"])
		}
		fmt.Printf("cv %s seed %d fold %d/%d: rmse %.4f%s over %d molecules, %.0f s\n",
			dataset, seed, f, k, m.rec.Metrics["rmse"], halves, len(out), m.rec.TrainSeconds)
	}
	var all []cvRow
	var foldRMSE []float64
	for f := 0; f < k; f++ {
		raw, err := os.ReadFile(foldPath(f))
		if err != nil {
			t.Logf("fold %d not trained yet: no pooled report", f)
			return
		}
		var rows []cvRow
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		var sse float64
		for _, r := range rows {
			sse += (r.Pred - r.Y) * (r.Pred - r.Y)
		}
		foldRMSE = append(foldRMSE, math.Sqrt(sse/float64(len(rows))))
		all = append(all, rows...)
	}
	if len(all) != n {
		t.Fatalf("%d cross-validated molecules, want %d", len(all), n)
	}
	rmseOf := func(rows []int, pred func(cvRow) float64) float64 {
		var sse float64
		var c int
		for _, i := range rows {
			if p := pred(all[i]); !math.IsNaN(p) {
				sse += (p - all[i].Y) * (p - all[i].Y)
				c++
			}
		}
		return math.Sqrt(sse / float64(c))
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	var inD, outD []int
	covered := 0
	for i, r := range all {
		if r.InDomain {
			inD = append(inD, i)
		} else {
			outD = append(outD, i)
		}
		if r.Covered {
			covered++
		}
	}
	model := func(r cvRow) float64 { return r.Pred }
	pooled := rmseOf(idx, model)
	lo, hi := bootstrapCI(len(all), nil, seed, func(rows []int) float64 { return rmseOf(rows, model) })
	fmt.Printf("cv %s seed %d, %d folds, %d molecules: pooled rmse %.4f (95%% CI %.3f–%.3f), mean of folds %.4f (folds %s), MLP half %.4f, graph half %.4f, training-mean baseline %.4f; in domain %.4f (%d), out of domain %.4f (%d); interval coverage %.3f\n",
		dataset, seed, k, len(all), pooled, lo, hi, meanOf(foldRMSE), perSeed(foldRMSE),
		rmseOf(idx, func(r cvRow) float64 { return orNaN(r.MLP) }), rmseOf(idx, func(r cvRow) float64 { return orNaN(r.Graph) }),
		rmseOf(idx, func(r cvRow) float64 { return r.Baseline }),
		rmseOf(inD, model), len(inD), rmseOf(outD, model), len(outD), float64(covered)/float64(len(all)))
	// The random split's test rows (seed -response.cvseed), each predicted
	// by the fold model that did not train on it: how hard that one tenth
	// is compared with the whole set.
	at := make(map[int]int, len(all))
	for i, r := range all {
		at[r.Row] = i
	}
	var tenth []int
	for _, i := range RandomSplit(n, seed).Test {
		tenth = append(tenth, at[i])
	}
	lo, hi = bootstrapCI(len(tenth), nil, seed, func(rows []int) float64 {
		sub := make([]int, len(rows))
		for k, r := range rows {
			sub[k] = tenth[r]
		}
		return rmseOf(sub, model)
	})
	fmt.Printf("cv %s seed %d: the random split's %d test molecules (seed %d) score %.4f (95%% CI %.3f–%.3f) under cross-validation\n",
		dataset, seed, len(tenth), seed, rmseOf(tenth, model), lo, hi)
}

// orNaN is *p, or NaN for nil.
func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
