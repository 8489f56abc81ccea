package cohorts

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rxlab/rxlab/store"
)

// SavedCohort is one version of a named criteria tree. Names are unique
// per owner: SaveCohort refuses an owner's existing name (ErrConflict) and
// UpdateCohort adds a version; older versions are kept and stay
// addressable by their id until DeleteCohort removes the cohort.
type SavedCohort struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Version  int      `json:"version"`
	Criteria Criteria `json:"criteria"`
	// Description is free text from the owner (at most 2,000 bytes).
	Description string `json:"description,omitempty"`
	// Owner is the id of the token that saved the first version (from the
	// request's audit information; empty for internal callers).
	Owner     string `json:"owner,omitempty"`
	CreatedAt string `json:"createdAt"`
}

// maxDescription bounds a cohort's description.
const maxDescription = 2000

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

// SaveCohort stores criteria under a new name (version 1). An existing
// name of the same owner answers ErrConflict naming the cohort to pass to
// UpdateCohort. The tree must pass the cost check with saved cohorts
// expanded and evaluate; a tree that refers to the cohort being saved (by
// its name, directly or through other cohorts) is refused. The bitmap
// evaluated here is kept in the saved-cohort cache, so the first count
// reuses it.
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
	owner := ownerOf(ctx)
	s.imu.Lock()
	defer s.imu.Unlock()
	if cur := s.latestOf(owner, name); cur != nil {
		return nil, fmt.Errorf("cohort %q exists (id %s, version %d); updateCohort(id: %q) adds a version: %w", name, cur.ID, cur.Version, cur.ID, store.ErrConflict)
	}
	sc := &SavedCohort{Name: name, Version: 1, Criteria: c, Owner: owner, CreatedAt: s.now().UTC().Format("2006-01-02T15:04:05Z")}
	return sc, s.storeVersion(ctx, sc)
}

// UpdateCohort stores a new version of the cohort that holds version id:
// criteria and description replace the latest version's when given (nil
// keeps them). Only the owner may update (ErrPermission otherwise).
func (s *Service) UpdateCohort(ctx context.Context, id string, c *Criteria, description *string) (*SavedCohort, error) {
	if c != nil {
		if err := c.Validate(); err != nil {
			return nil, err
		}
	}
	if description != nil && len(*description) > maxDescription {
		return nil, fmt.Errorf("description: %d bytes, more than %d: %w", len(*description), maxDescription, store.ErrInvalid)
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	s.mu.RLock()
	old, ok := s.cohorts[id]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("cohort %q: %w", id, store.ErrNotFound)
	}
	if err := checkOwner(ctx, old); err != nil {
		return nil, err
	}
	latest := s.latestOf(old.Owner, old.Name)
	sc := &SavedCohort{Name: latest.Name, Version: latest.Version + 1, Criteria: latest.Criteria, Description: latest.Description,
		Owner: latest.Owner, CreatedAt: s.now().UTC().Format("2006-01-02T15:04:05Z")}
	if c != nil {
		sc.Criteria = *c
	}
	if description != nil {
		sc.Description = *description
	}
	return sc, s.storeVersion(ctx, sc)
}

// storeVersion evaluates and stores a new cohort version. The caller
// holds s.imu.
func (s *Service) storeVersion(ctx context.Context, sc *SavedCohort) error {
	// Check that referenced cohorts exist, nothing refers back to this
	// one, and the tree evaluates.
	e, err := s.prepare(ctx, &sc.Criteria, sc)
	if err != nil {
		return err
	}
	b, err := e.eval(&sc.Criteria)
	if err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx *store.Txn) error {
		n, err := tx.NextID("cohort")
		if err != nil {
			return err
		}
		sc.ID = fmt.Sprintf("C%d", n)
		tx.Touch("cohort:" + sc.ID)
		return tx.Put(cohortKey(sc.ID), sc)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cohorts[sc.ID] = sc
	s.mu.Unlock()
	s.cohortCache.put(cohortCacheKey{id: sc.ID, gen: e.ix.gen, day: dayOf(e.at)}, b)
	return nil
}

