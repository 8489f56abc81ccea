package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// codecChunked marks the head of a raw value stored in chunks: its payload
// is a JSON chunkHead and the bytes live at chunkKey(key, 0..N-1).
const codecChunked = 3

// chunkSize is the largest raw payload stored in one record; larger raw
// values are split. It is well under Badger's per-transaction budget
// (15 % of the 32 MB memtable) so that a stage batch holds several.
const chunkSize = 1 << 20

// chunkHead describes a chunked raw value.
type chunkHead struct {
	N    int    `json:"n"`
	Size int    `json:"size"`
	Sum  string `json:"sha256"`
}

// entry is one key to write; a nil val deletes the key.
type entry struct {
	key, val []byte
}

// chunkKey names chunk i of the raw value at key. Chunks live in their own
// namespace so that a Scan over the owner's prefix never sees them.
func chunkKey(key []byte, i int) []byte {
	h := sha256.Sum256(key)
	return fmt.Appendf(nil, "chk/%s/%08x", hex.EncodeToString(h[:16]), i)
}

func rawRecord(p []byte) []byte {
	val := make([]byte, 2+len(p))
	val[0], val[1] = RecordVersion, codecRaw
	copy(val[2:], p)
	return val
}

// rawEntries encodes p for key: one record when it is small, otherwise a
// chunked head and its chunks. oldN is how many chunks key has now; the
// surplus is deleted.
func rawEntries(key, p []byte, oldN int) []entry {
	if len(p) <= chunkSize {
		out := []entry{{key, rawRecord(p)}}
		for i := 0; i < oldN; i++ {
			out = append(out, entry{chunkKey(key, i), nil})
		}
		return out
	}
	n := (len(p) + chunkSize - 1) / chunkSize
	sum := sha256.Sum256(p)
	head, _ := json.Marshal(chunkHead{N: n, Size: len(p), Sum: hex.EncodeToString(sum[:])})
	hv := append([]byte{RecordVersion, codecChunked}, head...)
	out := []entry{{key, hv}}
	for i := 0; i < n; i++ {
		part := p[i*chunkSize : min((i+1)*chunkSize, len(p))]
		out = append(out, entry{chunkKey(key, i), rawRecord(part)})
	}
	for i := n; i < oldN; i++ {
		out = append(out, entry{chunkKey(key, i), nil})
	}
	return out
}

// chunkCount returns how many chunks the encoded record val owns (zero
// unless it is a chunked head).
func chunkCount(key, val []byte) int {
	if len(val) < 2 || val[1] != codecChunked {
		return 0
	}
	var h chunkHead
	if err := json.Unmarshal(val[2:], &h); err != nil {
		return 0
	}
	return h.N
}

// readRaw returns a copy of the raw payload of the encoded record val at
// key, reading its chunks through get when it is chunked.
func readRaw(key, val []byte, get func(k []byte) ([]byte, bool, error)) ([]byte, error) {
	if len(val) >= 2 && val[1] == codecChunked && val[0] <= RecordVersion {
		var h chunkHead
		if err := json.Unmarshal(val[2:], &h); err != nil || h.N < 0 || h.Size < 0 {
			return nil, fmt.Errorf("store: record %q: %w: bad chunk head", key, ErrInvalid)
		}
		out := make([]byte, 0, h.Size)
		for i := 0; i < h.N; i++ {
			ck := chunkKey(key, i)
			cv, ok, err := get(ck)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("store: record %q: %w: chunk %d of %d missing", key, ErrInvalid, i, h.N)
			}
			p, err := checkHeader(ck, cv, codecRaw)
			if err != nil {
				return nil, err
			}
			out = append(out, p...)
		}
		sum := sha256.Sum256(out)
		if len(out) != h.Size || hex.EncodeToString(sum[:]) != h.Sum {
			return nil, fmt.Errorf("store: record %q: %w: chunks do not match their head", key, ErrInvalid)
		}
		return out, nil
	}
	p, err := checkHeader(key, val, codecRaw)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(p), nil
}
