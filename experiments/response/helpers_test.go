package experiments

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rxlab/rxlab/molecules/response"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// openService opens (or reopens) a store in dir with a job runner and the
// response service, and recovers the runner's jobs.
func openService(t *testing.T, dir string) (*response.Service, *jobs.Runner, *store.DB) {
	t.Helper()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	s, err := response.New(response.Config{DB: db, Jobs: r})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, r, db
}

func waitJobLong(t *testing.T, r *jobs.Runner, id string) jobs.Job {
	t.Helper()
	return waitJobFor(t, r, id, 30*time.Minute)
}

func waitJobFor(t *testing.T, r *jobs.Runner, id string, d time.Duration) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		j, err := r.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Final() {
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("job did not finish")
	return jobs.Job{}
}

// storedBytes counts the raw values under prefix and their bytes.
func storedBytes(t *testing.T, db *store.DB, prefix string) (keys int, size int) {
	t.Helper()
	err := db.View(context.Background(), func(tx *store.Txn) error {
		var list [][]byte
		if err := tx.ScanKeys([]byte(prefix), func(k []byte) error {
			list = append(list, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range list {
			p, err := tx.GetRaw(k)
			if err != nil {
				return err
			}
			keys, size = keys+1, size+len(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, size
}
