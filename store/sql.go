package store

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The shared SQL backend.
//
// The same key-value model as Badger, in a handful of tables of a
// PostgreSQL-wire database (PostgreSQL, CockroachDB, YugabyteDB):
//
//	rx_kv(key bytea primary key, val bytea)     every record; val sealed with the key file
//	rx_meta(name text primary key, val text)    the backend's own settings (encryption)
//	rx_stage_head(id, label, created, touched)  a Stage being written
//	rx_stage(id, key, op, val)                  its entries (op 1 put, 0 delete)
//	rx_feed(id=1, seq)                          the change feed's head
//	rx_changes(seq primary key, origin, at, prefixes, keys, truncated)  one row per write
//
// Update is one SERIALIZABLE transaction, re-run on a serialization
// failure (SQLSTATE 40001, 40P01) with jittered backoff that honours ctx;
// View is one REPEATABLE READ, READ ONLY transaction (a snapshot). A Stage
// writes its entries into rx_stage in transactions of its own and commits
// by copying them into rx_kv in the one transaction that also holds the
// caller's final writes, the audit record and the change-feed row: the
// database's atomicity is the whole-or-nothing guarantee, and a stage left
// by a crash is just unreferenced rows, removed after staleStage.
//
// Nothing here needs advisory locks, LISTEN (used when there, polled
// otherwise), sequences with ordering guarantees or triggers.

// sqlRetries bounds how often an Update is re-run after serialization failures.
const sqlRetries = 200

// staleStage is how long a stage may go without a batch before Open or the
// maintenance loop of any node drops it as abandoned.
const staleStage = time.Hour

// sqlStore is the SQL backend of a DB.
type sqlStore struct {
	pool   *pgxpool.Pool
	seal   *sealer
	log    *slog.Logger
	origin string // this process's id in the change feed
	notify bool   // pg_notify works (PostgreSQL); otherwise followers poll

	feed *feedWatch
	once sync.Once
}

