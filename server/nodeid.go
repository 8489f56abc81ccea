package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// nodeID returns this node's id on a shared store, kept in DATA/node.id
// so that a node restarted on the same data directory recovers the jobs
// it enqueued before. The first start writes a random id.
func nodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "node.id")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if len(id) != 16 {
			return "", fmt.Errorf("node id file %s: want 16 hex characters", path)
		}
		if _, err := hex.DecodeString(id); err != nil {
			return "", fmt.Errorf("node id file %s: want 16 hex characters", path)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	id := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return id, nil
}
