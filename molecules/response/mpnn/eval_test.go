package mpnn_test

import (
	"context"
	"flag"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/response"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

var (
	long     = flag.Bool("mpnn.long", false, "run the ESOL / Lipophilicity ensemble evaluation (minutes)")
	evalSets = flag.String("mpnn.sets", "esol,lipo", "datasets of the evaluation")
	evalMode = flag.String("mpnn.extras", "both", "evaluation extras: none, desc or both")
	members  = flag.Int("mpnn.members", 5, "ensemble members of the evaluation")
	hidden   = flag.Int("mpnn.hidden", 0, "override Hidden (0: per-dataset choice)")
	depth    = flag.Int("mpnn.depth", 0, "override Depth")
	epochs   = flag.Int("mpnn.epochs", 0, "override Epochs")
	ffn      = flag.Int("mpnn.ffn", 0, "override FFNHidden")
	batchF   = flag.Int("mpnn.batch", 0, "override Batch")
	lrF      = flag.Float64("mpnn.lr", 0, "override LR")
	aggF     = flag.String("mpnn.agg", "", "override Agg")
	mlpRef   = flag.Bool("mpnn.mlp", true, "also train the MLP ensemble of package response on the same split, and report the MLP+MPNN average")
)

// evalData is one dataset prepared exactly as response.Train prepares a
// random split: rows that do not parse, have no atoms or no label dropped,
// then response.RandomSplit over what remains.
type evalData struct {
	graphs, plain []mpnn.Graph
	smiles        []string
	y             [][]float64
	split         response.Split
}

func loadEval(t testing.TB, name string, seed uint64) evalData {
	t.Helper()
	tb, err := response.LoadDataset(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := molecules.NewParser(molecules.ParserConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var mols []*molecules.Mol
	var d evalData
	for i, s := range tb.SMILES {
		labelled := false
		for _, v := range tb.Y[i] {
			if !math.IsNaN(v) {
				labelled = true
			}
		}
		m, err := p.Parse(s)
		if err != nil || m.NumAtoms() == 0 || !labelled {
			continue
		}
		mols = append(mols, m)
		d.smiles = append(d.smiles, s)
		d.y = append(d.y, tb.Y[i])
	}
	d.split = response.RandomSplit(len(mols), seed)
	// Descriptor extras standardised with the training rows' mean and SD,
	// clipped to ±10 SD, as the MLP does.
	raw := make([][]float64, len(mols))
	for i, m := range mols {
		raw[i] = descriptors(m)
	}
	w := len(raw[0])
	mean, sd := make([]float64, w), make([]float64, w)
	for _, i := range d.split.Train {
		for j, v := range raw[i] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(d.split.Train))
	}
	for _, i := range d.split.Train {
		for j, v := range raw[i] {
			sd[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range sd {
		if sd[j] = math.Sqrt(sd[j] / float64(len(d.split.Train))); sd[j] < 1e-9 {
			sd[j] = 1
		}
	}
	for i, m := range mols {
		ex := make([]float32, w)
		for j, v := range raw[i] {
			ex[j] = float32(min(max((v-mean[j])/sd[j], -10), 10))
		}
		d.graphs = append(d.graphs, mpnn.GraphOf(m, ex))
		d.plain = append(d.plain, mpnn.GraphOf(m, nil))
	}
	return d
}

func pick[T any](xs []T, idx []int) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = xs[i]
	}
	return out
}

// ensemble trains n models (seeds 1000·seed + k, as the MLP ensemble
// derives them) and returns the ensemble-mean predictions of the
// validation and test rows, in target units.
func ensemble(t *testing.T, d evalData, gs []mpnn.Graph, cfg mpnn.Config, n int) (val, test []float64, secs float64, best []int) {
	t.Helper()
	tr, va, te := d.split.Train, d.split.Val, d.split.Test
	start := time.Now()
	val, test = make([]float64, len(va)), make([]float64, len(te))
	for k := 0; k < n; k++ {
		c := cfg
		c.Seed = 1*1000 + uint64(k)
		m, err := mpnn.Train(context.Background(), c, pick(gs, tr), pick(gs, va), pick(d.y, tr), pick(d.y, va), nil)
		if err != nil {
			t.Fatal(err)
		}
		best = append(best, m.Info().BestEpoch)
		for _, part := range []struct {
			idx []int
			sum []float64
		}{{va, val}, {te, test}} {
			out := make([][]float64, len(part.idx))
			for i := range out {
				out[i] = make([]float64, 1)
			}
			if err := m.Predict(pick(gs, part.idx), out); err != nil {
				t.Fatal(err)
			}
			for i := range out {
				part.sum[i] += out[i][0] / float64(n)
			}
		}
	}
	return val, test, time.Since(start).Seconds(), best
}

// rmse is the RMSE of predictions of rows idx.
func rmse(d evalData, pred []float64, idx []int) float64 {
	var s float64
	for k, i := range idx {
		e := pred[k] - d.y[i][0]
		s += e * e
	}
	return math.Sqrt(s / float64(len(idx)))
}

// mlpReference trains package response's MLP ensemble on the same dataset,
// split and seed and returns its validation and test predictions.
func mlpReference(t *testing.T, name string, d evalData) (val, test []float64, secs float64) {
	t.Helper()
	start := time.Now()
	m, err := response.Train(context.Background(), response.TrainInput{Dataset: name, Split: response.SplitRandom, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	secs = time.Since(start).Seconds()
	for _, part := range []struct {
		idx []int
		out *[]float64
	}{{d.split.Val, &val}, {d.split.Test, &test}} {
		preds, err := m.Predict(context.Background(), pick(d.smiles, part.idx), response.PredictOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range preds {
			if p.Value == nil {
				t.Fatalf("MLP could not predict %s: %s", p.SMILES, p.Error)
			}
			*part.out = append(*part.out, *p.Value)
		}
	}
	info := m.Info()
	if got := rmse(d, test, d.split.Test); math.Abs(got-info.Metrics["rmse"]) > 1e-6 {
		t.Fatalf("the MLP's own test RMSE is %.4f, ours of its predictions %.4f: the splits differ", info.Metrics["rmse"], got)
	}
	return val, test, secs
}

// evalConfig holds the hyper-parameters chosen on validation RMSE.
func evalConfig(name string) mpnn.Config {
	c := mpnn.Config{Hidden: 300, Depth: 3, Epochs: 50, Batch: 50}
	if *hidden > 0 {
		c.Hidden = *hidden
	}
	if *depth > 0 {
		c.Depth = *depth
	}
	if *epochs > 0 {
		c.Epochs = *epochs
	}
	if *ffn > 0 {
		c.FFNHidden = *ffn
	}
	if *batchF > 0 {
		c.Batch = *batchF
	}
	if *lrF > 0 {
		c.LR = *lrF
	}
	if *aggF != "" {
		c.Agg = *aggF
	}
	return c
}

// TestEvaluate trains 5-member ensembles on ESOL and Lipophilicity (random
// split, seed 1, the MLP's rows) and prints validation and test RMSE, next
// to the MLP ensemble of package response and the average of both.
//
//	go test ./molecules/response/mpnn -run TestEvaluate -mpnn.long -v -timeout 3h
func TestEvaluate(t *testing.T) {
	if !*long {
		t.Skip("needs -mpnn.long")
	}
	for _, name := range strings.Split(*evalSets, ",") {
		d := loadEval(t, name, 1)
		t.Logf("%s: %d molecules, train %d, val %d, test %d", name, len(d.y), len(d.split.Train), len(d.split.Val), len(d.split.Test))
		preds := map[bool][2][]float64{}
		for _, withExtras := range []bool{false, true} {
			if (*evalMode == "none" && withExtras) || (*evalMode == "desc" && !withExtras) {
				continue
			}
			cfg := evalConfig(name)
			gs := d.plain
			if withExtras {
				gs = d.graphs
				cfg.Extras = len(d.graphs[0].Extra)
			}
			v, te, secs, best := ensemble(t, d, gs, cfg, *members)
			preds[withExtras] = [2][]float64{v, te}
			t.Logf("%s random extras=%v hidden=%d depth=%d ffn=%d epochs=%d batch=%d lr=%g agg=%s: members=%d val RMSE %.3f test RMSE %.3f train %.0f s (best epochs %v)",
				name, withExtras, cfg.Hidden, cfg.Depth, cfg.FFNHidden, cfg.Epochs, cfg.Batch, cfg.LR, cfg.Agg, *members,
				rmse(d, v, d.split.Val), rmse(d, te, d.split.Test), secs, best)
		}
		if !*mlpRef {
			continue
		}
		mv, mt, secs := mlpReference(t, name, d)
		t.Logf("%s random MLP ensemble (package response): val RMSE %.3f test RMSE %.3f train %.0f s", name,
			rmse(d, mv, d.split.Val), rmse(d, mt, d.split.Test), secs)
		for _, withExtras := range []bool{false, true} {
			p, ok := preds[withExtras]
			if !ok {
				continue
			}
			av, at := make([]float64, len(mv)), make([]float64, len(mt))
			for i := range av {
				av[i] = (mv[i] + p[0][i]) / 2
			}
			for i := range at {
				at[i] = (mt[i] + p[1][i]) / 2
			}
			t.Logf("%s random average of MLP and MPNN (extras=%v): val RMSE %.3f test RMSE %.3f", name, withExtras,
				rmse(d, av, d.split.Val), rmse(d, at, d.split.Test))
		}
	}
}

// descriptors returns the 24 molecule descriptors of the MLP's input
// (package response, descriptorNames order): MolWt, Crippen logP and MR,
// TPSA, NHOH and NO counts, rotatable bonds, rings, aromatic rings,
// fraction sp3 carbons, heavy atoms, aromatic fraction, element counts,
// charged atoms, total hydrogens, fragments.
func descriptors(m *molecules.Mol) []float64 {
	out := make([]float64, 24)
	out[0] = molecules.MolWt(m)
	out[1], out[2] = molecules.Crippen(m)
	out[3] = molecules.TPSA(m)
	heavy, arom, charged, hs, carbons, sp3 := 0, 0, 0, 0, 0, 0
	slot := map[uint8]int{6: 12, 7: 13, 8: 14, 16: 15, 15: 16, 9: 17, 17: 18, 35: 19, 53: 20}
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Z > 1 {
			heavy++
		}
		if a.Aromatic {
			arom++
		}
		if a.Charge != 0 {
			charged++
		}
		h := a.TotalHs()
		hs += h
		if a.Z == 7 || a.Z == 8 {
			out[4] += float64(h)
			out[5]++
		}
		if a.Z == 6 {
			carbons++
			saturated := !a.Aromatic
			for _, b := range m.AtomBonds(i) {
				if m.Bonds[b].Type != molecules.BondSingle || m.Bonds[b].Aromatic {
					saturated = false
				}
			}
			if saturated {
				sp3++
			}
		}
		if s, ok := slot[a.Z]; ok {
			out[s]++
		}
	}
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		if b.Type != molecules.BondSingle || b.Aromatic || m.BondInRing(bi) {
			continue
		}
		if len(m.Neighbors(int(b.Begin))) > 1 && len(m.Neighbors(int(b.End))) > 1 {
			out[6]++
		}
	}
	rings := m.Rings()
	out[7] = float64(len(rings))
	for _, r := range rings {
		all := true
		for _, a := range r {
			all = all && m.Atoms[a].Aromatic
		}
		if all {
			out[8]++
		}
	}
	if carbons > 0 {
		out[9] = float64(sp3) / float64(carbons)
	}
	out[10] = float64(heavy)
	if heavy > 0 {
		out[11] = float64(arom) / float64(heavy)
	}
	out[21] = float64(charged)
	out[22] = float64(hs)
	// fragments
	n := m.NumAtoms()
	seen := make([]bool, n)
	var stack []int
	for s := 0; s < n; s++ {
		if seen[s] {
			continue
		}
		out[23]++
		seen[s] = true
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, w := range m.Neighbors(v) {
				if !seen[w] {
					seen[w] = true
					stack = append(stack, w)
				}
			}
		}
	}
	for i, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out[i] = 0
		}
	}
	return out
}
