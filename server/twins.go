package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
)

// maxTwinSource bounds how many matching stored patients a population is
// drawn from; each is read once per job.
const maxTwinSource = 200_000

// twinSource is rl.Twins over the cohorts service: it turns stored patients
// matching a criteria tree into virtual patients. Nothing about the
// patients leaves the job: only simulated outcomes are aggregated, and
// skipped patients are reported as counts by reason. Populations are drawn
// from at least k stored patients (disclosure.CheckMinimum, code
// COHORT_TOO_SMALL): Check counts the matching ones before a job is
// queued, Draw the eligible ones inside it.
type twinSource struct {
	svc *cohorts.Service
	// min is the fewest distinct stored patients a population may be drawn
	// from (the small-cell threshold k).
	min int
}

// newTwins returns the twins of svc's patients; minPatients is k.
func newTwins(svc *cohorts.Service, minPatients int) (*twinSource, error) {
	if svc == nil || minPatients < 1 {
		return nil, fmt.Errorf("twins: %w: need a cohorts service and a minimum of at least 1", store.ErrInvalid)
	}
	return &twinSource{svc: svc, min: minPatients}, nil
}

func (t *twinSource) criteria(raw json.RawMessage) (cohorts.Criteria, error) {
	c, err := cohorts.ParseCriteria(raw)
	if err != nil {
		return c, fmt.Errorf("population.criteria: %w", err)
	}
	return c, nil
}

// Check implements rl.Twins: the criteria parse and at least k stored
// patients match.
func (t *twinSource) Check(ctx context.Context, raw json.RawMessage) error {
	c, err := t.criteria(raw)
	if err != nil {
		return err
	}
	page, err := t.svc.PatientIDs(ctx, c, 0, "")
	if err != nil {
		return err
	}
	return disclosure.CheckMinimum(page.Total, t.min)
}

// Draw implements rl.Twins: every matching stored patient (up to
// maxTwinSource) becomes a twin; those req.Eligible rejects are counted by
// reason and left out; at least k must remain; then req.N twins are drawn
// with replacement, seeded.
func (t *twinSource) Draw(ctx context.Context, req rl.TwinsRequest) (rl.TwinsResult, error) {
	c, err := t.criteria(req.Criteria)
	if err != nil {
		return rl.TwinsResult{}, err
	}
	ids, err := t.matching(ctx, c)
	if err != nil {
		return rl.TwinsResult{}, err
	}
	if err := disclosure.CheckMinimum(len(ids), t.min); err != nil {
		return rl.TwinsResult{}, err
	}
	res := rl.TwinsResult{Skipped: map[string]int{}}
	pool := make([]*dosing.Patient, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rl.TwinsResult{}, err
		}
		p, err := t.svc.Patient(ctx, id)
		if err != nil {
			return rl.TwinsResult{}, err
		}
		tw := twinOf(p, t.svc)
		if req.Eligible != nil {
			if why := req.Eligible(tw); why != "" {
				res.Skipped[why]++
				continue
			}
		}
		pool = append(pool, tw)
	}
	if err := disclosure.CheckMinimum(len(pool), t.min); err != nil {
		return rl.TwinsResult{}, fmt.Errorf("after leaving out the patients who cannot take part in this job: %w", err)
	}
	rng := rand.New(rand.NewPCG(req.Seed, 0x7477696e73))
	res.Patients = make([]*dosing.Patient, req.N)
	for i := range res.Patients {
		cp := *pool[rng.IntN(len(pool))]
		res.Patients[i] = &cp
	}
	return res, nil
}

// matching lists the ids of the stored patients matching c, in id order.
func (t *twinSource) matching(ctx context.Context, c cohorts.Criteria) ([]string, error) {
	var ids []string
	after := ""
	for {
		page, err := t.svc.PatientIDs(ctx, c, 1000, after)
		if err != nil {
			return nil, err
		}
		ids = append(ids, page.IDs...)
		if !page.HasNextPage || page.EndCursor == nil || len(ids) >= maxTwinSource {
			return ids, nil
		}
		after = *page.EndCursor
	}
}

// twinOf converts one stored patient's covariates: age, sex, race, most
// recent weight and height, CYP2C9 diplotype, VKORC1 genotype, and
// amiodarone or enzyme-inducer use.
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
	keepValid(t)
	return t
}

// keepValid keeps what validates: an out-of-range weight or height is
// dropped, and so is a genotype the models do not know (e.g. a rare star
// allele); the simulators then use typical values. Age is kept as it is,
// so the job's eligibility check can count minors instead of hiding them.
func keepValid(t *dosing.Patient) {
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
}
