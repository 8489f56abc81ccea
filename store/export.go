package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// The export format: the store's own logical backup, the same on both
// backends, so a backup of a Badger directory restores into PostgreSQL and
// back.
//
//	"RXLAB-EXPORT 1\n"
//	{uvarint len(key) > 0, key, uvarint len(val), val}*   encoded records, key order
//	uvarint 0, uvarint count, SHA-256 of every byte after the magic line
//
// Values are the encoded records (version, codec, payload), in the clear:
// encryption belongs to the database, and a backup is as secret as the
// records it holds (encrypt it at rest where it is kept). Stage data is
// not exported; a stage committed but still rolling forward is exported
// whole (View's overlay).

const exportMagic = "RXLAB-EXPORT 1\n"

// Bounds a restore checks before it allocates.
const (
	maxExportKey = 1 << 16
	maxExportVal = 256 << 20
)

// Export writes every record of one snapshot to w in the export format.
func (db *DB) Export(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(exportMagic); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	h := sha256.New()
	out := io.MultiWriter(bw, h)
	var n uint64
	var buf []byte
	err := db.View(ctx, func(tx *Txn) error {
		return tx.Scan(nil, nil, func(r Record) error {
			if bytes.HasPrefix(r.Key, []byte("stg/")) {
				return nil
			}
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			buf = binary.AppendUvarint(buf[:0], uint64(len(r.Key)))
			buf = append(buf, r.Key...)
			buf = binary.AppendUvarint(buf, uint64(len(r.val)))
			if _, err := out.Write(buf); err != nil {
				return err
			}
			_, err := out.Write(r.val)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	buf = binary.AppendUvarint(binary.AppendUvarint(buf[:0], 0), n)
	out.Write(buf)
	bw.Write(h.Sum(nil))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// isExport reports whether r starts with the export format's magic line.
func isExport(r *bufio.Reader) bool {
	p, err := r.Peek(len(exportMagic))
	return err == nil && string(p) == exportMagic
}

// hashReader hashes what is read through it.
type hashReader struct {
	r *bufio.Reader
	h io.Writer
}

func (h hashReader) ReadByte() (byte, error) {
	b, err := h.r.ReadByte()
	if err == nil {
		h.h.Write([]byte{b})
	}
	return b, err
}

func (h hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// restoreExport loads an export into a new, empty database, through one
// Stage: the records appear all at once or not at all, and a truncated or
// altered export (count or hash) is refused before the commit.
func restoreExport(ctx context.Context, cfg Config, r *bufio.Reader) error {
	if cfg.URL == "" {
		if entries, err := os.ReadDir(cfg.Dir); err == nil && len(entries) > 0 {
			return fmt.Errorf("store: restore: %w: %s is not empty; restore into a new directory", ErrConflict, cfg.Dir)
		}
	}
	if _, err := r.Discard(len(exportMagic)); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	cfg.GCInterval = -1
	db, err := Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.mustBeEmpty(ctx); err != nil {
		return err
	}
	st, err := db.BeginStage(ctx, "restore")
	if err != nil {
		return err
	}
	if err := st.loadExport(ctx, r); err != nil {
		st.Abort()
		return fmt.Errorf("store: restore: %w", err)
	}
	return st.Commit(ctx, nil)
}

// mustBeEmpty refuses a database that holds any record but its format.
func (db *DB) mustBeEmpty(ctx context.Context) error {
	return db.View(ctx, func(tx *Txn) error {
		return tx.ScanKeys(nil, func(k []byte) error {
			if string(k) == "meta/format" {
				return nil
			}
			return fmt.Errorf("store: restore: %w: the database already holds records; restore into a new one", ErrConflict)
		})
	})
}

// loadExport stages every record of an export and checks its trailer.
func (s *Stage) loadExport(ctx context.Context, br *bufio.Reader) error {
	h := sha256.New()
	r := hashReader{br, h}
	var n uint64
	for {
		kl, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("%w: record %d: truncated export", ErrInvalid, n+1)
		}
		if kl == 0 {
			break
		}
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if kl > maxExportKey {
			return fmt.Errorf("%w: record %d: key of %d bytes over the limit of %d", ErrInvalid, n, kl, maxExportKey)
		}
		key := make([]byte, kl)
		if _, err := io.ReadFull(r, key); err != nil {
			return fmt.Errorf("%w: record %d: truncated export", ErrInvalid, n)
		}
		vl, err := binary.ReadUvarint(r)
		if err != nil || vl > maxExportVal {
			return fmt.Errorf("%w: record %d: bad value length (limit %d bytes)", ErrInvalid, n, maxExportVal)
		}
		val := make([]byte, vl)
		if _, err := io.ReadFull(r, val); err != nil {
			return fmt.Errorf("%w: record %d: truncated export", ErrInvalid, n)
		}
		if string(key) == "meta/format" {
			var ver int
			if err := decode(key, val, &ver); err != nil {
				return err
			}
			if ver > FormatVersion {
				return fmt.Errorf("%w: the export was written by format version %d, this build reads up to %d; upgrade rxlab", ErrConflict, ver, FormatVersion)
			}
		}
		if err := s.stage(key, val); err != nil {
			return err
		}
	}
	count, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("%w: truncated export trailer", ErrInvalid)
	}
	sum := h.Sum(nil)
	var want [sha256.Size]byte
	if _, err := io.ReadFull(br, want[:]); err != nil {
		return fmt.Errorf("%w: truncated export trailer", ErrInvalid)
	}
	if count != n || !bytes.Equal(sum, want[:]) {
		return fmt.Errorf("%w: the export's trailer does not match its records (%d read, %d recorded, or a changed byte)", ErrInvalid, n, count)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the export's trailer", ErrInvalid)
	}
	return nil
}
