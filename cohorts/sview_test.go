package cohorts

import (
	"math/rand/v2"
	"testing"
	"time"
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

func TestParseDayMatchesTime(t *testing.T) {
	for _, s := range []string{"1970-01-01", "2000-02-29", "1900-03-01", "0001-01-01", "2026-11-26T23:00:00Z", "1969-12-31", "1600-02-29"} {
		got, ok := parseDay(s)
		tt, err := time.Parse("2006-01-02", s[:10])
		want := int32(tt.Unix() / 86400)
		if tt.Unix() < 0 && tt.Unix()%86400 != 0 {
			want--
		}
		if !ok || err != nil || got != want || dayTime(got).Format("2006-01-02") != s[:10] {
			t.Errorf("%s: %d %v, want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"2001-02-29", "2020-13-01", "2020-00-10", "20x0-01-01", "2020-01-01X", "2020/01/01"} {
		if _, ok := parseDay(s); ok {
			t.Errorf("%s accepted", s)
		}
	}
}
