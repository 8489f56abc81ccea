package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The GEMM shapes of a dense layer in the training core's workloads:
// (batch, in, out) for 16-64-64-8 and 16-256-256-8 at batch 64 and 256.
var benchShapes = []struct{ batch, in, out int }{
	{1, 16, 64}, {1, 64, 64}, {1, 256, 256}, {64, 16, 64}, {64, 64, 64}, {64, 64, 8}, {256, 64, 64}, {256, 256, 256}, {256, 256, 8},
}

func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, sh := range benchShapes {
		x, w := randSlice(r, sh.batch*sh.in), randSlice(r, sh.in*sh.out)
		y := randSlice(r, sh.batch*sh.out)
		dx, dw := make([]float32, sh.batch*sh.in), make([]float32, sh.in*sh.out)
		scratch := make([]float32, sh.in*sh.out)
		flops := 2 * float64(sh.batch*sh.in*sh.out)
		run := func(name string, f func()) {
			b.Run(fmt.Sprintf("%s/b%d_%dx%d", name, sh.batch, sh.in, sh.out), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		run("NN_XW", func() { GemmNN(sh.batch, sh.out, sh.in, x, sh.in, w, sh.out, y, sh.out, false) })
		run("NT_dYWt", func() { GemmNT(sh.batch, sh.in, sh.out, y, sh.out, w, sh.out, dx, sh.in, false, scratch) })
		run("TN_XtdY", func() { GemmTN(sh.in, sh.out, sh.batch, x, sh.in, y, sh.out, dw, sh.out, false) })
	}
}

func BenchmarkElementwise(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{4096, 65536} {
		x, y, dy := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		dz, m, v := make([]float32, n), make([]float32, n), make([]float32, n)
		s := AdamStep{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LR: 1e-3, Corr1: 10, Corr2: 1000}
		cases := []struct {
			name string
			f    func()
		}{
			{"Tanh", func() { copy(dz, x); Tanh(dz) }},
			{"TanhGrad", func() { TanhGrad(dz, y, dy) }},
			{"Exp", func() { copy(dz, x); Exp(dz) }},
			{"ReLU", func() { copy(dz, x); ReLU(dz) }},
			{"ReLUGrad", func() { ReLUGrad(dz, y, dy) }},
			{"ColSum64", func() { ColSum(m[:64], y, 64, n/64, 64) }},
			{"Adam", func() { Adam(s, x, dy, m, v) }},
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("%s/n%d", c.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c.f()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}

// BenchmarkGemmCold is the dense part of a 5-member, 256-hidden ensemble's
// prediction on a 64-molecule batch as prediction runs it, with the weights
// out of cache: between batches other work (parsing) evicts them, here a
// write over 8 MB. It times the first layer's descriptor block
// (64×114 · 114×1280, row stride 5 KB) and the five 64×256 · 256×256 hidden
// layers.
func BenchmarkGemmCold(b *testing.B) {
	const batch, desc, hidden, members = 64, 114, 256, 5
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()
		}
		return s
	}
	x, w0 := fill(batch*desc), fill(desc*hidden*members)
	h := fill(batch * hidden * members)
	tails := make([][]float32, members)
	for k := range tails {
		tails[k] = fill(hidden * hidden)
	}
	out := make([]float32, batch*hidden)
	benchCold(b, batch, func() {
		GemmNN(batch, hidden*members, desc, x, desc, w0, hidden*members, h, hidden*members, false)
		for k := range tails {
			GemmNN(batch, hidden, hidden, h[k*hidden:], hidden*members, tails[k], hidden, out, hidden, false)
		}
	})
}

// benchCold times run b.N times with the caches evicted before each (a
// write over 8 MB, standing for the other work between two batches in
// prediction) and reports the time per molecule of its batch.
func benchCold(b *testing.B, batch int, run func()) {
	evict := make([]byte, 8<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for i := 0; i < len(evict); i += 64 {
			evict[i]++
		}
		b.StartTimer()
		run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/molecule")
}
