package response

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/rxlab/rxlab/store"
)

// Monitoring: a property model counts its predictions per day (UTC), how
// many were in its domain, and where its inputs and outputs fall among the
// deciles of its training set, so that drift shows as a population
// stability index (PSI) against the training distribution:
//
//	PSI = Σ_bins (served − train) · ln(served / train)
//
// over ten bins cut at the training deciles (fractions floored at 1e-4).
// By the usual reading a PSI below 0.1 is stable, 0.1–0.25 a moderate
// shift and above DriftWarnPSI a significant one; Monitoring warns above
// it, and when fewer than MinInDomainFraction of the window's molecules
// were in the model's domain (its threshold leaves about 90 % of the
// validation molecules in).
//
// Counts are kept in memory per model and day and added to the store at
// mdl/mon/<id>/<yyyy-mm-dd> at most every monitorFlushEvery or
// monitorFlushAfter predictions, and before Monitoring answers; a crash
// loses at most that much. GDSC models (predicted per patient) are not
// monitored.

// Monitoring thresholds.
const (
	// DriftWarnPSI is the PSI above which Monitoring warns.
	DriftWarnPSI = 0.25
	// MinInDomainFraction is the in-domain share below which it warns.
	MinInDomainFraction = 0.7
	// MaxMonitorDays bounds the window of one Monitoring call.
	MaxMonitorDays = 366

	psiBins           = 10
	monitorFlushEvery = time.Minute
	monitorFlushAfter = 50_000
)

// monitoredDescriptors are the basic descriptor columns whose drift is
// watched (every property model's descriptor block starts with them).
var monitoredDescriptors = [...]struct {
	name string
	col  int
}{{"MolWt", 0}, {"LogP", 1}, {"TPSA", 3}, {"RotatableBonds", 6}, {"FractionCSP3", 9}, {"HeavyAtoms", 10}}

// refHist is a training distribution cut at its deciles.
type refHist struct {
	Edges []float64 `json:"edges"`
	Frac  []float64 `json:"frac"`
}

// newRefHist cuts v at its deciles and records the share of v in each bin.
func newRefHist(v []float64) refHist {
	h := refHist{Frac: make([]float64, psiBins)}
	for q := 1; q < psiBins; q++ {
		h.Edges = append(h.Edges, percentile(v, float64(q)*100/psiBins))
	}
	for _, x := range v {
		h.Frac[h.bin(x)]++
	}
	for i := range h.Frac {
		h.Frac[i] /= float64(max(len(v), 1))
	}
	return h
}

// bin is the bin of x: the number of edges below or at x.
func (h refHist) bin(x float64) int {
	return sort.Search(len(h.Edges), func(i int) bool { return h.Edges[i] > x })
}

// psi is the population stability index of counts against h.
func (h refHist) psi(counts []int64) (float64, bool) {
	var n int64
	for _, c := range counts {
		n += c
	}
	if n == 0 || len(counts) != len(h.Frac) {
		return 0, false
	}
	var s float64
	for i, c := range counts {
		a, e := max(float64(c)/float64(n), 1e-4), max(h.Frac[i], 1e-4)
		s += (a - e) * math.Log(a/e)
	}
	return s, true
}

// monitorRef is a model's training distribution (in its record).
type monitorRef struct {
	Pred refHist   `json:"pred"`
	Desc []refHist `json:"desc"` // monitoredDescriptors order
}

// monitorRefOf computes the training distribution of a trained model:
// its predictions of its training molecules (TrainSMILES) and their
// monitored descriptors (descs, raw, one row per training molecule).
func monitorRefOf(ctx context.Context, m *Model, descs [][]float64) (*monitorRef, error) {
	preds, err := m.Predict(ctx, m.rec.TrainSMILES, PredictOptions{NoAttributions: true})
	if err != nil {
		return nil, err
	}
	var pv []float64
	for _, p := range preds {
		if p.Value != nil {
			pv = append(pv, *p.Value)
		}
	}
	ref := &monitorRef{Pred: newRefHist(pv)}
	for _, d := range monitoredDescriptors {
		v := make([]float64, 0, len(descs))
		for _, row := range descs {
			if d.col < len(row) {
				v = append(v, row[d.col])
			}
		}
		ref.Desc = append(ref.Desc, newRefHist(v))
	}
	return ref, nil
}

