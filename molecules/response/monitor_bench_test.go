package response

import (
	"context"
	"testing"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// BenchmarkPredictMonitored is BenchmarkPredictEnsemble5 (no attributions)
// through Service.PredictWith, which counts every prediction for
// monitoring (bins of the prediction and six descriptors, merged once per
// worker chunk, stored once a minute): compare its molecules/cpu-s with
// BenchmarkPredictEnsemble5NoAttr's.
func BenchmarkPredictMonitored(b *testing.B) {
	m, smiles := benchSetup(b)
	db, err := store.Open(store.Config{Dir: b.TempDir(), GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	s, err := New(Config{DB: db, Jobs: r})
	if err != nil {
		b.Fatal(err)
	}
	if m.rec.Monitor == nil {
		b.Fatal("the benchmark model has no monitoring reference")
	}
	if err := s.Save(context.Background(), m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	n := 0
	for i := 0; i < b.N; i++ {
		out, err := s.PredictWith(context.Background(), m.Info().ID, smiles, PredictOptions{NoAttributions: true})
		if err != nil {
			b.Fatal(err)
		}
		n += len(out)
	}
	b.ReportMetric(float64(n)/(cpuSeconds()-cpu0), "molecules/cpu-s")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "molecules/s")
	b.ReportMetric(0, "ns/op")
}
