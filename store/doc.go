// Package store is rxlab's persistence layer and the only package that
// imports Badger.
//
// It owns the database lifecycle (open with SyncWrites on, optional AES-256
// encryption at rest, value-log GC on a timer, backup and restore), the record
// encoding, the key layout shared by every domain package, the hash-chained
// audit log, and the error kinds (errors.go) that the API layer maps to
// GraphQL error codes.
//
// # Record encoding
//
// Every value starts with a two-byte header: the record format version
// (RecordVersion, currently 1) and a codec byte (1 = JSON, 2 = raw bytes owned
// by the caller, e.g. a serialized bitmap). Badger compresses blocks with
// ZSTD, so the JSON payloads stay small on disk. A record whose version is
// newer than this build knows is refused with a clear error, and so is a
// database whose meta key says it was written by a newer format.
//
// # Key layout
//
// Keys are ASCII namespaces separated by '/', with numeric parts written as
// fixed-width big-endian hex so that byte order equals numeric order:
//
//	meta/format                  database format version (uint, JSON)
//	meta/seq/<name>              last id handed out by Txn.NextID(name)
//	meta/audit-head              {seq, hash} of the newest audit record
//	aud/<seq:016x>               one audit record (hash-chained)
//	tok/<sha256(token) hex>      an API token's role and state (never the token)
//	job/<id>                     a job's persisted state
//	pat/...  idx/...             patients and cohort indexes (package cohorts)
//	mol/...                      molecule libraries (package molecules)
//	mdl/...                      response models
//	rl/...                       training runs, checkpoints, policies, evaluations
//	chk/<sha256(key)[:16] hex>/<i:08x>  chunk i of a raw value over 1 MB stored at key
//	stg/<id>/h                   a stage's head (label, start time), written at BeginStage
//	stg/<id>/d/<key>             a staged entry: 'P' + encoded record, or 'D' (delete)
//	stg/<id>/c                   a stage's commit record: present = committed
//	aut/<stage id>/<i:08x>       the target list of a staged write's audit record (JSON, 4096 a record)
//
// Each domain package documents the layout below its own namespace.
//
// # Transactions and audit
//
// Update runs a function in one read-write Badger transaction and retries it
// on conflict. When the context carries audit information (WithAudit), Update
// appends exactly one audit record to the chain in the same transaction, so a
// write can never land without its audit record and vice versa.
package store
