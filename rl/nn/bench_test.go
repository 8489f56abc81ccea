package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchWorkloads are the PPO-update shapes the issue measures.
var benchWorkloads = []struct {
	sizes []int
	batch int
}{
	{[]int{16, 64, 64, 8}, 64},
	{[]int{16, 64, 64, 8}, 256},
	{[]int{16, 256, 256, 8}, 256},
}

func benchName(sizes []int, batch int) string {
	return fmt.Sprintf("%d-%d-%d-%d_b%d", sizes[0], sizes[1], sizes[2], sizes[3], batch)
}

var benchPPO = PPO{Actions: 7, Clip: 0.2, ValueCoef: 0.5, EntropyCoef: 0.01}

// BenchmarkPPOUpdate times one PPO update step (forward, backward, Adam) of
// the fast core and of stock gorgonia on the same shapes.
func BenchmarkPPOUpdate(b *testing.B) {
	for _, w := range benchWorkloads {
		m, _ := New(Config{Sizes: w.sizes, Activations: []Activation{Tanh, Tanh, Identity}, Seed: 1})
		r := rand.New(rand.NewPCG(1, 2))
		x, aux := makeBatch(r, m, benchPPO, w.batch)
		b.Run("core/"+benchName(w.sizes, w.batch), func(b *testing.B) {
			tr, _ := NewTrainer(m.Clone(), benchPPO)
			tr.Step(x, aux)
			b.ReportAllocs()
			for b.Loop() {
				tr.Step(x, aux)
			}
			s := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(s, "steps/s")
			b.ReportMetric(s*float64(w.batch), "samples/s")
		})
		b.Run("gorgonia/"+benchName(w.sizes, w.batch), func(b *testing.B) {
			p, err := NewPlainTrainer(m, benchPPO, w.batch)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			b.ReportAllocs()
			for b.Loop() {
				p.Step(x, aux)
			}
			s := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(s, "steps/s")
			b.ReportMetric(s*float64(w.batch), "samples/s")
		})
	}
}

// BenchmarkAct times the batch-1 forward pass used for acting.
func BenchmarkAct(b *testing.B) {
	for _, sizes := range [][]int{{16, 64, 64, 8}, {16, 256, 256, 8}} {
		m, _ := New(Config{Sizes: sizes, Activations: []Activation{Tanh, Tanh, Identity}, Seed: 1})
		x := randData(rand.New(rand.NewPCG(1, 1)), 16, 1)
		out := make([]float32, 8)
		b.Run(benchName(sizes, 1), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Forward(x, 1, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/act")
		})
	}
}
