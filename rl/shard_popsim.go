package rl

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// PopSimShardPatients is how many virtual patients one shard of a
// population simulation job simulates (every arm, as one pkpd batch).
const PopSimShardPatients = 5000

// popSimShardable reports whether a population simulation job splits into
// shards: at least two shards' worth of patients.
func popSimShardable(in PopulationSimInput) bool {
	return in.Population.Size >= 2*PopSimShardPatients
}

// populationSimResult is the job's work: shards on every runner that
// serves them (or here) when the population is large, else in one piece.
func (s *Service) populationSimResult(ctx context.Context, h *jobs.Handle, in PopulationSimInput) ([]dosing.PopulationArmResult, error) {
	if !popSimShardable(in) {
		return runPopulationSim(ctx, in, func(done, total int, arm string) {
			h.Progress(ctx, float64(done)/float64(total), "arm "+arm)
		})
	}
	n := (in.Population.Size + PopSimShardPatients - 1) / PopSimShardPatients
	parts, err := h.RunShards(ctx, n, func(done, total int) {
		h.Progress(ctx, float64(done)/float64(total), fmt.Sprintf("%d of %d shards", done, total))
	})
	if err != nil {
		return nil, err
	}
	sims := make([][]*dosing.Simulation, len(in.Arms))
	mons := make([]dosing.Monitoring, len(in.Arms))
	for i, b := range parts {
		lo, hi := popSimRange(i, in.Population.Size)
		dec, m, err := decodePopSimShard(b, len(in.Arms), hi-lo, in.Days)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		for a := range sims {
			sims[a] = append(sims[a], dec[a]...)
			mons[a] = m[a]
		}
	}
	if err := h.ClearShards(context.WithoutCancel(ctx)); err != nil {
		s.log.Warn("population simulation shards left in the store", "job", h.Job().ID, "err", err)
	}
	out := make([]dosing.PopulationArmResult, len(in.Arms))
	for a, arm := range in.Arms {
		out[a] = dosing.SummarizePopulation(arm.Name, mons[a], sims[a], in.Days)
	}
	return out, nil
}

func popSimRange(i, n int) (lo, hi int) {
	lo = i * PopSimShardPatients
	return lo, min(lo+PopSimShardPatients, n)
}

// popSimShard is the population simulation kind's Shard func: every arm on
// the shard's patients, patient k still drawing from the base seed + k.
func (s *Service) popSimShard(ctx context.Context, j jobs.Job, i int) ([]byte, error) {
	var p jobParams
	if err := json.Unmarshal(j.Params, &p); err != nil || p.PopulationSim == "" {
		return nil, fmt.Errorf("%s: job parameters lack the simulation id: %w", KindPopulationSim, store.ErrInvalid)
	}
	ps, err := s.PopulationSimulation(ctx, p.PopulationSim)
	if err != nil {
		return nil, err
	}
	in, err := s.resolvePopulationSim(ctx, ps.Input)
	if err != nil {
		return nil, err
	}
	mon, err := dosing.ParseMonitoring("input.monitoring", in.Monitoring)
	if err != nil {
		return nil, err
	}
	pats, err := in.Population.virtual(ctx)
	if err != nil {
		return nil, err
	}
	lo, hi := popSimRange(i, len(pats))
	if lo >= hi {
		return nil, fmt.Errorf("population simulation %s: shard %d is past the population: %w", ps.ID, i, store.ErrInvalid)
	}
	arms := make([]dosing.PopulationArm, len(in.Arms))
	for a, arm := range in.Arms {
		arms[a] = popSimArm(arm, mon)
	}
	part := dosing.PopulationSimInput{Model: in.Model, Patients: pats[lo:hi], Arms: arms, Days: in.Days, Seed: popSimSeed(in) + uint64(lo), Variability: in.Variability}
	sims := make([][]*dosing.Simulation, len(arms))
	mons := make([]dosing.Monitoring, len(arms))
	for a := range arms {
		if sims[a], mons[a], err = dosing.SimulatePopulationArm(ctx, part, a); err != nil {
			return nil, fmt.Errorf("input.arms[%d]: %w", a, err)
		}
	}
	return encodePopSimShard(sims, mons, in.Days)
}

