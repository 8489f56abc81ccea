package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Batch limits of the stage's own transactions: well under Badger's
// per-transaction budget (15 % of the 32 MB memtable, about 4.8 MB, and a
// bounded entry count).
const (
	stageBatchBytes   = 3 << 20
	stageBatchEntries = 30000
)

// stageHead is the record at stg/<id>/h, written when a stage begins.
type stageHead struct {
	Label   string `json:"label"`
	Created string `json:"created"`
}

// stageCommit is the record at stg/<id>/c, the stage's commit point.
type stageCommit struct {
	Entries int    `json:"entries"`
	Time    string `json:"time"`
}

// Stage is a write of any size with all-or-nothing visibility. Its entries
// are written in small batches under stg/<id>/d/, invisible to readers;
// Commit flips a small commit record in one transaction together with the
// audit record, then copies the entries into their real keys (roll-forward)
// while readers see the stage through an overlay (see overlay.go). A crash
// before the flip leaves nothing; after it, Open finishes the roll-forward.
//
// Staged writes are blind: at roll-forward the stage's value of a key
// replaces whatever is stored then, so callers serialize the writers of the
// keys they stage. A Stage is safe for use by one goroutine at a time.
type Stage struct {
	db    *DB
	id    string
	label string

	buf      map[string][]byte // staged values (op byte + record) not yet written
	bufBytes int
	entries  int // entries written or buffered (an upper bound: rewrites count again)
	done     bool

	targets int
	first   []string
	pending []string
	parts   int
	sum     hash.Hash
	terr    error // the first failure to write audit targets

	chg     *changeSet  // the keys the stage wrote, for the change feed (SQL only)
	flushed flushedKeys // the keys written to the stage table (SQL only)
	guard   *stageGuard // set by Guard (SQL only)
}

// BeginStage starts a stage; label names it in logs (never patient data).
func (db *DB) BeginStage(ctx context.Context, label string) (*Stage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rb [8]byte
	if _, err := rand.Read(rb[:]); err != nil {
		return nil, fmt.Errorf("store: stage id: %w", err)
	}
	s := &Stage{db: db, id: hex.EncodeToString(rb[:]), label: label,
		buf: map[string][]byte{}, sum: sha256.New()}
	var err error
	if db.sql != nil {
		s.chg, s.flushed = newChangeSet(), flushedKeys{}
		err = db.sql.beginStage(ctx, s.id, label)
	} else {
		head, _ := encodeJSON(stageHead{Label: label, Created: db.now().UTC().Format(time.RFC3339Nano)})
		err = db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(stageHeadKey(s.id), head) })
	}
	if err != nil {
		return nil, fmt.Errorf("store: begin stage: %w", err)
	}
	return s, nil
}

// ID returns the stage's id (as in its keys stg/<id>/...).
func (s *Stage) ID() string { return s.id }

// Entries returns how many entries the stage has written (rewrites of a
// key count again).
func (s *Stage) Entries() int { return s.entries }

func (s *Stage) usable() error {
	if s.done {
		return fmt.Errorf("store: stage %s: %w: already committed or aborted", s.label, ErrInvalid)
	}
	return nil
}

// stageKey names the staged entry of key.
func (s *Stage) stageKey(key []byte) []byte {
	return append(stageDataPrefix(s.id), key...)
}

func (s *Stage) stage(key, val []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	sv := make([]byte, 1+len(val))
	if val == nil {
		sv[0] = opDelete
	} else {
		sv[0] = opPut
		copy(sv[1:], val)
	}
	if old, ok := s.buf[string(key)]; ok {
		s.bufBytes -= len(old) + len(key)
	}
	s.buf[string(key)] = sv
	s.bufBytes += len(sv) + len(key)
	if s.chg != nil {
		s.chg.add(key)
	}
	s.entries++
	if s.bufBytes >= stageBatchBytes || len(s.buf) >= stageBatchEntries {
		return s.flush()
	}
	return nil
}