// DeleteCohort removes every version of the cohort that holds version id
// (the write is audited with "cohort:<id>" for each version). A cohort
// another saved cohort refers to (by id or name) is not deleted
// (ErrConflict names the referrer). Only the owner may delete.
func (s *Service) DeleteCohort(ctx context.Context, id string) ([]string, error) {
	s.imu.Lock()
	defer s.imu.Unlock()
	s.mu.RLock()
	old, ok := s.cohorts[id]
	if !ok {
		s.mu.RUnlock()
		return nil, fmt.Errorf("cohort %q: %w", id, store.ErrNotFound)
	}
	var ids []string
	gone := map[string]bool{old.Name: true}
	for _, c := range s.cohorts {
		if c.Name == old.Name && c.Owner == old.Owner {
			ids = append(ids, c.ID)
			gone[c.ID] = true
		}
	}
	var referrer string
	for _, c := range s.cohorts {
		if !gone[c.ID] && refersTo(&c.Criteria, gone) {
			referrer = c.ID
			break
		}
	}
	s.mu.RUnlock()
	if err := checkOwner(ctx, old); err != nil {
		return nil, err
	}
	if referrer != "" {
		return nil, fmt.Errorf("cohort %q: saved cohort %s refers to it; update or delete that one first: %w", id, referrer, store.ErrConflict)
	}
	sort.Strings(ids)
	err := s.db.Update(ctx, func(tx *store.Txn) error {
		for _, x := range ids {
			tx.Touch("cohort:" + x)
			if err := tx.Delete(cohortKey(x)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, x := range ids {
		delete(s.cohorts, x)
	}
	s.mu.Unlock()
	return ids, nil
}

// CohortVersions lists every version of the cohort that holds version id,
// oldest first.
func (s *Service) CohortVersions(ctx context.Context, id string) ([]*SavedCohort, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.cohorts[id]
	if !ok {
		return nil, fmt.Errorf("cohort %q: %w", id, store.ErrNotFound)
	}
	var out []*SavedCohort
	for _, x := range s.cohorts {
		if x.Name == c.Name && x.Owner == c.Owner {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Version < out[b].Version })
	return out, nil
}

// latestOf is the owner's latest version under name, or nil.
func (s *Service) latestOf(owner, name string) *SavedCohort {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var best *SavedCohort
	for _, x := range s.cohorts {
		if x.Name == name && x.Owner == owner && (best == nil || x.Version > best.Version) {
			best = x
		}
	}
	return best
}

// ownerOf is the requesting token's id from the audit information.
func ownerOf(ctx context.Context) string {
	a, _ := store.AuditFromContext(ctx)
	return a.Actor
}

// checkOwner lets the owner (and admins and internal callers) change a
// cohort.
func checkOwner(ctx context.Context, c *SavedCohort) error {
	a, ok := store.AuditFromContext(ctx)
	if !ok || a.Role == "admin" || a.Actor == c.Owner {
		return nil
	}
	return fmt.Errorf("cohort %s belongs to another caller: %w", c.ID, store.ErrPermission)
}

// refersTo says whether c names any cohort in refs (by id or name).
func refersTo(c *Criteria, refs map[string]bool) bool {
	if c == nil {
		return false
	}
	if c.Cohort != nil && refs[*c.Cohort] {
		return true
	}
	for i := range c.All {
		if refersTo(&c.All[i], refs) {
			return true
		}
	}
	for i := range c.Any {
		if refersTo(&c.Any[i], refs) {
			return true
		}
	}
	if c.AtLeast != nil {
		for i := range c.AtLeast.Of {
			if refersTo(&c.AtLeast.Of[i], refs) {
				return true
			}
		}
	}
	return refersTo(c.Not, refs)
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
