package datasets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/standardize"
	"github.com/rxlab/rxlab/store"
)

// Task says what the targets of a dataset are.
type Task string

// The tasks a dataset may have.
const (
	// Regression targets are any finite numbers.
	Regression Task = "regression"
	// Classification targets are 0 or 1.
	Classification Task = "classification"
)

// Limits bounds one upload. Every limit is checked while the CSV is read,
// before the work it bounds; a zero field takes the default below.
type Limits struct {
	// MaxBytes bounds the CSV's size (default 256 MiB).
	MaxBytes int64
	// MaxRows bounds the data rows read, good or bad (default 2,000,000).
	MaxRows int
	// MaxColumns bounds the columns of the header (default 1,000).
	MaxColumns int
	// MaxTargets bounds Input.Targets (default 64).
	MaxTargets int
	// MaxLineBytes bounds one line of the file (default 64 KiB).
	MaxLineBytes int
	// MaxErrors bounds the row errors listed in a Result; further bad rows
	// are counted in Rejected only (default 100).
	MaxErrors int
	// MaxSMILESBytes bounds one SMILES cell (default 4,096 bytes).
	MaxSMILESBytes int
}

// The default limits.
const (
	DefaultMaxBytes       = 256 << 20
	DefaultMaxRows        = 2_000_000
	DefaultMaxColumns     = 1000
	DefaultMaxTargets     = 64
	DefaultMaxLineBytes   = 64 << 10
	DefaultMaxErrors      = 100
	DefaultMaxSMILESBytes = 4096
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	def(&l.MaxRows, DefaultMaxRows)
	def(&l.MaxColumns, DefaultMaxColumns)
	def(&l.MaxTargets, DefaultMaxTargets)
	def(&l.MaxLineBytes, DefaultMaxLineBytes)
	def(&l.MaxErrors, DefaultMaxErrors)
	def(&l.MaxSMILESBytes, DefaultMaxSMILESBytes)
	return l
}

// Config configures a Store.
type Config struct {
	DB     *store.DB
	Limits Limits
}

// Store keeps datasets in the store.
type Store struct {
	db     *store.DB
	limits Limits
	parser *molecules.Parser
	std    *standardize.Standardizer
	now    func() time.Time
	// mu serializes deletes. Uploads run in parallel: each checks its
	// name again in the transaction that commits it.
	mu sync.Mutex
}

// New returns a Store over cfg.DB.
func New(cfg Config) (*Store, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("datasets: %w: nil store", store.ErrInvalid)
	}
	l := cfg.Limits
	if l.MaxBytes < 0 || l.MaxRows < 0 || l.MaxColumns < 0 || l.MaxTargets < 0 || l.MaxLineBytes < 0 || l.MaxErrors < 0 || l.MaxSMILESBytes < 0 {
		return nil, fmt.Errorf("datasets: %w: limits must not be negative", store.ErrInvalid)
	}
	l = l.withDefaults()
	p, err := molecules.NewParser(molecules.ParserConfig{MaxLength: l.MaxSMILESBytes})
	if err != nil {
		return nil, err
	}
	std, err := standardize.New(standardize.Config{Parser: p})
	if err != nil {
		return nil, err
	}
	return &Store{db: cfg.DB, limits: l, parser: p, std: std, now: time.Now}, nil
}

// Limits returns the limits in force (defaults filled in).
func (s *Store) Limits() Limits { return s.limits }

// Dataset is a stored dataset's record.
type Dataset struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Owner is the id of the token that uploaded it (empty for internal callers).
	Owner        string   `json:"owner,omitempty"`
	Task         Task     `json:"task"`
	SMILESColumn string   `json:"smilesColumn"`
	Targets      []string `json:"targets"`
	// Rows is the number of rows stored.
	Rows int `json:"rows"`
	// Rejected is the number of rows of the upload that were not stored.
	Rejected int `json:"rejected"`
	// Standardized says whether molecules were standardized at upload;
	// Changed counts the rows the standardizer changed.
	Standardized bool `json:"standardized"`
	Changed      int  `json:"changed,omitempty"`
	// Hash is the hex SHA-256 of the canonical content (see the package doc).
	Hash string `json:"hash"`
	// Bytes is the size of the uploaded CSV.
	Bytes     int64  `json:"bytes"`
	Chunks    int    `json:"chunks"`
	CreatedAt string `json:"createdAt"`
}

func metaKey(id string) []byte { return []byte("ds/m/" + id) }

