package response

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/rxlab/rxlab/molecules"
	uploads "github.com/rxlab/rxlab/molecules/datasets"
	"github.com/rxlab/rxlab/molecules/internal/lru"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// KindTrain is the job kind registered by New.
const KindTrain = "train-response-model"

// Config configures a Service.
type Config struct {
	DB   *store.DB
	Jobs *jobs.Runner
	// Logger receives training events; nil discards them.
	Logger *slog.Logger
	// Datasets, when set, lets models train on uploaded datasets
	// (TrainInput.Dataset an uploaded dataset's id).
	Datasets *uploads.Store
	// Now is the clock monitoring dates predictions by; nil means time.Now.
	Now func() time.Time
	// ModelCacheBytes bounds the memory of the loaded models kept for
	// prediction (estimated as twice their stored bytes); 0 means
	// DefaultModelCacheBytes. A model larger than the budget is loaded for
	// each call and not kept.
	ModelCacheBytes int64
}

// DefaultModelCacheBytes is the default budget of the loaded-model cache.
const DefaultModelCacheBytes = 512 << 20

// Service trains, stores and serves response models.
type Service struct {
	db       *store.DB
	jobs     *jobs.Runner
	log      *slog.Logger
	datasets *uploads.Store
	now      func() time.Time
	mon      monitor

	models *lru.Cache[string, *Model]
}

// New builds the service and registers the "train-response-model" job kind
// with the runner (call it before the runner's Recover).
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Jobs == nil {
		return nil, fmt.Errorf("response: New needs a database and a job runner: %w", store.ErrInvalid)
	}
	if cfg.ModelCacheBytes < 0 {
		return nil, fmt.Errorf("response: ModelCacheBytes must not be negative: %w", store.ErrInvalid)
	}
	if cfg.ModelCacheBytes == 0 {
		cfg.ModelCacheBytes = DefaultModelCacheBytes
	}
	s := &Service{db: cfg.DB, jobs: cfg.Jobs, log: cfg.Logger, datasets: cfg.Datasets, models: lru.New[string, *Model](cfg.ModelCacheBytes)}
	if s.now = cfg.Now; s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := cfg.Jobs.Register(jobs.Kind{Name: KindTrain, Run: s.runTrain}); err != nil {
		return nil, err
	}
	return s, nil
}

func modelKey(id string) []byte { return []byte("mdl/m/" + id) }

// graphKey holds message-passing member k of a model.
func graphKey(id string, k int) []byte { return []byte(fmt.Sprintf("mdl/g/%s/%02x", id, k)) }
func weightKey(id string, k int) []byte {
	return []byte(fmt.Sprintf("mdl/w/%s/%02x", id, k))
}

// Train validates the input and starts a training job; the job's result is
// the model's id. An uploaded dataset must be one the caller (ctx) may
// read.
func (s *Service) Train(ctx context.Context, owner string, in TrainInput) (jobs.Job, error) {
	in, _, err := s.resolve(ctx, in)
	if err != nil {
		return jobs.Job{}, err
	}
	return s.jobs.Start(ctx, KindTrain, owner, in)
}

func (s *Service) runTrain(ctx context.Context, h *jobs.Handle) error {
	var in TrainInput
	if err := json.Unmarshal(h.Job().Params, &in); err != nil {
		return fmt.Errorf("%s: job parameters: %v: %w", KindTrain, err, store.ErrInvalid)
	}
	in, d, err := s.resolve(ctx, in)
	if err != nil {
		return err
	}
	id := modelID(in, options{})
	s.log.Info("response model training", "model", id)
	m, err := s.trainResolved(ctx, in, d, func(f float64, msg string) { h.Progress(ctx, f, msg) })
	if err != nil {
		return err
	}
	if err := s.Save(ctx, m); err != nil {
		return err
	}
	s.log.Info("response model stored", "model", id, "seconds", m.rec.TrainSeconds)
	return h.SetResultID(ctx, "model", id, map[string]string{"model": id})
}

