package rl

import (
	"fmt"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
)

// The budget of one job, checked before it is queued. A simulated
// patient-day costs about 4 µs (warfarin) to 15 µs (docetaxel) in an
// evaluation and a PPO environment step about 15 µs on one core, so the
// largest evaluation runs for minutes and the largest training run for
// about an hour.
const (
	// MaxIterations bounds TrainingInput.Iterations.
	MaxIterations = 10000
	// MaxPopulationSize bounds PopulationInput.Size.
	MaxPopulationSize = 100000
	// MaxEvaluationDays bounds EvaluationInput.Days.
	MaxEvaluationDays = dosing.MaxDays
	// MaxEvaluationPatientDays bounds an evaluation's work: population size
	// × days × arms.
	MaxEvaluationPatientDays = 20_000_000
	// MaxTrainingPatientDays bounds a training run's work: iterations ×
	// envs × episode steps × days per step (1 for warfarin, 21 for a
	// docetaxel cycle).
	MaxTrainingPatientDays = 200_000_000
)

// LimitError is a job input over its budget. It names the field and the
// limit, answers with the code LIMIT_EXCEEDED and wraps store.ErrInvalid.
type LimitError struct {
	// Field is the input that is over, e.g. "input.population.size".
	Field string
	// Limit is the largest value allowed.
	Limit int64
	// Unit says what Limit counts, e.g. "patients".
	Unit string
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s is over the job budget: at most %d %s: %v", e.Field, e.Limit, e.Unit, store.ErrInvalid)
}

// Code implements store.Coder.
func (e *LimitError) Code() string { return "LIMIT_EXCEEDED" }

// Unwrap makes the error an input error (errors.Is(err, store.ErrInvalid)).
func (e *LimitError) Unwrap() error { return store.ErrInvalid }

// checkRange checks v ≥ lo (a plain input error) and v ≤ hi (a LimitError).
func checkRange(field string, v, lo, hi int64, unit string) error {
	if v < lo {
		return fmt.Errorf("%s must be at least %d: %w", field, lo, store.ErrInvalid)
	}
	if v > hi {
		return &LimitError{Field: field, Limit: hi, Unit: unit}
	}
	return nil
}

// work multiplies non-negative factors, saturating instead of overflowing.
func work(factors ...int64) int64 {
	const maxWork = int64(1) << 62
	out := int64(1)
	for _, f := range factors {
		if f <= 0 {
			return 0
		}
		if out > maxWork/f {
			return maxWork
		}
		out *= f
	}
	return out
}
