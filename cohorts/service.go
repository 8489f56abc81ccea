package cohorts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/rxlab/rxlab/store"
)

// Config configures a Service.
type Config struct {
	// DB is the open store; required.
	DB *store.DB
	// SmallCell is the suppression threshold: counts 1..SmallCell-1 are
	// hidden from callers without patients:read. Zero means 11.
	SmallCell int
	// Now returns the current time; the index date of every query is its
	// UTC date. Nil means time.Now.
	Now func() time.Time
	// Limits bounds the work of one criteria tree (cost.go); zero fields
	// take the defaults.
	Limits Limits
	// CohortCacheBytes bounds the memory of evaluated saved-cohort bitmaps
	// kept for reuse. Zero means DefaultCohortCacheBytes (64 MiB).
	CohortCacheBytes int64
}

// Service owns the patient records, their indexes, saved cohorts and
// trials. It is safe for concurrent use; imports are serialized.
type Service struct {
	db    *store.DB
	small int
	now   func() time.Time

	imu    sync.Mutex            // serializes writers
	mu     sync.RWMutex          // guards cohorts, trials (held only briefly)
	lazyMu sync.Mutex            // guards lazily built views inside published indexes
	cur    atomic.Pointer[index] // the published index (snapshot.go)

	dirtyRows map[uint32][]byte // rows to persist at the next flush (guarded by imu)

	cohorts map[string]*SavedCohort
	trials  map[string]*Trial
	counts  map[string]cachedCount // saved-cohort counts by id+exactness, per index generation

	limits      Limits
	cohortCache *bitmapCache // saved-cohort bitmaps per version, generation and date

	follow followState // the shared store's change-feed position (follow.go)
}

type cachedCount struct {
	gen uint64
	day int32
	cc  CohortCount
}

// Store keys (see doc.go).
var (
	keyDirty = []byte("pat/dirty")
	keyMeta  = []byte("idx/meta")
)

func patKey(id string) []byte    { return []byte("pat/r/" + id) }
func bmKey(k string) []byte      { return []byte("idx/b/" + k) }
func rowKey(p uint32) []byte     { return []byte(fmt.Sprintf("idx/r/%08x", p)) }
func cohortKey(id string) []byte { return []byte("idx/coh/" + id) }
func trialKey(id string) []byte  { return []byte("idx/trial/" + id) }

type meta struct {
	Format   int `json:"format"`
	Patients int `json:"patients"`
}

// indexFormat 2 added vital status (key vital|dead and its death-day
// code date); 3 the full OncoTree (vocab), whose ancestors differ from the
// old subset's; a store of another format rebuilds its index at start.
const indexFormat = 3

// New opens the service: it loads the persisted indexes, saved cohorts and
// trials into memory, rebuilding the indexes from the patient records when
// an import was interrupted before its indexes were written.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("cohorts: %w: Config.DB is nil", store.ErrInvalid)
	}
	if cfg.SmallCell < 0 {
		return nil, fmt.Errorf("cohorts: %w: SmallCell %d is negative", store.ErrInvalid, cfg.SmallCell)
	}
	s := &Service{db: cfg.DB, small: cfg.SmallCell, now: cfg.Now,
		dirtyRows: map[uint32][]byte{},
		cohorts:   map[string]*SavedCohort{}, trials: map[string]*Trial{}, counts: map[string]cachedCount{}}
	if s.small == 0 {
		s.small = 11
	}
	if cfg.CohortCacheBytes < 0 {
		return nil, fmt.Errorf("cohorts: %w: CohortCacheBytes %d is negative", store.ErrInvalid, cfg.CohortCacheBytes)
	}
	s.limits = cfg.Limits.withDefaults()
	cacheBytes := cfg.CohortCacheBytes
	if cacheBytes == 0 {
		cacheBytes = DefaultCohortCacheBytes
	}
	s.cohortCache = newBitmapCache(cacheBytes)
	if s.now == nil {
		s.now = time.Now
	}
	ctx := context.Background()
	rebuild := false
	ix := newIndex()
	err := s.db.View(ctx, func(tx *store.Txn) error {
		if err := s.follow.mark(tx); err != nil {
			return err
		}
		if ok, err := tx.Has(keyDirty); err != nil {
			return err
		} else if ok {
			rebuild = true
			return nil
		}
		var m meta
		if err := tx.Get(keyMeta, &m); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				// No index yet: rebuild if records exist.
				return tx.ScanKeys([]byte("pat/r/"), func([]byte) error { rebuild = true; return store.ErrStop })
			}
			return err
		}
		if m.Format != indexFormat {
			rebuild = true
			return nil
		}
		if err := loadIndex(tx, ix); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cohorts: load index: %w", err)
	}
	s.publish(ix)
	if rebuild {
		if err := s.rebuild(ctx); err != nil {
			return nil, fmt.Errorf("cohorts: rebuild index: %w", err)
		}
	}
	if err := s.loadCatalog(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func loadIndex(tx *store.Txn, ix *index) error {
	err := tx.Scan([]byte("idx/r/"), nil, func(r store.Record) error {
		raw, err := r.Raw()
		if err != nil {
			return err
		}
		f, err := decodeRow(raw)
		if err != nil {
			return err
		}
		p64, err := strconv.ParseUint(string(r.Key[len("idx/r/"):]), 16, 32)
		if err != nil {
			return fmt.Errorf("cohorts: bad row key %q", r.Key)
		}
		p := uint32(p64)
		for uint32(len(ix.ids)) < p {
			ix.pid(fmt.Sprintf("\x00missing-%d", len(ix.ids)), true)
		}
		pid, _ := ix.pid(f.id, true)
		ix.birth[pid] = f.birth
		ix.setColumns(pid, f, false)
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range ix.labs {
		c.grow(len(ix.ids))
	}
	return tx.Scan([]byte("idx/b/"), nil, func(r store.Record) error {
		raw, err := r.Raw()
		if err != nil {
			return err
		}
		b := roaring.New()
		if _, err := b.FromBuffer(raw); err != nil {
			return fmt.Errorf("cohorts: bitmap %q: %w", r.Key, err)
		}
		ix.bm[string(r.Key[len("idx/b/"):])] = b.Clone() // FromBuffer aliases the buffer
		return nil
	})
}

// Patient returns the full record of one patient. The caller must hold
// patients:read and audit the read.
func (s *Service) Patient(ctx context.Context, id string) (*Patient, error) {
	var p Patient
	err := s.db.View(ctx, func(tx *store.Txn) error { return tx.Get(patKey(id), &p) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("patient: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if p.Conditions == nil {
		p.Conditions = []ClinicalCode{}
	}
	return &p, nil
}

// PatientCount returns the number of patients with a record.
func (s *Service) PatientCount() int {
	return int(s.snapshot().all().GetCardinality())
}

// IndexDate returns the date queries are evaluated at (today, UTC).
func (s *Service) IndexDate() time.Time { return s.indexDate() }

func lowerTrim(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