// monitorDay is one model's counts on one day (stored at mdl/mon/<id>/<date>).
type monitorDay struct {
	Date        string    `json:"date"`
	Predictions int64     `json:"predictions"`
	InDomain    int64     `json:"inDomain"`
	Pred        []int64   `json:"pred,omitempty"`
	Desc        [][]int64 `json:"desc,omitempty"`
}

func (d *monitorDay) add(o *monitorDay) {
	d.Predictions += o.Predictions
	d.InDomain += o.InDomain
	d.Pred = addCounts(d.Pred, o.Pred)
	if len(d.Desc) < len(o.Desc) {
		d.Desc = append(d.Desc, make([][]int64, len(o.Desc)-len(d.Desc))...)
	}
	for j := range o.Desc {
		d.Desc[j] = addCounts(d.Desc[j], o.Desc[j])
	}
}

func addCounts(a, b []int64) []int64 {
	if len(a) < len(b) {
		a = append(a, make([]int64, len(b)-len(a))...)
	}
	for i, v := range b {
		a[i] += v
	}
	return a
}

// monBatch collects one Predict call's counts (safe for its workers).
type monBatch struct {
	mu  sync.Mutex
	ref *monitorRef
	day monitorDay
}

func newMonBatch(ref *monitorRef) *monBatch {
	b := &monBatch{ref: ref}
	b.day = *b.local()
	return b
}

// local returns empty counts shaped for the batch's reference, for one
// worker's chunk (merged with merge, so workers do not contend per molecule).
func (b *monBatch) local() *monitorDay {
	d := &monitorDay{}
	if b.ref != nil {
		d.Pred = make([]int64, psiBins)
		d.Desc = make([][]int64, len(b.ref.Desc))
		for j := range d.Desc {
			d.Desc[j] = make([]int64, psiBins)
		}
	}
	return d
}

// merge adds a chunk's counts.
func (b *monBatch) merge(d *monitorDay) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.day.add(d)
}

// observe counts one predicted molecule into d (a chunk's counts).
func (b *monBatch) observe(d *monitorDay, desc []float64, value float64, inDomain bool) {
	d.Predictions++
	if inDomain {
		d.InDomain++
	}
	if b.ref == nil {
		return
	}
	d.Pred[b.ref.Pred.bin(value)]++
	for j, c := range monitoredDescriptors {
		if j < len(b.ref.Desc) && c.col < len(desc) {
			d.Desc[j][b.ref.Desc[j].bin(desc[c.col])]++
		}
	}
}

// monitorKey holds a model's counts of one day.
func monitorKey(id, date string) []byte { return []byte("mdl/mon/" + id + "/" + date) }

// monitor keeps the counts not yet stored, per model and day.
type monitor struct {
	mu        sync.Mutex
	pending   map[[2]string]*monitorDay
	n         int64
	lastFlush time.Time
}

// record adds a batch to the pending counts and says whether a flush is due.
func (mo *monitor) record(id string, now time.Time, b *monBatch) bool {
	if b.day.Predictions == 0 {
		return false
	}
	mo.mu.Lock()
	defer mo.mu.Unlock()
	if mo.pending == nil {
		mo.pending, mo.lastFlush = map[[2]string]*monitorDay{}, now
	}
	date := now.UTC().Format(time.DateOnly)
	k := [2]string{id, date}
	d := mo.pending[k]
	if d == nil {
		d = &monitorDay{Date: date}
		mo.pending[k] = d
	}
	d.add(&b.day)
	mo.n += b.day.Predictions
	return mo.n >= monitorFlushAfter || now.Sub(mo.lastFlush) >= monitorFlushEvery
}