// Models lists the stored models, sorted by id.
func (s *Service) Models(ctx context.Context) ([]ModelInfo, error) {
	var out []ModelInfo
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("mdl/m/"), nil, func(r store.Record) error {
			var rec struct{ ModelInfo }
			if err := r.Decode(&rec); err != nil {
				return err
			}
			out = append(out, rec.ModelInfo)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Model loads a stored model. Loaded models are kept in a least-recently
// used cache bounded by Config.ModelCacheBytes.
func (s *Service) Model(ctx context.Context, id string) (*Model, error) {
	if m, ok := s.models.Get(id); ok {
		return m, nil
	}
	m, size, err := s.loadModel(ctx, id)
	if err != nil {
		return nil, err
	}
	s.models.Add(id, m, modelMemory(size))
	return m, nil
}

// modelMemory estimates what a loaded model keeps alive from its stored
// size: the members (weights and Adam moments, as stored) plus the
// prediction engine's fused copy of the MLP weights and its parsers.
func modelMemory(stored int64) int64 { return 2 * stored }

// CacheStats reports the loaded-model cache.
func (s *Service) CacheStats() molecules.CacheStats { return s.models.Stats() }

// Predict predicts every SMILES with a stored property model, attributions
// included; bad SMILES get a per-item Error and the rest are predicted.
func (s *Service) Predict(ctx context.Context, modelID string, smiles []string) ([]Prediction, error) {
	return s.PredictWith(ctx, modelID, smiles, PredictOptions{})
}

// PredictWith is Predict with options (e.g. without attributions).
func (s *Service) PredictWith(ctx context.Context, modelID string, smiles []string, opt PredictOptions) ([]Prediction, error) {
	if err := store.CheckName("model", modelID); err != nil {
		return nil, err
	}
	if len(smiles) > MaxPredictBatch {
		return nil, fmt.Errorf("response: smiles: at most %d per call: %w", MaxPredictBatch, store.ErrInvalid)
	}
	m, err := s.Model(ctx, modelID)
	if err != nil {
		return nil, err
	}
	if m.rec.Dataset == GDSCName {
		return m.Predict(ctx, smiles, opt)
	}
	opt.mon = newMonBatch(m.rec.Monitor)
	preds, err := m.Predict(ctx, smiles, opt)
	if s.mon.record(modelID, s.now(), opt.mon) {
		if ferr := s.flushMonitor(context.WithoutCancel(ctx)); ferr != nil {
			s.log.Warn("response: monitoring counts not stored yet; kept for the next flush", "err", ferr)
		}
	}
	return preds, err
}

// MaxPredictBatch bounds the SMILES of one Predict call.
const MaxPredictBatch = 1_000_000

// SeedInputs returns the demo world's models: ESOL (random split) and BBBP
// (scaffold split) MLP ensembles of 5, seed 1.
//
// The demo models are MLP ensembles whatever the dataset's default
// architecture: they train in seconds, so a fresh server has them almost at
// once; the message-passing and hybrid models are one trainResponseModel
// call away.
func SeedInputs() []TrainInput {
	return []TrainInput{
		{Dataset: "esol", Split: SplitRandom, Seed: 1, Ensemble: DefaultEnsemble, Arch: ArchMLP},
		{Dataset: "bbbp", Split: SplitScaffold, Seed: 1, Ensemble: DefaultEnsemble, Arch: ArchMLP},
	}
}

// Seed starts training jobs (owner "seed") for the demo models that are not
// stored yet and returns them; models already stored are skipped, so Seed
// is idempotent.
func (s *Service) Seed(ctx context.Context) ([]jobs.Job, error) {
	var out []jobs.Job
	for _, in := range SeedInputs() {
		n, _ := in.normalize()
		var exists bool
		if err := s.db.View(ctx, func(tx *store.Txn) error {
			var err error
			exists, err = tx.Has(modelKey(ModelID(n)))
			return err
		}); err != nil {
			return nil, err
		}
		if exists {
			continue
		}
		j, err := s.Train(ctx, "seed", in)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}
