package mpnn_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/response"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/store/errs"
)

// esolSubset returns the first n parseable ESOL molecules as graphs with
// their solubility.
func esolSubset(t testing.TB, n int) ([]mpnn.Graph, [][]float64) {
	t.Helper()
	tb, err := response.LoadDataset("esol")
	if err != nil {
		t.Fatal(err)
	}
	var gs []mpnn.Graph
	var ys [][]float64
	for i, s := range tb.SMILES {
		if len(gs) == n {
			break
		}
		m, err := molecules.Parse(s)
		if err != nil || m.NumAtoms() == 0 {
			continue
		}
		gs = append(gs, mpnn.GraphOf(m, nil))
		ys = append(ys, tb.Y[i])
	}
	return gs, ys
}

var (
	smallOnce  sync.Once
	smallModel *mpnn.Model
	smallErr   error
)

// small trains (once) a quick model used by several tests.
func small(t testing.TB) *mpnn.Model {
	t.Helper()
	smallOnce.Do(func() {
		gs, ys := esolSubset(t, 160)
		smallModel, smallErr = mpnn.Train(context.Background(),
			mpnn.Config{Hidden: 32, Depth: 3, Epochs: 4, Batch: 32, Seed: 1}, gs[:128], gs[128:], ys[:128], ys[128:], nil)
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallModel
}

func predictAll(t testing.TB, m *mpnn.Model, gs []mpnn.Graph) []float64 {
	t.Helper()
	out := make([][]float64, len(gs))
	for i := range out {
		out[i] = make([]float64, m.Config().Tasks)
	}
	if err := m.Predict(gs, out); err != nil {
		t.Fatal(err)
	}
	flat := make([]float64, 0, len(gs))
	for _, r := range out {
		flat = append(flat, r...)
	}
	return flat
}

// TestLearns fits 400 ESOL molecules and must beat the mean predictor on 100
// held-out ones by a wide margin.
func TestLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	gs, ys := esolSubset(t, 500)
	tr, va, te := gs[:340], gs[340:400], gs[400:]
	m, err := mpnn.Train(context.Background(), mpnn.Config{Hidden: 64, Depth: 3, Epochs: 40, Batch: 32, Seed: 2},
		tr, va, ys[:340], ys[340:400], nil)
	if err != nil {
		t.Fatal(err)
	}
	var mean float64
	for _, y := range ys[:340] {
		mean += y[0]
	}
	mean /= 340
	pred := predictAll(t, m, te)
	var se, base float64
	for i, p := range pred {
		y := ys[400+i][0]
		se += (p - y) * (p - y)
		base += (mean - y) * (mean - y)
	}
	rmse, baseRMSE := math.Sqrt(se/100), math.Sqrt(base/100)
	t.Logf("test RMSE %.3f, mean predictor %.3f, best epoch %d of %d", rmse, baseRMSE, m.Info().BestEpoch, m.Info().Epochs)
	if rmse > 0.6*baseRMSE {
		t.Errorf("RMSE %.3f is not well below the mean predictor's %.3f", rmse, baseRMSE)
	}
}

func TestDeterministic(t *testing.T) {
	gs, ys := esolSubset(t, 90)
	train := func(seed uint64) []byte {
		m, err := mpnn.Train(context.Background(), mpnn.Config{Hidden: 16, Depth: 2, Epochs: 3, Batch: 16, Seed: seed},
			gs[:70], gs[70:], ys[:70], ys[70:], nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := train(7), train(7), train(8)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different models")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same model")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	m := small(t)
	gs, _ := esolSubset(t, 40)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, err := mpnn.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := predictAll(t, m, gs), predictAll(t, l, gs)
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("prediction %d: %v before, %v after Load", i, p1[i], p2[i])
		}
	}
	if l.Config() != m.Config() {
		t.Errorf("config %+v after Load, want %+v", l.Config(), m.Config())
	}
	b2, _ := l.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Error("re-marshalled bytes differ")
	}
	corrupt := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXXXXXX"), b[8:]...),
		"truncated": b[:len(b)-3],
		"extra":     append(append([]byte(nil), b...), 0, 0, 0, 0),
		"header":    append(append([]byte(nil), b[:12]...), bytes.Repeat([]byte{'{'}, len(b)-12)...),
		"nan weight": func() []byte {
			c := append([]byte(nil), b...)
			copy(c[len(c)-4:], []byte{0, 0, 0xc0, 0x7f})
			return c
		}(),
	}
	for name, data := range corrupt {
		if _, err := mpnn.Load(data); !errors.Is(err, errs.Invalid) {
			t.Errorf("%s: Load error %v, want ErrInvalid", name, err)
		}
	}
}

