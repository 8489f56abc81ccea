package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A process killed right after it created a memtable or value-log file
// leaves it empty; the store must still open, with its data.
func TestOpenAfterEmptyLogFiles(t *testing.T) {
	for _, name := range []string{"00009.mem", "000099.vlog"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := openTest(t, dir, nil)
			ctx := context.Background()
			if err := db.Update(ctx, func(tx *Txn) error { return tx.Put([]byte("k/1"), thing{Name: "a", N: 1}) }); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			db = openTest(t, dir, nil)
			defer db.Close()
			var got thing
			if err := db.View(ctx, func(tx *Txn) error { return tx.Get([]byte("k/1"), &got) }); err != nil || got.N != 1 {
				t.Fatalf("after reopening: %+v, %v", got, err)
			}
		})
	}
}
