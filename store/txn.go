package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// RecordVersion is the record format version this build writes and the newest it reads.
const RecordVersion = 1

// Codecs of a record's payload.
const (
	codecJSON = 1
	codecRaw  = 2
)

// Txn is one transaction, read-only (View) or read-write (Update).
type Txn struct {
	t       *badger.Txn
	q       *sqlTxn // the SQL transaction instead of t, on the SQL backend
	db      *DB
	write   bool
	targets []string
	// over lists the data prefixes (stg/<id>/d/) of committed stages that
	// are still being rolled forward; reads look there first (overlay.go).
	over [][]byte
	// written lists the keys a write transaction set or deleted, for the
	// staged-key check before its commit (overlay.go).
	written [][]byte
}

func encodeJSON(v any) ([]byte, error) {
	p, err := jsonMarshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: encode: %w", err)
	}
	out := make([]byte, 2+len(p))
	out[0], out[1] = RecordVersion, codecJSON
	copy(out[2:], p)
	return out, nil
}

func checkHeader(key, val []byte, codec byte) ([]byte, error) {
	if len(val) < 2 {
		return nil, fmt.Errorf("store: record %q: %w: truncated header", key, ErrInvalid)
	}
	if val[0] > RecordVersion {
		return nil, fmt.Errorf("store: record %q: %w: written by record version %d, this build reads up to %d; upgrade rxlab", key, ErrConflict, val[0], RecordVersion)
	}
	if val[1] != codec {
		return nil, fmt.Errorf("store: record %q: %w: codec %d, want %d", key, ErrInvalid, val[1], codec)
	}
	return val[2:], nil
}

func decode(key, val []byte, v any) error {
	p, err := checkHeader(key, val, codecJSON)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("store: record %q: decode: %w", key, err)
	}
	return nil
}

// Get decodes the record at key into v, or returns an error wrapping ErrNotFound.
func (tx *Txn) Get(key []byte, v any) error {
	val, ok, err := tx.getVal(key)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("store: %q: %w", key, ErrNotFound)
	}
	return decode(key, val, v)
}

// Has reports whether a record exists at key.
func (tx *Txn) Has(key []byte) (bool, error) {
	_, ok, err := tx.getVal(key)
	return ok, err
}

// getVal returns a copy of the encoded record at key, looking first in the
// committed stages being rolled forward.
func (tx *Txn) getVal(key []byte) ([]byte, bool, error) {
	for i := len(tx.over) - 1; i >= 0; i-- {
		sv, ok, err := tx.getBadger(append(bytes.Clone(tx.over[i]), key...))
		if err != nil || ok {
			if !ok || err != nil {
				return nil, false, err
			}
			if sv[0] == opDelete {
				return nil, false, nil
			}
			return sv[1:], true, nil
		}
	}
	return tx.getBadger(key)
}

func (tx *Txn) getBadger(key []byte) ([]byte, bool, error) {
	if tx.q != nil {
		return tx.q.get(key)
	}
	item, err := tx.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get: %w", err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return nil, false, fmt.Errorf("store: get: %w", err)
	}
	return v, true, nil
}

// Put encodes v as a JSON record and writes it at key.
func (tx *Txn) Put(key []byte, v any) error {
	if !tx.write {
		return fmt.Errorf("store: put in a read-only transaction: %w", ErrInvalid)
	}
	val, err := encodeJSON(v)
	if err != nil {
		return err
	}
	return tx.set(key, val)
}

func (tx *Txn) set(key, val []byte) error {
	k := bytes.Clone(key)
	if tx.q != nil {
		return tx.q.set(k, val)
	}
	tx.written = append(tx.written, k)
	if err := tx.t.Set(k, val); err != nil {
		if errors.Is(err, badger.ErrTxnTooBig) {
			return err
		}
		return fmt.Errorf("store: set: %w", err)
	}
	return nil
}

// PutRaw writes caller-encoded bytes (a bitmap, a weight blob) at key.
// Values larger than chunkSize are split into chunk records transparently;
// all of them still go into this one transaction, so a value that does not
// fit one transaction must be written through a Stage.
func (tx *Txn) PutRaw(key, p []byte) error {
	if !tx.write {
		return fmt.Errorf("store: put in a read-only transaction: %w", ErrInvalid)
	}
	old, _, err := tx.getVal(key)
	if err != nil {
		return err
	}
	return tx.setEntries(rawEntries(key, p, chunkCount(key, old)))
}

