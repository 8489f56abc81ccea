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
)

// evalData is one dataset prepared exactly as response.Train prepares a
// random split: rows that do not parse, have no atoms or no label dropped,
// then response.RandomSplit over what remains.
type evalData struct {
	graphs, plain []mpnn.Graph
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

// ensembleRMSE trains members models (seeds 1000·seed + k, as the MLP
// ensemble derives them) and returns the validation and test RMSE of the
// ensemble mean, in target units.
func ensembleRMSE(t *testing.T, d evalData, gs []mpnn.Graph, cfg mpnn.Config, n int) (val, test float64, secs float64, best []int) {
	t.Helper()
	tr, va, te := d.split.Train, d.split.Val, d.split.Test
	start := time.Now()
	sumV := make([]float64, len(va))
	sumT := make([]float64, len(te))
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
		}{{va, sumV}, {te, sumT}} {
			out := make([][]float64, len(part.idx))
			for i := range out {
				out[i] = make([]float64, 1)
			}
			if err := m.Predict(pick(gs, part.idx), out); err != nil {
				t.Fatal(err)
			}
			for i := range out {
				part.sum[i] += out[i][0]
			}
		}
	}
	secs = time.Since(start).Seconds()
	rmse := func(sum []float64, idx []int) float64 {
		var s float64
		for k, i := range idx {
			e := sum[k]/float64(n) - d.y[i][0]
			s += e * e
		}
		return math.Sqrt(s / float64(len(idx)))
	}
	return rmse(sumV, va), rmse(sumT, te), secs, best
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
// split, seed 1, the MLP's rows) and prints validation and test RMSE.
func TestEvaluate(t *testing.T) {
	if !*long {
		t.Skip("needs -mpnn.long")
	}
	for _, name := range strings.Split(*evalSets, ",") {
		d := loadEval(t, name, 1)
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
			v, te, secs, best := ensembleRMSE(t, d, gs, cfg, *members)
			t.Logf("%s random extras=%v hidden=%d depth=%d ffn=%d epochs=%d batch=%d lr=%g agg=%s: members=%d val RMSE %.3f test RMSE %.3f train %.0f s (best epochs %v)",
				name, withExtras, cfg.Hidden, cfg.Depth, cfg.FFNHidden, cfg.Epochs, cfg.Batch, cfg.LR, cfg.Agg, *members, v, te, secs, best)
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