// flush writes the buffered entries in one small transaction.
func (s *Stage) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	if s.db.sql != nil {
		if err := s.db.sql.flushStage(s.id, s.buf); err != nil {
			return fmt.Errorf("store: stage %s: write batch: %w", s.label, err)
		}
		for k := range s.buf {
			s.flushed[keyHash([]byte(k))] = struct{}{}
		}
		clear(s.buf)
		s.bufBytes = 0
		return nil
	}
	err := s.db.bdb.Update(func(txn *badger.Txn) error {
		for k, v := range s.buf {
			if err := txn.Set(s.stageKey([]byte(k)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: stage %s: write batch: %w", s.label, err)
	}
	clear(s.buf)
	s.bufBytes = 0
	return nil
}

// Put stages v as a JSON record at key.
func (s *Stage) Put(key []byte, v any) error {
	val, err := encodeJSON(v)
	if err != nil {
		return err
	}
	return s.stage(key, val)
}

// PutRaw stages raw bytes at key; large values are chunked as in Txn.PutRaw,
// and a value of any size fits because the chunks go out in batches.
func (s *Stage) PutRaw(key, p []byte) error {
	old, _, err := s.getVal(key)
	if err != nil {
		return err
	}
	for _, e := range rawEntries(key, p, chunkCount(key, old)) {
		if err := s.stage(e.key, e.val); err != nil {
			return err
		}
	}
	return nil
}

// Delete stages the removal of key (and of its chunks).
func (s *Stage) Delete(key []byte) error {
	old, _, err := s.getVal(key)
	if err != nil {
		return err
	}
	for i := range chunkCount(key, old) {
		if err := s.stage(chunkKey(key, i), nil); err != nil {
			return err
		}
	}
	return s.stage(key, nil)
}

// getVal reads key as the stage would leave it: the stage's own writes
// first, then the committed data.
func (s *Stage) getVal(key []byte) ([]byte, bool, error) {
	if err := s.usable(); err != nil {
		return nil, false, err
	}
	if sv, ok := s.buf[string(key)]; ok {
		if sv[0] == opDelete {
			return nil, false, nil
		}
		return sv[1:], true, nil
	}
	if s.db.sql != nil {
		_, staged := s.flushed[keyHash(key)]
		return s.db.sql.stageGet(s.id, key, staged)
	}
	var val []byte
	var found bool
	err := s.db.View(context.Background(), func(tx *Txn) error {
		sv, ok, err := tx.getBadger(s.stageKey(key))
		if err != nil {
			return err
		}
		if ok {
			if sv[0] != opDelete {
				val, found = sv[1:], true
			}
			return nil
		}
		val, found, err = tx.getVal(key)
		return err
	})
	return val, found, err
}

// Get decodes the record at key as the stage would leave it into v; a
// staged delete or a missing key gives an error wrapping ErrNotFound.
func (s *Stage) Get(key []byte, v any) error {
	val, ok, err := s.getVal(key)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("store: %q: %w", key, ErrNotFound)
	}
	return decode(key, val, v)
}

// GetRaw returns the raw bytes at key as the stage would leave them.
func (s *Stage) GetRaw(key []byte) ([]byte, error) {
	val, ok, err := s.getVal(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("store: %q: %w", key, ErrNotFound)
	}
	return readRaw(key, val, s.getVal)
}

// Abort drops the stage and everything it wrote; it is safe after Commit
// (then it does nothing).
func (s *Stage) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	clear(s.buf)
	return s.db.dropStage(s.id)
}

// errTooBig is what a transaction over Badger's budget becomes.
func errTooBig(what string) error {
	return fmt.Errorf("store: %w: %s is too big for one transaction (Badger holds about %d MB of small values per transaction); write it through a Stage", ErrInvalid, what, (32<<20)*15/100>>20)
}

// isTooBig reports Badger's per-transaction limit.
func isTooBig(err error) bool { return errors.Is(err, badger.ErrTxnTooBig) }
