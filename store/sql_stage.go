package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Stages on the SQL backend: entries go to rx_stage in batches (each its
// own short transaction), the commit copies them into rx_kv in the one
// SERIALIZABLE transaction that also runs the caller's final writes, the
// audit record and the change-feed row. No reader ever sees a stage in
// part, so there is no overlay and no roll-forward; a crash leaves rows
// that no commit references, dropped with their head by the maintenance
// pass of any node once the head is staleStage old.

const (
	opSQLDelete = 0
	opSQLPut    = 1
)

func (s *sqlStore) beginStage(ctx context.Context, id, label string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO rx_stage_head (id, label, created, touched) VALUES ($1, $2, now(), now())`, id, label)
	return err
}

// flushStage writes one batch of staged entries (op byte + record, as
// Stage.buf holds them) and marks the stage as alive.
func (s *sqlStore) flushStage(id string, buf map[string][]byte) error {
	keys := make([][]byte, 0, len(buf))
	ops := make([]int16, 0, len(buf))
	vals := make([][]byte, 0, len(buf))
	for k, sv := range buf {
		key := []byte(k)
		keys = append(keys, key)
		if sv[0] == opDelete {
			ops, vals = append(ops, opSQLDelete), append(vals, nil)
			continue
		}
		ops, vals = append(ops, opSQLPut), append(vals, s.seal.seal(key, sv[1:]))
	}
	ctx := context.Background()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE rx_stage_head SET touched = now() WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: the stage was dropped as abandoned (no batch for %v)", ErrConflict, staleStage)
		}
		_, err = tx.Exec(ctx, `INSERT INTO rx_stage (id, key, op, val)
			SELECT $1, t.k, t.o, t.v FROM unnest($2::bytea[], $3::int2[], $4::bytea[]) AS t(k, o, v)
			ON CONFLICT (id, key) DO UPDATE SET op = excluded.op, val = excluded.val`, id, keys, ops, vals)
		return err
	})
}

// stageGet reads key as the stage would leave it (its buffer was looked
// at already): the staged entry, else the stored record, in one round
// trip. staged says whether the stage may have flushed key; when not, only
// rx_kv is read.
func (s *sqlStore) stageGet(id string, key []byte, staged bool) ([]byte, bool, error) {
	ctx := context.Background()
	var op int16
	var v []byte
	var err error
	if staged {
		err = s.pool.QueryRow(ctx, `SELECT op, val FROM (
			SELECT 0 AS src, op, val FROM rx_stage WHERE id = $1 AND key = $2
			UNION ALL SELECT 1, 1, val FROM rx_kv WHERE key = $2) AS t ORDER BY src LIMIT 1`, id, key).Scan(&op, &v)
	} else {
		op = opSQLPut
		err = s.pool.QueryRow(ctx, `SELECT val FROM rx_kv WHERE key = $1`, key).Scan(&v)
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("store: stage read: %w", err)
	case op == opSQLDelete:
		return nil, false, nil
	}
	p, err := s.seal.open(key, v)
	return p, err == nil, err
}

// flushedKeys remembers (by 64-bit hash) the keys a stage has flushed, so
// that reading a key it never staged skips the stage table. A collision
// only costs the lookup it would have saved.
type flushedKeys map[uint64]struct{}

func keyHash(k []byte) uint64 {
	h := fnv.New64a()
	h.Write(k)
	return h.Sum64()
}

// dropStageBatch is how many staged rows one delete removes.
const dropStageBatch = 10000

// dropStage deletes a stage's rows in batches walking its primary key
// (keys read in order after the last batch, then deleted by value: no
// rescans over dead rows, and no transaction so large that a distributed
// database would refuse it), then its head. The head goes last, so rows
// never outlive it: a crash here leaves a head that dropStale finds.
func (s *sqlStore) dropStage(id string) error {
	ctx := context.Background()
	after := []byte{}
	for {
		rows, err := s.pool.Query(ctx, `SELECT key FROM rx_stage WHERE id = $1 AND key > $2 ORDER BY key LIMIT $3`, id, after, dropStageBatch)
		if err != nil {
			return fmt.Errorf("store: drop stage: %w", err)
		}
		var keys [][]byte
		for rows.Next() {
			var k []byte
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return fmt.Errorf("store: drop stage: %w", err)
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: drop stage: %w", err)
		}
		if len(keys) == 0 {
			break
		}
		if _, err := s.pool.Exec(ctx, `DELETE FROM rx_stage WHERE id = $1 AND key = ANY($2)`, id, keys); err != nil {
			return fmt.Errorf("store: drop stage: %w", err)
		}
		after = keys[len(keys)-1]
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM rx_stage_head WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: drop stage: %w", err)
	}
	return nil
}

// dropStale drops the stages whose head has not moved for staleStage:
// abandoned by a crashed process, or committed and aborted ones whose
// cleanup did not finish. A live stage's head moves at every batch and at
// its commit.
func (s *sqlStore) dropStale(ctx context.Context) error {
	var ids []string
	rows, err := s.pool.Query(ctx, `SELECT id FROM rx_stage_head WHERE touched < $1`, time.Now().Add(-staleStage))
	if err != nil {
		return fmt.Errorf("store: find abandoned stages: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("store: find abandoned stages: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: find abandoned stages: %w", err)
	}
	for _, id := range ids {
		if err := s.dropStage(id); err != nil {
			return err
		}
		s.log.Info("dropped an abandoned stage", "stage", id)
	}
	return nil
}

// commitSQL is Stage.Commit on SQL; the stage's batches are written.
func (s *Stage) commitSQL(ctx context.Context, final func(tx *Txn) error) error {
	db := s.db
	start := time.Now()
	err := db.sqlUpdate(ctx, func(tx *Txn) error {
		q := tx.q
		var one int
		err := q.tx.QueryRow(q.ctx, `SELECT 1 FROM rx_stage_head WHERE id = $1`, s.id).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("store: stage %s: %w: it was dropped as abandoned", s.label, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: stage %s: %w", s.label, err)
		}
		if s.guard != nil {
			if err := s.guard.check(q); err != nil {
				return err
			}
		}
		for _, stmt := range []string{
			`DELETE FROM rx_kv WHERE key IN (SELECT key FROM rx_stage WHERE id = $1 AND op = 0)`,
			`INSERT INTO rx_kv (key, val) SELECT key, val FROM rx_stage WHERE id = $1 AND op = 1 ON CONFLICT (key) DO UPDATE SET val = excluded.val`,
			// The head stays until the rows are gone (dropStage); its
			// commit time keeps it from looking abandoned meanwhile.
			`UPDATE rx_stage_head SET touched = now() WHERE id = $1`,
		} {
			if _, err := q.tx.Exec(q.ctx, stmt, s.id); err != nil {
				return fmt.Errorf("store: stage %s: commit: %w", s.label, err)
			}
		}
		q.chg.merge(s.chg)
		if final != nil {
			return final(tx)
		}
		return nil
	}, s.summary)
	if err != nil {
		s.Abort()
		return err
	}
	s.done = true
	db.log.Info("stage committed", "stage", s.label, "entries", s.entries, "took", time.Since(start))
	db.cleanup.Add(1)
	go func() {
		defer db.cleanup.Done()
		if err := db.sql.dropStage(s.id); err != nil {
			db.log.Warn("stage cleanup; the maintenance pass retries it", "stage", s.label, "err", err)
		}
	}()
	return nil
}
