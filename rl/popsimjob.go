package rl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// KindPopulationSim is the job kind of a population simulation run as a job.
const KindPopulationSim = "rl-population-simulation"

// PopulationSimArm is one stored arm of a population simulation job: the
// regimen as the API gave it (FixedDose as an exact decimal string,
// IntervalHours as resolved, PolicyID resolved again when the job runs).
type PopulationSimArm struct {
	Name          string  `json:"name"`
	Method        string  `json:"method,omitempty"`
	FixedDose     string  `json:"fixedDose,omitempty"`
	IntervalHours float64 `json:"intervalHours,omitempty"`
	PolicyID      string  `json:"policyId,omitempty"`
}

// PopulationSimRequest is a population simulation stored for its job.
type PopulationSimRequest struct {
	Model       string             `json:"model"`
	Population  PopulationInput    `json:"population"`
	Arms        []PopulationSimArm `json:"arms"`
	Days        int                `json:"days"`
	Monitoring  string             `json:"monitoring,omitempty"`
	Variability bool               `json:"variability"`
}

// PopulationSimulation is a stored population simulation run as a job;
// Arms is filled when the job has finished.
type PopulationSimulation struct {
	ID        string                       `json:"id"`
	Job       string                       `json:"job"`
	Owner     string                       `json:"owner"`
	Input     PopulationSimRequest         `json:"input"`
	Arms      []dosing.PopulationArmResult `json:"arms"`
	CreatedAt time.Time                    `json:"createdAt"`
}

func popSimKey(id string) []byte { return []byte("rl/popsim/" + id) }

// resolve turns the stored request into the simulation input, looking the
// arms' policies up again.
func (s *Service) resolvePopulationSim(ctx context.Context, r PopulationSimRequest) (PopulationSimInput, error) {
	in := PopulationSimInput{Model: r.Model, Population: r.Population, Days: r.Days, Monitoring: r.Monitoring, Variability: r.Variability}
	for i, a := range r.Arms {
		reg := dosing.Regimen{Method: a.Method, IntervalHours: a.IntervalHours}
		if a.FixedDose != "" {
			d, err := dosing.ParseDose(fmt.Sprintf("input.arms[%d].fixedDose", i), a.FixedDose)
			if err != nil {
				return in, err
			}
			reg.FixedDose = d
		}
		if a.PolicyID != "" {
			pol, err := s.PolicyFor(ctx, a.PolicyID)
			if err != nil {
				return in, fmt.Errorf("input.arms[%d].policyId: %w", i, err)
			}
			reg.Policy = pol
		}
		in.Arms = append(in.Arms, dosing.PopulationArm{Name: a.Name, Regimen: reg})
	}
	return in, nil
}

// StartPopulationSimulation checks r (budgets included, up to
// dosing.MaxPopulationSimWork patient-days), stores it and queues its job
// in one transaction; PopulationSimulation(ctx, id) returns the arms once
// the job has finished. The job reports progress after each arm and stops
// when cancelled.
func (s *Service) StartPopulationSimulation(ctx context.Context, owner string, r PopulationSimRequest) (PopulationSimulation, error) {
	in, err := s.resolvePopulationSim(ctx, r)
	if err != nil {
		return PopulationSimulation{}, err
	}
	if err := checkPopulationSim(in); err != nil {
		return PopulationSimulation{}, err
	}
	var ps PopulationSimulation
	var job jobs.Job
	err = s.db.Update(ctx, func(tx *store.Txn) error {
		n, err := tx.NextID("rl-popsim")
		if err != nil {
			return err
		}
		ps = PopulationSimulation{ID: fmt.Sprintf("S%d", n), Owner: owner, Input: r, Arms: []dosing.PopulationArmResult{}, CreatedAt: time.Now().UTC()}
		if job, err = s.jobs.Enqueue(tx, KindPopulationSim, owner, jobParams{PopulationSim: ps.ID}); err != nil {
			return err
		}
		ps.Job = job.ID
		return tx.Put(popSimKey(ps.ID), ps)
	})
	if err != nil {
		return PopulationSimulation{}, err
	}
	s.jobs.Launch(job)
	return ps, nil
}

// PopulationSimulation returns a stored population simulation, or an
// error wrapping store.ErrNotFound.
func (s *Service) PopulationSimulation(ctx context.Context, id string) (PopulationSimulation, error) {
	var ps PopulationSimulation
	err := s.db.View(ctx, func(tx *store.Txn) error { return tx.Get(popSimKey(id), &ps) })
	if errors.Is(err, store.ErrNotFound) {
		return PopulationSimulation{}, fmt.Errorf("population simulation %s: %w", id, store.ErrNotFound)
	}
	return ps, err
}

func (s *Service) runPopulationSimJob(ctx context.Context, h *jobs.Handle) error {
	var p jobParams
	if err := json.Unmarshal(h.Job().Params, &p); err != nil || p.PopulationSim == "" {
		return fmt.Errorf("%s: job parameters lack the simulation id: %w", KindPopulationSim, store.ErrInvalid)
	}
	ps, err := s.PopulationSimulation(ctx, p.PopulationSim)
	if err != nil {
		return err
	}
	in, err := s.resolvePopulationSim(ctx, ps.Input)
	if err != nil {
		return err
	}
	res, err := s.populationSimResult(ctx, h, in)
	if err != nil {
		return err
	}
	err = s.db.Update(context.WithoutCancel(ctx), func(tx *store.Txn) error {
		var cur PopulationSimulation
		if err := tx.Get(popSimKey(ps.ID), &cur); err != nil {
			return err
		}
		cur.Arms = res
		return tx.Put(popSimKey(ps.ID), cur)
	})
	if err != nil {
		return err
	}
	return h.SetResultID(context.WithoutCancel(ctx), "populationSimulation", ps.ID, map[string]string{"populationSimulation": ps.ID})
}
