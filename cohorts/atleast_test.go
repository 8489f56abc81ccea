package cohorts

import (
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// randomBitmaps returns k bitmaps over patients [0, n) with densities from
// very sparse (array containers, the counter's bit-by-bit path) to dense
// (bitmap and run containers, the word-by-word path).
func randomBitmaps(r *rand.Rand, n, k int) []*roaring.Bitmap {
	out := make([]*roaring.Bitmap, k)
	for i := range out {
		b := roaring.New()
		switch r.IntN(4) {
		case 0: // sparse
			for range r.IntN(20) {
				b.Add(uint32(r.IntN(n)))
			}
		case 1: // a run
			lo := r.IntN(n)
			b.AddRange(uint64(lo), uint64(min(n, lo+r.IntN(n/2+1))))
		default: // random density
			p := r.Float64()
			for x := range n {
				if r.Float64() < p {
					b.Add(uint32(x))
				}
			}
		}
		if r.IntN(3) == 0 {
			b.RunOptimize()
		}
		out[i] = b
	}
	return out
}

// TestCounterMatchesLadder compares the bit-sliced counter with the
// ladder (the previous definition) and with a per-patient count, for
// every n, on random bitmaps, including patient numbers past 65,536.
func TestCounterMatchesLadder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct{ n, k int }{{100, 1}, {1000, 3}, {5000, 17}, {70000, 9}, {3000, 64}, {130, 200}}
	for _, tc := range cases {
		bs := randomBitmaps(r, tc.n, tc.k)
		all := roaring.New()
		all.AddRange(0, uint64(tc.n))
		count := make([]int, tc.n)
		for _, b := range bs {
			b.Iterate(func(x uint32) bool { count[x]++; return true })
		}
		next := func(i int) (*roaring.Bitmap, error) { return bs[i], nil }
		for n := 1; n <= tc.k; n++ {
			got, err := countAtLeast(tc.n, n, tc.k, next)
			if err != nil {
				t.Fatal(err)
			}
			want := roaring.New()
			for p, c := range count {
				if c >= n {
					want.Add(uint32(p))
				}
			}
			if !got.Equals(want) {
				t.Fatalf("patients %d, k %d, n %d: counter %d patients, want %d", tc.n, tc.k, n, got.GetCardinality(), want.GetCardinality())
			}
			if tc.k <= 64 {
				old, _ := ladder(all, n, tc.k, next)
				if !old.Equals(want) {
					t.Fatalf("ladder disagrees at k %d n %d", tc.k, n)
				}
			}
		}
	}
}

// TestLargeAtLeastMatchesLoop checks atLeast nodes big enough for the
// counter (n·k > ladderMax), nested in random trees, against the
// record-by-record evaluation.
func TestLargeAtLeastMatchesLoop(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	n := 1200
	if testing.Short() {
		n = 500
	}
	if err := s.Seed(bg, n, 9); err != nil {
		t.Fatal(err)
	}
	pool := leafPool()
	r := rand.New(rand.NewPCG(7, 8))
	var trees []Criteria
	for range 40 {
		k := 8 + r.IntN(40)
		of := make([]Criteria, k)
		for i := range of {
			if r.IntN(4) == 0 {
				of[i] = randomTree(r, pool, 2)
			} else {
				of[i] = pool[r.IntN(len(pool))]
			}
		}
		node := Criteria{AtLeast: &AtLeast{N: r.IntN(k + 1), Of: of}}
		switch r.IntN(3) {
		case 0:
			trees = append(trees, node)
		case 1:
			trees = append(trees, Criteria{Not: &node})
		default:
			trees = append(trees, Criteria{All: []Criteria{node, randomTree(r, pool, 2)}})
		}
	}
	compareWithLoop(t, s, trees)
}
