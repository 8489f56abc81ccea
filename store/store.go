package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// FormatVersion is the database format this build writes and the newest it reads.
const FormatVersion = 1

// Config says where and how to open a database.
type Config struct {
	// Dir is the data directory of the embedded Badger backend; it is
	// created when missing. Ignored when URL is set.
	Dir string
	// URL, when set, selects the shared SQL backend: a PostgreSQL-wire
	// connection string (postgres://user@host:port/db?sslmode=...), so that
	// several rxlab processes share one database (sql.go). Values are
	// encrypted client-side with EncryptionKey.
	URL string
	// EncryptionKey, when set, must be 32 bytes (AES-256). A database created
	// with a key cannot be opened without it (nor one created without a key
	// with one).
	EncryptionKey []byte
	// GCInterval is how often the value log is garbage-collected; zero means
	// ten minutes, a negative value turns the timer off.
	GCInterval time.Duration
	// Logger receives Badger's warnings and the store's own events; nil discards them.
	Logger *slog.Logger
	// Now returns the current time (audit timestamps); nil means time.Now.
	Now func() time.Time
}

// DB is an open rxlab database.
type DB struct {
	bdb    *badger.DB
	sql    *sqlStore // the shared SQL backend, or nil for Badger
	log    *slog.Logger
	now    func() time.Time
	stop   chan struct{}
	aw     *auditWriter
	wg     sync.WaitGroup
	closed sync.Once

	// cleanup counts the removals of committed stages' data under way;
	// Close waits for them.
	cleanup sync.WaitGroup
	// cmu serializes stage commits (flip and roll-forward).
	cmu sync.Mutex
	// gate is held shared by Update from its staged-key check to its
	// commit, and exclusively while a roll-forward is announced, so an
	// Update either commits before a roll-forward starts or sees it.
	gate sync.RWMutex
	// pmu guards pending, rolling and rollErr, and orders View's snapshot
	// against the pending list (overlay.go). Readers hold it shared: opening
	// a Badger transaction waits for commits in flight (and their fsync),
	// and an exclusive lock there queued every reader behind every commit.
	pmu     sync.RWMutex
	pending []string
	rolling *rollForward // the roll-forward under way, or nil
	rollErr error
}

// Open opens (or creates) the database in cfg.Dir.
func Open(cfg Config) (*DB, error) {
	if n := len(cfg.EncryptionKey); cfg.URL != "" && n != 0 && n != 32 {
		return nil, fmt.Errorf("store: open: %w: encryption key has %d bytes, want 32 (AES-256)", ErrInvalid, n)
	}
	if cfg.URL != "" {
		return openSQL(cfg)
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("store: open: %w: empty data directory", ErrInvalid)
	}
	if n := len(cfg.EncryptionKey); n != 0 && n != 32 {
		return nil, fmt.Errorf("store: open: %w: encryption key has %d bytes, want 32 (AES-256)", ErrInvalid, n)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := badger.DefaultOptions(cfg.Dir).
		WithSyncWrites(true).
		WithLogger(badgerLogger{log}).
		WithCompression(options.ZSTD).
		WithNumVersionsToKeep(1).
		// Sized for a workbench process that must stream large imports in
		// under 200 MB: Badger's defaults (five 64 MB memtables, a 256 MB
		// block cache) alone could take more than that.
		WithMemTableSize(32 << 20).
		WithNumMemtables(3).
		WithBlockCacheSize(64 << 20)
	if len(cfg.EncryptionKey) > 0 {
		// Badger is slow with encryption without an index cache.
		opts = opts.WithEncryptionKey(cfg.EncryptionKey).
			WithIndexCacheSize(32 << 20)
	}
	if err := removeEmptyLogs(cfg.Dir, log); err != nil {
		return nil, err
	}
	bdb, err := badger.Open(opts)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "Encryption key mismatch"), strings.Contains(msg, "encryption key"):
			return nil, fmt.Errorf("store: open %s: %w: the database is encrypted and the key is missing or wrong", cfg.Dir, ErrPermission)
		}
		return nil, fmt.Errorf("store: open %s: %w", cfg.Dir, err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	db := &DB{bdb: bdb, log: log, now: now, stop: make(chan struct{})}
	if err := db.checkFormat(); err != nil {
		bdb.Close()
		return nil, err
	}
	if err := db.recoverStages(); err != nil {
		bdb.Close()
		return nil, err
	}
	db.startAuditWriter()
	gc := cfg.GCInterval
	if gc == 0 {
		gc = 10 * time.Minute
	}
	if gc > 0 {
		db.wg.Add(1)
		go db.gcLoop(gc)
	}
	return db, nil
}

