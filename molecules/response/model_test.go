package response

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// quickESOL is a small, fast ESOL model shared by the tests (400 molecules,
// 3 members, 10 epochs).
var quickESOL = TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 3, Ensemble: 3, Epochs: 10, MaxRows: 400, Arch: ArchMLP}

var quick struct {
	once sync.Once
	m    *Model
	err  error
}

func quickModel(t testing.TB) *Model {
	t.Helper()
	quick.once.Do(func() { quick.m, quick.err = Train(context.Background(), quickESOL, nil) })
	if quick.err != nil {
		t.Fatal(quick.err)
	}
	return quick.m
}

func TestTrainDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three small models")
	}
	a := quickModel(t)
	b, err := Train(context.Background(), quickESOL, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := quickESOL
	other.Seed = 4
	c, err := Train(context.Background(), other, nil)
	if err != nil {
		t.Fatal(err)
	}
	smiles := []string{"CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O"}
	pa, _ := a.Predict(context.Background(), smiles, PredictOptions{})
	pb, _ := b.Predict(context.Background(), smiles, PredictOptions{})
	pc, _ := c.Predict(context.Background(), smiles, PredictOptions{})
	for i := range smiles {
		if *pa[i].Value != *pb[i].Value || !slices.Equal(pa[i].AtomContributions, pb[i].AtomContributions) {
			t.Errorf("%s: same seed gave %v and %v", smiles[i], *pa[i].Value, *pb[i].Value)
		}
		if *pa[i].Value == *pc[i].Value {
			t.Errorf("%s: seeds 3 and 4 gave the same prediction", smiles[i])
		}
	}
	if a.rec.Metrics["rmse"] != b.rec.Metrics["rmse"] || !slices.Equal(a.rec.Rows.Test, b.rec.Rows.Test) {
		t.Error("same seed, different metrics or split")
	}
	if lo, hi := a.rec.Metrics["rmseLow95"], a.rec.Metrics["rmseHigh95"]; !(lo < a.rec.Metrics["rmse"] && a.rec.Metrics["rmse"] < hi) || lo != b.rec.Metrics["rmseLow95"] {
		t.Errorf("test rmse %.3f, bootstrap interval [%.3f, %.3f] (same seed: low %.3f)", a.rec.Metrics["rmse"], lo, hi, b.rec.Metrics["rmseLow95"])
	}
	// The quick model must still beat the mean predictor clearly.
	if a.rec.Metrics["rmse"] > 0.7*a.rec.Baseline["rmse"] {
		t.Errorf("rmse %.3f vs baseline %.3f", a.rec.Metrics["rmse"], a.rec.Baseline["rmse"])
	}
}

