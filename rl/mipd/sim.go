package mipd

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/rxlab/rxlab/rl/pkpd"
)

// batchSize is the number of η vectors one simulator batch holds.
const batchSize = 64

// event is one thing that happens on the grid: a record of the observable
// (into output column idx) or a dose. At one step records come first, so a
// sample at the hour of a dose is a pre-dose trough.
type event struct {
	step int
	dose bool
	idx  int
	mg   float64
}

// plan is a sorted event list and the number of recorded columns.
type plan struct {
	events []event
	nrec   int
}

// newPlan builds the events for doses and record steps (column k records
// at steps[k]).
func newPlan(doses []gridDose, steps []int) *plan {
	ev := make([]event, 0, len(doses)+len(steps))
	last := math.MinInt
	for k, s := range steps {
		ev = append(ev, event{step: s, idx: k})
		last = max(last, s)
	}
	// A dose after the last record changes no record: simulating up to it
	// would only spend time (a regimen dose far past the horizon would
	// hold the call for as long as the gap).
	for _, d := range doses {
		if d.mg > 0 && d.step <= last {
			ev = append(ev, event{step: d.step, dose: true, mg: d.mg})
		}
	}
	sort.SliceStable(ev, func(a, b int) bool {
		if ev[a].step != ev[b].step {
			return ev[a].step < ev[b].step
		}
		return !ev[a].dose && ev[b].dose
	})
	return &plan{events: ev, nrec: len(steps)}
}

// runner simulates batches of η vectors of one model on a reusable pkpd
// batch. It is not safe for concurrent use.
type runner struct {
	m *model
	w *pkpd.WarfarinBatch
	d *pkpd.DocetaxelBatch
}

func (m *model) newRunner() (*runner, error) {
	r := &runner{m: m}
	var err error
	if m.warf != nil {
		cfg := m.wcfg
		cfg.Patients = batchSize
		r.w, err = pkpd.NewWarfarinBatch(cfg)
	} else {
		cfg := m.dcfg
		cfg.Patients = batchSize
		r.d, err = pkpd.NewDocetaxelBatch(cfg)
	}
	return r, err
}

// run simulates every η of etas over pl; out[j][k] receives η_j's
// observable at record k (out rows must have pl.nrec columns).
func (r *runner) run(ctx context.Context, etas [][]float64, pl *plan, out [][]float64) error {
	for lo := 0; lo < len(etas); lo += batchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+batchSize, len(etas))
		if err := r.runChunk(etas[lo:hi], pl, out[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) runChunk(etas [][]float64, pl *plan, out [][]float64) error {
	n := len(etas)
	for j, eta := range etas {
		var err error
		if r.w != nil {
			err = r.w.SetPatient(j, r.m.warfParams(eta))
		} else {
			err = r.d.SetPatient(j, r.m.docParams(eta))
		}
		if err != nil {
			return fmt.Errorf("individual parameters: %w", err)
		}
	}
	t := 0
	for _, e := range pl.events {
		if e.step > t {
			r.advance(n, e.step-t)
			t = e.step
		}
		if !e.dose {
			for j := range n {
				out[j][e.idx] = r.value(j)
			}
			continue
		}
		for j := range n {
			if err := r.give(j, e.mg); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *runner) advance(n, steps int) {
	if r.w != nil {
		r.w.Advance(0, n, steps)
		return
	}
	r.d.Advance(0, n, steps)
}

func (r *runner) value(j int) float64 {
	if r.w != nil {
		return r.w.INR(j)
	}
	return r.d.ANC(j)
}

func (r *runner) give(j int, mg float64) error {
	if r.w != nil {
		r.w.Dose(j, mg)
		return nil
	}
	return r.d.Infuse(j, mg, r.m.infus)
}

// pool runs a batch of η vectors over several runners in parallel
// (Config.Workers), each on a contiguous share; results are identical to
// one runner's since every η is simulated independently.
type pool struct {
	m       *model
	runners []*runner
	workers int
}

func (m *model) newPool(workers int) (*pool, error) {
	r, err := m.newRunner()
	if err != nil {
		return nil, err
	}
	return &pool{m: m, runners: []*runner{r}, workers: max(1, workers)}, nil
}

// minPerWorker is the smallest share worth a goroutine.
const minPerWorker = 4

func (p *pool) run(ctx context.Context, etas [][]float64, pl *plan, out [][]float64) error {
	w := min(p.workers, len(etas)/minPerWorker)
	if w <= 1 {
		return p.runners[0].run(ctx, etas, pl, out)
	}
	for len(p.runners) < w {
		r, err := p.m.newRunner()
		if err != nil {
			return err
		}
		p.runners = append(p.runners, r)
	}
	errc := make(chan error, w)
	share := (len(etas) + w - 1) / w
	for k := range w {
		lo, hi := k*share, min((k+1)*share, len(etas))
		go func(r *runner) { errc <- r.run(ctx, etas[lo:hi], pl, out[lo:hi]) }(p.runners[k])
	}
	var first error
	for range w {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}
