package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
)

// maxTwinSource bounds how many matching patients a population draws from.
const maxTwinSource = 200_000

// twins builds the rl.TwinsFunc that turns stored patients matching a
// criteria tree into virtual patients: n draws with replacement (seeded),
// each carrying the patient's age, sex, race, most recent weight and height,
// CYP2C9 diplotype, VKORC1 genotype, and amiodarone or enzyme-inducer use.
// Covariates the dosing models do not know are left out rather than failing
// the population. Nothing about the patients leaves the job: only their
// simulated outcomes are aggregated.
func twins(svc *cohorts.Service) func(ctx context.Context, criteria json.RawMessage, n int, seed uint64) ([]*dosing.Patient, error) {
	return func(ctx context.Context, criteria json.RawMessage, n int, seed uint64) ([]*dosing.Patient, error) {
		c, err := cohorts.ParseCriteria(criteria)
		if err != nil {
			return nil, fmt.Errorf("population.criteria: %w", err)
		}
		var ids []string
		after := ""
		for {
			page, err := svc.PatientIDs(ctx, c, 1000, after)
			if err != nil {
				return nil, err
			}
			ids = append(ids, page.IDs...)
			if !page.HasNextPage || page.EndCursor == nil || len(ids) >= maxTwinSource {
				break
			}
			after = *page.EndCursor
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("population.criteria: %w: no stored patient matches", store.ErrInvalid)
		}
		rng := rand.New(rand.NewPCG(seed, 0x7477696e73))
		cache := map[string]*dosing.Patient{}
		out := make([]*dosing.Patient, n)
		for i := range out {
			id := ids[rng.IntN(len(ids))]
			tw, ok := cache[id]
			if !ok {
				p, err := svc.Patient(ctx, id)
				if err != nil {
					return nil, err
				}
				tw = twinOf(p, svc)
				cache[id] = tw
			}
			cp := *tw
			out[i] = &cp
		}
		return out, nil
	}
}

// twinOf converts one stored patient's covariates.
func twinOf(p *cohorts.Patient, svc *cohorts.Service) *dosing.Patient {
	t := &dosing.Patient{Sex: p.Sex, Race: p.Race, Genotypes: map[string]string{}}
	if p.BirthDate != "" {
		t.Age = float64(p.Age(svc.IndexDate()))
	}
	latest := map[string]cohorts.LabValue{}
	for _, l := range p.Labs {
		if cur, ok := latest[l.Loinc]; !ok || l.Date > cur.Date {
			latest[l.Loinc] = l
		}
	}
	if w, ok := latest["29463-7"]; ok && w.Value > 0 { // body weight
		t.WeightKg = w.Value
		if strings.EqualFold(w.Unit, "lb") || strings.EqualFold(w.Unit, "[lb_av]") {
			t.WeightKg = w.Value * 0.45359237
		}
	}
	if h, ok := latest["8302-2"]; ok && h.Value > 0 { // body height
		t.HeightCm = h.Value
		if strings.EqualFold(h.Unit, "[in_i]") || strings.EqualFold(h.Unit, "in") {
			t.HeightCm = h.Value * 2.54
		}
	}
	for _, r := range p.Pgx {
		switch r.Gene {
		case "CYP2C9":
			if r.Diplotype != "" {
				t.Genotypes["CYP2C9"] = r.Diplotype
			}
		case "VKORC1":
			if r.Phenotype != "" {
				t.Genotypes["VKORC1"] = r.Phenotype
			}
		}
	}
	for _, m := range p.Medications {
		name := strings.ToLower(m.Display + " " + m.Code)
		switch {
		case strings.Contains(name, "amiodarone") || (strings.EqualFold(m.System, "RXNORM") && m.Code == "703"):
			t.Amiodarone = true
		case strings.Contains(name, "rifamp"), strings.Contains(name, "carbamazepine"), strings.Contains(name, "phenytoin"):
			t.EnzymeInducer = true
		}
	}
	// Keep what validates: out-of-range weight or height is dropped, and so
	// is a genotype the models do not know (e.g. a rare star allele); the
	// simulators then use typical values.
	genos := t.Genotypes
	t.Genotypes = map[string]string{}
	if t.Validate() != nil {
		t.WeightKg, t.HeightCm = 0, 0
	}
	for gene, g := range genos {
		t.Genotypes[gene] = g
		if t.Validate() != nil {
			delete(t.Genotypes, gene)
		}
	}
	return t
}
