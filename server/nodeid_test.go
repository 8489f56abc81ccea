package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNodeID: the first call writes a random id, later calls read the same
// one, and a damaged file is refused rather than replaced.
func TestNodeID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := nodeID(dir)
	if err != nil || len(a) != 16 {
		t.Fatalf("first nodeID = %q, %v", a, err)
	}
	b, err := nodeID(dir)
	if err != nil || b != a {
		t.Fatalf("second nodeID = %q, %v; want %q", b, err, a)
	}
	other, _ := nodeID(t.TempDir())
	if other == a {
		t.Fatalf("two data directories got the same id %q", a)
	}
	os.WriteFile(filepath.Join(dir, "node.id"), []byte("not hex at all!!\n"), 0o600)
	if _, err := nodeID(dir); err == nil {
		t.Fatal("a damaged node id file was accepted")
	}
}
