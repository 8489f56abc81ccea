package dosing

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/rxlab/rxlab/store/errs"
)

// Population simulation limits, checked before any work.
const (
	// MaxPopulationArms bounds the regimens compared in one call.
	MaxPopulationArms = 8
	// MaxPopulationSimWork bounds patients × days × arms of one call (a
	// synchronous answer: about 0.1 µs of CPU per patient-day-step, so the
	// largest call takes a few seconds on two cores).
	MaxPopulationSimWork = 5_000_000
)

// Percentiles are the bands SimulatePopulation reports.
var Percentiles = [5]float64{5, 25, 50, 75, 95}

// PopulationArm is one regimen of a population simulation.
type PopulationArm struct {
	Name       string
	Regimen    Regimen
	Monitoring Monitoring
}

// PopulationSimInput is a population simulation request: every arm doses
// the same patients with the same random numbers (patient k uses Seed+k,
// exactly as Simulate with that seed would).
type PopulationSimInput struct {
	Model       string
	Patients    []*Patient
	Arms        []PopulationArm
	Days        int
	Seed        uint64
	Variability bool
	// Workers is the number of goroutines (0: 2).
	Workers int
}

// Band is the observable's percentiles (Percentiles) at one hour.
type Band struct {
	Hour float64
	P    [5]float64
}

// Distribution summarizes one per-patient endpoint: mean and percentiles.
// For yes/no endpoints (grade3, grade4) the mean is the incidence.
type Distribution struct {
	Name string
	Mean float64
	P    [5]float64
}

// PopulationArmResult is one arm's bands (daily, before each day's dose,
// and at the end) and endpoint distributions.
type PopulationArmResult struct {
	Name       string
	Monitoring Monitoring
	Patients   int
	Bands      []Band
	Endpoints  []Distribution
}

// CheckPopulationSim validates sizes and budgets; errors name the field.
func CheckPopulationSim(patients, arms, days int) error {
	if patients < 1 || patients > MaxPopulation {
		return fmt.Errorf("population.size must be within 1–%d: %w", MaxPopulation, errs.Invalid)
	}
	if arms < 1 || arms > MaxPopulationArms {
		return fmt.Errorf("arms: give 1–%d regimens: %w", MaxPopulationArms, errs.Invalid)
	}
	if days < 1 || days > MaxDays {
		return fmt.Errorf("days must be within 1–%d: %w", MaxDays, errs.Invalid)
	}
	if int64(patients)*int64(days)*int64(arms) > MaxPopulationSimWork {
		return fmt.Errorf("population.size × days × arms exceeds the limit of %d simulated patient-days: %w", MaxPopulationSimWork, errs.Invalid)
	}
	return nil
}

// SimulatePopulation simulates every patient under every arm (one shared
// pkpd batch per arm, Workers goroutines over disjoint patient ranges) and
// returns per arm the observable's 5/25/50/75/95 % percentiles over time
// and the endpoints' distributions. Budgets are checked before work; a
// patient or regimen error names the arm and the patient's index.
func SimulatePopulation(ctx context.Context, in PopulationSimInput) ([]PopulationArmResult, error) {
	if err := CheckPopulationSim(len(in.Patients), len(in.Arms), in.Days); err != nil {
		return nil, err
	}
	m, err := Model(in.Model)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	out := make([]PopulationArmResult, 0, len(in.Arms))
	for a, arm := range in.Arms {
		sims, mon, err := simulateArm(ctx, m, in, arm)
		if err != nil {
			return nil, fmt.Errorf("arms[%d]: %w", a, err)
		}
		out = append(out, SummarizePopulation(arm.Name, mon, sims, in.Days))
	}
	return out, nil
}

// SimulatePopulationArm simulates every patient of in under in.Arms[arm]
// as SimulatePopulation does (patient k with in.Seed+k) and returns the
// trajectories unsummarized, with the schedule the arm followed. A slice
// of the patients simulated with in.Seed plus its offset gives those
// patients' trajectories exactly, so a population may be simulated in
// parts and summarized whole (SummarizePopulation).
func SimulatePopulationArm(ctx context.Context, in PopulationSimInput, arm int) ([]*Simulation, Monitoring, error) {
	if err := CheckPopulationSim(len(in.Patients), len(in.Arms), in.Days); err != nil {
		return nil, "", err
	}
	if arm < 0 || arm >= len(in.Arms) {
		return nil, "", fmt.Errorf("arm %d of %d: %w", arm, len(in.Arms), errs.Invalid)
	}
	m, err := Model(in.Model)
	if err != nil {
		return nil, "", fmt.Errorf("model: %w", err)
	}
	sims, mon, err := simulateArm(ctx, m, in, in.Arms[arm])
	if err != nil {
		return nil, "", fmt.Errorf("arms[%d]: %w", arm, err)
	}
	return sims, mon, nil
}

// SummarizePopulation is an arm's result from its patients' trajectories
// in patient order: the daily percentile bands and the endpoint
// distributions (only Points' Hour and Observable, the outcomes,
// len(Observations) and Endpoints are read).
func SummarizePopulation(name string, mon Monitoring, sims []*Simulation, days int) PopulationArmResult {
	return PopulationArmResult{Name: name, Monitoring: mon, Patients: len(sims), Bands: bands(sims, days), Endpoints: distributions(sims)}
}

