package rl

import (
	"context"
	"fmt"

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

// SimulatePopulation answers a population simulation synchronously. The
// budget (population.size × days × arms ≤ dosing.MaxPopulationSimWork) is
// checked before the population is drawn; populations of stored patients
// are refused (their skipped-patient counts need the disclosure path of
// evaluations: use evaluatePolicy).
func (s *Service) SimulatePopulation(ctx context.Context, in PopulationSimInput) ([]dosing.PopulationArmResult, error) {
	m, err := checkModel("input.model", in.Model)
	if err != nil {
		return nil, err
	}
	if err := in.Population.validate("input.population"); err != nil {
		return nil, err
	}
	if in.Population.hasCriteria() {
		return nil, fmt.Errorf("input.population.criteria: population simulation runs on virtual populations; use evaluatePolicy for stored patients: %w", store.ErrInvalid)
	}
	if err := checkRange("input.days", int64(in.Days), 1, dosing.MaxDays, "days"); err != nil {
		return nil, err
	}
	if err := checkRange("input.arms", int64(len(in.Arms)), 1, dosing.MaxPopulationArms, "arms"); err != nil {
		return nil, err
	}
	if work(int64(in.Population.Size), int64(in.Days), int64(len(in.Arms))) > dosing.MaxPopulationSimWork {
		return nil, &LimitError{Field: "input (population.size × days × arms)", Limit: dosing.MaxPopulationSimWork, Unit: "simulated patient-days"}
	}
	mon, err := dosing.ParseMonitoring("input.monitoring", in.Monitoring)
	if err != nil {
		return nil, err
	}
	arms := make([]dosing.PopulationArm, len(in.Arms))
	for i, a := range in.Arms {
		a.Monitoring = mon
		if mon == dosing.MonitoringProtocol && a.Regimen.Policy != nil {
			a.Monitoring = dosing.MonitoringOutpatient
		}
		arms[i] = a
	}
	pats, err := in.Population.virtual(ctx)
	if err != nil {
		return nil, err
	}
	seed := uint64(in.Population.Seed)*0x9e3779b97f4a7c15 + 0x9051
	res, err := dosing.SimulatePopulation(ctx, dosing.PopulationSimInput{Model: m.ID, Patients: pats, Arms: arms, Days: in.Days, Seed: seed, Variability: in.Variability})
	if err != nil {
		return nil, fmt.Errorf("input.%w", err)
	}
	return res, nil
}