// popSimFloats is how many float64s follow a patient's daily observables:
// the outcomes, visits, and the docetaxel endpoints behind a flag.
const popSimFloats = 11

// encodePopSimShard packs what SummarizePopulation reads: per arm its
// schedule (a length byte and the name) and the day hours, then per
// patient the observable at each hour and popSimFloats values.
func encodePopSimShard(sims [][]*dosing.Simulation, mons []dosing.Monitoring, days int) ([]byte, error) {
	var buf []byte
	put := func(x float64) { buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x)) }
	for a, arm := range sims {
		if len(mons[a]) > 255 {
			return nil, fmt.Errorf("schedule name too long: %w", store.ErrInvalid)
		}
		buf = append(append(buf, byte(len(mons[a]))), mons[a]...)
		for t := range days + 1 {
			put(arm[0].Points[t].Hour)
		}
		for _, s := range arm {
			if len(s.Points) < days+1 {
				return nil, fmt.Errorf("a trajectory of %d points, want %d: %w", len(s.Points), days+1, store.ErrInvalid)
			}
			for t := range days + 1 {
				put(s.Points[t].Observable)
			}
			put(s.TimeInRange)
			put(s.TimeAbove)
			put(s.TimeBelow)
			put(s.MeanDailyDose)
			put(float64(len(s.Observations)))
			if e := s.Endpoints; e != nil {
				put(1)
				put(e.NadirANC)
				put(e.NadirDay)
				put(e.RelativeDoseIntensity)
				put(b2f(e.Grade3))
				put(b2f(e.Grade4))
			} else {
				for range 6 {
					put(0)
				}
			}
		}
	}
	return buf, nil
}

// decodePopSimShard rebuilds the trajectories (only what
// SummarizePopulation reads) of nArms arms of n patients.
func decodePopSimShard(b []byte, nArms, n, days int) ([][]*dosing.Simulation, []dosing.Monitoring, error) {
	bad := func(what string) error { return fmt.Errorf("population shard: %s: %w", what, store.ErrInvalid) }
	next := func() float64 { x := math.Float64frombits(binary.LittleEndian.Uint64(b)); b = b[8:]; return x }
	perArm := 8 * ((days + 1) + n*(days+1+popSimFloats))
	out := make([][]*dosing.Simulation, nArms)
	mons := make([]dosing.Monitoring, nArms)
	for a := range out {
		if len(b) < 1 || len(b) < 1+int(b[0])+perArm {
			return nil, nil, bad("short")
		}
		mons[a] = dosing.Monitoring(b[1 : 1+int(b[0])])
		b = b[1+int(b[0]):]
		hours := make([]float64, days+1)
		for t := range hours {
			hours[t] = next()
		}
		out[a] = make([]*dosing.Simulation, n)
		for p := range out[a] {
			s := &dosing.Simulation{Points: make([]dosing.SimPoint, days+1)}
			for t := range s.Points {
				s.Points[t] = dosing.SimPoint{Hour: hours[t], Observable: next()}
			}
			s.TimeInRange, s.TimeAbove, s.TimeBelow, s.MeanDailyDose = next(), next(), next(), next()
			visits := next()
			if visits < 0 || visits > float64(days+1)*24 || visits != math.Trunc(visits) {
				return nil, nil, bad("visit count")
			}
			s.Observations = make([]dosing.Observation, int(visits))
			f := [6]float64{next(), next(), next(), next(), next(), next()}
			if f[0] == 1 {
				s.Endpoints = &dosing.Endpoints{NadirANC: f[1], NadirDay: f[2], RelativeDoseIntensity: f[3], Grade3: f[4] == 1, Grade4: f[5] == 1}
			}
			out[a][p] = s
		}
	}
	if len(b) != 0 {
		return nil, nil, bad("trailing bytes")
	}
	return out, mons, nil
}
