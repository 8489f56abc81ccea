package store

import (
	"context"
	"fmt"
)

// auditBatch bounds how many standalone audit records one transaction
// commits.
const auditBatch = 256

// auditReq is one standalone audit record waiting for the writer.
type auditReq struct {
	info    AuditInfo
	outcome string
	done    chan error
}

// auditWriter commits standalone audit records (patient reads, failed and
// denied operations) in groups: every record queued while the previous
// commit ran goes into the next transaction, with one fsync. Each record
// read and wrote the chain's head, so writing them one transaction each made
// concurrent patient reads conflict and retry on it.
type auditWriter struct {
	q    chan auditReq
	done chan struct{} // closed when the loop has ended
}

func (db *DB) startAuditWriter() {
	db.aw = &auditWriter{q: make(chan auditReq, auditBatch), done: make(chan struct{})}
	go db.auditLoop()
}

// auditLoop writes queued records until the database closes, then writes
// what is still queued and ends.
func (db *DB) auditLoop() {
	defer close(db.aw.done)
	for {
		select {
		case r := <-db.aw.q:
			db.writeAudits(db.drainAudits(r))
		case <-db.stop:
			for {
				select {
				case r := <-db.aw.q:
					db.writeAudits(db.drainAudits(r))
				default:
					return
				}
			}
		}
	}
}

// drainAudits returns first and every record queued behind it, up to a batch.
func (db *DB) drainAudits(first auditReq) []auditReq {
	batch := []auditReq{first}
	for len(batch) < auditBatch {
		select {
		case r := <-db.aw.q:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

func (db *DB) writeAudits(batch []auditReq) {
	err := db.Update(context.Background(), func(tx *Txn) error {
		for _, r := range batch {
			if err := tx.appendAudit(r.info, r.outcome); err != nil {
				return err
			}
		}
		return nil
	})
	for _, r := range batch {
		r.done <- err
	}
}

// Audit appends one audit record on its own: for reads of patient data, which
// write nothing else, and for operations that failed (outcome "error: CODE").
// It returns once the record is durable. Records queued together are
// committed in one transaction, in the order they were queued. The record
// is written even when ctx was cancelled: an access that happened is
// audited.
func (db *DB) Audit(ctx context.Context, info AuditInfo, outcome string) error {
	req := auditReq{info: info, outcome: outcome, done: make(chan error, 1)}
	select {
	case db.aw.q <- req:
	case <-db.aw.done:
		return fmt.Errorf("store: audit: %w: the database is closed", ErrConflict)
	}
	select {
	case err := <-req.done:
		return err
	case <-db.aw.done:
		// The loop ended; it wrote everything queued before it did.
		select {
		case err := <-req.done:
			return err
		default:
			return fmt.Errorf("store: audit: %w: the database closed before the record was written", ErrConflict)
		}
	}
}
