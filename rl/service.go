package rl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// Job kinds registered by New.
const (
	KindTraining   = "rl-training"
	KindEvaluation = "rl-evaluation"
)

// Limits of the API's inputs.
const (
	MaxIterations     = 10000
	MaxPopulationSize = 100000
)

// TwinsFunc draws n virtual patients whose covariates follow the stored
// patients matching criteria (the API's CriteriaInput, as JSON).
type TwinsFunc func(ctx context.Context, criteria json.RawMessage, n int, seed uint64) ([]*dosing.Patient, error)

// Config configures a Service.
type Config struct {
	DB   *store.DB
	Jobs *jobs.Runner
	// Logger receives training progress and failures; nil discards them.
	Logger *slog.Logger
	// Twins resolves PopulationInput.Criteria; nil makes criteria an error
	// wrapping store.ErrNotImplemented.
	Twins TwinsFunc
}

// Service trains, stores, evaluates and serves dosing policies.
type Service struct {
	db    *store.DB
	jobs  *jobs.Runner
	log   *slog.Logger
	twins TwinsFunc
}

// New builds the service and registers its job kinds with the runner; call
// it before the runner's Recover so interrupted training resumes.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Jobs == nil {
		return nil, fmt.Errorf("rl: New needs a database and a job runner: %w", store.ErrInvalid)
	}
	s := &Service{db: cfg.DB, jobs: cfg.Jobs, log: cfg.Logger, twins: cfg.Twins}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := cfg.Jobs.Register(jobs.Kind{Name: KindTraining, Run: s.runTraining, Resumable: true}); err != nil {
		return nil, err
	}
	if err := cfg.Jobs.Register(jobs.Kind{Name: KindEvaluation, Run: s.runEvaluation}); err != nil {
		return nil, err
	}
	return s, nil
}

// PopulationInput describes a virtual population: Size patients drawn with
// Seed from the published Ravvaz 2017 frequencies, or, with Criteria, as
// virtual twins of stored patients.
type PopulationInput struct {
	Size     int             `json:"size"`
	Seed     int64           `json:"seed"`
	Criteria json.RawMessage `json:"criteria,omitempty"`
}

func (p PopulationInput) validate(field string) error {
	if p.Size < 1 || p.Size > MaxPopulationSize {
		return fmt.Errorf("%s.size must be within 1–%d: %w", field, MaxPopulationSize, store.ErrInvalid)
	}
	if p.Seed < 0 {
		return fmt.Errorf("%s.seed must be ≥ 0: %w", field, store.ErrInvalid)
	}
	if len(p.Criteria) > 0 && string(p.Criteria) != "null" && !json.Valid(p.Criteria) {
		return fmt.Errorf("%s.criteria is not valid JSON: %w", field, store.ErrInvalid)
	}
	return nil
}

func (p PopulationInput) hasCriteria() bool {
	return len(p.Criteria) > 0 && string(p.Criteria) != "null"
}

// population draws the patients of p.
func (s *Service) population(ctx context.Context, field string, p PopulationInput) ([]*dosing.Patient, error) {
	if p.hasCriteria() {
		if s.twins == nil {
			return nil, fmt.Errorf("%s.criteria: virtual twins of stored patients are not wired yet: %w", field, store.ErrNotImplemented)
		}
		pats, err := s.twins(ctx, p.Criteria, p.Size, uint64(p.Seed))
		if err != nil {
			return nil, fmt.Errorf("%s.criteria: %w", field, err)
		}
		if len(pats) == 0 {
			return nil, fmt.Errorf("%s.criteria matches no stored patient: %w", field, store.ErrInvalid)
		}
		return pats, nil
	}
	return dosing.RavvazPopulation(p.Size, uint64(p.Seed))
}

func checkModel(field, id string) (*dosing.DrugModel, error) {
	m, err := dosing.Model(id)
	if err != nil {
		return nil, fmt.Errorf("%s: unknown drug model: %w", field, store.ErrInvalid)
	}
	return m, nil
}
