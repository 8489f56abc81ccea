package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// AuditInfo says who is doing what; the API layer attaches it to a request's
// context with WithAudit.
type AuditInfo struct {
	// Actor is the id of the token that made the request (never the token).
	Actor string
	// Role is the actor's role.
	Role string
	// Operation is the API operation, e.g. "mutation importVCF".
	Operation string
	// Targets names what the operation touched, e.g. "patient:P000123".
	Targets []string
	// Recorded, when set, counts the audit records written for this
	// operation, so the API layer can tell whether the operation's own
	// transactions already audited it.
	Recorded *atomic.Int32
}

type auditKey struct{}

// WithAudit returns a context whose writes (Update) are audited with info.
func WithAudit(ctx context.Context, info AuditInfo) context.Context {
	return context.WithValue(ctx, auditKey{}, info)
}

func auditFrom(ctx context.Context) (AuditInfo, bool) {
	a, ok := ctx.Value(auditKey{}).(AuditInfo)
	return a, ok
}

// AuditFromContext returns the audit information attached by WithAudit.
func AuditFromContext(ctx context.Context) (AuditInfo, bool) { return auditFrom(ctx) }

// AuditRecord is one entry of the hash-chained audit log.
type AuditRecord struct {
	Seq       uint64   `json:"seq"`
	Time      string   `json:"time"`
	Actor     string   `json:"actor"`
	Role      string   `json:"role"`
	Operation string   `json:"operation"`
	Targets   []string `json:"targets"`
	Outcome   string   `json:"outcome"`
	// TargetCount, TargetsKey and TargetsSHA256 describe the whole target
	// list of a staged write too large to list here (Targets then names
	// the first ones): its count, the key prefix of the JSON chunk records
	// holding it in order, and the SHA-256 over every target followed by a
	// newline. VerifyAudit checks the chunks against the hash. Empty on
	// ordinary records, so their encoding is unchanged.
	TargetCount   int    `json:"targetCount,omitempty"`
	TargetsKey    string `json:"targetsKey,omitempty"`
	TargetsSHA256 string `json:"targetsSha256,omitempty"`
	// Prev is the hash of the previous record (hex; empty for the first).
	Prev string `json:"prev"`
	// Hash is SHA-256 over this record's JSON encoding with Hash empty.
	Hash string `json:"hash"`
}

func (r AuditRecord) digest() (string, error) {
	r.Hash = ""
	p, err := jsonMarshal(r)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:]), nil
}

type auditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

var auditHeadKey = []byte("meta/audit-head")

func auditKeyFor(seq uint64) []byte { return []byte("aud/" + Hex16(seq)) }

// Touch records that this transaction touched target (e.g. "patient:P1"); the
// audit record appended by Update lists it.
func (tx *Txn) Touch(target string) { tx.targets = append(tx.targets, target) }

func (tx *Txn) appendAudit(a AuditInfo, outcome string) error {
	return tx.appendAuditWith(a, outcome, nil)
}

// appendAuditWith appends one record; extra, when set, adds to it (a
// stage's target summary) before it is hashed.
func (tx *Txn) appendAuditWith(a AuditInfo, outcome string, extra func(*AuditRecord)) error {
	var head auditHead
	if err := tx.Get(auditHeadKey, &head); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	targets := append(append([]string(nil), a.Targets...), tx.targets...)
	if len(targets) > maxAuditTargets {
		n := len(targets) - maxAuditTargets
		targets = append(targets[:maxAuditTargets], fmt.Sprintf("... and %d more", n))
	}
	rec := AuditRecord{
		Seq:       head.Seq + 1,
		Time:      tx.db.now().UTC().Format(time.RFC3339Nano),
		Actor:     a.Actor,
		Role:      a.Role,
		Operation: a.Operation,
		Targets:   targets,
		Outcome:   outcome,
		Prev:      head.Hash,
	}
	if extra != nil {
		extra(&rec)
	}
	if rec.Targets == nil {
		rec.Targets = []string{}
	}
	h, err := rec.digest()
	if err != nil {
		return err
	}
	rec.Hash = h
	if err := tx.Put(auditKeyFor(rec.Seq), rec); err != nil {
		return err
	}
	return tx.Put(auditHeadKey, auditHead{Seq: rec.Seq, Hash: h})
}