// checkFormat writes the format version into a new database and refuses one
// written by a newer format.
func (db *DB) checkFormat() error {
	key := []byte("meta/format")
	return db.bdb.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			v, _ := encodeJSON(FormatVersion)
			return txn.Set(key, v)
		}
		if err != nil {
			return fmt.Errorf("store: read format: %w", err)
		}
		var ver int
		if err := item.Value(func(val []byte) error { return decode(key, val, &ver) }); err != nil {
			return err
		}
		if ver > FormatVersion {
			return fmt.Errorf("store: %w: the database was written by format version %d, this build reads up to %d; upgrade rxlab", ErrConflict, ver, FormatVersion)
		}
		return nil
	})
}

func (db *DB) gcLoop(every time.Duration) {
	defer db.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			n := 0
			for db.bdb.RunValueLogGC(0.5) == nil {
				n++
			}
			if n > 0 {
				db.log.Info("value log gc", "rewritten", n)
			}
		}
	}
}

// Close stops background work and closes the database; it is safe to call twice.
func (db *DB) Close() error {
	var err error
	db.closed.Do(func() {
		close(db.stop)
		<-db.aw.done
		db.wg.Wait()
		db.cleanup.Wait()
		if db.sql != nil {
			db.sql.close()
			return
		}
		err = db.bdb.Close()
	})
	return err
}

// maxRetries bounds how often Update re-runs a function that lost a conflict.
const maxRetries = 20

// Update runs fn in one read-write transaction and commits it. It re-runs fn
// when the commit conflicts with a concurrent transaction, so fn must not
// have side effects outside the transaction. When ctx carries audit
// information (see WithAudit), one audit record is appended in the same
// transaction. ctx is checked right before the commit, so an error from a
// done context means nothing was written. A transaction over Badger's
// budget (about 4.8 MB) is refused with an error wrapping ErrInvalid before
// anything is written; larger writes go through a Stage. An Update that
// sets a key of a committed stage still being rolled forward waits until
// the roll-forward ends (other Updates do not wait).
func (db *DB) Update(ctx context.Context, fn func(tx *Txn) error) error {
	if db.sql != nil {
		return db.sqlUpdate(ctx, fn, nil)
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		db.pmu.RLock()
		rollErr := db.rollErr
		db.pmu.RUnlock()
		if rollErr != nil {
			return rollErr
		}
		txn := db.bdb.NewTransaction(true)
		tx := &Txn{t: txn, db: db, write: true}
		err := fn(tx)
		a, audited := auditFrom(ctx)
		if err == nil && audited {
			err = tx.appendAudit(a, "ok")
		}
		var wait <-chan struct{}
		if err == nil {
			db.gate.RLock()
			wait, err = db.stagedConflict(tx)
			if wait == nil && err == nil {
				// The last moment a deadline can still cancel the write.
				err = ctx.Err()
				if err == nil {
					err = txn.Commit()
				}
			}
			db.gate.RUnlock()
		}
		txn.Discard()
		if wait != nil {
			// A key this write sets is being rolled forward by a committed
			// stage: write after it, not under it.
			select {
			case <-wait:
			case <-ctx.Done():
				return ctx.Err()
			}
			attempt--
			continue
		}
		switch {
		case err == nil:
			if audited && a.Recorded != nil {
				a.Recorded.Add(1)
			}
			return nil
		case errors.Is(err, badger.ErrConflict) && attempt < maxRetries:
			time.Sleep(time.Duration(attempt+1) * time.Millisecond)
			continue
		case errors.Is(err, badger.ErrConflict):
			return fmt.Errorf("store: %w: transaction kept conflicting after %d attempts", ErrConflict, attempt+1)
		case isTooBig(err):
			return errTooBig("the write")
		}
		return err
	}
}