var sqlSchema = []string{
	`CREATE TABLE IF NOT EXISTS rx_kv (key BYTEA PRIMARY KEY, val BYTEA NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS rx_meta (name TEXT PRIMARY KEY, val TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS rx_stage_head (id TEXT PRIMARY KEY, label TEXT NOT NULL, created TIMESTAMPTZ NOT NULL, touched TIMESTAMPTZ NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS rx_stage (id TEXT NOT NULL, key BYTEA NOT NULL, op SMALLINT NOT NULL, val BYTEA, PRIMARY KEY (id, key))`,
	`CREATE TABLE IF NOT EXISTS rx_feed (id INT PRIMARY KEY, seq BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS rx_changes (seq BIGINT PRIMARY KEY, origin TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, prefixes TEXT NOT NULL, keys BYTEA, truncated BOOL NOT NULL)`,
	`INSERT INTO rx_feed (id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
}

// openSQL opens the SQL backend named by cfg.URL.
func openSQL(cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, fmt.Errorf("store: open: %w: the store URL does not parse as a PostgreSQL connection string", ErrInvalid)
	}
	if !strings.Contains(cfg.URL, "pool_max_conns") {
		pc.MaxConns = 16
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", redact(cfg.URL), err)
	}
	s := &sqlStore{pool: pool, log: log}
	var rb [8]byte
	crand.Read(rb[:])
	s.origin = hex.EncodeToString(rb[:])
	if err := s.schema(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if s.seal, err = s.checkKey(ctx, cfg.EncryptionKey); err != nil {
		pool.Close()
		return nil, err
	}
	s.notify = s.probeNotify(ctx)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	db := &DB{sql: s, log: log, now: now, stop: make(chan struct{})}
	s.feed = newFeedWatch(s)
	if err := db.checkFormatSQL(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.dropStale(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db.startAuditWriter()
	db.wg.Add(1)
	go db.sqlMaintenance()
	return db, nil
}

// redact hides the password of a connection URL for messages.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return "the SQL store"
	}
	return url[:scheme+3] + "…" + url[at:]
}

// schema creates the tables; nodes starting together may race on CREATE
// TABLE IF NOT EXISTS, so a failure is retried.
func (s *sqlStore) schema(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = nil
		for _, q := range sqlSchema {
			if _, err = s.pool.Exec(ctx, q); err != nil {
				break
			}
		}
		if err == nil {
			return nil
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
	return fmt.Errorf("store: create the SQL schema: %w", err)
}

// probeNotify reports whether pg_notify exists (PostgreSQL, YugabyteDB);
// CockroachDB has none, and its followers poll.
func (s *sqlStore) probeNotify(ctx context.Context) bool {
	_, err := s.pool.Exec(ctx, `SELECT pg_notify('rxlab_changes', '0')`)
	return err == nil
}

func (db *DB) checkFormatSQL(ctx context.Context) error {
	key := []byte("meta/format")
	return db.sqlUpdate(ctx, func(tx *Txn) error {
		var ver int
		err := tx.Get(key, &ver)
		if errors.Is(err, ErrNotFound) {
			return tx.Put(key, FormatVersion)
		}
		if err != nil {
			return err
		}
		if ver > FormatVersion {
			return fmt.Errorf("store: %w: the database was written by format version %d, this build reads up to %d; upgrade rxlab", ErrConflict, ver, FormatVersion)
		}
		return nil
	}, nil)
}

func (s *sqlStore) close() {
	s.feed.stop()
	s.pool.Close()
}

func (s *sqlStore) size() int64 {
	var n int64
	err := s.pool.QueryRow(context.Background(),
		`SELECT pg_total_relation_size('rx_kv') + pg_total_relation_size('rx_stage') + pg_total_relation_size('rx_changes')`).Scan(&n)
	if err != nil {
		return 0
	}
	return n
}

// retryable reports a serialization failure or deadlock: the transaction
// was rolled back and may simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// backoff sleeps before attempt+1 (jittered, growing to 100 ms), or
// returns ctx's error.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<min(attempt, 7)) * time.Millisecond
	d = min(d, 100*time.Millisecond)
	d = d/2 + time.Duration(rand.Int64N(int64(d)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// inTx runs fn in one transaction with the given isolation and commits
// it. The commit itself is not cancelled by ctx: fn checks ctx last, so a
// done context means nothing was written, and a commit that started is
// seen through.
func (s *sqlStore) inTx(ctx context.Context, opts pgx.TxOptions, fn func(q *sqlTxn) error) error {
	ptx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	q := &sqlTxn{ctx: ctx, tx: ptx, s: s, chg: newChangeSet()}
	if err := fn(q); err != nil {
		ptx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if opts.AccessMode == pgx.ReadOnly {
		return ptx.Rollback(context.WithoutCancel(ctx))
	}
	if err := ptx.Commit(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

var serializable = pgx.TxOptions{IsoLevel: pgx.Serializable}

// sqlUpdate is Update on SQL; summary, when set, adds a stage's target
// summary to the audit record.
func (db *DB) sqlUpdate(ctx context.Context, fn func(tx *Txn) error, summary func(*AuditRecord)) error {
	a, audited := auditFrom(ctx)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := db.sql.inTx(ctx, serializable, func(q *sqlTxn) error {
			tx := &Txn{q: q, db: db, write: true}
			if err := fn(tx); err != nil {
				return err
			}
			if audited {
				if err := tx.appendAuditWith(a, "ok", summary); err != nil {
					return err
				}
			}
			if err := q.recordChange(); err != nil {
				return err
			}
			// The last moment a deadline can still cancel the write.
			return ctx.Err()
		})
		switch {
		case err == nil:
			if audited && a.Recorded != nil {
				a.Recorded.Add(1)
			}
			return nil
		case retryable(err) && attempt < sqlRetries:
			if berr := backoff(ctx, attempt); berr != nil {
				return berr
			}
			continue
		case retryable(err):
			return fmt.Errorf("store: %w: transaction kept conflicting after %d attempts", ErrConflict, attempt+1)
		}
		if e := ctx.Err(); e != nil && !errors.Is(err, e) {
			return fmt.Errorf("%w (%v)", e, err)
		}
		return err
	}
}

var snapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// sqlView is View on SQL: one read-only snapshot.
func (db *DB) sqlView(ctx context.Context, fn func(tx *Txn) error) error {
	return db.sql.inTx(ctx, snapshot, func(q *sqlTxn) error {
		return fn(&Txn{q: q, db: db})
	})
}

// sqlMaintenance drops abandoned stages and prunes the change feed.
func (db *DB) sqlMaintenance() {
	defer db.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := db.sql.dropStale(ctx); err != nil {
				db.log.Warn("dropping abandoned stages", "err", err)
			}
			if err := db.sql.pruneChanges(ctx); err != nil {
				db.log.Warn("pruning the change feed", "err", err)
			}
			cancel()
		}
	}
}
