package cohorts

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/pgtest"
)

// sqlBenchN is the population of BenchmarkSharedStore; the goal run uses
// -cohorts.sqln=1000000.
var sqlBenchN = flag.Int("cohorts.sqln", 20000, "patients in the shared-store benchmark")

// BenchmarkSharedStore compares a node on PostgreSQL with one on Badger
// holding the same seeded world, and measures a late node's catch-up:
//
//   - seed-pg-s, seed-badger-s: Seed of the population on each backend;
//   - catchup-s: a node started after the import (New on the shared
//     database: the whole index from one snapshot), goal ≤ 60 s at 1M;
//   - reload-s: the follower's full reload (a truncated change or a
//     pruned feed), the same work on a running node;
//   - pg-p50-ms, badger-p50-ms, ratio: cohortCount (the six-rule query
//     with attrition and breakdown) p50 on the late PostgreSQL node and on
//     the Badger node reopened (both indexes loaded from the stored rows
//     and bitmaps), asked in turns, goal ratio ≤ 1.2; pg-seeder-p50-ms is
//     the node that imported (its index built in memory by the import);
//   - follow-ms: one patient imported on the PostgreSQL node until the
//     late node counts it (LISTEN/NOTIFY), goal under a second.
//
// go test ./cohorts -run '^$' -bench BenchmarkSharedStore -benchtime 1x -cohorts.sqln 1000000
func BenchmarkSharedStore(b *testing.B) {
	srv := pgtest.Start(b, pgtest.Options{Fast: true, Settings: []string{"shared_buffers=1GB", "max_wal_size=4GB"}})
	url := srv.NewDB(b)
	ctx := context.Background()
	open := func(cfg store.Config) *Service {
		cfg.GCInterval = -1
		db, err := store.Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		s, err := New(Config{DB: db, Now: fixedNow(benchNow)})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	n := *sqlBenchN
	dir := b.TempDir()
	pg, bg := open(store.Config{URL: url}), open(store.Config{Dir: dir})
	seed := func(s *Service) float64 {
		start := time.Now()
		if err := s.Seed(ctx, n, 42); err != nil {
			b.Fatal(err)
		}
		return time.Since(start).Seconds()
	}
	b.ReportMetric(seed(pg), "seed-pg-s")
	b.ReportMetric(seed(bg), "seed-badger-s")

	start := time.Now()
	late := open(store.Config{URL: url})
	b.ReportMetric(time.Since(start).Seconds(), "catchup-s")
	if late.PatientCount() != n {
		b.Fatalf("late node counts %d, want %d", late.PatientCount(), n)
	}
	start = time.Now()
	late.imu.Lock()
	err := late.reloadLocked(ctx)
	late.imu.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "reload-s")

	// The two nodes answer in turns, so load from other processes on the
	// machine falls on both alike.
	p50s := func(nodes ...*Service) []time.Duration {
		c := sixRules()
		d := make([][]time.Duration, len(nodes))
		for i := 0; i < 61; i++ {
			for j, s := range nodes {
				t0 := time.Now()
				if _, err := s.Count(ctx, c, true); err != nil {
					b.Fatal(err)
				}
				if i > 0 { // the first builds the lazy views
					d[j] = append(d[j], time.Since(t0))
				}
			}
		}
		out := make([]time.Duration, len(nodes))
		for j := range nodes {
			out[j] = percentile(d[j], 0.5)
		}
		return out
	}
	// Badger reopened: its index loaded from the stored rows and bitmaps,
	// as the late PostgreSQL node's is.
	bg.db.Close()
	bg = open(store.Config{Dir: dir})
	want, _ := bg.Count(ctx, sixRules(), true)
	got, _ := late.Count(ctx, sixRules(), true)
	if *want.Count != *got.Count {
		b.Fatalf("six-rule count %d on PostgreSQL, %d on Badger", *got.Count, *want.Count)
	}
	ps := p50s(late, bg, pg)
	pgP, bgP := ps[0], ps[1]
	b.ReportMetric(float64(pgP.Microseconds())/1000, "pg-p50-ms")
	b.ReportMetric(float64(bgP.Microseconds())/1000, "badger-p50-ms")
	b.ReportMetric(float64(pgP)/float64(bgP), "ratio")
	b.ReportMetric(float64(ps[2].Microseconds())/1000, "pg-seeder-p50-ms")

	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- late.Follow(fctx, nil) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond)
	start = time.Now()
	if _, err := pg.ImportFHIR(ctx, []byte(bundleOf("bench-follow", "female", "1960-01-01", "E11.9"))); err != nil {
		b.Fatal(err)
	}
	for late.PatientCount() != n+1 {
		if time.Since(start) > 30*time.Second {
			b.Fatal("the late node did not count the new patient within 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "follow-ms")
	for i := 0; i < b.N; i++ {
		// The measurements above are the result; b.N only repeats nothing.
	}
}
