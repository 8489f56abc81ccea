// Package store is rxlab's persistence layer and the only package that
// imports Badger (and pgx).
//
// # Two backends
//
// DB, Txn and Stage have one API over two backends, chosen by Config: the
// embedded Badger directory (Config.Dir, the default) or a shared
// PostgreSQL-wire database (Config.URL, postgres://…), so that several
// rxlab processes serve one store. Everything below about keys, records,
// audit and stages holds for both; what differs:
//
//   - SQL (sql.go): records live in rx_kv(key bytea primary key, val
//     bytea). Update is one SERIALIZABLE transaction re-run on
//     serialization failures (SQLSTATE 40001/40P01, jittered backoff up to
//     100 ms, ctx honoured, up to 200 attempts, then ErrConflict); View is
//     one REPEATABLE READ READ ONLY snapshot; Scan reads pages by key inside
//     it. Nothing beyond what CockroachDB and YugabyteDB also have is used
//     (no advisory locks; LISTEN only when pg_notify exists). Tested on
//     PostgreSQL 15 from Debian.
//   - Encryption (crypt.go): on SQL every value is sealed client-side with
//     AES-256-GCM under the key file (the key as additional data); keys stay
//     in the clear so they sort. A missing or wrong key is refused at Open on
//     both backends.
//   - Stages on SQL (sql_stage.go) write batches into rx_stage and commit
//     by copying them into rx_kv in the one transaction that holds the
//     caller's final writes, the audit record and the change-feed row: no
//     overlay, no roll-forward; rows a crash leaves are dropped after an hour
//     by any node.
//   - The change feed (feed.go, SQL only): each write bumps rx_feed and adds
//     a row to rx_changes (commit-ordered dense sequence, origin, prefixes,
//     keys up to 65,536); DB.Changes, WaitChanges, Txn.FeedSeq and
//     Stage.Guard let a node's in-memory state follow the others'.
//   - Backups: Export writes the store's own format (export.go) from either
//     backend and Restore loads it into either, whole or not at all; Badger's
//     Backup stays Badger's stream format.
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
// write can never land without its audit record and vice versa. ctx is
// checked right before the commit, so a deadline error means nothing was
// written. A transaction is bounded by Badger (15 % of the 32 MB memtable,
// about 4.8 MB of values under 1 MB); Update refuses a bigger one with an
// error wrapping ErrInvalid before anything is written.
//
// # Large values
//
// A raw value over 1 MB (PutRaw) is stored as a head record (codec 3: its
// chunk count, size and SHA-256) plus chunk records under chk/; GetRaw and
// Record.Raw reassemble and check it. Values of 1 MB and more go to Badger's
// value log, so their bytes do not count against the transaction budget.
//
// # Stages: writes of any size, all or nothing
//
// BeginStage returns a Stage whose Put/PutRaw/Delete are buffered and
// written in batches of at most 3 MB or 30,000 entries under stg/<id>/d/,
// where no reader looks; Stage.Get reads the stage's own writes first.
// Commit writes the commit record stg/<id>/c, the caller's final writes and
// one audit record in one small transaction (the flip; ctx is checked right
// before it), then copies the entries into their real keys in batches
// (roll-forward), deletes the commit record and then the stage's data.
// Open rolls forward every stage whose commit record exists and deletes
// every other stage's data before it returns, so a crash at any moment
// leaves a stage wholly applied or wholly absent.
//
// While a roll-forward runs, View overlays the stage's entries on the real
// keys (overlay.go): readers see the stage whole and are never blocked.
// Writers are not blocked either, except an Update that sets a key the
// stage holds: it waits for the roll-forward to end and runs again, so a
// roll-forward never overwrites a newer write. Stage commits are
// serialized. Staged writes are otherwise blind (last writer wins), so
// callers serialize writers of the same keys. Roll-forward costs about
// 5 µs of CPU per record (BenchmarkStageCommit); staging and the cleanup
// cost about as much again each.
//
// The audit record of a stage names its first 100 targets, their count and
// the SHA-256 of the whole list, which is stored under aut/<stage id>/;
// VerifyAudit checks the list against the hash.
package store
