package cohorts

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCountAsOf measures what issue 23 added to a count: the
// warnings pass (one bitmap per distinct code rule) on the six-rule query,
// and the alive/age-at-death rules, against plain Count.
//
//	go test ./cohorts -run '^$' -bench CountAsOf -benchtime 200x -cohorts.n 1000000
func BenchmarkCountAsOf(b *testing.B) {
	f := loadFixture(b)
	yes := true
	alive := Criteria{All: []Criteria{{Alive: &yes}, {Age: &Range{Min: ptr(18.0), Max: ptr(80.0)}}}}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"count-six-rules", func() error { _, err := f.s.Count(context.Background(), sixRules(), true); return err }},
		{"countAsOf-six-rules-with-warnings", func() error {
			_, err := f.s.CountAsOf(context.Background(), sixRules(), true, nil)
			return err
		}},
		{"countAsOf-alive-age", func() error { _, err := f.s.CountAsOf(context.Background(), alive, true, nil); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			ds := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
			}
			b.ReportMetric(float64(percentile(ds, 0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(f.n), "patients")
		})
	}
}
