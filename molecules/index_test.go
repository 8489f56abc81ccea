package molecules

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

func randomFP(r *rand.Rand, nBits int, density float64) Fingerprint {
	fp := NewFingerprint(nBits)
	for i := 0; i < nBits; i++ {
		if r.Float64() < density {
			fp.Set(i)
		}
	}
	return fp
}

func bruteForce(fps []Fingerprint, ids []string, q Fingerprint, minSim float64, k int) []Hit {
	type s struct {
		sim float64
		seq int
	}
	var all []s
	for i, fp := range fps {
		if t := Tanimoto(q, fp); t >= minSim {
			all = append(all, s{t, i})
		}
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].sim != all[b].sim {
			return all[a].sim > all[b].sim
		}
		return all[a].seq < all[b].seq
	})
	if k > 0 && len(all) > k {
		all = all[:k]
	}
	out := make([]Hit, len(all))
	for i, x := range all {
		out[i] = Hit{ids[x.seq], x.sim}
	}
	return out
}

// TestIndexMatchesBruteForce proves the pruned search returns exactly the
// brute-force hits, for thresholds and k-NN, on random and real fingerprints.
func TestIndexMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const nBits = 256
	idx, err := NewIndex(nBits)
	if err != nil {
		t.Fatal(err)
	}
	var fps []Fingerprint
	var ids []string
	for i := 0; i < 3000; i++ {
		fp := randomFP(r, nBits, 0.02+0.2*r.Float64())
		if i%10 == 0 && i > 0 {
			fp = fps[r.Intn(len(fps))] // duplicates create ties
		}
		id := fmt.Sprintf("m%d", i)
		fps = append(fps, fp)
		ids = append(ids, id)
		if err := idx.Add(id, fp); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		minSim float64
		k      int
	}{{0, 10}, {0.3, 0}, {0.5, 5}, {0.7, 0}, {0.9, 3}, {0, 0}, {1, 0}}
	for qi := 0; qi < 25; qi++ {
		q := randomFP(r, nBits, 0.02+0.2*r.Float64())
		if qi%3 == 0 {
			q = fps[r.Intn(len(fps))]
		}
		for _, c := range cases {
			got, err := idx.Search(context.Background(), q, c.minSim, c.k)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(fps, ids, q, c.minSim, c.k)
			if len(got) != len(want) {
				t.Fatalf("q%d minSim=%v k=%d: %d hits, brute force %d", qi, c.minSim, c.k, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("q%d minSim=%v k=%d hit %d: got %+v want %+v", qi, c.minSim, c.k, i, got[i], want[i])
				}
			}
		}
	}
}

func TestIndexErrors(t *testing.T) {
	if _, err := NewIndex(0); !errors.Is(err, errs.Invalid) {
		t.Errorf("NewIndex(0) err = %v", err)
	}
	idx, _ := NewIndex(64)
	if err := idx.Add("x", NewFingerprint(128)); !errors.Is(err, errs.Invalid) {
		t.Errorf("size mismatch err = %v", err)
	}
	if _, err := idx.Search(context.Background(), NewFingerprint(64), 1.5, 1); !errors.Is(err, errs.Invalid) {
		t.Errorf("minSim err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = idx.Add("a", NewFingerprint(64))
	if _, err := idx.Search(ctx, NewFingerprint(64), 0, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled search err = %v", err)
	}
}

func ExampleIndex_Search() {
	idx, _ := NewIndex(2048)
	for _, s := range []struct{ id, smi string }{
		{"aspirin", "CC(=O)Oc1ccccc1C(=O)O"},
		{"salicylic", "OC(=O)c1ccccc1O"},
		{"benzene", "c1ccccc1"},
	} {
		m, _ := Parse(s.smi)
		_ = idx.Add(s.id, Morgan(m, 2, 2048))
	}
	q, _ := Parse("CC(=O)Oc1ccccc1C(=O)O")
	hits, _ := idx.Search(context.Background(), Morgan(q, 2, 2048), 0.2, 2)
	for _, h := range hits {
		fmt.Printf("%s %.3f\n", h.ID, h.Similarity)
	}
	// Output:
	// aspirin 1.000
	// salicylic 0.448
}

// TestIndexBytes checks the memory estimate the index cache budgets by: it
// covers at least the fingerprint words and ids, and grows with each add.
func TestIndexBytes(t *testing.T) {
	for _, nBits := range FingerprintSizes() {
		x, err := NewIndex(nBits)
		if err != nil {
			t.Fatal(err)
		}
		prev := x.Bytes()
		for i, s := range []string{"CCO", "c1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC"} {
			m, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := x.Add(fmt.Sprintf("M%d", i), Morgan(m, 2, nBits)); err != nil {
				t.Fatal(err)
			}
			b := x.Bytes()
			if b <= prev || b < int64((i+1)*nBits/8) {
				t.Errorf("nBits %d: %d bytes after %d adds (before %d)", nBits, b, i+1, prev)
			}
			prev = b
		}
	}
}
