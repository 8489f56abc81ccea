package cohorts

import (
	"context"
	"errors"
	"fmt"
	"sort"
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

const indexFormat = 1

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

// rebuild recomputes the whole index from the patient records.
func (s *Service) rebuild(ctx context.Context) error {
	s.imu.Lock()
	defer s.imu.Unlock()
	var ps []*Patient
	ix := newIndex()
	flushBatch := func() {
		for _, p := range ps {
			f := features(p)
			pid, _ := ix.pid(p.ID, true)
			ix.add(pid, f)
			s.dirtyRows[pid] = encodeRow(f)
		}
		ps = ps[:0]
	}
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("pat/r/"), nil, func(r store.Record) error {
			var p Patient
			if err := r.Decode(&p); err != nil {
				return err
			}
			ps = append(ps, &p)
			if len(ps) >= 4096 {
				flushBatch()
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	flushBatch()
	s.publish(ix)
	// Drop any persisted bitmaps and rows first: the rebuild rewrites all.
	if err := s.deletePrefix(ctx, "idx/b/"); err != nil {
		return err
	}
	if err := s.deletePrefix(ctx, "idx/r/"); err != nil {
		return err
	}
	return s.flush(ctx)
}

func (s *Service) deletePrefix(ctx context.Context, prefix string) error {
	for {
		var keys [][]byte
		err := s.db.View(ctx, func(tx *store.Txn) error {
			return tx.ScanKeys([]byte(prefix), func(k []byte) error {
				keys = append(keys, append([]byte(nil), k...))
				if len(keys) >= 10000 {
					return store.ErrStop
				}
				return nil
			})
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		if err := s.db.Update(ctx, func(tx *store.Txn) error {
			for _, k := range keys {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
}

// flushChunk is the most bytes one index-flush transaction writes.
const flushChunk = 4 << 20

// flush writes the dirty bitmaps and rows, then the index meta, and clears
// the dirty marker. The caller holds imu.
func (s *Service) flush(ctx context.Context) error {
	type kv struct {
		k, v []byte
	}
	var batch []kv
	size := 0
	write := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.db.Update(ctx, func(tx *store.Txn) error {
			for _, e := range batch {
				if e.v == nil {
					if err := tx.Delete(e.k); err != nil {
						return err
					}
					continue
				}
				if err := tx.PutRaw(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
		batch, size = batch[:0], 0
		return err
	}
	ix := s.snapshot() // published bitmaps never change, so no lock is needed
	keys := make([]string, 0, len(ix.dirtyKeys))
	for k := range ix.dirtyKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var err error
	for _, k := range keys {
		b := ix.bm[k]
		var v []byte
		if b != nil && !b.IsEmpty() {
			// No RunOptimize here: readers hold the read lock too.
			v, err = b.ToBytes()
			if err != nil {
				break
			}
		}
		batch = append(batch, kv{bmKey(k), v})
		size += len(v) + len(k) + 16
		if size >= flushChunk {
			if err = write(); err != nil {
				break
			}
		}
	}
	n := len(ix.ids)
	if err != nil {
		return err
	}
	pids := make([]uint32, 0, len(s.dirtyRows))
	for p := range s.dirtyRows {
		pids = append(pids, p)
	}
	sort.Slice(pids, func(a, b int) bool { return pids[a] < pids[b] })
	for _, p := range pids {
		v := s.dirtyRows[p]
		batch = append(batch, kv{rowKey(p), v})
		size += len(v) + 16
		if size >= flushChunk {
			if err := write(); err != nil {
				return err
			}
		}
	}
	if err := write(); err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx *store.Txn) error {
		if err := tx.Put(keyMeta, meta{Format: indexFormat, Patients: n}); err != nil {
			return err
		}
		return tx.Delete(keyDirty)
	})
	if err != nil {
		return err
	}
	clear(ix.dirtyKeys) // shared by every version of the index (index.go)
	clear(ix.dirtyPids)
	s.dirtyRows = map[uint32][]byte{}
	return nil
}

// ImportResult is the contract's ImportResult.
type ImportResult struct {
	Accepted int           `json:"accepted"`
	Rejected int           `json:"rejected"`
	Errors   []ImportError `json:"errors"`
}

// ImportError says what was wrong with one rejected record, and where.
type ImportError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// maxErrors bounds the errors an ImportResult lists; Rejected still counts all.
const maxErrors = 1000

func (r *ImportResult) reject(loc, format string, a ...any) {
	r.Rejected++
	if len(r.Errors) < maxErrors {
		r.Errors = append(r.Errors, ImportError{Location: loc, Message: fmt.Sprintf(format, a...)})
	}
}

// mutation changes one patient's record; loc names the source record for
// error reports. fn receives the current record (zero with ID set when new).
type mutation struct {
	id      string
	loc     string
	records int // source records this mutation carries (counted as accepted)
	fn      func(p *Patient) error
}

// applyBatch is how many patients one write transaction carries.
const applyBatch = 2000

// maxIDLen bounds a patient id's length.
const maxIDLen = 256

func validID(id string) error {
	if id == "" {
		return fmt.Errorf("empty patient id")
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("patient id longer than %d bytes", maxIDLen)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("patient id contains a control character")
		}
	}
	return nil
}

// apply runs mutations in batched transactions, updates a private copy of
// the in-memory index after each commit and publishes it once at the end
// (also after an error, so the index matches the committed batches), and
// reports per-record rejections into res. The caller holds imu and
// flushes afterwards.
func (s *Service) apply(ctx context.Context, muts []mutation, res *ImportResult) error {
	ix := s.begin()
	defer s.publish(ix)
	type pair struct {
		old, new *Patient
		records  int
	}
	for start := 0; start < len(muts); start += applyBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+applyBatch, len(muts))
		var pairs []pair
		var rejected []ImportError
		err := s.db.Update(ctx, func(tx *store.Txn) error {
			pairs, rejected = pairs[:0], rejected[:0]
			if err := tx.Put(keyDirty, true); err != nil {
				return err
			}
			for _, m := range muts[start:end] {
				if err := validID(m.id); err != nil {
					rejected = append(rejected, ImportError{m.loc, err.Error()})
					continue
				}
				var old *Patient
				var cur Patient
				if err := tx.Get(patKey(m.id), &cur); err == nil {
					var o Patient
					if err := tx.Get(patKey(m.id), &o); err != nil {
						return err
					}
					old = &o
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				} else {
					cur = Patient{ID: m.id, Sex: "UNKNOWN"}
				}
				if err := m.fn(&cur); err != nil {
					rejected = append(rejected, ImportError{m.loc, err.Error()})
					continue
				}
				cur.ID = m.id
				if err := cur.normalize(); err != nil {
					rejected = append(rejected, ImportError{m.loc, err.Error()})
					continue
				}
				if err := tx.Put(patKey(m.id), &cur); err != nil {
					return err
				}
				tx.Touch("patient:" + m.id)
				c := cur
				pairs = append(pairs, pair{old, &c, m.records})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range rejected {
			res.reject(r.Location, "%s", r.Message)
		}
		for _, pr := range pairs {
			res.Accepted += pr.records
		}
		for _, pr := range pairs {
			pid, _ := ix.pid(pr.new.ID, true)
			if pr.old != nil {
				ix.remove(pid, features(pr.old))
			}
			f := features(pr.new)
			ix.add(pid, f)
			s.dirtyRows[pid] = encodeRow(f)
		}
	}
	return nil
}

// importMutations applies and flushes: the common tail of every import.
func (s *Service) importMutations(ctx context.Context, muts []mutation, res *ImportResult) error {
	s.imu.Lock()
	defer s.imu.Unlock()
	if err := s.apply(ctx, muts, res); err != nil {
		return err
	}
	return s.flush(ctx)
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
