package response

import (
	"bytes"
	"context"
	"errors"
	"strings"
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

// storedBytes sums the raw bytes under prefix.
func storedBytes(t *testing.T, db *store.DB, prefix string) (keys int, size int) {
	t.Helper()
	err := db.View(context.Background(), func(tx *store.Txn) error {
		return tx.Scan([]byte(prefix), nil, func(r store.Record) error {
			p, err := r.Raw()
			keys, size = keys+1, size+len(p)
			return err
		})
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
// may hold (about 4.8 MB here) — the single-record layout failed with
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
			n, size := storedBytes(t, db, "mdl/c/")
			if size < tc.atLeast || n < 1 {
				t.Fatalf("%d bytes in %d chunks, want at least %d bytes", size, n, tc.atLeast)
			}
			t.Logf("%d bytes in %d chunks", size, n)
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

// TestSaveReplaces saves a model over one in the layout before chunking and
// over a chunked one: each save leaves only its own generation's chunks and
// no single-record member keys, and the newest model is the one served.
func TestSaveReplaces(t *testing.T) {
	ctx := context.Background()
	a, b := tinyModel(t, 1), tinyModel(t, 2)
	b.rec.ID = a.rec.ID // two versions of one model
	s, r, db := openService(t, t.TempDir())
	defer db.Close()
	defer r.Shutdown(ctx)
	writeOldLayout(t, db, a)
	old, err := s.Model(ctx, a.rec.ID)
	if err != nil {
		t.Fatalf("model in the old layout: %v", err)
	}
	samePredictions(t, a, old)
	steps := []struct {
		m    *Model
		want *Model
	}{{b, b}, {a, a}, {b, b}}
	for i, st := range steps {
		if err := s.Save(ctx, st.m); err != nil {
			t.Fatal(err)
		}
		if n, _ := storedBytes(t, db, "mdl/w/"); n != 0 {
			t.Errorf("step %d: %d member records of the old layout left", i, n)
		}
		gens := generations(t, db)
		if len(gens) != 1 {
			t.Errorf("step %d: chunk generations %v, want one", i, gens)
		}
		s2, err := New(Config{DB: db, Jobs: r2(t, db)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s2.Model(ctx, a.rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		samePredictions(t, st.want, got)
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

// writeOldLayout stores m as saves did before chunking: the whole record at
// mdl/m/<id> and one raw record per member, in one transaction.
func writeOldLayout(t *testing.T, db *store.DB, m *Model) {
	t.Helper()
	err := db.Update(context.Background(), func(tx *store.Txn) error {
		if err := tx.Put(modelKey(m.rec.ID), m.rec); err != nil {
			return err
		}
		for k, mem := range m.members {
			b, err := mem.MarshalBinary()
			if err != nil {
				return err
			}
			if err := tx.PutRaw(weightKey(m.rec.ID, k), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// generations lists the distinct <id>/<gen> prefixes under mdl/c/.
func generations(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	err := db.View(context.Background(), func(tx *store.Txn) error {
		return tx.ScanKeys([]byte("mdl/c/"), func(k []byte) error {
			parts := strings.Split(string(k), "/")
			g := parts[2] + "/" + parts[3]
			if len(out) == 0 || out[len(out)-1] != g {
				out = append(out, g)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnfinishedSave leaves what a save killed before its flip, or stopped
// by its context, would leave: the stored model stays the old one, and the
// orphan chunks are gone after the next start (or at once when the save
// itself fails).
func TestUnfinishedSave(t *testing.T) {
	ctx := context.Background()
	a := tinyModel(t, 1)
	big := widen(t, a, 4096)
	cases := []struct {
		name string
		run  func(s *Service) error
	}{
		{"killed after staging", func(s *Service) error {
			p, man, err := encodeModel(big)
			if err != nil {
				return err
			}
			man.Gen = 999
			return s.stage(ctx, big.rec.ID, man, p) // no flip: as if killed here
		}},
		{"context canceled while staging", func(s *Service) error {
			cctx := &cancelAfter{Context: ctx}
			cctx.left.Store(3) // the generation number and two staging transactions
			if err := s.Save(cctx, big); !errors.Is(err, context.Canceled) {
				t.Errorf("Save canceled while staging: %v", err)
			}
			if g := generations(t, s.db); len(g) != 1 {
				t.Errorf("chunk generations %v after the failed save, want only the stored model's", g)
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
			before := generations(t, db)
			if err := tc.run(s); err != nil {
				t.Fatal(err)
			}
			r.Shutdown(ctx)
			db.Close()
			s2, r2, db2 := openService(t, dir)
			defer db2.Close()
			defer r2.Shutdown(ctx)
			if after := generations(t, db2); len(after) != 1 || after[0] != before[0] {
				t.Errorf("chunk generations after restart %v, want %v", after, before)
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
// of Err: Update checks Err once per transaction.
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

// TestCorruptChunk changes one stored byte: the model is refused with a
// clear error instead of predicting from damaged weights.
func TestCorruptChunk(t *testing.T) {
	ctx := context.Background()
	a := tinyModel(t, 1)
	s, r, db := openService(t, t.TempDir())
	defer db.Close()
	defer r.Shutdown(ctx)
	if err := s.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx *store.Txn) error {
		var key, val []byte
		if err := tx.Scan([]byte("mdl/c/"), nil, func(r store.Record) error {
			p, err := r.Raw()
			key, val = bytes.Clone(r.Key), bytes.Clone(p)
			if err == nil {
				err = store.ErrStop
			}
			return err
		}); err != nil {
			return err
		}
		val[len(val)/2] ^= 1
		return tx.PutRaw(key, val)
	})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(Config{DB: db, Jobs: r2(t, db)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Model(ctx, a.rec.ID); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("corrupt model: %v", err)
	}
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
	_, size := storedBytes(t, db, "mdl/c/"+ms[0].rec.ID+"/")
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
