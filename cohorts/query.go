package cohorts

import (
	"context"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/rxlab/rxlab/store"
)

// prepare readies one request's evaluation of c: validation (errors name
// the node), the context, one index snapshot, and the cost check against
// s.limits with saved cohorts resolved once. pending, when not nil, is a
// cohort being saved: references to its name resolve to it, so a cohort
// that would refer to itself is refused.
func (s *Service) prepare(ctx context.Context, c *Criteria, pending *SavedCohort) (*evaluator, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cohorts: evaluation stopped: %w", err)
	}
	e := &evaluator{s: s, ctx: ctx, ix: s.snapshot(), at: s.indexDate(),
		resolved: map[string]*SavedCohort{}, visiting: map[string]bool{}, memo: map[string]*roaring.Bitmap{}}
	resolve := func(ref string) (*SavedCohort, error) {
		if sc, ok := e.resolved[ref]; ok {
			return sc, nil
		}
		sc, err := s.lookupCohort(ref, pending)
		if err != nil {
			return nil, err
		}
		e.resolved[ref] = sc
		return sc, nil
	}
	if pending != nil {
		e.visiting[pending.ID] = true
	}
	if err := cost(c, s.limits, resolve, pending); err != nil {
		return nil, err
	}
	if err := e.expandAll(c); err != nil {
		return nil, err
	}
	return e, nil
}

// expandAll expands every coded condition and medication rule of c into
// index keys through the vocabulary before evaluation starts (once per
// query; the evaluator's memo then serves every use, attrition steps and
// warnings included). Saved cohorts' rules are expanded on first use. It
// checks the context before each rule: one expansion takes up to a few
// milliseconds (an ICD-10-CM range) and a query may hold MaxLeaves rules.
func (e *evaluator) expandAll(c *Criteria) error {
	switch {
	case c.All != nil || c.Any != nil:
		for i := range c.All {
			if err := e.expandAll(&c.All[i]); err != nil {
				return err
			}
		}
		for i := range c.Any {
			if err := e.expandAll(&c.Any[i]); err != nil {
				return err
			}
		}
	case c.AtLeast != nil:
		for i := range c.AtLeast.Of {
			if err := e.expandAll(&c.AtLeast.Of[i]); err != nil {
				return err
			}
		}
	case c.Not != nil:
		return e.expandAll(c.Not)
	case c.Condition != nil && !strings.EqualFold(c.Condition.System, SysText):
		if err := e.stopped(); err != nil {
			return err
		}
		e.expandCode("c", c.Condition)
	case c.Medication != nil && !strings.EqualFold(c.Medication.System, SysText):
		if err := e.stopped(); err != nil {
			return err
		}
		e.expandCode("m", c.Medication)
	}
	return nil
}

// lookupCohort finds a saved cohort by id, or by name (its latest
// version); a pending cohort's name resolves to the pending cohort. It
// holds s.mu only for the lookup.
func (s *Service) lookupCohort(ref string, pending *SavedCohort) (*SavedCohort, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.cohorts[ref]; ok {
		return c, nil
	}
	if pending != nil && pending.Name == ref {
		return pending, nil
	}
	return s.cohortLocked(ref)
}

// cohort evaluates a saved-cohort reference once per request, and once
// per (version, index generation, index date) across requests through
// s.cohortCache. It returns a bitmap the caller owns.
func (e *evaluator) cohort(ref string) (*roaring.Bitmap, error) {
	sc, ok := e.resolved[ref]
	if !ok {
		var err error
		if sc, err = e.s.lookupCohort(ref, nil); err != nil {
			return nil, err
		}
	}
	if b, ok := e.memo[sc.ID]; ok {
		return b.Clone(), nil
	}
	if e.visiting[sc.ID] {
		return nil, fmt.Errorf("cohort %s refers to itself: %w", sc.ID, store.ErrInvalid)
	}
	key := cohortCacheKey{id: sc.ID, gen: e.ix.gen, day: dayOf(e.at)}
	if sc.ID != "" {
		if b := e.s.cohortCache.get(key); b != nil {
			e.memo[sc.ID] = b
			return b.Clone(), nil
		}
	}
	e.visiting[sc.ID] = true
	b, err := e.eval(&sc.Criteria)
	delete(e.visiting, sc.ID)
	if err != nil {
		return nil, err
	}
	e.memo[sc.ID] = b
	if sc.ID != "" {
		e.s.cohortCache.put(key, b)
	}
	return b.Clone(), nil
}
