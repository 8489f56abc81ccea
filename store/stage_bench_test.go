package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// BenchmarkStageCommit measures a staged write of 100,000 records of 200
// bytes: staging, and Commit (flip, roll-forward into the real keys, stage
// cleanup), reported per record.
//
//	go test ./store -run XXX -bench StageCommit -benchtime 3x
func BenchmarkStageCommit(b *testing.B) {
	const n = 100_000
	val := make([]byte, 200)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db, err := Open(Config{Dir: b.TempDir(), GCInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		st, err := db.BeginStage(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := st.PutRaw(fmt.Appendf(nil, "b/%08d", i), val); err != nil {
				b.Fatal(err)
			}
		}
		staged := time.Since(start)
		start = time.Now()
		if err := st.Commit(ctx, nil); err != nil {
			b.Fatal(err)
		}
		committed := time.Since(start)
		b.ReportMetric(float64(staged.Nanoseconds())/n, "stage-ns/record")
		b.ReportMetric(float64(committed.Nanoseconds())/n, "commit-ns/record")
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

// BenchmarkOverlayGet measures a point read while a committed stage of
// 100,000 records is being rolled forward (the overlay) against one without.
func BenchmarkOverlayGet(b *testing.B) {
	for _, overlay := range []bool{false, true} {
		b.Run(fmt.Sprintf("overlay=%v", overlay), func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(Config{Dir: b.TempDir(), GCInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			st, _ := db.BeginStage(ctx, "bench")
			for i := range 100_000 {
				st.PutRaw(fmt.Appendf(nil, "b/%08d", i), []byte("v"))
			}
			if overlay {
				st.flush()
				rec, _ := encodeJSON(stageCommit{})
				db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(stageCommitKey(st.id), rec) })
				db.pending = append(db.pending, st.id)
			} else if err := st.Commit(ctx, nil); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				err := db.View(ctx, func(tx *Txn) error {
					_, err := tx.GetRaw(fmt.Appendf(nil, "b/%08d", i%100_000))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				i += 7919
			}
		})
	}
}