func (tx *Txn) setEntries(es []entry) error {
	for _, e := range es {
		var err error
		if e.val == nil {
			err = tx.Delete(e.key)
		} else {
			err = tx.set(e.key, e.val)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GetRaw returns a copy of the raw bytes stored at key by PutRaw.
func (tx *Txn) GetRaw(key []byte) ([]byte, error) {
	val, ok, err := tx.getVal(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("store: %q: %w", key, ErrNotFound)
	}
	return readRaw(key, val, tx.getVal)
}

// Delete removes the record at key (and the chunks of a chunked raw
// value); deleting a missing key is not an error.
func (tx *Txn) Delete(key []byte) error {
	if !tx.write {
		return fmt.Errorf("store: delete in a read-only transaction: %w", ErrInvalid)
	}
	old, _, err := tx.getVal(key)
	if err != nil {
		return err
	}
	for i := range chunkCount(key, old) {
		if err := tx.del(chunkKey(key, i)); err != nil {
			return err
		}
	}
	return tx.del(key)
}

func (tx *Txn) del(key []byte) error {
	k := bytes.Clone(key)
	if tx.q != nil {
		return tx.q.del(k)
	}
	tx.written = append(tx.written, k)
	if err := tx.t.Delete(k); err != nil {
		if errors.Is(err, badger.ErrTxnTooBig) {
			return err
		}
		return fmt.Errorf("store: delete: %w", err)
	}
	return nil
}

// Record is one entry seen by Scan. Its key and value are valid only during
// the callback; Decode copies what it needs.
type Record struct {
	Key []byte
	val []byte
	tx  *Txn
}

// Decode decodes a JSON record into v.
func (r Record) Decode(v any) error { return decode(r.Key, r.val, v) }

// Raw returns the payload of a raw record, valid only during the callback
// (a chunked value is assembled into a fresh copy).
func (r Record) Raw() ([]byte, error) {
	if len(r.val) >= 2 && r.val[1] == codecChunked && r.tx != nil {
		return readRaw(r.Key, r.val, r.tx.getVal)
	}
	return checkHeader(r.Key, r.val, codecRaw)
}

// ErrStop may be returned by a Scan callback to end the scan early without error.
var ErrStop = errors.New("store: stop scan")

// Scan calls fn for each record whose key starts with prefix, in key order,
// starting at start when start is not nil (start must have the prefix).
func (tx *Txn) Scan(prefix, start []byte, fn func(r Record) error) error {
	if tx.q != nil {
		return stopOK(tx.q.scan(prefix, start, true, func(k, v []byte) error {
			return fn(Record{Key: k, val: v, tx: tx})
		}))
	}
	if len(tx.over) > 0 {
		return tx.mergeScan(prefix, start, true, func(k, v []byte) error {
			return fn(Record{Key: k, val: v, tx: tx})
		})
	}
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := tx.t.NewIterator(opts)
	defer it.Close()
	seek := prefix
	if start != nil {
		seek = start
	}
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		err := item.Value(func(val []byte) error {
			return fn(Record{Key: item.Key(), val: val, tx: tx})
		})
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ScanKeys calls fn for each key with the prefix without reading values.
func (tx *Txn) ScanKeys(prefix []byte, fn func(key []byte) error) error {
	if tx.q != nil {
		return stopOK(tx.q.scan(prefix, nil, false, func(k, _ []byte) error { return fn(k) }))
	}
	if len(tx.over) > 0 {
		return tx.mergeScan(prefix, nil, false, func(k, _ []byte) error { return fn(k) })
	}
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	opts.PrefetchValues = false
	it := tx.t.NewIterator(opts)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if err := fn(it.Item().Key()); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// stopOK turns a callback's ErrStop into the end of a scan.
func stopOK(err error) error {
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// NextID returns the next number of the named sequence (1, 2, ...). The
// counter lives in the transaction, so ids are dense and never reused.
func (tx *Txn) NextID(name string) (uint64, error) {
	key := []byte("meta/seq/" + name)
	var n uint64
	if err := tx.Get(key, &n); err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	n++
	return n, tx.Put(key, n)
}

// Hex16 formats n as 16 lowercase hex digits, the fixed-width form used in
// keys so that byte order is numeric order.
func Hex16(n uint64) string {
	s := strconv.FormatUint(n, 16)
	return "0000000000000000"[len(s):] + s
}
