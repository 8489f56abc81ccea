package cohorts

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rxlab/rxlab/store"
)

// SavedCohort is one version of a named criteria tree. Saving under an
// existing name adds a version; older versions are kept and stay
// addressable by their id.
type SavedCohort struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Version   int      `json:"version"`
	Criteria  Criteria `json:"criteria"`
	CreatedAt string   `json:"createdAt"`
}

// loadCatalog reads saved cohorts and trials into memory.
func (s *Service) loadCatalog(ctx context.Context) error {
	return s.db.View(ctx, func(tx *store.Txn) error {
		err := tx.Scan([]byte("idx/coh/"), nil, func(r store.Record) error {
			var c SavedCohort
			if err := r.Decode(&c); err != nil {
				return err
			}
			s.cohorts[c.ID] = &c
			return nil
		})
		if err != nil {
			return fmt.Errorf("cohorts: load saved cohorts: %w", err)
		}
		err = tx.Scan([]byte("idx/trial/"), nil, func(r store.Record) error {
			var t Trial
			if err := r.Decode(&t); err != nil {
				return err
			}
			if t.Version == 0 {
				t.Version = 1 // stored before trials had versions
			}
			s.trials[t.ID] = &t
			return nil
		})
		if err != nil {
			return fmt.Errorf("cohorts: load trials: %w", err)
		}
		return nil
	})
}

// cohortLocked finds a saved cohort by id, or by name (its latest
// version). The caller holds mu.
func (s *Service) cohortLocked(ref string) (*SavedCohort, error) {
	if c, ok := s.cohorts[ref]; ok {
		return c, nil
	}
	var best *SavedCohort
	for _, c := range s.cohorts {
		if c.Name == ref && (best == nil || c.Version > best.Version) {
			best = c
		}
	}
	if best == nil {
		return nil, fmt.Errorf("cohort %q: %w", ref, store.ErrNotFound)
	}
	return best, nil
}

// SaveCohort stores criteria under name as a new version (1 for a new name).
// The tree must pass the cost check with saved cohorts expanded and
// evaluate; a tree that refers to the cohort being saved (by its name,
// directly or through other cohorts) is refused. The bitmap evaluated here
// is kept in the saved-cohort cache, so the first count reuses it.
func (s *Service) SaveCohort(ctx context.Context, name string, c Criteria) (*SavedCohort, error) {
	name = strings.TrimSpace(name)
	if err := store.CheckName("name", name); err != nil {
		return nil, err
	}
	if name == "" || len(name) > 200 {
		return nil, fmt.Errorf("name: must be 1..200 characters: %w", store.ErrInvalid)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	s.mu.RLock()
	version := 1
	for _, x := range s.cohorts {
		if x.Name == name && x.Version >= version {
			version = x.Version + 1
		}
	}
	s.mu.RUnlock()
	sc := &SavedCohort{Name: name, Version: version, Criteria: c, CreatedAt: s.now().UTC().Format("2006-01-02T15:04:05Z")}
	// Check that referenced cohorts exist, nothing refers back to this
	// one, and the tree evaluates.
	e, err := s.prepare(ctx, &c, sc)
	if err != nil {
		return nil, err
	}
	b, err := e.eval(&c)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx *store.Txn) error {
		n, err := tx.NextID("cohort")
		if err != nil {
			return err
		}
		sc.ID = fmt.Sprintf("C%d", n)
		return tx.Put(cohortKey(sc.ID), sc)
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cohorts[sc.ID] = sc
	s.mu.Unlock()
	s.cohortCache.put(cohortCacheKey{id: sc.ID, gen: e.ix.gen, day: dayOf(e.at)}, b)
	return sc, nil
}

// Cohorts lists every saved cohort version, by name then version.
func (s *Service) Cohorts(ctx context.Context) ([]*SavedCohort, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*SavedCohort, 0, len(s.cohorts))
	for _, c := range s.cohorts {
		out = append(out, c)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Name != out[b].Name {
			return out[a].Name < out[b].Name
		}
		return out[a].Version < out[b].Version
	})
	return out, nil
}

// Cohort returns one saved cohort by id, or the latest version by name.
func (s *Service) Cohort(ctx context.Context, ref string) (*SavedCohort, error) {
	return s.lookupCohort(ref, nil)
}

// CohortCount returns a saved cohort's current count. It is recomputed
// when the data changed since the last call (the index generation moved)
// or the index date changed, and cached otherwise.
//
// Like Count it evaluates one index snapshot without holding a lock, runs
// the cost check and stops when ctx ends.
func (s *Service) CohortCount(ctx context.Context, ref string, canSeeExact bool) (CohortCount, error) {
	sc, err := s.lookupCohort(ref, nil)
	if err != nil {
		return CohortCount{}, err
	}
	key := fmt.Sprintf("%s|%v", sc.ID, canSeeExact)
	gen, day := s.snapshot().gen, dayOf(s.indexDate())
	s.lazyMu.Lock()
	cc, ok := s.counts[key]
	s.lazyMu.Unlock()
	if ok && cc.gen == gen && cc.day == day {
		return cc.cc, nil
	}
	e, err := s.prepare(ctx, &sc.Criteria, nil)
	if err != nil {
		return CohortCount{}, err
	}
	gen = e.ix.gen
	out, err := s.count(e, &sc.Criteria, canSeeExact)
	if err != nil {
		return CohortCount{}, err
	}
	s.lazyMu.Lock()
	s.counts[key] = cachedCount{gen: gen, day: day, cc: out}
	s.lazyMu.Unlock()
	return out, nil
}
