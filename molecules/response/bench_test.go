package response

import (
	"context"
	"fmt"
	"math"
	"sync"
	"syscall"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

var benchModel struct {
	once   sync.Once
	m      *Model
	smiles []string
	err    error
}

// benchSetup trains a 5-member ESOL MLP ensemble with the production
// layer sizes and the physchem descriptor set, the default of the MLP
// property models (Lipophilicity, BBBP, Tox21), 1 epoch: throughput does
// not depend on how well it is trained. It collects drug-like SMILES from
// Lipophilicity.
func benchSetup(b *testing.B) (*Model, []string) {
	benchModel.once.Do(func() {
		benchModel.m, benchModel.err = train(context.Background(),
			TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 1, Ensemble: 5, Epochs: 1, Arch: ArchMLP}, options{descSet: DescPhyschem}, nil)
		tb, err := LoadDataset("lipo")
		if err != nil {
			benchModel.err = err
			return
		}
		benchModel.smiles = tb.SMILES[:2000]
	})
	if benchModel.err != nil {
		b.Fatal(benchModel.err)
	}
	return benchModel.m, benchModel.smiles
}

// cpuSeconds is the process's user + system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func benchPredict(b *testing.B, opt PredictOptions) {
	m, smiles := benchSetup(b)
	runPredict(b, m, smiles, opt)
}

// runPredict times m.Predict over smiles b.N times.
func runPredict(b *testing.B, m *Model, smiles []string, opt PredictOptions) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	n := 0
	for i := 0; i < b.N; i++ {
		out, err := m.Predict(context.Background(), smiles, opt)
		if err != nil {
			b.Fatal(err)
		}
		n += len(out)
	}
	// molecules per CPU-second: robust to other load on the machine; on an
	// otherwise idle 2-core machine molecules/s approaches twice this.
	b.ReportMetric(float64(n)/(cpuSeconds()-cpu0), "molecules/cpu-s")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "molecules/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkPredictEnsemble5 measures 5-member ensemble prediction from SMILES
// (parse, featurise, ensemble, interval, nearest-neighbour similarity) on
// GOMAXPROCS workers, without atom attributions.
func BenchmarkPredictEnsemble5(b *testing.B) { benchPredict(b, PredictOptions{NoAttributions: true}) }

// BenchmarkPredictEnsemble5Attributions adds per-atom occlusion attributions.
func BenchmarkPredictEnsemble5Attributions(b *testing.B) { benchPredict(b, PredictOptions{}) }

// BenchmarkParseFeaturize is the part of prediction spent in the chemistry
// core (parse, Morgan environments, Crippen/TPSA descriptors) on GOMAXPROCS
// goroutines: the ceiling prediction throughput cannot pass.
func BenchmarkParseFeaturize(b *testing.B) {
	m, smiles := benchSetup(b)
	runParallelMolecules(b, func() func() int {
		return func() int {
			for _, s := range smiles[:200] {
				if mol, err := m.parser.Parse(s); err == nil {
					_ = featurize(mol, m.rec.Bits, m.colOf, false, m.rec.DescSet)
				}
			}
			return 200
		}
	})
}