func TestPredictItems(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	m := quickModel(t)
	train := m.rec.TrainSMILES[0]
	smiles := []string{"CCO", "C1CC", "", "c1ccccc1N(=O)=O", train, "Cl[C@H](F)Br", "C(C)(C)(C)(C)C"}
	preds, err := m.Predict(context.Background(), smiles, PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []bool{false, true, true, false, false, false, true}
	for i, p := range preds {
		if p.SMILES != smiles[i] {
			t.Fatalf("item %d out of order", i)
		}
		if (p.Error != "") != wantErr[i] {
			t.Errorf("%q: error %q, want error %v", smiles[i], p.Error, wantErr[i])
			continue
		}
		if wantErr[i] {
			if p.Value != nil || p.AtomContributions != nil {
				t.Errorf("%q: failed item carries values", smiles[i])
			}
			continue
		}
		if !(*p.Low <= *p.Value && *p.Value <= *p.High) {
			t.Errorf("%q: interval %v..%v misses %v", smiles[i], *p.Low, *p.High, *p.Value)
		}
		if s := *p.NearestTrainingSimilarity; s < 0 || s > 1 {
			t.Errorf("%q: similarity %v", smiles[i], s)
		}
		mol := mustParse(t, smiles[i])
		if len(p.AtomContributions) != mol.NumAtoms() {
			t.Errorf("%q: %d contributions for %d atoms", smiles[i], len(p.AtomContributions), mol.NumAtoms())
		}
	}
	if s := *preds[4].NearestTrainingSimilarity; s != 1 || !*preds[4].InDomain {
		t.Errorf("training molecule: similarity %v inDomain %v", s, *preds[4].InDomain)
	}
	// Options: no attributions, same values.
	fast, _ := m.Predict(context.Background(), smiles, PredictOptions{NoAttributions: true})
	if fast[0].AtomContributions != nil || *fast[0].Value != *preds[0].Value {
		t.Error("NoAttributions changed the value or kept attributions")
	}
	// A batch larger than one chunk goes through several workers in order.
	many := make([]string, 300)
	for i := range many {
		many[i] = smiles[i%len(smiles)]
	}
	got, _ := m.Predict(context.Background(), many, PredictOptions{NoAttributions: true})
	for i, p := range got {
		if (p.Error != "") != wantErr[i%len(smiles)] || (p.Value != nil && *p.Value != *fast[i%len(smiles)].Value) {
			t.Fatalf("batch item %d differs from the single prediction", i)
		}
	}
}

// TestAttributionDirection removes the fingerprint bits whose environments
// cover the atom with the largest |contribution| and checks that the
// prediction moves the way the sign claims (down for a positive atom).
func TestAttributionDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	m := quickModel(t)
	tb, _ := LoadDataset("esol")
	eng := m.pool.get()
	defer m.pool.put(eng)
	agree, total := 0, 0
	for i, s := range tb.SMILES {
		if i%5 != 0 {
			continue
		}
		mol, err := m.parser.Parse(s)
		if err != nil || mol.NumAtoms() < 3 {
			continue
		}
		f := featurize(mol, m.rec.Bits, m.colOf, true, m.rec.DescSet)
		contrib := m.attribute(eng, &f, nil)
		best := 0
		for a, c := range contrib {
			if math.Abs(c) > math.Abs(contrib[best]) {
				best = a
			}
		}
		if math.Abs(contrib[best]) < 0.05 {
			continue
		}
		before, _ := m.ensemble(eng, []molFeat{f})
		g := f
		g.counts = nil
		for k, c := range f.counts {
			if !slices.Contains(f.envAtoms[k], int32(best)) {
				g.counts = append(g.counts, c)
			}
		}
		after, _ := m.ensemble(eng, []molFeat{g})
		total++
		if (before[0]-after[0])*contrib[best] > 0 {
			agree++
		}
	}
	if total < 50 {
		t.Fatalf("only %d molecules with a clear attribution", total)
	}
	frac := float64(agree) / float64(total)
	t.Logf("removing the top atom's bits moved the prediction as claimed for %d/%d molecules (%.1f %%)", agree, total, 100*frac)
	if frac < 0.9 {
		t.Errorf("attribution direction agreement %.2f < 0.90", frac)
	}
}

func openService(t *testing.T, dir string) (*Service, *jobs.Runner, *store.DB) {
	t.Helper()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DB: db, Jobs: r})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, r, db
}

func waitJob(t *testing.T, r *jobs.Runner, id string) jobs.Job {
	t.Helper()
	return waitJobFor(t, r, id, 2*time.Minute)
}

func waitJobLong(t *testing.T, r *jobs.Runner, id string) jobs.Job {
	t.Helper()
	return waitJobFor(t, r, id, 30*time.Minute)
}

func waitJobFor(t *testing.T, r *jobs.Runner, id string, d time.Duration) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		j, err := r.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Final() {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("job did not finish")
	return jobs.Job{}
}

func TestServiceLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, r, db := openService(t, dir)
	if _, err := New(Config{DB: db}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("New without runner: %v", err)
	}
	for _, bad := range []TrainInput{
		{Dataset: "delaney-processed"}, {Dataset: "esol", Split: "cell"}, {Dataset: "esol", Target: "x"},
		{Dataset: "esol", Ensemble: 99}, {Dataset: "gdsc", Split: "scaffold"},
	} {
		if _, err := s.Train(ctx, "u1", bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Train(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	in := quickESOL
	in.Ensemble = 2
	j, err := s.Train(ctx, "u1", in)
	if err != nil {
		t.Fatal(err)
	}
	j = waitJob(t, r, j.ID)
	if j.State != jobs.Succeeded || !strings.Contains(string(j.Result), ModelID(in)) {
		t.Fatalf("job %s: %s %s %s", j.ID, j.State, j.Error, j.Result)
	}
	list, err := s.Models(ctx)
	if err != nil || len(list) != 1 || list[0].ID != ModelID(in) {
		t.Fatalf("Models = %v, %v", list, err)
	}
	info := list[0]
	if info.Metrics["rmse"] <= 0 || info.Baseline["rmse"] <= info.Metrics["rmse"] || info.DatasetHash == "" || info.TrainedAt.IsZero() || info.Ensemble != 2 {
		t.Errorf("stored info incomplete: %+v", info)
	}
	smiles := []string{"CCO", "bad(", "c1ccccc1Cl"}
	p1, err := s.Predict(ctx, info.ID, smiles)
	if err != nil {
		t.Fatal(err)
	}
	if p1[1].Error == "" || p1[0].Value == nil || p1[2].Value == nil {
		t.Fatalf("per-item errors: %+v", p1)
	}
	if _, err := s.Predict(ctx, "nope", smiles); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown model: %v", err)
	}
	// A cancelled training job stops (the training loop checks its context)
	// and stores nothing.
	big, err := s.Train(ctx, "u1", TrainInput{Dataset: "lipo", Split: SplitRandom, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := r.Cancel(ctx, big.ID); err != nil {
		t.Fatal(err)
	}
	if big = waitJob(t, r, big.ID); big.State != jobs.Cancelled {
		t.Errorf("cancelled job ended %s %s", big.State, big.Error)
	}
	if list, _ := s.Models(ctx); len(list) != 1 {
		t.Errorf("cancelled training stored a model: %d models", len(list))
	}
	r.Shutdown(ctx)
	db.Close()
	// Reopen: the model is read back from the store and predicts the same.
	s2, r2, db2 := openService(t, dir)
	defer db2.Close()
	defer r2.Shutdown(ctx)
	p2, err := s2.Predict(ctx, info.ID, smiles)
	if err != nil {
		t.Fatal(err)
	}
	for i := range smiles {
		if p1[i].Error != p2[i].Error || (p1[i].Value != nil && *p1[i].Value != *p2[i].Value) {
			t.Errorf("%s: %v before reopen, %v after", smiles[i], p1[i], p2[i])
		}
	}
}

// TestEngineMatchesDenseForward checks the fused sparse inference engine
// against every member's plain dense forward pass on the same inputs.
func TestEngineMatchesDenseForward(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	m := quickModel(t)
	smiles := []string{"CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCCCCCCCCCCCCCCC", "Clc1ccc(Cl)c(Cl)c1Cl", "OCC(O)C(O)C(O)C(O)CO"}
	var feats []molFeat
	for _, s := range smiles {
		mol, err := m.parser.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		feats = append(feats, featurize(mol, m.rec.Bits, m.colOf, false, m.rec.DescSet))
	}
	eng := m.pool.get()
	defer m.pool.put(eng)
	mean, _ := m.ensemble(eng, feats)
	nv := len(m.rec.Vocabulary)
	width := m.members[0].InputWidth()
	T := len(m.rec.Tasks)
	x := make([]float32, width)
	o := make([]float32, T)
	for r, f := range feats {
		clear(x)
		for _, c := range f.counts {
			x[c.Bit] = c.Count
		}
		m.rec.Desc.apply(f.desc, x[nv:])
		want := 0.0
		for _, mem := range m.members {
			if err := mem.Forward(x, 1, o); err != nil {
				t.Fatal(err)
			}
			want += m.toTarget(0, float64(o[0]))
		}
		want /= float64(len(m.members))
		if math.Abs(mean[r*T]-want) > 1e-4*(1+math.Abs(want)) {
			t.Errorf("%s: engine %v, dense forward %v", smiles[r], mean[r*T], want)
		}
	}
}

// TestHybridModel trains a small MLP + message-passing ensemble, checks that
// both member kinds take part in predictions and attributions, and that the
// model read back from a real store predicts exactly the same.
func TestHybridModel(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	ctx := context.Background()
	small := mpnn.Config{Hidden: 32, Depth: 2, Epochs: 3, Batch: 32, Agg: mpnn.AggSum}
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 2, Ensemble: 2, Epochs: 3, MaxRows: 200, Arch: ArchHybrid}
	m, err := train(ctx, in, options{graph: &small}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.members) != 2 || len(m.graphs) != 2 || m.rec.Graph == nil || m.Info().Arch != ArchHybrid {
		t.Fatalf("hybrid has %d MLP and %d graph members (arch %q)", len(m.members), len(m.graphs), m.Info().Arch)
	}
	if !strings.Contains(m.Info().ID, ".mlp-mpnn.ep3.n200.x") {
		t.Errorf("id %s does not name the architecture", m.Info().ID)
	}
	smiles := []string{"CCO", "c1ccccc1Cl", "not a smiles", "CC(=O)Nc1ccc(O)cc1"}
	p, err := m.Predict(ctx, smiles, PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p[2].Error == "" {
		t.Error("bad SMILES predicted")
	}
	// The hybrid mean is the mean of the MLP-only and graph-only means.
	mlpOnly, err := newModel(m.rec, m.members, nil)
	if err != nil {
		t.Fatal(err)
	}
	graphOnly, err := newModel(m.rec, nil, m.graphs)
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := mlpOnly.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	pg, _ := graphOnly.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	for _, i := range []int{0, 1, 3} {
		want := (*pm[i].Value + *pg[i].Value) / 2
		if math.Abs(*p[i].Value-want) > 1e-6 || *pm[i].Value == *pg[i].Value {
			t.Errorf("%s: hybrid %v, MLP %v, graph %v", smiles[i], *p[i].Value, *pm[i].Value, *pg[i].Value)
		}
		mol, _ := molecules.Parse(smiles[i])
		if len(p[i].AtomContributions) != mol.NumAtoms() {
			t.Errorf("%s: %d contributions for %d atoms", smiles[i], len(p[i].AtomContributions), mol.NumAtoms())
		}
	}
	dir := t.TempDir()
	s, r, db := openService(t, dir)
	if err := s.Save(ctx, m); err != nil {
		t.Fatal(err)
	}
	r.Shutdown(ctx)
	db.Close()
	s2, r2, db2 := openService(t, dir)
	defer db2.Close()
	defer r2.Shutdown(ctx)
	p2, err := s2.Predict(ctx, m.Info().ID, smiles)
	if err != nil {
		t.Fatal(err)
	}
	for i := range smiles {
		if p[i].Error != p2[i].Error || (p[i].Value != nil && *p[i].Value != *p2[i].Value) {
			t.Errorf("%s: %v before the store, %v after", smiles[i], p[i], p2[i])
		}
	}
}

// TestRefit trains a small hybrid with and without the refit on training
// plus validation rows. The refit must keep the early-stopped ensemble's
// calibration and validation scores (they come from rows the refit then
// trains on), report that ensemble's test RMSE beside its own, index the
// validation molecules as training molecules, and predict with retrained
// members.
func TestRefit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small hybrids")
	}
	ctx := context.Background()
	small := mpnn.Config{Hidden: 32, Depth: 2, Epochs: 4, Batch: 32}
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 2, Ensemble: 2, Epochs: 4, MaxRows: 200, Arch: ArchHybrid}
	off, on := false, true
	plain, err := train(ctx, in, options{graph: &small, refit: &off}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	refit, err := train(ctx, in, options{graph: &small, refit: &on}, func(_ float64, msg string) {
		if len(msgs) == 0 || msgs[len(msgs)-1] != msg {
			msgs = append(msgs, msg)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	p, r := plain.rec, refit.rec
	if p.Refit || !r.Refit {
		t.Fatalf("Refit flags: plain %v, refit %v", p.Refit, r.Refit)
	}
	if p.IntervalScale != r.IntervalScale || p.InDomainThreshold != r.InDomainThreshold {
		t.Errorf("calibration changed: k %v → %v, threshold %v → %v", p.IntervalScale, r.IntervalScale, p.InDomainThreshold, r.InDomainThreshold)
	}
	for k, v := range p.Validation {
		if r.Validation[k] != v {
			t.Errorf("validation %s: %v without refit, %v with", k, v, r.Validation[k])
		}
	}
	if r.Metrics["rmseBeforeRefit"] != p.Metrics["rmse"] || r.Metrics["rmse"] == p.Metrics["rmse"] {
		t.Errorf("test rmse: plain %v, refit %v, refit's record of the early-stopped one %v", p.Metrics["rmse"], r.Metrics["rmse"], r.Metrics["rmseBeforeRefit"])
	}
	if want := len(p.Rows.Train) + len(p.Rows.Val); len(r.TrainSMILES) != want || len(p.TrainSMILES) != len(p.Rows.Train) {
		t.Errorf("indexed %d molecules after the refit (%d before), want %d", len(r.TrainSMILES), len(p.TrainSMILES), want)
	}
	if !slices.Equal(p.Rows.Test, r.Rows.Test) {
		t.Error("the refit changed the test rows")
	}
	if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "refitting message-passing member 2 of 2") }) {
		t.Errorf("progress messages %q do not report the refit", msgs)
	}
	smiles := []string{"CCO", "c1ccccc1Cl"}
	pp, _ := plain.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	pr, _ := refit.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	for i := range smiles {
		if *pp[i].Value == *pr[i].Value {
			t.Errorf("%s: the refit predicts exactly as before it (%v)", smiles[i], *pp[i].Value)
		}
	}
}

// TestFullSplit trains models of every row: each member early-stops on the
// random split's validation rows and is refitted on all rows, the model
// indexes every molecule, and there are no test metrics to report (the
// validation ones are the early-stopped ensemble's).
func TestFullSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small ensembles")
	}
	ctx := context.Background()
	for _, in := range []TrainInput{
		{Dataset: "esol", Split: SplitFull, Seed: 2, Ensemble: 2, Epochs: 4, MaxRows: 200, Arch: ArchMLP},
		{Dataset: "bbbp", Split: SplitFull, Seed: 2, Ensemble: 2, Epochs: 4, MaxRows: 300, Arch: ArchMLP},
	} {
		t.Run(in.Dataset, func(t *testing.T) {
			var msgs []string
			m, err := Train(ctx, in, func(_ float64, msg string) {
				if len(msgs) == 0 || msgs[len(msgs)-1] != msg {
					msgs = append(msgs, msg)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			r := m.rec
			if !r.Refit || len(r.Rows.Test) != 0 || len(r.TrainSMILES) != in.MaxRows {
				t.Fatalf("refit %v, %d test rows, %d indexed molecules; want a refit on all %d rows", r.Refit, len(r.Rows.Test), len(r.TrainSMILES), in.MaxRows)
			}
			if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "refitting MLP member 2 of 2") }) {
				t.Errorf("progress messages %q do not report the refit", msgs)
			}
			key := "rmse"
			if r.Task == Classification {
				key = "rocAuc"
			}
			if _, ok := r.Metrics[key]; ok {
				t.Errorf("a model of every row reports a test %s: %v", key, r.Metrics)
			}
			if v, ok := r.Validation[key]; !ok || math.IsNaN(v) {
				t.Errorf("validation %s missing: %v", key, r.Validation)
			}
			if r.IntervalScale < 1 || r.InDomainThreshold <= 0 {
				t.Errorf("calibration k %v, domain threshold %v", r.IntervalScale, r.InDomainThreshold)
			}
			random := in
			random.Split = SplitRandom
			rm, err := Train(ctx, random, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rm.rec.Rows.Val, r.Rows.Val) {
				t.Error("the full split's validation rows are not the random split's")
			}
			// The random split's test molecules are training molecules of
			// the full model: the nearest training similarity is 1.
			t.Logf("metrics %v; baseline %v; validation %v", r.Metrics, r.Baseline, r.Validation)
			var test []string
			for _, s := range r.TrainSMILES {
				if !slices.Contains(rm.rec.TrainSMILES, s) {
					test = append(test, s)
				}
			}
			if len(test) == 0 {
				t.Fatal("the full model indexes no molecule beyond the random split's training rows")
			}
			p, err := m.Predict(ctx, test, PredictOptions{NoAttributions: true})
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range p {
				if q.Error != "" || q.Value == nil || *q.NearestTrainingSimilarity != 1 {
					t.Fatalf("%s: %+v", test[i], q)
				}
			}
		})
	}
}

// TestClassificationInterval trains a small multi-task classifier: its test
// ROC-AUC (the mean over the Tox21 assays) must lie inside its bootstrap
// interval, which resamples molecules with all their assays together.
func TestClassificationInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	m, err := Train(context.Background(), TrainInput{Dataset: "tox21", Target: "all", Split: SplitRandom, Seed: 1, Ensemble: 1, Epochs: 2, MaxRows: 800, Arch: ArchMLP}, nil)
	if err != nil {
		t.Fatal(err)
	}
	auc, lo, hi := m.rec.Metrics["rocAuc"], m.rec.Metrics["rocAucLow95"], m.rec.Metrics["rocAucHigh95"]
	t.Logf("rocAuc %.3f in [%.3f, %.3f] over %d test molecules", auc, lo, hi, len(m.rec.Rows.Test))
	if !(lo < auc && auc < hi && hi-lo < 0.5) {
		t.Errorf("rocAuc %.3f, interval [%.3f, %.3f]", auc, lo, hi)
	}
}
