package rl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
)

// PopulationSimInput is the API's PopulationSimulationInput with its
// regimens resolved.
type PopulationSimInput struct {
	Model      string
	Population PopulationInput
	Arms       []dosing.PopulationArm
	Days       int
	// Monitoring is shared by every arm, or PROTOCOL (the default): each
	// method its own schedule, learned policies OUTPATIENT.
	Monitoring  string
	Variability bool
}

// MaxSyncPopulationSimWork bounds population.size × days × arms of a
// synchronous simulatePopulation; larger ones (up to
// dosing.MaxPopulationSimWork) run as jobs (StartPopulationSimulation).
const MaxSyncPopulationSimWork = 200_000

// SimulatePopulation answers a population simulation synchronously. The
// budgets (population.size × days × arms ≤ MaxSyncPopulationSimWork here,
// dosing.MaxPopulationSimWork as a job) are checked before the population
// is drawn; populations of stored patients are refused (their
// skipped-patient counts need the disclosure path of evaluations: use
// evaluatePolicy).
func (s *Service) SimulatePopulation(ctx context.Context, in PopulationSimInput) ([]dosing.PopulationArmResult, error) {
	if err := checkPopulationSim(in); err != nil {
		return nil, err
	}
	if work(int64(in.Population.Size), int64(in.Days), int64(len(in.Arms))) > MaxSyncPopulationSimWork {
		return nil, &LimitError{Field: "input (population.size × days × arms; larger runs: startPopulationSimulation)", Limit: MaxSyncPopulationSimWork, Unit: "simulated patient-days answered synchronously"}
	}
	return runPopulationSim(ctx, in, nil)
}

// checkPopulationSim checks the model, population, days, arms, budget and
// schedule of in, before any work.
func checkPopulationSim(in PopulationSimInput) error {
	if _, err := checkModel("input.model", in.Model); err != nil {
		return err
	}
	if err := in.Population.validate("input.population"); err != nil {
		return err
	}
	if in.Population.hasCriteria() {
		return fmt.Errorf("input.population.criteria: population simulation runs on virtual populations; use evaluatePolicy for stored patients: %w", store.ErrInvalid)
	}
	if err := checkRange("input.days", int64(in.Days), 1, dosing.MaxDays, "days"); err != nil {
		return err
	}
	if err := checkRange("input.arms", int64(len(in.Arms)), 1, dosing.MaxPopulationArms, "arms"); err != nil {
		return err
	}
	if work(int64(in.Population.Size), int64(in.Days), int64(len(in.Arms))) > dosing.MaxPopulationSimWork {
		return &LimitError{Field: "input (population.size × days × arms)", Limit: dosing.MaxPopulationSimWork, Unit: "simulated patient-days"}
	}
	_, err := dosing.ParseMonitoring("input.monitoring", in.Monitoring)
	return err
}

// runPopulationSim draws the population and simulates it arm by arm (each
// arm's result is the same as in one call: every arm uses the same patients
// and seeds); progress, when not nil, is told after each arm.
func runPopulationSim(ctx context.Context, in PopulationSimInput, progress func(done, total int, arm string)) ([]dosing.PopulationArmResult, error) {
	m, _ := checkModel("input.model", in.Model)
	mon, _ := dosing.ParseMonitoring("input.monitoring", in.Monitoring)
	pats, err := in.Population.virtual(ctx)
	if err != nil {
		return nil, err
	}
	seed := popSimSeed(in)
	out := make([]dosing.PopulationArmResult, 0, len(in.Arms))
	for i, a := range in.Arms {
		a = popSimArm(a, mon)
		res, err := dosing.SimulatePopulation(ctx, dosing.PopulationSimInput{Model: m.ID, Patients: pats, Arms: []dosing.PopulationArm{a}, Days: in.Days, Seed: seed, Variability: in.Variability})
		if err != nil {
			if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "arms[0]: ") {
				return nil, fmt.Errorf("input.arms[%d]: %w", i, inner)
			}
			return nil, fmt.Errorf("input.%w", err)
		}
		out = append(out, res[0])
		if progress != nil {
			progress(i+1, len(in.Arms), a.Name)
		}
	}
	return out, nil
}

// popSimSeed is the base seed of a population simulation (patient k draws
// from it plus k).
func popSimSeed(in PopulationSimInput) uint64 {
	return uint64(in.Population.Seed)*0x9e3779b97f4a7c15 + 0x9051
}

// popSimArm gives an arm the simulation's schedule: a shared one, or under
// PROTOCOL each method its own and learned policies OUTPATIENT.
func popSimArm(a dosing.PopulationArm, mon dosing.Monitoring) dosing.PopulationArm {
	a.Monitoring = mon
	if mon == dosing.MonitoringProtocol && a.Regimen.Policy != nil {
		a.Monitoring = dosing.MonitoringOutpatient
	}
	return a
}
