package cohorts

import (
	"sync"
	"testing"
	"time"
)

// BenchmarkCountDuringWrites measures Count latency (six rules, attrition
// and breakdown) on 20,000 demo patients, idle and while a writer keeps
// re-seeding 2,000 of them. Readers evaluate a published snapshot, so the
// writer costs them CPU on a shared machine but never a lock wait.
//
//	go test ./cohorts -run '^$' -bench CountDuringWrites -benchtime 300x -count 1
func BenchmarkCountDuringWrites(b *testing.B) {
	s, _, _ := newService(b, benchNow)
	if err := s.Seed(bg, 20000, 42); err != nil {
		b.Fatal(err)
	}
	q := sixRules()
	run := func(b *testing.B) {
		ds := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			if _, err := s.Count(bg, q, true); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		b.ReportMetric(float64(percentile(ds, 0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(percentile(ds, 0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(percentile(ds, 1).Microseconds())/1000, "max-ms")
	}
	b.Run("idle", run)
	b.Run("while_seeding", func(b *testing.B) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		writes := 0
		go func() {
			defer wg.Done()
			for seed := int64(1); ; seed++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.Seed(bg, 2000, seed); err != nil {
					b.Error(err)
					return
				}
				writes++
			}
		}()
		run(b)
		close(stop)
		wg.Wait()
		b.ReportMetric(float64(writes), "writes")
	})
}
