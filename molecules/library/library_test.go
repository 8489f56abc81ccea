package library

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store"
)

func newLib(t *testing.T) (*Library, *store.DB) {
	t.Helper()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return l, db
}

func TestAddDuplicatesAndErrors(t *testing.T) {
	ctx := context.Background()
	l, db := newLib(t)
	res, err := l.Add(ctx, "test", []string{"CCO", "OCC", "c1ccccc1", "C1CC", "CC(=O)O", "c1ccccc1"}, []string{"ethanol", "ethanol again", "benzene", "broken", "acetic acid", "benzene again"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 3 || res.Rejected != 3 {
		t.Fatalf("accepted %d rejected %d (%+v), want 3 and 3", res.Accepted, res.Rejected, res.Errors)
	}
	want := map[string]string{"smiles[1]": "smiles[0]", "smiles[3]": "ring", "smiles[5]": "smiles[2]"}
	for _, e := range res.Errors {
		if !strings.Contains(strings.ToLower(e.Message), want[e.Location]) {
			t.Errorf("%s: %q, want mention of %q", e.Location, e.Message, want[e.Location])
		}
	}
	// Adding again reports duplicates of the stored molecules.
	res, _ = l.Add(ctx, "test", []string{"C(O)C"}, nil)
	if res.Accepted != 0 || !strings.Contains(res.Errors[0].Message, "stored molecule M1") {
		t.Fatalf("re-add: %+v", res)
	}
	if _, err := l.Add(ctx, "bad/name", []string{"C"}, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad library name: %v", err)
	}
	// A new Library over the same store sees the same molecules.
	l2, _ := New(Config{DB: db})
	if l2.Count() != 3 {
		t.Fatalf("reloaded %d molecules, want 3", l2.Count())
	}
	hits, err := l2.Similar(ctx, "test", "CCO", 0.99, 10, 2, 2048)
	if err != nil || len(hits) != 1 || hits[0].Name != "ethanol" || hits[0].Similarity != 1 {
		t.Fatalf("Similar(CCO) = %+v, %v", hits, err)
	}
	if _, err := l2.Similar(ctx, "nope", "CCO", 0.5, 10, 2, 2048); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown library: %v", err)
	}
	if _, err := l2.Similar(ctx, "test", "C1CC", 0.5, 10, 2, 2048); err == nil {
		t.Error("bad query SMILES accepted")
	}
}

// TestSimilarIsExact compares the pruned search with a brute-force scan over
// the seeded libraries, for the stored shape and another one.
func TestSimilarIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 5,000 molecules")
	}
	ctx := context.Background()
	l, _ := newLib(t)
	if err := l.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	libs := l.Libraries()
	if libs["gdsc"] < 200 || libs[Default] < 5000 {
		t.Fatalf("seeded %v", libs)
	}
	queries := []string{"CC(=O)Oc1ccccc1C(=O)O", "COc1cc2nccc(Oc3ccc(NC(=O)C4(C(=O)Nc5ccc(F)cc5)CC4)cc3)c2cc1OC", "c1ccc2ccccc2c1"}
	for _, shape := range [][2]int{{2, 2048}, {3, 1024}} {
		for _, q := range queries {
			hits, err := l.Similar(ctx, Default, q, 0.3, 1000, shape[0], shape[1])
			if err != nil {
				t.Fatal(err)
			}
			qm, _ := molecules.Parse(q)
			qfp := molecules.Morgan(qm, shape[0], shape[1])
			var brute []string
			for _, rec := range l.mols[Default] {
				m, _ := molecules.Parse(rec.Canonical)
				if molecules.Tanimoto(qfp, molecules.Morgan(m, shape[0], shape[1])) >= 0.3 {
					brute = append(brute, rec.ID)
				}
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.ID)
			}
			sort.Strings(got)
			sort.Strings(brute)
			if strings.Join(got, ",") != strings.Join(brute, ",") {
				t.Errorf("%v %s: search found %d, brute force %d", shape, q, len(got), len(brute))
			}
		}
	}
}
