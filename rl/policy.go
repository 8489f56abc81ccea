package rl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/ppo"
	"github.com/rxlab/rxlab/store"
)

// PolicyRecord is a stored trained policy (the API's Policy plus its
// weights: a ppo.Policy encoding).
type PolicyRecord struct {
	ID          string    `json:"id"`
	Model       string    `json:"model"`
	TrainingRun string    `json:"trainingRun"`
	CreatedAt   time.Time `json:"createdAt"`
	Parameters  int       `json:"parameters"`
	// PopulationSeed is the training population's seed; evaluations must
	// use another one (held-out patients).
	PopulationSeed int64  `json:"populationSeed"`
	Weights        []byte `json:"weights"`
	// Monitoring is the schedule the policy was trained under ("": daily).
	Monitoring string `json:"monitoring,omitempty"`
}

func policyKey(id string) []byte { return []byte("rl/policy/" + id) }

// Policy returns a stored policy, or an error wrapping store.ErrNotFound.
func (s *Service) Policy(ctx context.Context, id string) (PolicyRecord, error) {
	var rec PolicyRecord
	err := s.db.View(ctx, func(tx *store.Txn) error { return tx.Get(policyKey(id), &rec) })
	if errors.Is(err, store.ErrNotFound) {
		return PolicyRecord{}, fmt.Errorf("policy %s: %w", id, store.ErrNotFound)
	}
	return rec, err
}

func (s *Service) loadPolicy(ctx context.Context, id string) (PolicyRecord, *ppo.Policy, error) {
	rec, err := s.Policy(ctx, id)
	if err != nil {
		return rec, nil, err
	}
	p, err := ppo.LoadPolicy(rec.Weights)
	if err != nil {
		return rec, nil, fmt.Errorf("policy %s: stored weights: %w", id, err)
	}
	return rec, p, nil
}

