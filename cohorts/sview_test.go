package cohorts

import (
	"math/rand/v2"
	"testing"
)

// TestSortedViewRanges checks range queries across prefix, bucket and
// loose-entry boundaries against a brute-force scan.
func TestSortedViewRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 3*coarseSize + 777
	if testing.Short() {
		n = coarseSize + 333
	}
	keys := make([]float64, n)
	pids := make([]uint32, n)
	for i := range keys {
		keys[i] = float64(r.IntN(5000)) / 10
		pids[i] = uint32(i*3 + r.IntN(3))
	}
	v := newView(keys, pids)
	for q := 0; q < 60; q++ {
		lo, hi := float64(r.IntN(5200))/10-10, float64(r.IntN(5200))/10-10
		if lo > hi {
			lo, hi = hi, lo
		}
		ls, hs := r.IntN(2) == 0, r.IntN(2) == 0
		var lp, hp *float64
		if q%7 != 0 {
			lp = &lo
		}
		if q%5 != 0 {
			hp = &hi
		}
		got := v.interval(lp, ls, hp, hs)
		want := 0
		for i, k := range keys {
			if inBounds(k, lp, ls, hp, hs) {
				want++
				if !got.Contains(pids[i]) {
					t.Fatalf("query %d: missing entry %d (key %g)", q, i, k)
				}
			}
		}
		if int(got.GetCardinality()) != want {
			t.Fatalf("query %d [%v %v]: got %d want %d", q, lo, hi, got.GetCardinality(), want)
		}
	}
}
