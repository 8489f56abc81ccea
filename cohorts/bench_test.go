package cohorts

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

// benchN is the benchmark population; the real run uses -cohorts.n=1000000.
var benchN = flag.Int("cohorts.n", 20000, "patients in the cohorts benchmark population")

// pgRuns caps the PostgreSQL repetitions (each can take seconds at 1M).
var pgRuns = flag.Int("cohorts.pgruns", 10, "PostgreSQL query repetitions (after one warm-up)")

// benchDir, when set, keeps the benchmark database there and reuses it when
// it already holds -cohorts.n patients (import rate is then not measured).
var benchDir = flag.String("cohorts.dir", "", "directory of a reusable cohorts benchmark database")

// TestMain closes and removes the benchmark database after the run.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if fix != nil {
		fix.db.Close()
		if *benchDir == "" {
			os.RemoveAll(fix.dir)
		}
	}
	os.Exit(code)
}

// benchNow fixes the index date so both engines see the same world.
const benchNow = "2026-01-15"

// sixRules is the benchmark query: clinical and genomic rules under a
// top-level all, so Count computes attrition and breakdown.
func sixRules() Criteria {
	f := func(x float64) *float64 { return &x }
	s := func(x string) *string { return &x }
	return Criteria{All: []Criteria{
		{Age: &Range{Min: f(18), Max: f(80)}},
		{Lab: &Lab{Loinc: "98979-8", Op: "GE", Value: 30, WithinDays: ptr(365)}},
		{Lab: &Lab{Loinc: "1742-6", Op: "LE", Value: 100}},
		{Not: &Criteria{Medication: &Code{System: "ATC", Code: "B01A"}}},
		{Any: []Criteria{
			{Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: s("Normal Metabolizer")}},
			{Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: s("Rapid Metabolizer")}},
			{Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: s("Ultrarapid Metabolizer")}},
			{Pgx: &PgxCrit{Gene: "CYP2C19", Phenotype: s("Intermediate Metabolizer")}},
		}},
		{Not: &Criteria{Any: []Criteria{
			{Variant: &VariantCrit{Gene: "BRCA1", Origin: s("GERMLINE")}},
			{Variant: &VariantCrit{Gene: "BRCA2", Origin: s("GERMLINE")}},
		}}},
	}}
}

type benchFixture struct {
	s          *Service
	db         *store.DB
	dir        string
	n          int
	importRate float64 // patients per second through Seed
	heapMB     float64
	stats      IndexStats
	rxP50      time.Duration
	rxP99      time.Duration
	exact      CohortCount
}

var (
	fixOnce sync.Once
	fix     *benchFixture
	fixErr  error
)

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	i := int(p * float64(len(s)-1))
	return s[i]
}