func chunkPrefix(id string) []byte { return []byte("ds/r/" + id + "/") }

func chunkKey(id string, i int) []byte { return []byte(fmt.Sprintf("ds/r/%s/%08x", id, i)) }

func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("datasets: id: %w", err)
	}
	return "D" + hex.EncodeToString(b[:]), nil
}

// caller is the requesting token and whether it may see every dataset
// (admins and internal callers without audit information).
func caller(ctx context.Context) (owner string, all bool) {
	a, ok := store.AuditFromContext(ctx)
	if !ok {
		return "", true
	}
	return a.Actor, a.Role == "admin"
}

// List returns the datasets the caller may see, by name then id.
func (s *Store) List(ctx context.Context) ([]Dataset, error) {
	owner, all := caller(ctx)
	var out []Dataset
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("ds/m/"), nil, func(r store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var d Dataset
			if err := r.Decode(&d); err != nil {
				return err
			}
			if all || d.Owner == owner {
				out = append(out, d)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns the dataset id, or an error wrapping store.ErrNotFound when
// there is none or it belongs to another caller.
func (s *Store) Get(ctx context.Context, id string) (Dataset, error) {
	var d Dataset
	err := s.db.View(ctx, func(tx *store.Txn) error { return s.getTx(ctx, tx, id, &d) })
	return d, err
}

func (s *Store) getTx(ctx context.Context, tx *store.Txn, id string, d *Dataset) error {
	if err := checkID(id); err != nil {
		return err
	}
	err := tx.Get(metaKey(id), d)
	if err == nil {
		owner, all := caller(ctx)
		if !all && d.Owner != owner {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("dataset %s: %w", id, err)
	}
	return nil
}

func checkID(id string) error {
	if len(id) != 17 || id[0] != 'D' || strings.Trim(id[1:], "0123456789abcdef") != "" {
		return fmt.Errorf("dataset id: %w: want D followed by 16 hex digits", store.ErrInvalid)
	}
	return nil
}

// Rows returns a dataset's rows for training: canonical SMILES (after
// standardization when the upload asked for it), one slice of targets per
// row in the order of Dataset.Targets (NaN marks a missing value), the
// task and the content hash to record in a model. The caller must be the
// owner or an admin, or an internal caller (a context without audit
// information). The read is one consistent view.
func (s *Store) Rows(ctx context.Context, id string) (smiles []string, targets [][]float64, task Task, hash string, err error) {
	err = s.db.View(ctx, func(tx *store.Txn) error {
		var d Dataset
		if err := s.getTx(ctx, tx, id, &d); err != nil {
			return err
		}
		smiles = make([]string, 0, d.Rows)
		targets = make([][]float64, 0, d.Rows)
		nt := len(d.Targets)
		flat := make([]float64, 0, d.Rows*nt)
		err := tx.Scan(chunkPrefix(id), nil, func(r store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			p, err := r.Raw()
			if err != nil {
				return err
			}
			smiles, flat, err = decodeChunk(p, nt, smiles, flat)
			return err
		})
		if err != nil {
			return fmt.Errorf("dataset %s: %w", id, err)
		}
		if len(smiles) != d.Rows {
			return fmt.Errorf("dataset %s: %d rows stored, record says %d", id, len(smiles), d.Rows)
		}
		for i := range smiles {
			targets = append(targets, flat[i*nt:(i+1)*nt:(i+1)*nt])
		}
		task, hash = d.Task, d.Hash
		return nil
	})
	if err != nil {
		return nil, nil, "", "", err
	}
	return smiles, targets, task, hash, nil
}

// Delete removes a dataset and its rows in one staged write (audited as
// "dataset:<id>"). Only the owner or an admin may delete; another caller
// gets store.ErrNotFound, as for Get.
func (s *Store) Delete(ctx context.Context, id string) (Dataset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.Get(ctx, id)
	if err != nil {
		return Dataset{}, err
	}
	st, err := s.db.BeginStage(ctx, "delete dataset")
	if err != nil {
		return Dataset{}, err
	}
	st.Touch("dataset:" + id)
	for i := 0; i < d.Chunks; i++ {
		if err := st.Delete(chunkKey(id, i)); err != nil {
			st.Abort()
			return Dataset{}, err
		}
	}
	if err := st.Delete(metaKey(id)); err != nil {
		st.Abort()
		return Dataset{}, err
	}
	if err := st.Commit(ctx, nil); err != nil {
		return Dataset{}, err
	}
	return d, nil
}
