package cohorts

import (
	"fmt"

	"github.com/rxlab/rxlab/store"
)

// Limits bounds the evaluation work one criteria tree may ask for. It is
// checked after validation and before any bitmap is touched, with saved
// cohorts expanded (each distinct cohort counted once, because a request
// evaluates it once). A zero field takes its default.
type Limits struct {
	// MaxLeaves bounds the leaf rules of the expanded tree. Default 20,000.
	MaxLeaves int
	// MaxDepth bounds the nesting levels of the expanded tree, counted
	// through saved-cohort references (a reference is replaced by its
	// tree). Default 64; a single tree is also bounded by 64 levels at
	// validation.
	MaxDepth int
	// MaxAtLeastOf bounds the rules of one atLeast node. Default 10,000.
	MaxAtLeastOf int
	// MaxCohorts bounds the distinct saved cohorts one tree expands,
	// directly or through other saved cohorts. Default 1,000.
	MaxCohorts int
}

// Default limits (Limits' zero fields).
const (
	DefaultMaxLeaves    = 20000
	DefaultMaxDepth     = 64
	DefaultMaxAtLeastOf = 10000
	DefaultMaxCohorts   = 1000
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxLeaves, DefaultMaxLeaves)
	def(&l.MaxDepth, DefaultMaxDepth)
	def(&l.MaxAtLeastOf, DefaultMaxAtLeastOf)
	def(&l.MaxCohorts, DefaultMaxCohorts)
	return l
}

// CodeQueryTooComplex is the GraphQL extensions.code of ComplexityError.
const CodeQueryTooComplex = "QUERY_TOO_COMPLEX"

// ComplexityError reports a criteria tree over one of the Limits. It
// wraps store.ErrInvalid and carries the code QUERY_TOO_COMPLEX
// (store.Coder). The message names the measure, its value and the limit,
// never a patient or a value from the tree.
type ComplexityError struct {
	Measure string // "leaves", "depth", "atLeast rules", "saved cohorts"
	Cost    int    // the tree's value of Measure (a lower bound when counting stopped)
	Limit   int
}

func (e *ComplexityError) Error() string {
	return fmt.Sprintf("criteria too complex: %d %s (limit %d)", e.Cost, e.Measure, e.Limit)
}

// Code implements store.Coder.
func (e *ComplexityError) Code() string { return CodeQueryTooComplex }

// Unwrap makes the error a kind of store.ErrInvalid.
func (e *ComplexityError) Unwrap() error { return store.ErrInvalid }

// costInfo is what the cost walk learned about one saved cohort.
type costInfo struct{ height int }

// coster walks a validated tree, expanding saved cohorts once each.
type coster struct {
	lim      Limits
	resolve  func(ref string) (*SavedCohort, error)
	leaves   int
	memo     map[string]costInfo
	visiting map[string]bool
	err      error
}

// cost checks c against lim. resolve finds a saved cohort by reference.
// A cohort that refers to itself, directly or not, is refused
// (store.ErrInvalid); pending, when not nil, is the cohort c is about to
// be saved as (its id is not assigned yet).
func cost(c *Criteria, lim Limits, resolve func(string) (*SavedCohort, error), pending *SavedCohort) error {
	k := &coster{lim: lim.withDefaults(), resolve: resolve, memo: map[string]costInfo{}, visiting: map[string]bool{}}
	if pending != nil {
		k.visiting[pending.ID] = true
	}
	k.walk(c, 1)
	if k.err != nil {
		return k.err
	}
	if k.leaves > k.lim.MaxLeaves {
		return &ComplexityError{Measure: "leaves", Cost: k.leaves, Limit: k.lim.MaxLeaves}
	}
	return nil
}

// walk visits c at depth (the root is 1) and returns the levels from c
// down to its deepest leaf. Leaves are counted through the whole literal
// tree; saved cohorts stop being expanded after the first error.
func (k *coster) walk(c *Criteria, depth int) int {
	if depth > k.lim.MaxDepth && k.err == nil {
		k.err = &ComplexityError{Measure: "levels deep", Cost: depth, Limit: k.lim.MaxDepth}
	}
	var kids []Criteria
	switch {
	case c.All != nil:
		kids = c.All
	case c.Any != nil:
		kids = c.Any
	case c.Not != nil:
		return 1 + k.walk(c.Not, depth+1)
	case c.AtLeast != nil:
		if n := len(c.AtLeast.Of); n > k.lim.MaxAtLeastOf && k.err == nil {
			k.err = &ComplexityError{Measure: "atLeast rules", Cost: n, Limit: k.lim.MaxAtLeastOf}
		}
		kids = c.AtLeast.Of
	case c.Cohort != nil:
		return k.cohort(*c.Cohort, depth)
	default:
		k.leaves++
		return 1
	}
	h := 0
	for i := range kids {
		h = max(h, k.walk(&kids[i], depth+1))
	}
	return 1 + h
}

// cohort expands a saved-cohort reference in place of the node at depth.
func (k *coster) cohort(ref string, depth int) int {
	if k.err == nil && k.leaves > k.lim.MaxLeaves {
		k.err = &ComplexityError{Measure: "leaves", Cost: k.leaves, Limit: k.lim.MaxLeaves}
	}
	if k.err != nil {
		return 1
	}
	sc, err := k.resolve(ref)
	if err != nil {
		k.err = err
		return 1
	}
	if info, ok := k.memo[sc.ID]; ok {
		if d := depth + info.height - 1; d > k.lim.MaxDepth {
			k.err = &ComplexityError{Measure: "levels deep", Cost: d, Limit: k.lim.MaxDepth}
		}
		return info.height
	}
	if k.visiting[sc.ID] {
		k.err = fmt.Errorf("cohort %s refers to itself: %w", sc.ID, store.ErrInvalid)
		return 1
	}
	if n := len(k.memo) + len(k.visiting) + 1; n > k.lim.MaxCohorts {
		k.err = &ComplexityError{Measure: "saved cohorts", Cost: n, Limit: k.lim.MaxCohorts}
		return 1
	}
	k.visiting[sc.ID] = true
	h := k.walk(&sc.Criteria, depth)
	delete(k.visiting, sc.ID)
	k.memo[sc.ID] = costInfo{height: h}
	return h
}
