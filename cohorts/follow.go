package cohorts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/rxlab/rxlab/store"
)

// Following a shared store.
//
// On the SQL backend several API nodes share one database, and each keeps
// its own in-memory index. Follow keeps this node's index in step with the
// writes of the others through the store's change feed: every change from
// another origin that touched idx/ is applied to a private copy of the
// index (rows idx/r/, bitmaps idx/b/ read back from the store; saved
// cohorts and trials idx/coh/, idx/trial/ reloaded), which is then
// published like a local import. A change too large to list its keys (an
// import of tens of thousands of patients), or a position the feed no
// longer holds, reloads the whole index from one snapshot instead. Writes
// on this node first catch up (beforeWrite) and guard their stage, so a
// commit fails with CONFLICT rather than overwrite an index another node
// changed in between.

// followState is the change-feed position the published index reflects.
// It changes under s.imu.
type followState struct {
	seq atomic.Uint64
}

// mark records the feed position of the snapshot the index is loaded from.
func (f *followState) mark(tx *store.Txn) error {
	seq, err := tx.FeedSeq()
	if err != nil {
		return err
	}
	f.seq.Store(seq)
	return nil
}

// followPage is how many changes one read of the feed takes.
const followPage = 32

// Follow applies other nodes' writes to this node's index until ctx ends
// or the store is closed; it returns nil at once on a store that is not
// shared (Badger). A failed pass is logged and retried after a second.
func (s *Service) Follow(ctx context.Context, log *slog.Logger) error {
	if !s.db.Shared() {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for {
		if _, err := s.db.WaitChanges(ctx, s.follow.seq.Load()); err != nil {
			if ctx.Err() != nil || errors.Is(err, store.ErrClosed) {
				return nil
			}
			log.Warn("cohorts: waiting for the change feed", "err", err)
		} else {
			s.imu.Lock()
			err = s.catchUpLocked(ctx)
			s.imu.Unlock()
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("cohorts: following the shared store", "err", err)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return nil
		}
	}
}

// CatchUp applies every write other nodes committed so far; after it
// returns, this node's counts include them.
func (s *Service) CatchUp(ctx context.Context) error {
	s.imu.Lock()
	defer s.imu.Unlock()
	return s.catchUpLocked(ctx)
}

// beforeWrite brings the index up to date before a local write and guards
// the write's stage against index writes of other nodes. The caller holds
// s.imu.
func (s *Service) beforeWrite(ctx context.Context, st *store.Stage) error {
	if !s.db.Shared() {
		return nil
	}
	if err := s.catchUpLocked(ctx); err != nil {
		return err
	}
	st.Guard(s.follow.seq.Load(), "idx/r/", "idx/b/", "idx/meta")
	return nil
}

// catchUpLocked reads the feed to its head and applies it. The caller
// holds s.imu.
func (s *Service) catchUpLocked(ctx context.Context) error {
	if !s.db.Shared() {
		return nil
	}
	for {
		seq := s.follow.seq.Load()
		chs, err := s.db.Changes(ctx, seq, followPage)
		if errors.Is(err, store.ErrFeedGap) {
			return s.reloadLocked(ctx)
		}
		if err != nil {
			return err
		}
		if len(chs) == 0 {
			return nil
		}
		keys := map[string]bool{}
		for _, c := range chs {
			if c.Origin == s.db.Origin() || !c.Touches("idx/") {
				continue
			}
			if c.Truncated {
				return s.reloadLocked(ctx)
			}
			for _, k := range c.Keys {
				if strings.HasPrefix(string(k), "idx/") {
					keys[string(k)] = true
				}
			}
		}
		if err := s.applyKeys(ctx, keys); errors.Is(err, errRowGap) {
			return s.reloadLocked(ctx)
		} else if err != nil {
			return err
		}
		s.follow.seq.Store(chs[len(chs)-1].Seq)
	}
}

// reloadLocked loads the whole index and catalog from one snapshot.
// errRowGap: a followed row lies beyond the index by more than the batch
// of keys being applied; the index is reloaded instead.
var errRowGap = errors.New("cohorts: a followed row lies beyond the index")

func (s *Service) reloadLocked(ctx context.Context) error {
	ix := newIndex()
	var seq uint64
	err := s.db.View(ctx, func(tx *store.Txn) error {
		var err error
		if seq, err = tx.FeedSeq(); err != nil {
			return err
		}
		if err := loadIndex(tx, ix); err != nil {
			return err
		}
		return s.reloadCatalog(tx)
	})
	if err != nil {
		return fmt.Errorf("cohorts: reload the shared index: %w", err)
	}
	s.publish(ix)
	s.follow.seq.Store(seq)
	return nil
}

// reloadCatalog replaces the saved cohorts and trials with the snapshot's.
func (s *Service) reloadCatalog(tx *store.Txn) error {
	cohorts, trials := map[string]*SavedCohort{}, map[string]*Trial{}
	err := tx.Scan([]byte("idx/coh/"), nil, func(r store.Record) error {
		var c SavedCohort
		if err := r.Decode(&c); err != nil {
			return err
		}
		cohorts[c.ID] = &c
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Scan([]byte("idx/trial/"), nil, func(r store.Record) error {
		var t Trial
		if err := r.Decode(&t); err != nil {
			return err
		}
		if t.Version == 0 {
			t.Version = 1
		}
		trials[t.ID] = &t
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cohorts, s.trials = cohorts, trials
	clear(s.counts)
	s.mu.Unlock()
	return nil
}

// applyKeys reads the listed index keys from the store and applies them to
// a private copy of the index, then publishes it.
func (s *Service) applyKeys(ctx context.Context, keys map[string]bool) error {
	if len(keys) == 0 {
		return nil
	}
	ix := s.begin()
	catalog := false
	// In key order: new rows (idx/r/%08x) come in ascending number, so
	// each lands at the index's end and none waits as a placeholder
	// without its patient id.
	err := s.db.View(ctx, func(tx *store.Txn) error {
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			switch {
			case strings.HasPrefix(k, "idx/r/"):
				err = applyRow(tx, ix, k, len(keys))
			case strings.HasPrefix(k, "idx/b/"):
				err = applyBitmap(tx, ix, k)
			case strings.HasPrefix(k, "idx/coh/"), strings.HasPrefix(k, "idx/trial/"):
				catalog = true
			}
			if err != nil {
				return err
			}
		}
		if catalog {
			return s.reloadCatalog(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cohorts: apply another node's write: %w", err)
	}
	s.publish(ix)
	return nil
}

// applyRow sets one patient's columns from its stored row.
func applyRow(tx *store.Txn, ix *index, key string, batch int) error {
	p64, err := strconv.ParseUint(key[len("idx/r/"):], 16, 32)
	if err != nil {
		return fmt.Errorf("cohorts: bad row key")
	}
	p := uint32(p64)
	// Rows are numbered densely: the rows between the index's end and p
	// are in this batch, so a larger gap means the feed and the index
	// disagree; reload rather than hold placeholders up to p.
	if n := uint32(len(ix.ids)); p > n && uint64(p-n) > uint64(batch) {
		return errRowGap
	}
	raw, err := tx.GetRaw([]byte(key))
	if errors.Is(err, store.ErrNotFound) {
		return nil // a row is never deleted but by a rebuild, which reloads
	}
	if err != nil {
		return err
	}
	f, err := decodeRow(raw)
	if err != nil {
		return err
	}
	for uint32(len(ix.ids)) < p {
		ix.pid(fmt.Sprintf("\x00missing-%d", len(ix.ids)), true)
	}
	if uint32(len(ix.ids)) == p {
		ix.pid(f.id, true)
	} else {
		clearColumns(ix, p)
	}
	ix.wbirth()
	ix.birth[p] = f.birth
	if ix.birthStale != nil {
		ix.birthStale.Add(p)
	}
	ix.setColumns(p, f, true)
	ix.bandCache = nil
	return nil
}

// clearColumns removes patient p's lab values and code dates, which its
// new row replaces.
func clearColumns(ix *index, p uint32) {
	for col, c := range ix.labs {
		if c.has != nil && c.has.Contains(p) {
			w := ix.wlab(col)
			w.val[p], w.day[p] = math.NaN(), noDay
			w.has.Remove(p)
			w.stale.Add(p)
		}
	}
	for k, m := range ix.dates {
		if _, ok := m[p]; ok {
			delete(ix.wdates(k), p)
		}
	}
}

// applyBitmap replaces one bitmap with the stored one (or drops it).
func applyBitmap(tx *store.Txn, ix *index, key string) error {
	raw, err := tx.GetRaw([]byte(key))
	name := key[len("idx/b/"):]
	if errors.Is(err, store.ErrNotFound) {
		delete(ix.bm, name)
		return nil
	}
	if err != nil {
		return err
	}
	b := roaring.New()
	if _, err := b.FromBuffer(raw); err != nil {
		return fmt.Errorf("cohorts: bitmap %q: %w", name, err)
	}
	ix.bm[name] = b.Clone() // FromBuffer aliases the buffer
	if ix.own != nil {
		ix.own.bm[name] = true
	}
	return nil
}
