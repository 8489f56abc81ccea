package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// stageAuditFirst is how many targets a staged write's audit record names
// itself; the full list goes to chunk records that the record hashes.
const stageAuditFirst = 100

// targetsPart is how many targets one audit-targets chunk record holds.
const targetsPart = 4096

func auditTargetsPrefix(id string) string { return "aut/" + id + "/" }

// Touch records that the stage touched target (e.g. "patient:P1"). The
// audit record written at Commit names the first targets, their count, and
// the SHA-256 of the whole list, which is stored in chunk records under
// aut/<stage id>/ so that the record stays small for any stage size.
func (s *Stage) Touch(target string) {
	s.targets++
	s.sum.Write([]byte(target))
	s.sum.Write([]byte{'\n'})
	if len(s.first) < stageAuditFirst {
		s.first = append(s.first, target)
	}
	s.pending = append(s.pending, target)
	if len(s.pending) >= targetsPart {
		s.flushTargets()
	}
}

func (s *Stage) flushTargets() {
	if len(s.pending) == 0 || s.done {
		return
	}
	key := fmt.Appendf(nil, "%s%08x", auditTargetsPrefix(s.id), s.parts)
	if err := s.Put(key, s.pending); err != nil {
		if s.terr == nil {
			s.terr = err // Commit refuses
		}
	}
	s.parts++
	s.pending = s.pending[:0]
}

// summary fills the audit record fields of a staged write.
func (s *Stage) summary(rec *AuditRecord) {
	if s.targets <= stageAuditFirst {
		rec.Targets = append(rec.Targets, s.first...)
		return
	}
	rec.Targets = append(rec.Targets, s.first...)
	rec.Targets = append(rec.Targets, fmt.Sprintf("... and %d more", s.targets-len(s.first)))
	rec.TargetCount = s.targets
	rec.TargetsKey = auditTargetsPrefix(s.id)
	rec.TargetsSHA256 = hex.EncodeToString(s.sum.Sum(nil))
}

// Commit makes everything the stage wrote visible at once. final, when not
// nil, runs inside the small flip transaction together with the commit
// record and the stage's single audit record (when ctx carries AuditInfo);
// it must not write keys the stage wrote, since the roll-forward that
// follows would overwrite them. ctx is checked right before the flip: an
// error returned by Commit means nothing was committed and the stage was
// dropped; nil means committed. After the flip the roll-forward runs to
// the end whatever ctx says (a crash there is finished by Open).
func (s *Stage) Commit(ctx context.Context, final func(tx *Txn) error) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.targets > stageAuditFirst {
		s.flushTargets()
	}
	if s.terr != nil {
		s.Abort()
		return fmt.Errorf("store: stage %s: audit targets: %w", s.label, s.terr)
	}
	if err := s.flush(); err != nil {
		s.Abort()
		return err
	}
	if s.db.sql != nil {
		return s.commitSQL(ctx, final)
	}
	db := s.db
	db.cmu.Lock()
	defer db.cmu.Unlock()
	r := &rollForward{id: s.id, done: make(chan struct{})}
	db.gate.Lock()
	db.pmu.Lock()
	db.pending = append(db.pending, s.id)
	db.rolling = r
	db.pmu.Unlock()
	db.gate.Unlock()
	if err := s.flip(ctx, final); err != nil {
		db.endRoll(r)
		s.Abort()
		return err
	}
	s.done = true
	start := time.Now()
	err := db.rollForward(s.id)
	if err == nil {
		err = db.uncommit(s.id)
	}
	rolled := time.Since(start)
	if err != nil {
		// Committed, but not (known to be) in place: readers keep the
		// overlay, writers are refused until a restart finishes it.
		db.pmu.Lock()
		db.rollErr = fmt.Errorf("store: a committed write (%s) could not be rolled forward; restart to finish it: %w", s.label, err)
		db.rolling = nil
		db.pmu.Unlock()
		close(r.done)
		db.log.Error("stage roll-forward", "stage", s.label, "err", err)
		return nil
	}
	db.endRoll(r)
	db.log.Info("stage committed", "stage", s.label, "entries", s.entries, "rollForward", rolled)
	// The stage's data is unreachable now (no commit record, off the
	// pending list); removing it does not hold up the caller. Close waits
	// for it, and Open removes what a crash left.
	db.cleanup.Add(1)
	go func() {
		defer db.cleanup.Done()
		start := time.Now()
		if err := db.dropStage(s.id); err != nil {
			db.log.Warn("stage cleanup; Open retries it", "stage", s.label, "err", err)
			return
		}
		db.log.Info("stage cleaned up", "stage", s.label, "took", time.Since(start))
	}()
	return nil
}

// endRoll takes a stage off the pending list and releases the writers
// that wait for its roll-forward.
func (db *DB) endRoll(r *rollForward) {
	db.removePending(r.id)
	db.pmu.Lock()
	if db.rolling == r {
		db.rolling = nil
	}
	db.pmu.Unlock()
	close(r.done)
}

