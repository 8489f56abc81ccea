package response

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// TestPSI: the index is ~0 for the training distribution itself and large
// for a shifted one; bins follow the training deciles.
func TestPSI(t *testing.T) {
	train := make([]float64, 1000)
	for i := range train {
		train[i] = float64(i)
	}
	h := newRefHist(train)
	counts := func(v []float64) []int64 {
		c := make([]int64, psiBins)
		for _, x := range v {
			c[h.bin(x)]++
		}
		return c
	}
	shift := func(d float64) []float64 {
		out := make([]float64, len(train))
		for i, x := range train {
			out[i] = x + d
		}
		return out
	}
	for _, c := range []struct {
		name     string
		served   []float64
		min, max float64
	}{
		{"same", train, 0, 1e-9},
		{"small shift", shift(20), 0, 0.1},
		{"large shift", shift(600), DriftWarnPSI, math.Inf(1)},
	} {
		p, ok := h.psi(counts(c.served))
		if !ok || p < c.min || p > c.max {
			t.Errorf("%s: PSI %v (%v), want within [%v, %v]", c.name, p, ok, c.min, c.max)
		}
	}
	if _, ok := h.psi(make([]int64, psiBins)); ok {
		t.Error("PSI of nothing served")
	}
}

// TestMonitoring serves a stored ESOL model over two days: the first
// predicts ESOL's own molecules (in domain, no drift), the second
// siloxanes (out of domain, drifted descriptors and predictions), and the
// counts survive a reopen of the store.
func TestMonitoring(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	ctx := context.Background()
	dir := t.TempDir()
	day := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return day }
	open := func() (*Service, *jobs.Runner, *store.DB) {
		db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		r, err := jobs.New(jobs.Config{DB: db})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{DB: db, Jobs: r, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return s, r, db
	}
	s, r, db := open()
	m, err := Train(ctx, TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 5, Ensemble: 2, Epochs: 10, Arch: ArchMLP}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.rec.Monitor == nil || len(m.rec.Monitor.Desc) != len(monitoredDescriptors) {
		t.Fatalf("monitor reference %+v", m.rec.Monitor)
	}
	if err := s.Save(ctx, m); err != nil {
		t.Fatal(err)
	}
	id := m.Info().ID
	tb, _ := LoadDataset("esol")
	if _, err := s.PredictWith(ctx, id, tb.SMILES[:400], PredictOptions{NoAttributions: true}); err != nil {
		t.Fatal(err)
	}
	day = day.AddDate(0, 0, 1)
	siloxanes := make([]string, 200)
	for i := range siloxanes {
		siloxanes[i] = "C[Si](C)(C)" + strings.Repeat("O[Si](C)(C)", 3+i%20) + "C"
	}
	if _, err := s.PredictWith(ctx, id, append(siloxanes, "C1CC"), PredictOptions{NoAttributions: true}); err != nil {
		t.Fatal(err)
	}
	first, err := s.Monitoring(ctx, id, 30)
	if err != nil {
		t.Fatal(err)
	}
	r.Shutdown(ctx)
	db.Close()
	s, r, db = open()
	defer db.Close()
	defer r.Shutdown(ctx)
	for _, c := range []struct {
		name        string
		days        int
		predictions int64
		ndays       int
		drift       bool
	}{
		{"today: siloxanes", 1, 200, 1, true},
		{"both days", 2, 600, 2, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			mo, err := s.Monitoring(ctx, id, c.days)
			if err != nil {
				t.Fatal(err)
			}
			if mo.Predictions != c.predictions || len(mo.Days) != c.ndays || mo.PredictionPSI == nil || len(mo.Descriptors) != len(monitoredDescriptors) {
				t.Fatalf("%+v", mo)
			}
			var molwt float64
			for _, d := range mo.Descriptors {
				if d.Name == "MolWt" {
					molwt = d.PSI
				}
			}
			if c.drift != (molwt > DriftWarnPSI) || c.drift != (len(mo.Warnings) > 0) {
				t.Errorf("MolWt PSI %v, warnings %q", molwt, mo.Warnings)
			}
			if c.days == 1 && !strings.Contains(strings.Join(mo.Warnings, "; "), "domain") {
				t.Errorf("out-of-domain day without a domain warning: %q", mo.Warnings)
			}
		})
	}
	if len(first.Days) != 2 || first.Days[0].Predictions != 400 || first.Days[0].InDomain < 300 || first.Days[1].InDomain > 20 {
		t.Errorf("days %+v", first.Days)
	}
	day = day.AddDate(0, 0, -1)
	esolDay, err := s.Monitoring(ctx, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if esolDay.Predictions != 400 || *esolDay.PredictionPSI > 0.1 || len(esolDay.Warnings) != 0 {
		t.Errorf("ESOL's own molecules: %+v", esolDay)
	}
	for _, bad := range []int{0, MaxMonitorDays + 1} {
		if _, err := s.Monitoring(ctx, id, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("days %d: %v", bad, err)
		}
	}
	if _, err := s.Monitoring(ctx, "nope", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown model: %v", err)
	}
}
