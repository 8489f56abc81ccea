package pkpd

import (
	"runtime"
	"sync/atomic"
	"testing"
)

func newSampledBatch(b testing.TB, n int, seed uint64) *WarfarinBatch {
	wb, err := NewWarfarinBatch(WarfarinConfig{Patients: n})
	if err != nil {
		b.Fatal(err)
	}
	rng := NewRNG(seed)
	for i := range n {
		cov := WarfarinCovariates{Age: 40 + 40*rng.Float(), CYP2C9: CYP2C9(rng.IntN(6)), VKORC1: VKORC1(rng.IntN(3))}
		p, err := SampleWarfarin(cov, rng)
		if err != nil {
			b.Fatal(err)
		}
		if err := wb.SetPatient(i, p); err != nil {
			b.Fatal(err)
		}
	}
	return wb
}

// BenchmarkWarfarinStepDay steps a 1,024-patient batch one day per op on one
// goroutine (1-hour steps).
func BenchmarkWarfarinStepDay(b *testing.B) {
	const n = 1024
	wb := newSampledBatch(b, n, 1)
	doses, out := make([]float64, n), make([]float64, n)
	for i := range doses {
		doses[i] = 5
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%90 == 0 {
			wb.Reset()
		}
		wb.StepDay(doses, out)
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "patient-days/s")
}

// BenchmarkWarfarinParallel steps one 1,024-patient batch per goroutine
// (GOMAXPROCS of them, 2 on the target machine) and reports the combined
// throughput; batches are built before the timer starts.
func BenchmarkWarfarinParallel(b *testing.B) {
	const n = 1024
	procs := runtime.GOMAXPROCS(0)
	batches := make([]*WarfarinBatch, procs)
	doses, outs := make([][]float64, procs), make([][]float64, procs)
	for k := range procs {
		batches[k] = newSampledBatch(b, n, uint64(k+1))
		doses[k], outs[k] = make([]float64, n), make([]float64, n)
		for i := range doses[k] {
			doses[k][i] = 5
		}
	}
	var next atomic.Int32
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := int(next.Add(1)-1) % procs
		wb, d, o := batches[k], doses[k], outs[k]
		day := 0
		for pb.Next() {
			if day%90 == 0 {
				wb.Reset()
			}
			wb.StepDay(d, o)
			day++
		}
	})
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "patient-days/s")
}

// BenchmarkDocetaxelCycle simulates one 21-day cycle (1-h infusion of 100 mg)
// for a 256-patient batch per op.
func BenchmarkDocetaxelCycle(b *testing.B) {
	const n = 256
	db, err := NewDocetaxelBatch(DocetaxelConfig{Patients: n})
	if err != nil {
		b.Fatal(err)
	}
	rng := NewRNG(1)
	for i := range n {
		if err := db.SetPatient(i, SampleDocetaxel(rng)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		db.Reset()
		for i := range n {
			_ = db.Infuse(i, 100, 1)
		}
		db.AdvanceAll(21 * 24)
	}
	b.ReportMetric(float64(b.N)*n*21/b.Elapsed().Seconds(), "patient-days/s")
}

func TestSetPatientAllocs(t *testing.T) {
	wb, _ := NewWarfarinBatch(WarfarinConfig{Patients: 2})
	p, _ := TypicalWarfarin(WarfarinCovariates{Age: 60, CYP2C9: CYP2C9_13, VKORC1: VKORC1_AA})
	if a := testing.AllocsPerRun(100, func() { _ = wb.SetPatient(1, p) }); a != 0 {
		t.Errorf("WarfarinBatch.SetPatient allocates %v times", a)
	}
	db, _ := NewDocetaxelBatch(DocetaxelConfig{Patients: 2})
	dp := TypicalDocetaxel()
	if a := testing.AllocsPerRun(100, func() { _ = db.SetPatient(1, dp) }); a != 0 {
		t.Errorf("DocetaxelBatch.SetPatient allocates %v times", a)
	}
}