// runParallelMolecules runs, on GOMAXPROCS goroutines, the function each
// gets from worker until the benchmark ends; each call returns the
// molecules it processed. It reports molecules per CPU-second and per
// second.
func runParallelMolecules(b *testing.B, worker func() func() int) {
	b.ReportAllocs()
	b.ResetTimer()
	var mu sync.Mutex
	n := 0
	cpu0 := cpuSeconds()
	b.RunParallel(func(pb *testing.PB) {
		step := worker()
		k := 0
		for pb.Next() {
			k += step()
		}
		mu.Lock()
		n += k
		mu.Unlock()
	})
	b.ReportMetric(float64(n)/(cpuSeconds()-cpu0), "molecules/cpu-s")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "molecules/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkNearest is the nearest-training-similarity search of prediction:
// Lipophilicity molecules against the ESOL training fingerprints.
func BenchmarkNearest(b *testing.B) {
	m, smiles := benchSetup(b)
	var fps []molecules.Fingerprint
	for _, s := range smiles {
		if mol, err := m.parser.Parse(s); err == nil {
			fps = append(fps, molecules.Morgan(mol, FPRadius, PropertyBits))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		var scratch []uint16
		for _, fp := range fps {
			_, scratch = m.index.max(fp, scratch)
		}
		n += len(fps)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(m.index.size()), "stored")
}

var benchHybrid struct {
	once sync.Once
	m    *Model
	err  error
}

// BenchmarkPredictHybrid is ESOL's default model: 5 MLP and 5
// message-passing members (1 epoch each), without attributions.
func BenchmarkPredictHybrid(b *testing.B) {
	_, smiles := benchSetup(b)
	benchHybrid.once.Do(func() {
		benchHybrid.m, benchHybrid.err = Train(context.Background(),
			TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 1, Ensemble: 5, Epochs: 1, Arch: ArchHybrid}, nil)
	})
	if benchHybrid.err != nil {
		b.Fatal(benchHybrid.err)
	}
	m := benchHybrid.m
	smiles = smiles[:500]
	runPredict(b, m, smiles, PredictOptions{NoAttributions: true})
}

// benchVariants holds the models of the dataset and descriptor-set
// variants of BenchmarkPredictEnsemble5, trained once each.
var benchVariants struct {
	mu sync.Mutex
	m  map[string]*Model
}

// benchVariant returns the 1-epoch 5-member MLP ensemble for in, trained
// on first use.
func benchVariant(b *testing.B, in TrainInput, desc int) *Model {
	key := fmt.Sprint(in.Dataset, in.Target, desc)
	benchVariants.mu.Lock()
	defer benchVariants.mu.Unlock()
	if m := benchVariants.m[key]; m != nil {
		return m
	}
	in.Split, in.Seed, in.Ensemble, in.Epochs, in.Arch = SplitRandom, 1, 5, 1, ArchMLP
	m, err := train(context.Background(), in, options{descSet: desc}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if benchVariants.m == nil {
		benchVariants.m = map[string]*Model{}
	}
	benchVariants.m[key] = m
	return m
}

// benchPredictDesc is BenchmarkPredictEnsemble5 with descriptor set desc.
func benchPredictDesc(b *testing.B, desc int) {
	_, smiles := benchSetup(b)
	runPredict(b, benchVariant(b, TrainInput{Dataset: "esol"}, desc), smiles, PredictOptions{NoAttributions: true})
}

// benchPredictDataset is BenchmarkPredictEnsemble5 for the default MLP
// model of another dataset (its descriptor set and vocabulary, and its
// training molecules in the nearest-neighbour search), predicting 2,000
// BBBP molecules.
func benchPredictDataset(b *testing.B, dataset, target string) {
	tb, err := LoadDataset("bbbp")
	if err != nil {
		b.Fatal(err)
	}
	m := benchVariant(b, TrainInput{Dataset: dataset, Target: target}, DescPhyschem)
	runPredict(b, m, tb.SMILES[:2000], PredictOptions{NoAttributions: true})
}

// BenchmarkPredictEnsemble5Lipo is Lipophilicity's default MLP ensemble
// (3,024 training molecules, four times ESOL's).
func BenchmarkPredictEnsemble5Lipo(b *testing.B) { benchPredictDataset(b, "lipo", "") }

// BenchmarkPredictEnsemble5Tox21 is Tox21's default 12-task MLP ensemble
// (about 6,300 training molecules).
func BenchmarkPredictEnsemble5Tox21(b *testing.B) { benchPredictDataset(b, "tox21", "all") }

// BenchmarkPredictEnsemble5Basic is BenchmarkPredictEnsemble5 with the
// 24-descriptor set of earlier models (no Crippen-type or physchem blocks):
// what the richer default descriptors cost.
func BenchmarkPredictEnsemble5Basic(b *testing.B) { benchPredictDesc(b, DescBasic) }

// BenchmarkPredictEnsemble5EState is BenchmarkPredictEnsemble5 with ESOL's
// descriptor set (physchem plus the surface-area and E-state blocks), the
// one its MLP members read.
func BenchmarkPredictEnsemble5EState(b *testing.B) { benchPredictDesc(b, DescEState) }

// BenchmarkEnsembleStage is the network part of BenchmarkPredictEnsemble5
// alone, on one goroutine: the 5 members' forward passes over featurised
// 64-molecule batches, as Predict runs them.
func BenchmarkEnsembleStage(b *testing.B) {
	m, smiles := benchSetup(b)
	var feats []molFeat
	for _, s := range smiles {
		if mol, err := m.parser.Parse(s); err == nil {
			feats = append(feats, featurize(mol, m.rec.Bits, m.colOf, false, m.rec.DescSet))
		}
	}
	eng := m.pool.get()
	defer m.pool.put(eng)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		for s := 0; s < len(feats); s += 64 {
			m.ensemble(eng, feats[s:min(s+64, len(feats))])
		}
		n += len(feats)
	}
	b.ReportMetric(float64(n)/(cpuSeconds()-cpu0), "molecules/cpu-s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEnsembleStageParallel is BenchmarkEnsembleStage on GOMAXPROCS
// goroutines, each with its own engine, as Predict runs them: the networks'
// share of the two-core contention for the shared cache.
func BenchmarkEnsembleStageParallel(b *testing.B) {
	m, smiles := benchSetup(b)
	var feats []molFeat
	for _, s := range smiles {
		if mol, err := m.parser.Parse(s); err == nil {
			feats = append(feats, featurize(mol, m.rec.Bits, m.colOf, false, m.rec.DescSet))
		}
	}
	runParallelMolecules(b, func() func() int {
		eng := m.pool.get() // each goroutine keeps its engine to the end
		return func() int {
			for s := 0; s < len(feats); s += 64 {
				m.ensemble(eng, feats[s:min(s+64, len(feats))])
			}
			return len(feats)
		}
	})
}
