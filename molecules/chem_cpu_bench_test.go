package molecules

import (
	"runtime"
	"syscall"
	"testing"
)

// threadCPUNanos is the CPU time of the calling OS thread (RUSAGE_THREAD),
// which other jobs on a shared machine move far less than wall time.
func threadCPUNanos() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchFeaturizeCPU parses each MoleculeNet sample SMILES and computes what
// molecules/response's featurizer asks of this package (Morgan radius-2
// environments, Crippen atom types, TPSA, MolWt), on one locked thread,
// reporting that thread's CPU time per molecule.
func benchFeaturizeCPU(b *testing.B, cfg ParserConfig) {
	smis := loadSMILESFile(b, "testdata/moleculenet_rdkit2022.09.tsv")
	if len(smis) > 1000 {
		smis = smis[:1000]
	}
	p, err := NewParser(cfg)
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var dst []CrippenAtom
	b.ReportAllocs()
	b.ResetTimer()
	t0 := threadCPUNanos()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, s := range smis {
			m, err := p.Parse(s)
			if err != nil {
				continue
			}
			_ = MorganEnvironments(m, 2)
			dst, _, _ = CrippenAtoms(m, dst[:0])
			_ = TPSA(m)
			_ = MolWt(m)
		}
		n += len(smis)
	}
	cpu := float64(threadCPUNanos() - t0)
	b.ReportMetric(cpu/float64(n), "cpu-ns/mol")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkParseFeaturizeChemCPU: parse + featurize chemistry per molecule.
func BenchmarkParseFeaturizeChemCPU(b *testing.B) { benchFeaturizeCPU(b, ParserConfig{}) }

// BenchmarkParseCPU: parse alone, thread CPU time per molecule.
func BenchmarkParseCPU(b *testing.B) {
	smis := loadSMILESFile(b, "testdata/moleculenet_rdkit2022.09.tsv")
	if len(smis) > 1000 {
		smis = smis[:1000]
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	t0 := threadCPUNanos()
	for i := 0; i < b.N; i++ {
		for _, s := range smis {
			_, _ = Parse(s)
		}
	}
	b.ReportMetric(float64(threadCPUNanos()-t0)/float64(b.N*len(smis)), "cpu-ns/mol")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkParseFeaturizeChemCPUSkipStereo: the same with SkipStereo.
func BenchmarkParseFeaturizeChemCPUSkipStereo(b *testing.B) {
	benchFeaturizeCPU(b, ParserConfig{SkipStereo: true})
}
