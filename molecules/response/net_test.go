package response

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDropCounts checks the inverted dropout of training rows: only the
// chosen columns change, zeros stay zero, kept values are scaled by
// 1/(1−p), and the dropped fraction is p.
func TestDropCounts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi int
		p      float64
	}{
		{"counts, p 0.5", 0, 6, 0.5},
		{"counts, p 0.2", 0, 6, 0.2},
		{"descriptors, p 0.25", 6, 8, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n, width = 4000, 8
			x := make([]float32, n*width)
			for i := range x {
				if i%width != 3 { // column 3 is an absent bit
					x[i] = float32(i%width + 1)
				}
			}
			orig := append([]float32(nil), x...)
			dropCounts(x, n, width, tc.lo, tc.hi, tc.p, rand.New(rand.NewPCG(1, 2)))
			keep := float32(1 / (1 - tc.p))
			dropped, eligible := 0, 0
			for i, v := range x {
				c := i % width
				switch {
				case c < tc.lo || c >= tc.hi || orig[i] == 0:
					if v != orig[i] {
						t.Fatalf("element %d (column %d) changed %v → %v", i, c, orig[i], v)
					}
				case v == 0:
					dropped++
					eligible++
				default:
					eligible++
					if math.Abs(float64(v-orig[i]*keep)) > 1e-5 {
						t.Fatalf("kept element %d = %v, want %v·%v", i, v, orig[i], keep)
					}
				}
			}
			frac := float64(dropped) / float64(eligible)
			if math.Abs(frac-tc.p) > 0.02 {
				t.Errorf("dropped %.3f of %d eligible values, want %.2f", frac, eligible, tc.p)
			}
		})
	}
}