// flush adds the pending counts to the store, one write per model and day;
// counts whose write fails stay pending.
func (s *Service) flushMonitor(ctx context.Context) error {
	mo := &s.mon
	mo.mu.Lock()
	pending := mo.pending
	mo.pending, mo.n, mo.lastFlush = map[[2]string]*monitorDay{}, 0, s.now()
	mo.mu.Unlock()
	var errs []error
	for k, d := range pending {
		err := s.db.Update(ctx, func(tx *store.Txn) error {
			var cur monitorDay
			if err := tx.Get(monitorKey(k[0], k[1]), &cur); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			cur.Date = k[1]
			cur.add(d)
			return tx.Put(monitorKey(k[0], k[1]), cur)
		})
		if err != nil {
			errs = append(errs, err)
			mo.mu.Lock()
			if old := mo.pending[k]; old != nil {
				d.add(old)
			}
			mo.pending[k] = d
			mo.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// MonitoringDay is one day of a model's use.
type MonitoringDay struct {
	Date        string `json:"date"`
	Predictions int64  `json:"predictions"`
	InDomain    int64  `json:"inDomain"`
}

// Drift is the PSI of one monitored quantity over the window.
type Drift struct {
	Name string  `json:"name"`
	PSI  float64 `json:"psi"`
}

// Monitoring is a model's use over a window of days.
type Monitoring struct {
	Model string          `json:"model"`
	Days  []MonitoringDay `json:"days"`
	// Predictions and InDomainFraction are over the window.
	Predictions      int64    `json:"predictions"`
	InDomainFraction *float64 `json:"inDomainFraction"`
	// PredictionPSI and Descriptors compare the window's predictions and
	// inputs with the training set (nil/empty for models trained before
	// monitoring, or without predictions).
	PredictionPSI *float64 `json:"predictionPsi"`
	Descriptors   []Drift  `json:"descriptors"`
	Warnings      []string `json:"warnings"`
}

// Monitoring reports a property model's use over the last days days
// (today included, UTC).
func (s *Service) Monitoring(ctx context.Context, modelID string, days int) (Monitoring, error) {
	if days < 1 || days > MaxMonitorDays {
		return Monitoring{}, fmt.Errorf("response: days must be within 1–%d: %w", MaxMonitorDays, store.ErrInvalid)
	}
	m, err := s.Model(ctx, modelID)
	if err != nil {
		return Monitoring{}, err
	}
	if err := s.flushMonitor(ctx); err != nil {
		return Monitoring{}, err
	}
	now := s.now().UTC()
	from, to := now.AddDate(0, 0, -(days-1)).Format(time.DateOnly), now.Format(time.DateOnly)
	var total monitorDay
	out := Monitoring{Model: modelID, Days: []MonitoringDay{}, Descriptors: []Drift{}, Warnings: []string{}}
	err = s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("mdl/mon/"+modelID+"/"), nil, func(r store.Record) error {
			var d monitorDay
			if err := r.Decode(&d); err != nil {
				return err
			}
			if d.Date >= from && d.Date <= to {
				out.Days = append(out.Days, MonitoringDay{Date: d.Date, Predictions: d.Predictions, InDomain: d.InDomain})
				total.add(&d)
			}
			return nil
		})
	})
	if err != nil {
		return Monitoring{}, err
	}
	out.summarize(&total, m.rec.Monitor)
	return out, nil
}

// summarize fills the window's totals, drifts and warnings.
func (out *Monitoring) summarize(total *monitorDay, ref *monitorRef) {
	out.Predictions = total.Predictions
	if total.Predictions == 0 {
		return
	}
	f := float64(total.InDomain) / float64(total.Predictions)
	out.InDomainFraction = &f
	if f < MinInDomainFraction {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%.0f %% of the molecules predicted were in the model's domain (below %.0f %%): most are unlike its training set", 100*f, 100*MinInDomainFraction))
	}
	if ref == nil {
		out.Warnings = append(out.Warnings, "the model was trained before monitoring kept its training distribution: no drift is measured")
		return
	}
	if p, ok := ref.Pred.psi(total.Pred); ok {
		out.PredictionPSI = &p
		if p > DriftWarnPSI {
			out.Warnings = append(out.Warnings, fmt.Sprintf("predictions drift from the training set's (PSI %.2f > %.2f)", p, DriftWarnPSI))
		}
	}
	for j, d := range monitoredDescriptors {
		if j >= len(ref.Desc) || j >= len(total.Desc) {
			break
		}
		if p, ok := ref.Desc[j].psi(total.Desc[j]); ok {
			out.Descriptors = append(out.Descriptors, Drift{Name: d.name, PSI: p})
			if p > DriftWarnPSI {
				out.Warnings = append(out.Warnings, fmt.Sprintf("input descriptor %s drifts from the training set's (PSI %.2f > %.2f)", d.name, p, DriftWarnPSI))
			}
		}
	}
}
