package cohorts

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// slowLadder also runs the old ladder at n = 5,000 of 10,000 (minutes).
var slowLadder = flag.Bool("cohorts.slowladder", false, "run the O(n·k) ladder at n=5000 of 10000 too")

// atLeastIndex publishes a synthetic 100,000-patient index with 500
// tested-gene bitmaps of 30 %–70 % density (every tenth one a run).
func atLeastIndex(b *testing.B) *Service {
	{
		db := openDB(b, b.TempDir())
		b.Cleanup(func() { db.Close() })
		s, err := New(Config{DB: db, Now: fixedNow("2026-01-15")})
		if err != nil {
			b.Fatal(err)
		}
		const n = 100000
		ix := newIndex()
		for p := range n {
			ix.pid(fmt.Sprintf("P%06d", p), true)
		}
		all := roaring.New()
		all.AddRange(0, n)
		ix.bm[keyAll] = all
		r := rand.New(rand.NewPCG(1, 1))
		for g := range 500 {
			bm := roaring.New()
			if g%10 == 0 {
				lo := r.IntN(n)
				bm.AddRange(uint64(lo), uint64(min(n, lo+r.IntN(n/3))))
			} else {
				d := 0.3 + 0.4*r.Float64()
				for p := range n {
					if r.Float64() < d {
						bm.Add(uint32(p))
					}
				}
			}
			ix.bm[keyTested(fmt.Sprintf("G%d", g))] = bm
		}
		s.imu.Lock()
		s.publish(ix)
		s.imu.Unlock()
		return s
	}
}

func atLeastTree(n, k int) Criteria {
	of := make([]Criteria, k)
	for i := range of {
		g := fmt.Sprintf("G%d", (i*7)%500)
		of[i] = Criteria{TestedGene: &g}
	}
	return Criteria{AtLeast: &AtLeast{N: n, Of: of}}
}

// BenchmarkAtLeast compares the bit-sliced counter with the ladder it
// replaced on 100,000 patients:
//
//	go test ./cohorts -run '^$' -bench AtLeast -benchtime 1x -count 1
func BenchmarkAtLeast(b *testing.B) {
	s := atLeastIndex(b)
	for _, tc := range []struct{ n, k int }{{1000, 2000}, {5000, 10000}} {
		c := atLeastTree(tc.n, tc.k)
		name := fmt.Sprintf("n=%d_of_%d", tc.n, tc.k)
		b.Run(name+"/counter", func(b *testing.B) {
			var got uint64
			for b.Loop() {
				e, err := s.prepare(bg, &c, nil)
				if err != nil {
					b.Fatal(err)
				}
				res, err := e.eval(&c)
				if err != nil {
					b.Fatal(err)
				}
				got = res.GetCardinality()
			}
			b.ReportMetric(float64(got), "patients")
		})
		if tc.k > 2000 && !*slowLadder {
			continue
		}
		b.Run(name+"/ladder", func(b *testing.B) {
			var got uint64
			for b.Loop() {
				e, err := s.prepare(bg, &c, nil)
				if err != nil {
					b.Fatal(err)
				}
				res, err := ladder(e.ix.all(), tc.n, tc.k, func(i int) (*roaring.Bitmap, error) { return e.eval(&c.AtLeast.Of[i]) })
				if err != nil {
					b.Fatal(err)
				}
				got = res.GetCardinality()
			}
			b.ReportMetric(float64(got), "patients")
		})
	}
}