// flip writes the commit record, final's writes and the audit record in one
// transaction.
func (s *Stage) flip(ctx context.Context, final func(tx *Txn) error) error {
	db := s.db
	txn := db.bdb.NewTransaction(true)
	defer txn.Discard()
	tx := &Txn{t: txn, db: db, write: true}
	rec, _ := encodeJSON(stageCommit{Entries: s.entries, Time: db.now().UTC().Format(time.RFC3339Nano)})
	err := txn.Set(stageCommitKey(s.id), rec)
	if err == nil && final != nil {
		err = final(tx)
	}
	a, audited := auditFrom(ctx)
	if err == nil && audited {
		err = tx.appendAuditWith(a, "ok", s.summary)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = txn.Commit()
	}
	if isTooBig(err) {
		return errTooBig("the commit of " + s.label)
	}
	if err != nil {
		return err
	}
	if audited && a.Recorded != nil {
		a.Recorded.Add(1)
	}
	return nil
}

func (db *DB) removePending(id string) {
	db.pmu.Lock()
	db.pending = slices.DeleteFunc(db.pending, func(x string) bool { return x == id })
	db.pmu.Unlock()
}

// uncommit deletes a rolled-forward stage's commit record, so what remains
// of the stage is garbage that Open or dropStage removes, never re-applies.
func (db *DB) uncommit(id string) error {
	return db.bdb.Update(func(txn *badger.Txn) error { return txn.Delete(stageCommitKey(id)) })
}

// rollForward copies a committed stage's entries into their real keys in
// batches. It is idempotent: the stage's data is unchanged until uncommit.
func (db *DB) rollForward(id string) error {
	pre := stageDataPrefix(id)
	rtxn := db.bdb.NewTransaction(false)
	defer rtxn.Discard()
	opts := badger.DefaultIteratorOptions
	opts.Prefix = pre
	it := rtxn.NewIterator(opts)
	defer it.Close()
	w := newBatcher(db)
	defer w.discard()
	for it.Rewind(); it.ValidForPrefix(pre); it.Next() {
		item := it.Item()
		k := item.KeyCopy(nil)[len(pre):]
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if len(v) == 0 || v[0] == opDelete {
			err = w.put(k, nil)
		} else {
			err = w.put(k, v[1:])
		}
		if err != nil {
			return err
		}
	}
	return w.commit()
}

// dropStage deletes every key of a stage, in batches, walking one
// snapshot (rescanning from the start would step over ever more deletion
// markers).
func (db *DB) dropStage(id string) error {
	if db.sql != nil {
		return db.sql.dropStage(id)
	}
	pre := stagePrefix(id)
	rtxn := db.bdb.NewTransaction(false)
	defer rtxn.Discard()
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.PrefetchValues = pre, false
	it := rtxn.NewIterator(opts)
	defer it.Close()
	w := newBatcher(db)
	defer w.discard()
	for it.Rewind(); it.ValidForPrefix(pre); it.Next() {
		if err := w.put(it.Item().KeyCopy(nil), nil); err != nil {
			return err
		}
	}
	return w.commit()
}

// recoverStages runs at Open: committed stages are rolled forward, and
// every stage's data is then removed.
func (db *DB) recoverStages() error {
	var ids []string
	err := db.bdb.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues = []byte("stg/"), false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.ValidForPrefix([]byte("stg/")); {
			k := it.Item().Key()
			if len(k) < 4+16 {
				it.Next()
				continue
			}
			id := string(k[4:20])
			ids = append(ids, id)
			it.Seek([]byte("stg/" + id + "0")) // '0' sorts right after '/'
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: recover stages: %w", err)
	}
	for _, id := range ids {
		committed := false
		err := db.bdb.View(func(txn *badger.Txn) error {
			_, err := txn.Get(stageCommitKey(id))
			committed = err == nil
			if err == badger.ErrKeyNotFound {
				return nil
			}
			return err
		})
		if err == nil && committed {
			start := time.Now()
			if err = db.rollForward(id); err == nil {
				err = db.uncommit(id)
			}
			db.log.Info("stage rolled forward at open", "stage", id, "took", time.Since(start))
		}
		if err == nil {
			err = db.dropStage(id)
		}
		if err != nil {
			return fmt.Errorf("store: recover stage %s: %w", id, err)
		}
	}
	return nil
}

// batcher writes entries in transactions kept under Badger's budget.
type batcher struct {
	db   *DB
	txn  *badger.Txn
	size int
	n    int
}

func newBatcher(db *DB) *batcher { return &batcher{db: db, txn: db.bdb.NewTransaction(true)} }

// put sets key to val, or deletes it when val is nil.
func (w *batcher) put(key, val []byte) error {
	if w.size+len(key)+len(val) > stageBatchBytes || w.n >= stageBatchEntries {
		if err := w.commit(); err != nil {
			return err
		}
		w.txn = w.db.bdb.NewTransaction(true)
	}
	var err error
	if val == nil {
		err = w.txn.Delete(key)
	} else {
		err = w.txn.Set(key, val)
	}
	if err != nil {
		return fmt.Errorf("store: batch write: %w", err)
	}
	w.size += len(key) + len(val) + 16
	w.n++
	return nil
}

func (w *batcher) commit() error {
	err := w.txn.Commit()
	w.txn.Discard()
	w.size, w.n = 0, 0
	if err != nil {
		return fmt.Errorf("store: batch commit: %w", err)
	}
	return nil
}

func (w *batcher) discard() { w.txn.Discard() }
