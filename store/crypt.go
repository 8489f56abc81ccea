package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Client-side encryption of the SQL backend's values.
//
// With a key file, every value (records, staged entries) is sealed with
// AES-256-GCM before it leaves the process: a version byte, a random
// 12-byte nonce and the ciphertext with its tag, the record's key as
// additional data (a value moved to another key does not open). The
// database never sees the key or a plaintext value. Keys stay in the clear:
// they must sort for range scans, and they hold ids and namespaces, never
// field values. The rx_meta row "encryption" records whether the database
// is encrypted and holds a sealed check value, so a missing or wrong key
// is refused at Open, as Badger refuses it.

// sealVersion is the first byte of a sealed value.
const sealVersion = 1

// sealer seals values; a nil *sealer (no key) leaves them as they are.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) == 0 {
		return nil, nil
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: %w: encryption key: %v", ErrInvalid, err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("store: encryption: %w", err)
	}
	return &sealer{aead: g}, nil
}

func (c *sealer) seal(key, val []byte) []byte {
	if c == nil {
		return val
	}
	ns := c.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(val)+c.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		panic("store: no randomness for a nonce: " + err.Error()) // crypto/rand never fails on Linux
	}
	return c.aead.Seal(out, out[1:1+ns], val, key)
}

func (c *sealer) open(key, val []byte) ([]byte, error) {
	if c == nil {
		return val, nil
	}
	ns := c.aead.NonceSize()
	if len(val) < 1+ns+c.aead.Overhead() || val[0] != sealVersion {
		return nil, fmt.Errorf("store: record under %q: %w: not a sealed value", keyKind(key), ErrInvalid)
	}
	p, err := c.aead.Open(nil, val[1:1+ns], val[1+ns:], key)
	if err != nil {
		return nil, fmt.Errorf("store: record under %q: %w: the value does not open with this key (changed, moved or written with another key)", keyKind(key), ErrPermission)
	}
	return p, nil
}

// checkValue is what the sealed check value in rx_meta opens to.
var checkValue = []byte("rxlab encryption check")

// checkKey records the encryption mode of a new database, or checks the
// key against the mode of an existing one.
func (s *sqlStore) checkKey(ctx context.Context, key []byte) (*sealer, error) {
	c, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	want := "none"
	if c != nil {
		want = "aes-256-gcm:" + hex.EncodeToString(c.seal([]byte("rx_meta/encryption"), checkValue))
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO rx_meta (name, val) VALUES ('encryption', $1) ON CONFLICT (name) DO NOTHING`, want); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	var got string
	err = s.pool.QueryRow(ctx, `SELECT val FROM rx_meta WHERE name = 'encryption'`).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) || err != nil {
		return nil, fmt.Errorf("store: open: read the encryption mode: %w", err)
	}
	switch {
	case got == "none" && c == nil:
		return nil, nil
	case got == "none":
		return nil, fmt.Errorf("store: open: %w: the database is not encrypted but a key was given; it stays unencrypted (export it and restore into a new database with the key to encrypt it)", ErrPermission)
	case c == nil:
		return nil, fmt.Errorf("store: open: %w: the database is encrypted and the key is missing or wrong", ErrPermission)
	}
	hexv, ok := cutPrefix(got, "aes-256-gcm:")
	sealed, herr := hex.DecodeString(hexv)
	if !ok || herr != nil {
		return nil, fmt.Errorf("store: open: %w: unknown encryption mode in rx_meta", ErrInvalid)
	}
	if p, err := c.open([]byte("rx_meta/encryption"), sealed); err != nil || string(p) != string(checkValue) {
		return nil, fmt.Errorf("store: open: %w: the database is encrypted and the key is missing or wrong", ErrPermission)
	}
	return c, nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) < len(p) || s[:len(p)] != p {
		return s, false
	}
	return s[len(p):], true
}

// keyKind is a key's first segment ("pat/" of "pat/r/P1"): errors name
// where a record is without the id in its key, which may be a patient's.
func keyKind(key []byte) string {
	if i := bytes.IndexByte(key, '/'); i >= 0 && i < 32 {
		return string(key[:i+1])
	}
	return "?"
}
