package rl

import (
	"context"
	"fmt"

	"github.com/rxlab/rxlab/rl/dosing"
)

// Policy check sizes: the virtual patients and days the guardrail count
// runs over, and the fewest decisions a dose-table cell needs to count in
// the monotonicity check.
const (
	checkPatients     = 200
	checkDays         = 28
	checkMinDecisions = 10
)

// PolicyChecks is what a pharmacologist checks before trusting a policy
// (the API's PolicyChecks).
type PolicyChecks struct {
	// Decisions and GuardrailBound count the policy's decisions at visits
	// over checkPatients Ravvaz patients × checkDays days (noise on, on the
	// schedule the policy was trained under) and those whose raw choice
	// the guardrail lowered.
	Decisions      int     `json:"decisions"`
	GuardrailBound int     `json:"guardrailBound"`
	BoundFraction  float64 `json:"guardrailBoundFraction"`
	// Monotone reports whether, in the dose table's maintenance windows,
	// the median dose never rises with the last INR (warfarin) or never
	// falls with the last nadir ANC (docetaxel), per patient group;
	// Violations names the cells that break it.
	Monotone   bool     `json:"monotone"`
	Violations []string `json:"violations"`
}

// Checks runs a policy's checks (deterministic: fixed population and seeds).
func (s *Service) Checks(ctx context.Context, policyID string) (PolicyChecks, error) {
	rec, err := s.Policy(ctx, policyID)
	if err != nil {
		return PolicyChecks{}, err
	}
	pol, err := s.PolicyFor(ctx, policyID)
	if err != nil {
		return PolicyChecks{}, err
	}
	var c PolicyChecks
	if rec.Model == dosing.WarfarinHamberg {
		pats, err := dosing.RavvazPopulation(checkPatients, 0xc4ec)
		if err != nil {
			return PolicyChecks{}, err
		}
		mon := dosing.Monitoring(rec.Monitoring)
		if mon == "" {
			mon = dosing.MonitoringDaily
		}
		for k, p := range pats {
			sim, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: rec.Model, Patient: *p, Regimen: dosing.Regimen{Policy: pol},
				Days: checkDays, Seed: uint64(k), Variability: true, Monitoring: mon})
			if err != nil {
				return PolicyChecks{}, fmt.Errorf("guardrail check, patient %d: %w", k, err)
			}
			c.Decisions += sim.Decisions
			c.GuardrailBound += sim.GuardrailBound
		}
		if c.Decisions > 0 {
			c.BoundFraction = float64(c.GuardrailBound) / float64(c.Decisions)
		}
	}
	table, err := s.DoseTable(ctx, policyID)
	if err != nil {
		return PolicyChecks{}, err
	}
	c.Violations = monotonicity(table, rec.Model == dosing.DocetaxelFriberg)
	c.Monotone = len(c.Violations) == 0
	return c, nil
}

// monotonicity lists the dose-table cells whose median dose moves the
// wrong way against the previous band of the same window and group
// (cells are sorted by window, group and band). Warfarin maintenance
// windows start on day 7; docetaxel's on cycle 1.
func monotonicity(t DoseTable, rising bool) []string {
	v := []string{}
	var prev *DoseCell
	for i := range t.Cells {
		c := &t.Cells[i]
		if (!rising && c.DayFrom < 7) || (rising && c.DayFrom < 1) || c.Decisions < checkMinDecisions {
			continue
		}
		if prev != nil && prev.DayFrom == c.DayFrom && prev.Group == c.Group {
			if (!rising && c.MedianDose > prev.MedianDose) || (rising && c.MedianDose < prev.MedianDose) {
				unit := "days"
				if rising {
					unit = "cycles"
				}
				v = append(v, fmt.Sprintf("%s %d–%d, %s: median %g %s at %s %s–%s against %g at %s–%s", unit, c.DayFrom, c.DayTo, c.Group,
					c.MedianDose, t.Unit, t.Observable, bound(c.Low, "−∞"), bound(c.High, "∞"), prev.MedianDose, bound(prev.Low, "−∞"), bound(prev.High, "∞")))
			}
		}
		prev = c
	}
	return v
}

func bound(p *float64, open string) string {
	if p == nil {
		return open
	}
	return fmt.Sprint(*p)
}