// maxAuditTargets bounds one record; a bulk import names its first targets and a count.
const maxAuditTargets = 1000

// AuditLog returns up to limit records with sequence numbers after afterSeq, oldest first.
func (db *DB) AuditLog(ctx context.Context, afterSeq uint64, limit int) ([]AuditRecord, error) {
	var out []AuditRecord
	err := db.View(ctx, func(tx *Txn) error {
		return tx.Scan([]byte("aud/"), auditKeyFor(afterSeq+1), func(r Record) error {
			if len(out) >= limit {
				return ErrStop
			}
			var rec AuditRecord
			if err := r.Decode(&rec); err != nil {
				return err
			}
			out = append(out, rec)
			return nil
		})
	})
	return out, err
}

// ErrTampered is wrapped by VerifyAudit's error when the chain is broken.
var ErrTampered = errors.New("audit chain broken")

// VerifyAudit walks the whole audit chain, recomputing every hash and link,
// and returns the number of records checked. A changed, removed or reordered
// record gives an error wrapping ErrTampered that names its sequence number.
func (db *DB) VerifyAudit(ctx context.Context) (int, error) {
	n := 0
	err := db.View(ctx, func(tx *Txn) error {
		var head auditHead
		if err := tx.Get(auditHeadKey, &head); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		prev := ""
		var want uint64 = 1
		err := tx.Scan([]byte("aud/"), nil, func(r Record) error {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var rec AuditRecord
			if err := r.Decode(&rec); err != nil {
				return fmt.Errorf("%w: record %s does not decode: %v", ErrTampered, r.Key, err)
			}
			if string(r.Key) != string(auditKeyFor(rec.Seq)) || rec.Seq != want {
				return fmt.Errorf("%w: record at %s has sequence %d, want %d", ErrTampered, r.Key, rec.Seq, want)
			}
			if rec.Prev != prev {
				return fmt.Errorf("%w: record %d does not link to record %d", ErrTampered, rec.Seq, rec.Seq-1)
			}
			h, err := rec.digest()
			if err != nil {
				return err
			}
			if h != rec.Hash {
				return fmt.Errorf("%w: record %d was changed after it was written", ErrTampered, rec.Seq)
			}
			if rec.TargetsKey != "" {
				if err := verifyTargets(tx, rec); err != nil {
					return err
				}
			}
			prev = rec.Hash
			want++
			n++
			return nil
		})
		if err != nil {
			return err
		}
		if head.Seq != uint64(n) || head.Hash != prev {
			return fmt.Errorf("%w: the chain ends at record %d but the head names record %d", ErrTampered, n, head.Seq)
		}
		return nil
	})
	return n, err
}

// verifyTargets checks a staged write's target chunks against the count and
// hash its audit record holds.
func verifyTargets(tx *Txn, rec AuditRecord) error {
	h := sha256.New()
	n := 0
	err := tx.Scan([]byte(rec.TargetsKey), nil, func(r Record) error {
		var part []string
		if err := r.Decode(&part); err != nil {
			return err
		}
		for _, t := range part {
			h.Write([]byte(t))
			h.Write([]byte{'\n'})
		}
		n += len(part)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: record %d: target list: %v", ErrTampered, rec.Seq, err)
	}
	if n != rec.TargetCount || hex.EncodeToString(h.Sum(nil)) != rec.TargetsSHA256 {
		return fmt.Errorf("%w: record %d: its target list (%d stored, %d recorded) does not match its hash", ErrTampered, rec.Seq, n, rec.TargetCount)
	}
	return nil
}
