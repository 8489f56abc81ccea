package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// sqlTxn is one SQL transaction under a Txn: the key-value operations of
// the SQL backend. Values are sealed on the way in and opened on the way
// out (crypt.go).
type sqlTxn struct {
	ctx context.Context
	tx  pgx.Tx
	s   *sqlStore
	chg *changeSet // keys written, for the change feed
	n   int        // bytes of keys and values written
}

// sqlTxnBudget bounds the bytes one Update (or a stage's final writes)
// sets on SQL, as Badger's transaction budget does there: a write that
// large belongs in a Stage, which has no bound.
const sqlTxnBudget = 32 << 20

func (q *sqlTxn) get(key []byte) ([]byte, bool, error) {
	var v []byte
	err := q.tx.QueryRow(q.ctx, `SELECT val FROM rx_kv WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get: %w", err)
	}
	p, err := q.s.seal.open(key, v)
	if err != nil {
		return nil, false, err
	}
	return p, true, nil
}

func (q *sqlTxn) set(key, val []byte) error {
	q.chg.add(key)
	if q.n += len(key) + len(val); q.n > sqlTxnBudget {
		return fmt.Errorf("store: %w: the write sets more than %d MB in one transaction; write it through a Stage", ErrInvalid, sqlTxnBudget>>20)
	}
	_, err := q.tx.Exec(q.ctx, `INSERT INTO rx_kv (key, val) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET val = excluded.val`,
		key, q.s.seal.seal(key, val))
	if err != nil {
		return fmt.Errorf("store: set: %w", err)
	}
	return nil
}

func (q *sqlTxn) del(key []byte) error {
	q.chg.add(key)
	if _, err := q.tx.Exec(q.ctx, `DELETE FROM rx_kv WHERE key = $1`, key); err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key with prefix,
// or nil when there is none (an empty prefix or one of 0xFF bytes).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// scanPageBytes bounds the values one page of a scan holds in memory.
const scanPageBytes = 8 << 20

type kvPair struct{ k, v []byte }

// scan calls fn for each key with prefix (from start) in key order. Rows
// are read a page at a time (keyset pagination inside the transaction's
// snapshot), so fn may run queries of its own, such as reading the chunks
// of a raw value.
func (q *sqlTxn) scan(prefix, start []byte, values bool, fn func(k, v []byte) error) error {
	lo, incl := prefix, true
	if lo == nil {
		lo = []byte{}
	}
	if start != nil && string(start) > string(prefix) {
		lo = start
	}
	hi := prefixEnd(prefix)
	limit := 256
	for {
		if err := q.ctx.Err(); err != nil {
			return err
		}
		page, err := q.page(lo, incl, hi, values, limit)
		if err != nil {
			return err
		}
		size := 0
		for _, p := range page {
			size += len(p.k) + len(p.v)
			v := p.v
			if values {
				if v, err = q.s.seal.open(p.k, v); err != nil {
					return err
				}
			}
			if err := fn(p.k, v); err != nil {
				return err
			}
		}
		if len(page) < limit {
			return nil
		}
		lo, incl = page[len(page)-1].k, false
		// Keep a page near scanPageBytes whatever the value sizes.
		limit = max(1, min(2048, scanPageBytes/max(1, size/len(page))))
	}
}

func (q *sqlTxn) page(lo []byte, incl bool, hi []byte, values bool, limit int) ([]kvPair, error) {
	cols := "key, val"
	if !values {
		cols = "key, NULL::bytea"
	}
	op := ">="
	if !incl {
		op = ">"
	}
	sql := `SELECT ` + cols + ` FROM rx_kv WHERE key ` + op + ` $1`
	args := []any{lo}
	if hi != nil {
		sql += ` AND key < $2`
		args = append(args, hi)
	}
	sql += fmt.Sprintf(` ORDER BY key LIMIT %d`, limit)
	rows, err := q.tx.Query(q.ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: scan: %w", err)
	}
	defer rows.Close()
	var out []kvPair
	for rows.Next() {
		var p kvPair
		if err := rows.Scan(&p.k, &p.v); err != nil {
			return nil, fmt.Errorf("store: scan: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: scan: %w", err)
	}
	return out, nil
}
