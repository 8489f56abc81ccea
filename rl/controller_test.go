package rl

import (
	"context"
	"math"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
)

func checkControllerMatchesEnv(t *testing.T, s *Service, policyID string) {
	t.Helper()
	ctx := context.Background()
	_, p, err := s.loadPolicy(ctx, policyID)
	if err != nil {
		t.Fatal(err)
	}
	sp := p.Spec
	m, _ := dosing.Model(sp.Model)
	pats := []*dosing.Patient{
		{Age: 72, Genotypes: map[string]string{"CYP2C9": "*1/*3", "VKORC1": "A/A"}},
		{Age: 45, Genotypes: map[string]string{"CYP2C9": "*1/*1", "VKORC1": "G/G"}},
		{Age: 60, Genotypes: map[string]string{"CYP2C9": "*2/*3", "VKORC1": "G/A"}},
	}
	for pi, pat := range pats {
		e, err := env.New(env.Config{Model: sp.Model, Envs: 1, Seed: uint64(7 + pi), EpisodeSteps: sp.EpisodeSteps,
			History: sp.History, Shield: sp.Shield, Population: []*dosing.Patient{pat}})
		if err != nil {
			t.Fatal(err)
		}
		ctl, err := newLearned(policyID, p.Clone()).NewController(m, pat)
		if err != nil {
			t.Fatal(err)
		}
		c := ctl.(*controller)
		for day := 0; day < sp.EpisodeSteps; day++ {
			obs := e.Observations()
			meas := float64(obs[0])*1.5 + 2.5
			dec, err := c.Decide(day, &dosing.Observation{Hour: float64(24 * day), Value: meas})
			if err != nil {
				t.Fatal(err)
			}
			for j := range obs {
				if math.Abs(float64(obs[j]-c.obs[j])) > 1e-5 {
					t.Fatalf("patient %d day %d: observation[%d] = %g, env has %g", pi, day, j, c.obs[j], obs[j])
				}
			}
			for a, ok := range e.Mask() {
				if c.mask[a] != ok {
					t.Fatalf("patient %d day %d: mask[%d] = %v, env has %v", pi, day, a, c.mask[a], ok)
				}
			}
			a := int(math.Round(dec.Dose / 0.5))
			if !c.mask[a] || dec.NextCheckHours != 24 {
				t.Fatalf("day %d: dose %g not allowed or no daily check (%g h)", day, dec.Dose, dec.NextCheckHours)
			}
			if _, _, _, err := e.Step([]int32{int32(a)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