// PolicyFor returns the stored policy as a dosing.Policy: its controllers
// rebuild the environment's observation from the measurements they see
// (asking for one every day), apply the training shield, and dose greedily.
// It is safe for concurrent use.
func (s *Service) PolicyFor(ctx context.Context, id string) (dosing.Policy, error) {
	_, p, err := s.loadPolicy(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Spec.PosteriorDim > 0 {
		return s.posteriorPolicy(ctx, id, p)
	}
	return newLearned(id, p), nil
}

// DoseCell is one cell of a dose table: the decisions the policy made in a
// day window, with the last measurement in a band, for a patient group.
type DoseCell struct {
	// DayFrom and DayTo bound the window (inclusive; days for warfarin,
	// cycles for docetaxel).
	DayFrom int `json:"dayFrom"`
	DayTo   int `json:"dayTo"`
	// Low and High bound the band of the last measurement the policy saw
	// (warfarin: the morning INR; docetaxel: the previous cycle's nadir
	// ANC, or the baseline ANC before the first cycle); nil is open-ended.
	Low  *float64 `json:"low"`
	High *float64 `json:"high"`
	// Group is the patient group (warfarin: genotype sensitivity;
	// docetaxel: age group).
	Group string `json:"group"`
	// Decisions counts the decisions in the cell; MedianDose and MeanDose
	// summarize them (Unit of the table).
	Decisions  int     `json:"decisions"`
	MedianDose float64 `json:"medianDose"`
	MeanDose   float64 `json:"meanDose"`
}

// DoseTable shows what a policy does: the dose it chooses by day window,
// band of the last measurement and patient group, read from greedy rollouts
// on a fixed virtual population (Patients patients, seed 1).
type DoseTable struct {
	Policy     string `json:"policy"`
	Model      string `json:"model"`
	Observable string `json:"observable"`
	Unit       string `json:"unit"`
	// Groups explains each group name.
	Groups   map[string]string `json:"groups"`
	Patients int               `json:"patients"`
	Cells    []DoseCell        `json:"cells"`
}

// doseTablePatients is the rollout population of DoseTable.
const doseTablePatients = 500

// Warfarin genotype groups of the dose table: reduced-function alleles
// counted over CYP2C9 (*2, *3) and VKORC1 -1639 A.
var (
	cypReduced = [6]int{0, 1, 1, 2, 2, 2} // *1/*1, *1/*2, *1/*3, *2/*2, *2/*3, *3/*3
	warfGroups = map[string]string{
		"normal":           "0–1 reduced-function alleles (CYP2C9 *2/*3 plus VKORC1 A)",
		"sensitive":        "2 reduced-function alleles",
		"highly sensitive": "3 or more reduced-function alleles",
	}
	doceGroups = map[string]string{"age < 65": "younger than 65 years", "age ≥ 65": "65 years or older"}
)

func f64(v float64) *float64 { return &v }

// DoseTable reads the policy as a dose table.
func (s *Service) DoseTable(ctx context.Context, policyID string) (DoseTable, error) {
	rec, p, err := s.loadPolicy(ctx, policyID)
	if err != nil {
		return DoseTable{}, err
	}
	m, err := dosing.Model(rec.Model)
	if err != nil {
		return DoseTable{}, err
	}
	sp := p.Spec
	if sp.PosteriorDim > 0 {
		return DoseTable{}, fmt.Errorf("policy %s acts on the posterior (a MAP fit per visit and patient): no dose table is rolled out for it: %w", policyID, store.ErrNotImplemented)
	}
	e, err := env.New(env.Config{Model: sp.Model, Envs: doseTablePatients, Seed: 1, EpisodeSteps: sp.EpisodeSteps,
		History: sp.History, Shield: sp.Shield, Monitoring: dosing.Monitoring(sp.Monitoring)})
	if err != nil {
		return DoseTable{}, err
	}
	k, dim, na := sp.History, sp.ObsDim, sp.Actions
	doc := sp.Model == dosing.DocetaxelFriberg
	type cellKey struct {
		w, b int
		g    string
	}
	var windows [][2]int
	var bands [][2]*float64
	t := DoseTable{Policy: policyID, Model: sp.Model, Observable: m.Observable, Patients: doseTablePatients}
	if doc {
		windows = [][2]int{{0, 0}, {1, 1}, {2, sp.EpisodeSteps - 1}}
		bands = [][2]*float64{{nil, f64(500)}, {f64(500), f64(1000)}, {f64(1000), f64(1500)}, {f64(1500), f64(2000)}, {f64(2000), nil}}
		t.Unit, t.Groups = "mg/m2 per cycle", doceGroups
	} else {
		windows = [][2]int{{0, 0}, {1, 2}, {3, 6}, {7, 13}, {14, 27}, {28, sp.EpisodeSteps - 1}}
		bands = [][2]*float64{{nil, f64(1.5)}, {f64(1.5), f64(2)}, {f64(2), f64(2.5)}, {f64(2.5), f64(3)}, {f64(3), f64(3.5)}, {f64(3.5), f64(4)}, {f64(4), nil}}
		t.Unit, t.Groups = "mg/day", warfGroups
	}
	doses := map[cellKey][]float64{}
	acts := make([]int32, doseTablePatients)
	for step := 0; step < sp.EpisodeSteps; step++ {
		if err := ctx.Err(); err != nil {
			return DoseTable{}, err
		}
		obs, mask := e.Observations(), e.Mask()
		w := -1
		for i, win := range windows {
			if step >= win[0] && step <= win[1] {
				w = i
			}
		}
		for i := range doseTablePatients {
			o := obs[i*dim : (i+1)*dim]
			a, err := p.Act(o, mask[i*na:(i+1)*na])
			if err != nil {
				return DoseTable{}, err
			}
			acts[i] = int32(a)
			var meas float64
			var group string
			if doc {
				meas = 5050 * math.Exp(float64(o[0]))
				group = "age < 65"
				if float64(o[2*k+2])*15+65 >= 65 {
					group = "age ≥ 65"
				}
			} else {
				meas = float64(o[0])*1.5 + 2.5
				red := 0
				for c := range 6 {
					if o[2*k+1+c] == 1 {
						red += cypReduced[c]
					}
				}
				for v := range 3 {
					if o[2*k+7+v] == 1 {
						red += v
					}
				}
				group = "normal"
				switch {
				case red >= 3:
					group = "highly sensitive"
				case red == 2:
					group = "sensitive"
				}
			}
			b := len(bands) - 1
			for j, bd := range bands {
				if bd[1] != nil && meas < *bd[1] {
					b = j
					break
				}
			}
			if w >= 0 && e.Visit(i) { // between visits the dose is not a decision
				key := cellKey{w, b, group}
				doses[key] = append(doses[key], e.ActionDose(a))
			}
		}
		if _, _, _, err := e.Step(acts); err != nil {
			return DoseTable{}, err
		}
	}
	for key, ds := range doses {
		sort.Float64s(ds)
		sum := 0.0
		for _, d := range ds {
			sum += d
		}
		med := ds[len(ds)/2]
		if len(ds)%2 == 0 {
			med = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
		}
		t.Cells = append(t.Cells, DoseCell{DayFrom: windows[key.w][0], DayTo: windows[key.w][1], Low: bands[key.b][0], High: bands[key.b][1],
			Group: key.g, Decisions: len(ds), MedianDose: med, MeanDose: sum / float64(len(ds))})
	}
	sort.Slice(t.Cells, func(i, j int) bool {
		a, b := t.Cells[i], t.Cells[j]
		if a.DayFrom != b.DayFrom {
			return a.DayFrom < b.DayFrom
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return lowOf(a) < lowOf(b)
	})
	return t, nil
}

func lowOf(c DoseCell) float64 {
	if c.Low == nil {
		return math.Inf(-1)
	}
	return *c.Low
}
