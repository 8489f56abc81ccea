package ppo

import (
	"context"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
)

// BenchmarkIterate measures end-to-end PPO training throughput on warfarin
// (128 patients × 90 days per iteration, 64-64 networks, 4 epochs).
func BenchmarkIterate(b *testing.B) {
	pop, err := dosing.RavvazPopulation(10000, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := New(Config{Model: dosing.WarfarinHamberg, Population: pop, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := tr.Iterate(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*128*90)/b.Elapsed().Seconds(), "env-steps/s")
}

// BenchmarkPolicyAct measures one greedy batch-1 action of the default
// warfarin policy (26 → 64 → 64 → 31, shield mask applied).
func BenchmarkPolicyAct(b *testing.B) {
	pop, _ := dosing.RavvazPopulation(100, 1)
	tr, err := New(Config{Model: dosing.WarfarinHamberg, Population: pop, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	p, err := tr.Policy()
	if err != nil {
		b.Fatal(err)
	}
	obs := make([]float32, p.Spec.ObsDim)
	mask := make([]bool, p.Spec.Actions)
	for i := range mask {
		mask[i] = i%3 != 0
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.Act(obs, mask); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/act")
}
