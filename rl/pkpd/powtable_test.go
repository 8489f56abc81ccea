package pkpd

import (
	"math"
	"testing"
)

func TestPowTable(t *testing.T) {
	for _, g := range []float64{0.424, 0.163, 1} {
		pt := newPowTable(g)
		rng := NewRNG(3)
		worst := 0.0
		for range 200000 {
			x := math.Exp(60*rng.Float() - 40)
			got, want := pt.pow(x), math.Pow(x, g)
			if rel := math.Abs(got-want) / want; rel > worst {
				worst = rel
			}
		}
		if worst > 5e-8 {
			t.Errorf("γ=%g: worst relative error %.3g > 5e-8", g, worst)
		}
		if pt.pow(0) != 0 || pt.pow(-1) != 0 || pt.pow(math.NaN()) != 0 {
			t.Errorf("γ=%g: non-positive input not mapped to 0", g)
		}
		if got, want := pt.pow(1e-310), math.Pow(1e-310, g); math.Abs(got-want) > 1e-9*want {
			t.Errorf("γ=%g: subnormal %g want %g", g, got, want)
		}
	}
}

func BenchmarkPow(b *testing.B) {
	pt := newPowTable(0.424)
	b.Run("table", func(b *testing.B) {
		s := 0.0
		for i := 0; i < b.N; i++ {
			s += pt.pow(0.1 + float64(i&1023)*0.001)
		}
		_ = s
	})
	b.Run("ExpLog", func(b *testing.B) {
		s := 0.0
		for i := 0; i < b.N; i++ {
			s += math.Exp(0.424 * math.Log(0.1+float64(i&1023)*0.001))
		}
		_ = s
	})
}
