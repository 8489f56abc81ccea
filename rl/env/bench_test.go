package env

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
)

func benchEnv(b *testing.B, model string, n int, perStepDays float64) {
	e, err := New(Config{Model: model, Envs: n, Seed: 1, PopulationSize: 10000})
	if err != nil {
		b.Fatal(err)
	}
	act := make([]int32, n)
	b.ReportAllocs()
	b.ResetTimer()
	for s := 0; s < b.N; s++ {
		m := e.Mask()
		for i := range act {
			// first allowed action at or below level 10 (a cheap stand-in policy)
			a := int32(0)
			for l := 10; l >= 0; l-- {
				if m[i*e.NumActions()+l] {
					a = int32(l)
					break
				}
			}
			act[i] = a
		}
		if _, _, _, err := e.Step(act); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)*float64(n)/sec, "env-steps/s")
	b.ReportMetric(float64(b.N)*float64(n)*perStepDays/sec, "patient-days/s")
}

// BenchmarkWarfarinEnv: 1,024 patients per Step, one day per step.
func BenchmarkWarfarinEnv(b *testing.B) { benchEnv(b, dosing.WarfarinHamberg, 1024, 1) }

// BenchmarkDocetaxelEnv: 256 patients per Step, one 21-day cycle per step.
func BenchmarkDocetaxelEnv(b *testing.B) { benchEnv(b, dosing.DocetaxelFriberg, 256, 21) }

// BenchmarkWarfarinEnvParallel runs one 1,024-patient Env per goroutine
// (GOMAXPROCS of them) and reports the combined rate.
func BenchmarkWarfarinEnvParallel(b *testing.B) {
	const n = 1024
	procs := runtime.GOMAXPROCS(0)
	envs := make([]*Env, procs)
	acts := make([][]int32, procs)
	for k := range procs {
		e, err := New(Config{Model: dosing.WarfarinHamberg, Envs: n, Seed: uint64(k + 1), PopulationSize: 10000})
		if err != nil {
			b.Fatal(err)
		}
		envs[k], acts[k] = e, make([]int32, n)
		for i := range acts[k] {
			acts[k][i] = 8 // 4 mg; the shield projects it when a hold is due
		}
	}
	var next atomic.Int32
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := int(next.Add(1)-1) % procs
		e, act := envs[k], acts[k]
		for pb.Next() {
			if _, _, _, err := e.Step(act); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "env-steps/s")
}