func loadFixture(b *testing.B) *benchFixture {
	fixOnce.Do(func() {
		dir := *benchDir
		var err error
		if dir == "" {
			if dir, err = os.MkdirTemp("", "cohorts-bench-"); err != nil {
				fixErr = err
				return
			}
		}
		db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
		if err != nil {
			fixErr = err
			return
		}
		s, err := New(Config{DB: db, Now: fixedNow(benchNow)})
		if err != nil {
			fixErr = err
			return
		}
		f := &benchFixture{s: s, db: db, dir: dir, n: *benchN}
		fix = f // closed by TestMain even if a step below fails
		if s.PatientCount() != *benchN {
			start := time.Now()
			if err := s.Seed(context.Background(), *benchN, 42); err != nil {
				fixErr = err
				return
			}
			f.importRate = float64(*benchN) / time.Since(start).Seconds()
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		f.heapMB = float64(ms.HeapAlloc) / (1 << 20)
		q := sixRules()
		f.exact, fixErr = s.Count(context.Background(), q, true)
		if fixErr != nil {
			return
		}
		var ds []time.Duration
		for i := 0; i < 200; i++ {
			t0 := time.Now()
			if _, err := s.Count(context.Background(), q, false); err != nil {
				fixErr = err
				return
			}
			ds = append(ds, time.Since(t0))
		}
		f.rxP50, f.rxP99 = percentile(ds, 0.5), percentile(ds, 0.99)
		f.stats = s.Stats()
	})
	if fixErr != nil {
		b.Fatal(fixErr)
	}
	return fix
}

// BenchmarkCohorts measures, at -cohorts.n patients: the import rate of the
// demo world, Count p50/p99 for the six-rule query with attrition and
// breakdown, memory, and the same query in PostgreSQL 15 side by side
// (skipped when PostgreSQL is not installed).
//
//	go test ./cohorts -run '^$' -bench Cohorts -benchtime 200x -cohorts.n 1000000
func BenchmarkCohorts(b *testing.B) {
	f := loadFixture(b)
	b.Run("rxlab", func(b *testing.B) {
		q := sixRules()
		ds := make([]time.Duration, 0, b.N)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		b.ResetTimer()
		c0 := threadCPU()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if _, err := f.s.Count(context.Background(), q, false); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		cpu := threadCPU() - c0
		b.StopTimer()
		// The thread's own CPU per query (clock-tick resolution, so a mean
		// over the run): what a query costs on an otherwise idle core.
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-mean-ms")
		b.ReportMetric(float64(f.n), "patients")
		if f.importRate > 0 {
			b.ReportMetric(f.importRate, "import-patients/s")
		}
		b.ReportMetric(float64(percentile(ds, 0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(percentile(ds, 0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(f.heapMB, "heap-MB")
		b.ReportMetric(float64(f.stats.BitmapBytes+f.stats.ColumnBytes)/(1<<20), "index-MB")
	})
	b.Run("postgres15", func(b *testing.B) {
		// The framework calls this twice (b.N=1 then the real N); the
		// cluster is loaded and measured once.
		pgOnce.Do(func() { pgRes, pgErr = measurePostgres(b, f) })
		if pgErr != nil {
			b.Fatal(pgErr)
		}
		if pgRes == nil {
			b.Skip("PostgreSQL not available")
		}
		b.ReportMetric(float64(f.n), "patients")
		b.ReportMetric(float64(pgRes.p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(pgRes.p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(pgRes.loadS, "load-s")
		b.ReportMetric(float64(pgRes.p50)/float64(f.rxP50), "x-slower-than-rxlab-p50")
		b.ReportMetric(float64(pgRes.latestP50.Microseconds())/1000, "tuned-p50-ms")
		b.ReportMetric(float64(pgRes.latestP99.Microseconds())/1000, "tuned-p99-ms")
		b.ReportMetric(float64(pgRes.latestP50)/float64(f.rxP50), "tuned-x-slower")
		b.Logf("rxlab p50 %v p99 %v; postgres (set algebra over all lab results) p50 %v p99 %v; postgres (tuned: one pass with flags over a latest-lab table) p50 %v p99 %v; %d runs each; ratios %.1f× and %.1f×",
			f.rxP50, f.rxP99, pgRes.p50, pgRes.p99, pgRes.latestP50, pgRes.latestP99, pgRes.runs,
			float64(pgRes.p50)/float64(f.rxP50), float64(pgRes.latestP50)/float64(f.rxP50))
	})
}

type pgResult struct {
	p50, p99             time.Duration // lab rules over all results
	latestP50, latestP99 time.Duration // tuned: one pass with per-rule flags over the latest-lab table
	runs                 int
	loadS                float64
}

var (
	pgOnce sync.Once
	pgRes  *pgResult
	pgErr  error
)

func measurePostgres(b *testing.B, f *benchFixture) (res *pgResult, err error) {
	if pgBinDir() == "" {
		return nil, nil
	}
	pg := startPostgres(b)
	defer pg.stop()
	loadT := time.Now()
	if err := pg.load(f); err != nil {
		return nil, err
	}
	loadS := time.Since(loadT).Seconds()
	res = &pgResult{loadS: loadS}
	for _, latest := range []bool{true, false} {
		sql := benchSQL(f, false)
		if latest {
			sql = benchSQLFlags(f)
		}
		counts, times, err := pg.run(sql, *pgRuns)
		if err != nil {
			return nil, err
		}
		// The answers must agree before the timings mean anything.
		if want := *f.exact.Count; counts[0] != want {
			return nil, fmt.Errorf("postgres count %d, rxlab %d", counts[0], want)
		}
		for i, st := range f.exact.Attrition {
			if counts[1+i] != *st.Remaining || counts[7+i] != *st.Alone {
				return nil, fmt.Errorf("attrition step %d: postgres %d/%d, rxlab %d/%d", i, counts[1+i], counts[7+i], *st.Remaining, *st.Alone)
			}
		}
		res.runs = len(times)
		if latest {
			res.latestP50, res.latestP99 = percentile(times, 0.5), percentile(times, 0.99)
		} else {
			res.p50, res.p99 = percentile(times, 0.5), percentile(times, 0.99)
		}
	}
	return res, nil
}
