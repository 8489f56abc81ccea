package response

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// tinyModel trains a two-member MLP model on 80 ESOL molecules (about a
// second): a valid record to build synthetic models around.
func tinyModel(t *testing.T, seed uint64) *Model {
	t.Helper()
	in := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: seed, Ensemble: 2, Epochs: 2, MaxRows: 80, Arch: ArchMLP}
	m, err := Train(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// widen returns m with its MLP members replaced by fresh members of one
// hidden layer of the given width: the same inputs and outputs, so the
// model predicts, but hidden·(inputs+outputs) weights per member, each
// stored with its two Adam moments (12 bytes a weight).
func widen(t *testing.T, m *Model, hidden int) *Model {
	t.Helper()
	cfg := m.members[0].Config()
	var members []*nn.MLP
	for k := range m.members {
		mem, err := nn.New(nn.Config{Sizes: []int{cfg.Sizes[0], hidden, cfg.Sizes[len(cfg.Sizes)-1]},
			Activations: []nn.Activation{nn.ReLU, nn.Identity}, Seed: uint64(k + 1)})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, mem)
	}
	w, err := newModel(m.rec, members, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// storedBytes sums the raw values of the keys under prefix (as GetRaw
// returns them: chunked values whole).
func storedBytes(t *testing.T, db *store.DB, prefix string) (keys int, size int) {
	t.Helper()
	err := db.View(context.Background(), func(tx *store.Txn) error {
		var list [][]byte
		if err := tx.ScanKeys([]byte(prefix), func(k []byte) error {
			list = append(list, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range list {
			p, err := tx.GetRaw(k)
			if err != nil {
				return err
			}
			keys, size = keys+1, size+len(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, size
}

func samePredictions(t *testing.T, a, b *Model) {
	t.Helper()
	ctx := context.Background()
	smiles := []string{"CCO", "c1ccccc1Cl", "OCC(O)CO", "not a smiles"}
	pa, err := a.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range smiles {
		if pa[i].Error != pb[i].Error || (pa[i].Value != nil) != (pb[i].Value != nil) ||
			(pa[i].Value != nil && *pa[i].Value != *pb[i].Value) {
			t.Errorf("%s: %+v before the store, %+v after", smiles[i], pa[i], pb[i])
		}
	}
}

// TestSaveLargeModel saves models far larger than one Badger transaction
// may hold (about 4.8 MB here) — in one transaction the save failed with
// "transaction too big" — reopens the store and predicts the same.
func TestSaveLargeModel(t *testing.T) {
	base := tinyModel(t, 1)
	cases := []struct {
		name    string
		hidden  int
		atLeast int // stored bytes
	}{
		{"small", 0, 0},
		{"over 16 MB", 4096, 16 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m := base
			if tc.hidden > 0 {
				m = widen(t, base, tc.hidden)
			}
			dir := t.TempDir()
			s, r, db := openService(t, dir)
			if err := s.Save(ctx, m); err != nil {
				t.Fatal(err)
			}
			n, size := storedBytes(t, db, "mdl/w/")
			if size < tc.atLeast || n != len(m.members) {
				t.Fatalf("%d bytes in %d members, want at least %d bytes", size, n, tc.atLeast)
			}
			t.Logf("%d bytes in %d members", size, n)
			r.Shutdown(ctx)
			db.Close()
			s2, r2, db2 := openService(t, dir)
			defer db2.Close()
			defer r2.Shutdown(ctx)
			loaded, err := s2.Model(ctx, m.Info().ID)
			if err != nil {
				t.Fatal(err)
			}
			samePredictions(t, m, loaded)
			list, err := s2.Models(ctx)
			if err != nil || len(list) != 1 || list[0].ID != m.Info().ID || list[0].Metrics["rmse"] != m.Info().Metrics["rmse"] {
				t.Fatalf("Models() = %+v, %v", list, err)
			}
		})
	}
}

// TestSaveReplaces saves versions of one model over each other, with two
// members and with one: each save leaves exactly its own members stored
// (a smaller ensemble removes the extra member) and is the one served.
func TestSaveReplaces(t *testing.T) {
	ctx := context.Background()
	a, b := tinyModel(t, 1), tinyModel(t, 2)
	rec := b.rec
	rec.ID, rec.Ensemble = a.rec.ID, 1
	one, err := newModel(rec, b.members[:1], nil)
	if err != nil {
		t.Fatal(err)
	}
	s, r, db := openService(t, t.TempDir())
	defer db.Close()
	defer r.Shutdown(ctx)
	for i, m := range []*Model{a, one, a, one} {
		if err := s.Save(ctx, m); err != nil {
			t.Fatal(err)
		}
		if n, _ := storedBytes(t, db, "mdl/w/"+a.rec.ID+"/"); n != len(m.members) {
			t.Errorf("step %d: %d members stored, want %d", i, n, len(m.members))
		}
		s2, err := New(Config{DB: db, Jobs: r2(t, db)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s2.Model(ctx, a.rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		samePredictions(t, m, got)
	}
}

// r2 is a second job runner over db, for a second Service.
func r2(t *testing.T, db *store.DB) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

// stageKeys counts the store's staging keys (stg/): what unfinished stages
// leave behind.
func stageKeys(t *testing.T, db *store.DB) int {
	t.Helper()
	n := 0
	err := db.View(context.Background(), func(tx *store.Txn) error {
		return tx.ScanKeys([]byte("stg/"), func([]byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUnfinishedSave replaces a stored model by a large one and stops the
// save before its commit — killed after staging every member, or canceled
// while staging: the stored model stays the one served, and nothing of the
// unfinished save remains after the next start (or at once, when the save
// itself saw the cancellation).
func TestUnfinishedSave(t *testing.T) {
	ctx := context.Background()
	a := tinyModel(t, 1)
	big := widen(t, a, 4096)
	cases := []struct {
		name string
		run  func(t *testing.T, s *Service) error
	}{
		{"killed after staging", func(t *testing.T, s *Service) error {
			st, err := s.db.BeginStage(ctx, "response model")
			if err != nil {
				return err
			}
			blobs := [][]byte{}
			for _, m := range big.members {
				b, _ := m.MarshalBinary()
				blobs = append(blobs, b)
			}
			return stageModel(ctx, st, big.rec, blobs, nil) // no Commit: as if killed here
		}},
		{"context canceled while staging", func(t *testing.T, s *Service) error {
			cctx := &cancelAfter{Context: ctx}
			cctx.left.Store(2) // BeginStage and the first member
			if err := s.Save(cctx, big); !errors.Is(err, context.Canceled) {
				t.Errorf("Save canceled while staging: %v", err)
			}
			if n := stageKeys(t, s.db); n != 0 {
				t.Errorf("%d staging keys left by the canceled save", n)
			}
			return nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, r, db := openService(t, dir)
			if err := s.Save(ctx, a); err != nil {
				t.Fatal(err)
			}
			if err := tc.run(t, s); err != nil {
				t.Fatal(err)
			}
			r.Shutdown(ctx)
			db.Close()
			s2, r2, db2 := openService(t, dir)
			defer db2.Close()
			defer r2.Shutdown(ctx)
			if n := stageKeys(t, db2); n != 0 {
				t.Errorf("%d staging keys after the restart", n)
			}
			got, err := s2.Model(ctx, a.rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			samePredictions(t, a, got)
		})
	}
}

// cancelAfter is a context that reports itself canceled after left calls
// of Err.
type cancelAfter struct {
	context.Context
	left atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestModelCacheBudget loads three models into a cache with room for two:
// the least recently used is evicted, the cache stays within its budget,
// and an evicted model loads again from the store.
func TestModelCacheBudget(t *testing.T) {
	ctx := context.Background()
	var ms []*Model
	for seed := uint64(1); seed <= 3; seed++ {
		ms = append(ms, tinyModel(t, seed))
	}
	dir := t.TempDir()
	s, r, db := openService(t, dir)
	for _, m := range ms {
		if err := s.Save(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	_, size := storedBytes(t, db, "mdl/w/"+ms[0].rec.ID+"/")
	r.Shutdown(ctx)
	db.Close()
	budget := modelMemory(int64(size))*2 + modelMemory(int64(size))/2 // two models, not three
	db2, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	s2, err := New(Config{DB: db2, Jobs: r2(t, db2), ModelCacheBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		load      int
		evictions uint64
		entries   int
	}{{0, 0, 1}, {1, 0, 2}, {0, 0, 2}, {2, 1, 2}, {1, 2, 2}}
	for i, st := range steps {
		got, err := s2.Model(ctx, ms[st.load].rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		samePredictions(t, ms[st.load], got)
		cs := s2.CacheStats()
		if cs.Evictions != st.evictions || cs.Entries != st.entries || cs.Bytes > cs.Budget {
			t.Errorf("step %d (model %d): %+v, want %d evictions and %d entries", i, st.load, cs, st.evictions, st.entries)
		}
	}
}