func TestCancel(t *testing.T) {
	gs, ys := esolSubset(t, 60)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := mpnn.Train(ctx, mpnn.Config{Hidden: 8, Epochs: 2}, gs, nil, ys, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	// cancelled from the progress callback after the first epoch
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	epochs := 0
	_, err = mpnn.Train(ctx, mpnn.Config{Hidden: 8, Epochs: 50}, gs, nil, ys, nil, func(float64) { epochs++; cancel() })
	if !errors.Is(err, context.Canceled) || epochs != 1 {
		t.Fatalf("error %v after %d epochs, want context.Canceled after 1", err, epochs)
	}
}

// TestRegularisers checks that readout dropout and weight decay change the
// trained network's predictions (not just the stored configuration) and
// that they keep training deterministic for a seed.
func TestRegularisers(t *testing.T) {
	gs, ys := esolSubset(t, 90)
	train := func(c mpnn.Config) (*mpnn.Model, []byte) {
		c.Hidden, c.Depth, c.Epochs, c.Batch, c.Seed = 16, 2, 3, 16, 7
		m, err := mpnn.Train(context.Background(), c, gs[:70], gs[70:], ys[:70], ys[70:], nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return m, b
	}
	plain, _ := train(mpnn.Config{})
	want := predictAll(t, plain, gs[70:])
	for _, c := range []mpnn.Config{{Dropout: 0.3}, {WeightDecay: 0.5}} {
		ma, a := train(c)
		_, b := train(c)
		if !bytes.Equal(a, b) {
			t.Errorf("%+v: the same seed gave different models", c)
		}
		if slices.Equal(predictAll(t, ma, gs[70:]), want) {
			t.Errorf("%+v: predicts exactly as without it", c)
		}
	}
}

// TestStopReproducesEarlyStop checks Config.Stop: trained without
// validation on the same graphs and stopped at the epoch early stopping
// kept, a model must reach exactly the kept weights, because the
// learning-rate schedule still spans Epochs. It fails if Stop shortened the
// schedule or stopped an epoch early or late.
func TestStopReproducesEarlyStop(t *testing.T) {
	gs, ys := esolSubset(t, 90)
	for seed := uint64(1); seed <= 10; seed++ {
		c := mpnn.Config{Hidden: 16, Depth: 2, Epochs: 12, Batch: 16, LR: 1e-2, Seed: seed}
		m, err := mpnn.Train(context.Background(), c, gs[:70], gs[70:], ys[:70], ys[70:], nil)
		if err != nil {
			t.Fatal(err)
		}
		best := m.Info().BestEpoch
		if best == c.Epochs {
			continue // the schedule's end: Stop would not be exercised
		}
		c.Stop = best
		r, err := mpnn.Train(context.Background(), c, gs[:70], nil, ys[:70], nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Info().Epochs != best {
			t.Errorf("seed %d: stopped after %d epochs, want %d", seed, r.Info().Epochs, best)
		}
		if a, b := predictAll(t, m, gs), predictAll(t, r, gs); !slices.Equal(a, b) {
			t.Errorf("seed %d: stopped at epoch %d, predicts unlike the early-stopped model", seed, best)
		}
		return
	}
	t.Fatal("no seed stopped before the last epoch: the test exercised nothing")
}

func TestBadInput(t *testing.T) {
	gs, ys := esolSubset(t, 10)
	withExtra := []mpnn.Graph{gs[0]}
	withExtra[0].Extra = []float32{1}
	broken := []mpnn.Graph{gs[1]}
	broken[0].Dst = append([]int32(nil), gs[1].Dst...)
	broken[0].Dst[0] = 99
	nanFeat := []mpnn.Graph{gs[2]}
	nanFeat[0].Extra = []float32{float32(math.NaN())}
	cases := []struct {
		name   string
		cfg    mpnn.Config
		gs     []mpnn.Graph
		ys     [][]float64
		wantIn bool
	}{
		{"no graphs", mpnn.Config{}, nil, nil, true},
		{"rows mismatch", mpnn.Config{}, gs, ys[:5], true},
		{"negative hidden", mpnn.Config{Hidden: -1}, gs, ys, true},
		{"bad aggregation", mpnn.Config{Agg: "max"}, gs, ys, true},
		{"bad LR", mpnn.Config{LR: 2}, gs, ys, true},
		{"dropout 1", mpnn.Config{Dropout: 1}, gs, ys, true},
		{"negative weight decay", mpnn.Config{WeightDecay: -0.1}, gs, ys, true},
		{"stop after the last epoch", mpnn.Config{Stop: 2}, gs, ys, true},
		{"task count", mpnn.Config{Tasks: 2}, gs, ys, true},
		{"unexpected extras", mpnn.Config{}, withExtra, ys[:1], true},
		{"bond to a missing atom", mpnn.Config{}, broken, ys[:1], true},
		{"NaN extra", mpnn.Config{Extras: 1}, nanFeat, ys[:1], true},
		{"infinite target", mpnn.Config{}, gs[:1], [][]float64{{math.Inf(1)}}, true},
		{"non-binary class", mpnn.Config{Classification: true}, gs[:1], [][]float64{{0.5}}, true},
		{"empty graph", mpnn.Config{}, []mpnn.Graph{{}}, [][]float64{{1}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Epochs = 1
			_, err := mpnn.Train(context.Background(), c.cfg, c.gs, nil, c.ys, nil, nil)
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
		})
	}
	m := small(t)
	if err := m.Predict(gs[:2], make([][]float64, 1)); !errors.Is(err, errs.Invalid) {
		t.Errorf("Predict with short output: %v", err)
	}
	if err := m.Predict(broken, [][]float64{{0}}); !errors.Is(err, errs.Invalid) {
		t.Errorf("Predict with broken graph: %v", err)
	}
	if _, err := m.AtomContributions(mpnn.Graph{}); !errors.Is(err, errs.Invalid) {
		t.Errorf("AtomContributions of an empty graph: %v", err)
	}
}

func TestAtomContributions(t *testing.T) {
	m := small(t)
	for _, s := range []string{"CC(=O)Nc1ccc(O)cc1", "C", "[Na+].[Cl-]"} {
		mol, err := molecules.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		g := mpnn.GraphOf(mol, nil)
		c, err := m.AtomContributions(g)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != g.Atoms {
			t.Fatalf("%s: %d contributions for %d atoms", s, len(c), g.Atoms)
		}
		nonzero := false
		for _, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s: contribution %v", s, v)
			}
			nonzero = nonzero || v != 0
		}
		if !nonzero {
			t.Errorf("%s: all contributions are zero", s)
		}
	}
}

func TestPredictConcurrent(t *testing.T) {
	m := small(t)
	gs, _ := esolSubset(t, 200)
	want := predictAll(t, m, gs)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 3; r++ {
				out := make([][]float64, len(gs))
				for i := range out {
					out[i] = make([]float64, 1)
				}
				if err := m.Predict(gs, out); err != nil {
					errs <- err.Error()
					return
				}
				for i := range out {
					if out[i][0] != want[i] {
						errs <- "concurrent prediction differs"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestMultiTaskClassification(t *testing.T) {
	gs, ys := esolSubset(t, 400)
	// two labels from solubility, the second with some missing
	lab := make([][]float64, len(ys))
	for i, y := range ys {
		a, b := 0.0, 0.0
		if y[0] > -3 {
			a = 1
		}
		if y[0] > -1.5 {
			b = 1
		}
		if i%7 == 0 {
			b = math.NaN()
		}
		lab[i] = []float64{a, b}
	}
	m, err := mpnn.Train(context.Background(), mpnn.Config{Hidden: 32, Epochs: 15, Batch: 32, Tasks: 2, Classification: true, Seed: 3},
		gs[:300], gs[300:340], lab[:300], lab[300:340], nil)
	if err != nil {
		t.Fatal(err)
	}
	p := predictAll(t, m, gs[340:])
	correct, labelled := 0, 0
	for i, v := range p {
		if v < 0 || v > 1 {
			t.Fatalf("probability %v", v)
		}
		y := lab[340+i/2][i%2]
		if math.IsNaN(y) {
			continue
		}
		labelled++
		if (v > 0.5) == (y == 1) {
			correct++
		}
	}
	t.Logf("%d of %d held-out labels right", correct, labelled)
	if correct < labelled*7/10 {
		t.Errorf("only %d of %d labels right", correct, labelled)
	}
}

func FuzzLoad(f *testing.F) {
	// a tiny real model keeps the seed short (the fuzzer slows down on long inputs)
	gs, ys := esolSubset(f, 8)
	m, err := mpnn.Train(context.Background(), mpnn.Config{Hidden: 2, Depth: 2, FFNHidden: 2, Epochs: 1, Seed: 1}, gs, nil, ys, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:20])
	f.Add([]byte("RXMPNN\x00\x01\x02\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := mpnn.Load(data)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if _, err := l.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPredictLargeMolecule predicts a molecule larger than a pooled forward
// graph holds, between two small ones.
func TestPredictLargeMolecule(t *testing.T) {
	m := small(t)
	big, err := molecules.Parse(strings.Repeat("C", 1500))
	if err != nil {
		t.Fatal(err)
	}
	gs, _ := esolSubset(t, 2)
	all := []mpnn.Graph{gs[0], mpnn.GraphOf(big, nil), gs[1]}
	p := predictAll(t, m, all)
	alone := predictAll(t, m, gs)
	if p[0] != alone[0] || p[2] != alone[1] || math.IsNaN(p[1]) {
		t.Errorf("predictions %v, alone %v", p, alone)
	}
}
