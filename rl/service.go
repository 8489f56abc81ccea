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

// TwinsRequest asks for N virtual patients drawn (with Seed, with
// replacement) from the stored patients matching Criteria (the API's
// CriteriaInput, as JSON).
type TwinsRequest struct {
	Criteria json.RawMessage
	N        int
	Seed     uint64
	// Eligible says why a stored patient's twin cannot take part in the
	// job (one of the Skip… reasons), or "" when it can. Ineligible
	// patients are left out of the draw and counted by reason.
	Eligible func(*dosing.Patient) string
}

// TwinsResult is a drawn population of virtual twins.
type TwinsResult struct {
	Patients []*dosing.Patient
	// Skipped counts the matching stored patients left out, by reason.
	Skipped map[string]int
}

// Twins draws virtual patients whose covariates follow stored patients.
// Implementations enforce the minimum number of stored patients a
// population may be drawn from (the small-cell threshold), and their errors
// never name a patient or a patient's value.
type Twins interface {
	// Check validates criteria and that enough stored patients match; it is
	// cheap and runs before a job is queued.
	Check(ctx context.Context, criteria json.RawMessage) error
	// Draw draws the population; it runs inside the job.
	Draw(ctx context.Context, req TwinsRequest) (TwinsResult, error)
}

// Config configures a Service.
type Config struct {
	DB   *store.DB
	Jobs *jobs.Runner
	// Logger receives training progress and failures; nil discards them.
	Logger *slog.Logger
	// Twins resolves PopulationInput.Criteria; nil makes criteria an error
	// wrapping store.ErrNotImplemented.
	Twins Twins
}

// Service trains, stores, evaluates and serves dosing policies.
type Service struct {
	db    *store.DB
	jobs  *jobs.Runner
	log   *slog.Logger
	twins Twins
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
	if err := cfg.Jobs.Register(jobs.Kind{Name: KindEvaluation, Run: s.runEvaluationJob, Shard: s.evaluationShard}); err != nil {
		return nil, err
	}
	if err := cfg.Jobs.Register(jobs.Kind{Name: KindPopulationSim, Run: s.runPopulationSimJob, Shard: s.popSimShard}); err != nil {
		return nil, err
	}
	return s, nil
}

// PopulationInput describes a virtual population: Size patients drawn with
// Seed from the published Ravvaz 2017 frequencies, with Ancestry from the
// ancestry groups' published genotype frequencies (dosing.AncestryTable),
// or, with Criteria, as virtual twins of stored patients.
type PopulationInput struct {
	Size     int                    `json:"size"`
	Seed     int64                  `json:"seed"`
	Criteria json.RawMessage        `json:"criteria,omitempty"`
	Ancestry []dosing.AncestryShare `json:"ancestry,omitempty"`
}

func (p PopulationInput) validate(field string) error {
	if err := checkRange(field+".size", int64(p.Size), 1, MaxPopulationSize, "patients"); err != nil {
		return err
	}
	if p.Seed < 0 {
		return fmt.Errorf("%s.seed must be ≥ 0: %w", field, store.ErrInvalid)
	}
	if len(p.Criteria) > 0 && string(p.Criteria) != "null" && !json.Valid(p.Criteria) {
		return fmt.Errorf("%s.criteria is not valid JSON: %w", field, store.ErrInvalid)
	}
	if len(p.Ancestry) == 0 {
		return nil
	}
	if p.hasCriteria() {
		return fmt.Errorf("%s.ancestry applies to virtual populations, not to criteria (twins keep their stored ancestry): %w", field, store.ErrInvalid)
	}
	tab, err := dosing.NewAncestryTable()
	if err != nil {
		return err
	}
	if err := tab.CheckMix(p.Ancestry); err != nil {
		return fmt.Errorf("%s.%w", field, err)
	}
	return nil
}

// virtual draws the virtual population of p (no criteria): Ravvaz 2017
// without an ancestry mix, the ancestry table's groups with one.
func (p PopulationInput) virtual(ctx context.Context) ([]*dosing.Patient, error) {
	if len(p.Ancestry) == 0 {
		return dosing.RavvazPopulation(p.Size, uint64(p.Seed))
	}
	tab, err := dosing.NewAncestryTable()
	if err != nil {
		return nil, err
	}
	return tab.Population(ctx, p.Size, uint64(p.Seed), p.Ancestry)
}

func (p PopulationInput) hasCriteria() bool {
	return len(p.Criteria) > 0 && string(p.Criteria) != "null"
}

// checkTwins runs the cheap checks of a population drawn from stored
// patients before its job is queued.
func (s *Service) checkTwins(ctx context.Context, field string, p PopulationInput) error {
	if !p.hasCriteria() {
		return nil
	}
	if s.twins == nil {
		return fmt.Errorf("%s.criteria: virtual twins of stored patients are not wired yet: %w", field, store.ErrNotImplemented)
	}
	if err := s.twins.Check(ctx, p.Criteria); err != nil {
		return fmt.Errorf("%s.criteria: %w", field, err)
	}
	return nil
}

// population draws the patients of p. Twins of stored patients that
// eligible rejects are left out and counted in the skipped result.
func (s *Service) population(ctx context.Context, field string, p PopulationInput, eligible func(*dosing.Patient) string) ([]*dosing.Patient, []SkipCount, error) {
	if !p.hasCriteria() {
		pats, err := p.virtual(ctx)
		return pats, []SkipCount{}, err
	}
	if s.twins == nil {
		return nil, nil, fmt.Errorf("%s.criteria: virtual twins of stored patients are not wired yet: %w", field, store.ErrNotImplemented)
	}
	res, err := s.twins.Draw(ctx, TwinsRequest{Criteria: p.Criteria, N: p.Size, Seed: uint64(p.Seed), Eligible: eligible})
	if err != nil {
		return nil, nil, fmt.Errorf("%s.criteria: %w", field, err)
	}
	if len(res.Patients) == 0 {
		return nil, nil, fmt.Errorf("%s.criteria matches no eligible stored patient: %w", field, store.ErrInvalid)
	}
	return res.Patients, skipCounts(res.Skipped), nil
}

func checkModel(field, id string) (*dosing.DrugModel, error) {
	m, err := dosing.Model(id)
	if err != nil {
		return nil, fmt.Errorf("%s: unknown drug model: %w", field, store.ErrInvalid)
	}
	return m, nil
}
