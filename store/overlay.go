package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Readers and a stage being rolled forward.
//
// A stage's commit record (stg/<id>/c) is its commit point. Copying its
// entries into their real keys (roll-forward) takes many transactions, so
// a reader could see some of them and not others. To prevent that, the DB
// keeps the ids of stages between "about to flip" and "rolled forward" in
// db.pending. View reads that list and opens its Badger snapshot under the
// same short mutex; for every listed stage whose commit record is visible in
// the snapshot, reads look in the stage's data first (an overlay). Because
// the stage's data is deleted only after its id leaves the list, a
// snapshot that saw the id always sees all of the stage's data, and one that
// did not see it was opened either before the flip or after the
// roll-forward ended. Readers therefore see a stage whole or not at all and
// are never blocked.
//
// Writers are not blocked either, unless they write a key the stage holds:
// before it commits, Update looks up each key it set in the data of the
// stage being rolled forward and, when one is there, waits for the
// roll-forward to end and runs again, so a roll-forward never overwrites a
// newer write. The check and the commit happen under db.gate held shared,
// and a roll-forward is announced under it held exclusively, so no Update
// can pass the check before the announcement and commit after it. A Badger
// read-write transaction may hold only one iterator, so write transactions
// carry no overlay: an Update that reads a key of a stage being rolled
// forward may read its old value (it then conflicts with the roll-forward
// and runs again if it writes after it). Stage commits are serialized
// (db.cmu).

// rollForward is one announced roll-forward; done is closed at its end.
type rollForward struct {
	id   string
	done chan struct{}
}

// stagedConflict returns the roll-forward to wait for when tx wrote a key
// that the stage being rolled forward holds. The caller holds db.gate
// shared.
func (db *DB) stagedConflict(tx *Txn) (<-chan struct{}, error) {
	db.pmu.RLock()
	r := db.rolling
	db.pmu.RUnlock()
	if r == nil || len(tx.written) == 0 {
		return nil, nil
	}
	view := db.bdb.NewTransaction(false)
	defer view.Discard()
	pre := stageDataPrefix(r.id)
	for _, k := range tx.written {
		_, err := view.Get(append(bytes.Clone(pre), k...))
		if err == nil {
			return r.done, nil
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return nil, fmt.Errorf("store: staged-key check: %w", err)
		}
	}
	return nil, nil
}

// Staged entry ops: the first byte of a value under stg/<id>/d/.
const (
	opPut    = 'P'
	opDelete = 'D'
)

func stagePrefix(id string) []byte     { return []byte("stg/" + id + "/") }
func stageDataPrefix(id string) []byte { return []byte("stg/" + id + "/d/") }
func stageCommitKey(id string) []byte  { return []byte("stg/" + id + "/c") }
func stageHeadKey(id string) []byte    { return []byte("stg/" + id + "/h") }

// setOverlay keeps the listed stages whose commit record this snapshot sees.
func (tx *Txn) setOverlay(ids []string) error {
	for _, id := range ids {
		_, ok, err := tx.getBadger(stageCommitKey(id))
		if err != nil {
			return err
		}
		if ok {
			tx.over = append(tx.over, stageDataPrefix(id))
		}
	}
	return nil
}

// mergeScan walks the real keys with prefix merged with the overlays' staged
// entries for the same keys, the newest stage winning; staged deletes hide
// the key. values asks for the encoded record of each key.
func (tx *Txn) mergeScan(prefix, start []byte, values bool, fn func(k, v []byte) error) error {
	type src struct {
		it    *badger.Iterator
		pre   []byte
		strip int
	}
	suffix := prefix
	if start != nil {
		suffix = start
	}
	var srcs []src
	add := func(base []byte, prefetch bool) {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = append(bytes.Clone(base), prefix...)
		opts.PrefetchValues = prefetch
		it := tx.t.NewIterator(opts)
		it.Seek(append(bytes.Clone(base), suffix...))
		srcs = append(srcs, src{it, opts.Prefix, len(base)})
	}
	add(nil, values)
	for _, o := range tx.over {
		add(o, true)
	}
	defer func() {
		for _, s := range srcs {
			s.it.Close()
		}
	}()
	for {
		bi := -1
		var best []byte
		for i, s := range srcs {
			if !s.it.ValidForPrefix(s.pre) {
				continue
			}
			k := s.it.Item().Key()[s.strip:]
			if bi < 0 || bytes.Compare(k, best) <= 0 {
				bi, best = i, k
			}
		}
		if bi < 0 {
			return nil
		}
		key := bytes.Clone(best)
		var val []byte
		if bi > 0 || values {
			v, err := srcs[bi].it.Item().ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("store: scan: %w", err)
			}
			val = v
		}
		skip := false
		if bi > 0 {
			skip = len(val) == 0 || val[0] == opDelete
			if !skip {
				val = val[1:]
			}
		}
		for _, s := range srcs {
			if s.it.ValidForPrefix(s.pre) && bytes.Equal(s.it.Item().Key()[s.strip:], key) {
				s.it.Next()
			}
		}
		if skip {
			continue
		}
		if err := fn(key, val); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
}
