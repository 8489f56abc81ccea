package cohorts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

// sharedData is the shared read-only data directory, relative to this package.
const sharedData = "../../shared/data"

// vendored maps shared-data prefixes to copies in testdata (Apache-2.0
// files only; see testdata/SOURCE.md).
var vendored = map[string]string{"trial-eligibility/matchminer-ctml-tests/": "testdata/matchminer-ctml-tests/"}

// sharedFile reads a shared data file, preferring a vendored copy; the
// test is skipped when neither exists.
func sharedFile(t testing.TB, rel string) []byte {
	t.Helper()
	for prefix, dir := range vendored {
		if strings.HasPrefix(rel, prefix) {
			if b, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(rel, prefix))); err == nil {
				return b
			}
		}
	}
	p := filepath.Join(sharedData, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("shared data %s not available: %v", rel, err)
	}
	return b
}

func openDB(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func fixedNow(s string) func() time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

// newService opens a service on a fresh Badger store in a temp dir.
func newService(t testing.TB, now string) (*Service, *store.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db := openDB(t, dir)
	t.Cleanup(func() { db.Close() })
	s, err := New(Config{DB: db, Now: fixedNow(now)})
	if err != nil {
		t.Fatal(err)
	}
	return s, db, dir
}

func ptr[T any](v T) *T { return &v }

var bg = context.Background()