// View runs fn in a read-only snapshot. A stage committed but still being
// rolled forward is seen whole through an overlay (overlay.go); View never
// waits for writers.
func (db *DB) View(ctx context.Context, fn func(tx *Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.sql != nil {
		return db.sqlView(ctx, fn)
	}
	db.pmu.RLock()
	var ids []string
	if len(db.pending) > 0 {
		ids = append(ids, db.pending...)
	}
	txn := db.bdb.NewTransaction(false)
	db.pmu.RUnlock()
	defer txn.Discard()
	tx := &Txn{t: txn, db: db}
	if len(ids) > 0 {
		if err := tx.setOverlay(ids); err != nil {
			return err
		}
	}
	return fn(tx)
}

// Backup writes a full backup of the database to w: in Badger's stream
// format on the Badger backend, in the store's own export format (Export)
// on the SQL backend. Restore reads both.
func (db *DB) Backup(ctx context.Context, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.sql != nil {
		return db.Export(ctx, w)
	}
	if _, err := db.bdb.Backup(w, 0); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// Restore loads a backup made by Backup or Export into a new, empty
// database at cfg.Dir (or cfg.URL). It refuses a directory or database
// that already holds data, so a restore can never overwrite what is
// stored. An export restores into either backend; Badger's own stream
// format only into a Badger directory.
func Restore(ctx context.Context, cfg Config, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	if isExport(br) {
		return restoreExport(ctx, cfg, br)
	}
	if cfg.URL != "" {
		return fmt.Errorf("store: restore: %w: a Badger backup restores only into a Badger directory; make the backup with Export (rxlab backup on a current build) to move it to SQL", ErrInvalid)
	}
	r = br
	entries, err := os.ReadDir(cfg.Dir)
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("store: restore: %w: %s is not empty; restore into a new directory", ErrConflict, cfg.Dir)
	}
	cfg.GCInterval = -1
	// Open a raw Badger first so that the backup's own meta/format is
	// loaded as it is and then checked.
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	opts := badger.DefaultOptions(cfg.Dir).WithSyncWrites(true).WithLogger(nil).WithCompression(options.ZSTD)
	if len(cfg.EncryptionKey) > 0 {
		opts = opts.WithEncryptionKey(cfg.EncryptionKey).WithBlockCacheSize(64 << 20).WithIndexCacheSize(32 << 20)
	}
	bdb, err := badger.Open(opts)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := ctx.Err(); err != nil {
		bdb.Close()
		return err
	}
	if err := bdb.Load(r, 256); err != nil {
		bdb.Close()
		return fmt.Errorf("store: restore: %w: %v", ErrInvalid, err)
	}
	if err := bdb.Close(); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	db, err := Open(cfg)
	if err != nil {
		return err
	}
	return db.Close()
}

// Size reports the on-disk size of the LSM tree and the value log in bytes
// (on SQL: the size of the tables, and zero).
func (db *DB) Size() (lsm, vlog int64) {
	if db.sql != nil {
		return db.sql.size(), 0
	}
	return db.bdb.Size()
}

// ReadKeyFile reads a 32-byte encryption key from path: either 32 raw bytes
// or 64 hexadecimal characters (surrounding white space ignored).
func ReadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("store: key file: %w", err)
	}
	if len(b) == 32 {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	if len(s) == 64 {
		key := make([]byte, 32)
		if _, err := fmt.Sscanf(s, "%x", &key); err == nil && len(key) == 32 {
			return key, nil
		}
	}
	return nil, fmt.Errorf("store: key file %s: %w: want 32 raw bytes or 64 hex characters, found %d bytes", path, ErrInvalid, len(b))
}

// badgerLogger sends Badger's messages to slog, keeping only warnings and errors.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Infof(string, ...any)  {}
func (b badgerLogger) Debugf(string, ...any) {}

// jsonMarshal is the one place records are encoded, so the codec can change
// behind the record version.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