func simulateArm(ctx context.Context, m *DrugModel, in PopulationSimInput, arm PopulationArm) ([]*Simulation, Monitoring, error) {
	n := len(in.Patients)
	w, d, err := newBatch(m, n)
	if err != nil {
		return nil, "", err
	}
	runs := make([]*simRun, n)
	for k, p := range in.Patients {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, "", err
			}
		}
		r, err := newSimRun(SimulationInput{Model: m.ID, Patient: *p, Regimen: arm.Regimen, Days: in.Days, Seed: in.Seed + uint64(k),
			Variability: in.Variability, Monitoring: arm.Monitoring}, &simulator{w: w, d: d, i: k, noisy: in.Variability})
		if err != nil {
			return nil, "", fmt.Errorf("patients[%d]: %w", k, err)
		}
		runs[k] = r
	}
	workers := in.Workers
	if workers <= 0 {
		workers = 2
	}
	workers = min(workers, n)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		lo, hi := g*n/workers, (g+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = runRange(ctx, runs[lo:hi], lo, hi, in.Days)
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, "", e
		}
	}
	sims := make([]*Simulation, n)
	for k, r := range runs {
		if sims[k], err = r.finish(in.Days); err != nil {
			return nil, "", fmt.Errorf("patients[%d]: %w", k, err)
		}
	}
	return sims, runs[0].sched.Kind(), nil
}

// runRange steps patients [lo, hi) of a shared batch through days:
// each patient decides, then the range advances a day (hour by hour for
// docetaxel, whose nadir is tracked hourly).
func runRange(ctx context.Context, runs []*simRun, lo, hi, days int) error {
	r0 := runs[0]
	for day := range days {
		if day%16 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		hour := float64(24 * day)
		for k, r := range runs {
			r.out.Points = append(r.out.Points, SimPoint{Hour: hour, Observable: r.sim.value(), Concentration: r.sim.conc()})
			if err := r.decide(day); err != nil {
				return fmt.Errorf("patients[%d]: %w", lo+k, err)
			}
		}
		if w := r0.sim.w; w != nil {
			w.Advance(lo, hi, w.StepsPerDay())
			continue
		}
		for h := range 24 {
			r0.sim.d.Advance(lo, hi, 1)
			for _, r := range runs {
				if v := r.sim.value(); v < r.ep.NadirANC {
					r.ep.NadirANC, r.ep.NadirDay = v, (hour+float64(h)+1)/24
				}
			}
		}
	}
	return nil
}

// percentiles returns the Percentiles of sorted (linear interpolation
// between order statistics).
func percentiles(sorted []float64) [5]float64 {
	var out [5]float64
	n := len(sorted)
	for j, q := range Percentiles {
		x := q / 100 * float64(n-1)
		i := int(x)
		f := x - float64(i)
		out[j] = sorted[i]
		if i+1 < n {
			out[j] += f * (sorted[i+1] - sorted[i])
		}
	}
	return out
}

func bands(sims []*Simulation, days int) []Band {
	out := make([]Band, days+1)
	col := make([]float64, len(sims))
	for t := range days + 1 {
		for k, s := range sims {
			col[k] = s.Points[t].Observable
		}
		slices.Sort(col)
		out[t] = Band{Hour: sims[0].Points[t].Hour, P: percentiles(col)}
	}
	return out
}

func distributions(sims []*Simulation) []Distribution {
	get := []struct {
		name string
		f    func(*Simulation) float64
	}{
		{"timeInRange", func(s *Simulation) float64 { return s.TimeInRange }},
		{"timeAbove", func(s *Simulation) float64 { return s.TimeAbove }},
		{"timeBelow", func(s *Simulation) float64 { return s.TimeBelow }},
		{"meanDailyDose", func(s *Simulation) float64 { return s.MeanDailyDose }},
		{"visits", func(s *Simulation) float64 { return float64(len(s.Observations)) }},
	}
	if sims[0].Endpoints != nil {
		b := func(v bool) float64 {
			if v {
				return 1
			}
			return 0
		}
		get = append(get, []struct {
			name string
			f    func(*Simulation) float64
		}{
			{"nadirAnc", func(s *Simulation) float64 { return s.Endpoints.NadirANC }},
			{"nadirDay", func(s *Simulation) float64 { return s.Endpoints.NadirDay }},
			{"relativeDoseIntensity", func(s *Simulation) float64 { return s.Endpoints.RelativeDoseIntensity }},
			{"grade3", func(s *Simulation) float64 { return b(s.Endpoints.Grade3) }},
			{"grade4", func(s *Simulation) float64 { return b(s.Endpoints.Grade4) }},
		}...)
	}
	out := make([]Distribution, 0, len(get))
	col := make([]float64, len(sims))
	for _, g := range get {
		sum := 0.0
		for k, s := range sims {
			col[k] = g.f(s)
			sum += col[k]
		}
		slices.Sort(col)
		mean := sum / float64(len(col))
		if math.IsNaN(mean) {
			mean = 0
		}
		out = append(out, Distribution{Name: g.name, Mean: mean, P: percentiles(col)})
	}
	return out
}
