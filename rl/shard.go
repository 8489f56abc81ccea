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

// EvalShardPatients is how many virtual patients one shard of an
// evaluation job simulates (every arm). The split depends only on the
// population size, never on how many workers there are.
const EvalShardPatients = 1000

// minShardedPatients is the smallest population an evaluation job splits.
const minShardedPatients = 2 * EvalShardPatients

// armPatient is one patient's outcome in one arm: what summarizeArm adds up.
type armPatient struct {
	out            dosing.Outcome
	severe, visits float64
	// ep holds the docetaxel endpoints (nil for warfarin).
	ep *dosing.Endpoints
}

// simulateArm simulates patients lo..hi-1 of pats under arm a; patient k
// draws its random numbers from seed + k, so a patient's outcome does not
// depend on which shard or process simulated it.
func simulateArm(ctx context.Context, m *dosing.DrugModel, a evalArm, pats []*dosing.Patient, lo, hi, days int, seed uint64) ([]armPatient, error) {
	out := make([]armPatient, 0, hi-lo)
	hours, vals := make([]float64, 0, days+1), make([]float64, 0, days+1)
	for k := lo; k < hi; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sim, err := dosing.Simulate(ctx, dosing.SimulationInput{Model: m.ID, Patient: *pats[k], Regimen: a.reg, Days: days, Seed: seed + uint64(k), Variability: true, Monitoring: a.mon})
		if err != nil {
			return nil, fmt.Errorf("patient %d: %w", k, err)
		}
		rec := armPatient{
			out:    dosing.Outcome{TimeInRange: sim.TimeInRange, TimeAbove: sim.TimeAbove, TimeBelow: sim.TimeBelow, MeanDailyDose: sim.MeanDailyDose},
			visits: float64(len(sim.Observations)),
		}
		hours, vals = hours[:0], vals[:0]
		for _, pt := range sim.Points {
			hours, vals = append(hours, pt.Hour), append(vals, pt.Observable)
		}
		if m.ID == dosing.DocetaxelFriberg {
			_, _, rec.severe = dosing.Rosendaal(hours, vals, 500, math.Inf(1))
			rec.ep = sim.Endpoints
		} else {
			_, rec.severe, _ = dosing.Rosendaal(hours, vals, math.Inf(-1), 4)
		}
		out = append(out, rec)
	}
	return out, nil
}

// summarizeArm adds up the patients' outcomes in patient order — the same
// additions in the same order however the patients were split — and
// returns the arm and the per-patient outcomes for the subgroups.
func summarizeArm(m *dosing.DrugModel, a evalArm, recs []armPatient) (EvaluationArm, []dosing.Outcome) {
	outs := make([]dosing.Outcome, len(recs))
	var severe, visits float64
	var ep epSums
	for i, r := range recs {
		outs[i] = r.out
		visits += r.visits
		severe += r.severe
		if m.ID == dosing.DocetaxelFriberg {
			ep.add(r.ep)
		}
	}
	sum := dosing.Summarize(a.name, outs)
	n := float64(len(recs))
	arm := EvaluationArm{Name: sum.Name, Patients: sum.Patients, TimeInRange: sum.TimeInRange,
		TimeInRangeLow95: sum.TimeInRangeLow95, TimeInRangeHigh95: sum.TimeInRangeHigh95,
		TimeAbove: sum.TimeAbove, TimeBelow: sum.TimeBelow, MeanDailyDose: sum.MeanDailyDose,
		TimeSevere: severe / n, Monitoring: string(a.mon), VisitsPerPatient: visits / n}
	if m.ID == dosing.DocetaxelFriberg {
		ep.fill(&arm, n)
	}
	return arm, outs
}

// patientFloats is how many float64s encode one armPatient.
const patientFloats = 12

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// encodeShard packs a shard's outcomes (arm by arm, patient by patient) as
// little-endian float64s: exact, NaN-safe and compact.
func encodeShard(arms [][]armPatient) []byte {
	n := 0
	for _, a := range arms {
		n += len(a)
	}
	buf := make([]byte, 0, n*patientFloats*8)
	for _, a := range arms {
		for _, r := range a {
			f := [patientFloats]float64{r.out.TimeInRange, r.out.TimeAbove, r.out.TimeBelow, r.out.MeanDailyDose, r.severe, r.visits}
			if r.ep != nil {
				f[6], f[7], f[8], f[9], f[10], f[11] = 1, r.ep.NadirANC, r.ep.NadirDay, b2f(r.ep.Grade3), b2f(r.ep.Grade4), r.ep.RelativeDoseIntensity
			}
			for _, x := range f {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
			}
		}
	}
	return buf
}

// decodeShard unpacks encodeShard's bytes for nArms arms of n patients.
func decodeShard(b []byte, nArms, n int) ([][]armPatient, error) {
	if len(b) != nArms*n*patientFloats*8 {
		return nil, fmt.Errorf("evaluation shard: %d bytes, want %d arms × %d patients: %w", len(b), nArms, n, store.ErrInvalid)
	}
	out := make([][]armPatient, nArms)
	var f [patientFloats]float64
	for a := range out {
		out[a] = make([]armPatient, n)
		for p := range out[a] {
			for i := range f {
				f[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
				b = b[8:]
			}
			r := armPatient{out: dosing.Outcome{TimeInRange: f[0], TimeAbove: f[1], TimeBelow: f[2], MeanDailyDose: f[3]}, severe: f[4], visits: f[5]}
			if f[6] == 1 {
				r.ep = &dosing.Endpoints{NadirANC: f[7], NadirDay: f[8], Grade3: f[9] == 1, Grade4: f[10] == 1, RelativeDoseIntensity: f[11]}
			}
			out[a][p] = r
		}
	}
	return out, nil
}

// shardRange is the patients of shard i of a population of n.
func shardRange(i, n int) (lo, hi int) {
	lo = i * EvalShardPatients
	return lo, min(lo+EvalShardPatients, n)
}

// shardable reports whether an evaluation's job splits into shards: a
// virtual population (drawn from its seed, the same in every process) of
// at least minShardedPatients. Populations drawn from stored patients run
// in one piece, since the store may change between shards.
func shardable(in EvaluationInput) bool {
	return !in.Population.hasCriteria() && in.Population.Size >= minShardedPatients
}

// evaluationShard is the evaluation kind's Shard func: every arm on the
// shard's patients.
func (s *Service) evaluationShard(ctx context.Context, j jobs.Job, i int) ([]byte, error) {
	ev, err := s.evaluationOfJob(ctx, j)
	if err != nil {
		return nil, err
	}
	set, err := s.setupEvaluation(ctx, ev.Input)
	if err != nil {
		return nil, err
	}
	lo, hi := shardRange(i, len(set.pats))
	if lo >= hi {
		return nil, fmt.Errorf("evaluation %s: shard %d is past the population: %w", ev.ID, i, store.ErrInvalid)
	}
	arms := make([][]armPatient, len(set.arms))
	for a, arm := range set.arms {
		if arms[a], err = simulateArm(ctx, set.m, arm, set.pats, lo, hi, ev.Input.Days, set.seed); err != nil {
			return nil, fmt.Errorf("arm %s: %w", arm.name, err)
		}
	}
	return encodeShard(arms), nil
}

func (s *Service) evaluationOfJob(ctx context.Context, j jobs.Job) (Evaluation, error) {
	var p jobParams
	if err := json.Unmarshal(j.Params, &p); err != nil || p.Evaluation == "" {
		return Evaluation{}, fmt.Errorf("rl-evaluation: job parameters lack the evaluation id: %w", store.ErrInvalid)
	}
	return s.Evaluation(ctx, p.Evaluation)
}

// evaluateSharded runs an evaluation job's shards (on any runner) and
// combines them: each arm's patients concatenated in order and summarized
// by the same code as one process, so the numbers are the same to the bit.
func (s *Service) evaluateSharded(ctx context.Context, h *jobs.Handle, in EvaluationInput) (EvaluationResult, error) {
	set, err := s.setupEvaluation(ctx, in)
	if err != nil {
		return EvaluationResult{}, err
	}
	n := (len(set.pats) + EvalShardPatients - 1) / EvalShardPatients
	parts, err := h.RunShards(ctx, n, func(done, total int) {
		h.Progress(ctx, float64(done)/float64(total), fmt.Sprintf("%d of %d shards", done, total))
	})
	if err != nil {
		return EvaluationResult{}, err
	}
	recs := make([][]armPatient, len(set.arms))
	for i, b := range parts {
		lo, hi := shardRange(i, len(set.pats))
		dec, err := decodeShard(b, len(set.arms), hi-lo)
		if err != nil {
			return EvaluationResult{}, fmt.Errorf("shard %d: %w", i, err)
		}
		for a := range recs {
			recs[a] = append(recs[a], dec[a]...)
		}
	}
	res := EvaluationResult{Skipped: set.skipped, Monitoring: in.Monitoring, Arms: make([]EvaluationArm, len(set.arms))}
	outs := make([][]dosing.Outcome, len(set.arms))
	for a, arm := range set.arms {
		res.Arms[a], outs[a] = summarizeArm(set.m, arm, recs[a])
	}
	res.Subgroups = subgroupResults(set.m, set.pats, set.arms, outs)
	return res, nil
}

// evalSetup is what every shard and the combining job derive alike from a
// stored evaluation's input: the model, the arms, the population and the
// base seed.
type evalSetup struct {
	m       *dosing.DrugModel
	arms    []evalArm
	pats    []*dosing.Patient
	skipped []SkipCount
	seed    uint64
}

// setupEvaluation validates the input and builds the arms (the policy, then
// the baselines) and the population: Evaluate, every shard and the job that
// combines them start here.
func (s *Service) setupEvaluation(ctx context.Context, in EvaluationInput) (*evalSetup, error) {
	if err := s.validateEvaluation(ctx, in); err != nil {
		return nil, err
	}
	m, _ := dosing.Model(in.Model)
	shared := dosing.Monitoring(in.Monitoring)
	var arms []evalArm
	if in.PolicyID != "" {
		pol, err := s.PolicyFor(ctx, in.PolicyID)
		if err != nil {
			return nil, err
		}
		rec, err := s.Policy(ctx, in.PolicyID)
		if err != nil {
			return nil, err
		}
		mon := shared
		if mon == dosing.MonitoringProtocol && rec.Monitoring != string(dosing.MonitoringProtocol) {
			mon = dosing.MonitoringOutpatient // a policy that does not choose its visits
		}
		arms = append(arms, evalArm{"policy " + in.PolicyID, dosing.Regimen{Policy: pol}, pol, mon, false})
	}
	for _, b := range in.Baselines {
		if b == MethodMAPBayes { // a policy of the service, not of the model
			pol, err := s.mapBayesPolicy(ctx)
			if err != nil {
				return nil, err
			}
			arms = append(arms, evalArm{b, dosing.Regimen{Policy: pol}, pol, mapBayesMonitoring(shared), true})
			continue
		}
		pol, err := dosing.Method(m, "input.baselines", b)
		if err != nil {
			return nil, err
		}
		arms = append(arms, evalArm{b, dosing.Regimen{Method: b}, pol, shared, true})
	}
	pols := make([]dosing.Policy, len(arms))
	for i, a := range arms {
		pols[i] = a.pol
	}
	pats, skipped, err := s.population(ctx, "input.population", in.Population, eligibility(m, pols))
	if err != nil {
		return nil, err
	}
	seed := uint64(in.Population.Seed)*0x9e3779b97f4a7c15 + 0xe7a1
	return &evalSetup{m: m, arms: arms, pats: pats, skipped: skipped, seed: seed}, nil
}

// runEvaluationJob is the evaluation kind's Run func: a shardable
// evaluation runs as shards (on every runner that serves them, or here),
// any other as one piece (runEvaluation).
func (s *Service) runEvaluationJob(ctx context.Context, h *jobs.Handle) error {
	ev, err := s.evaluationOfJob(ctx, h.Job())
	if err != nil {
		return err
	}
	if !shardable(ev.Input) || !s.modelBaselinesOnly(ev.Input) {
		return s.runEvaluation(ctx, h)
	}
	if ev.Input.Monitoring == "" {
		ev.Input.Monitoring = string(dosing.MonitoringOutpatient)
	}
	res, err := s.evaluateSharded(ctx, h, ev.Input)
	if err != nil {
		return err
	}
	if err := s.storeEvaluation(ctx, h, ev.ID, res); err != nil {
		return err
	}
	if err := h.ClearShards(context.WithoutCancel(ctx)); err != nil {
		s.log.Warn("evaluation shards left in the store", "evaluation", ev.ID, "err", err)
	}
	return nil
}

// storeEvaluation writes a finished evaluation's result and names it as
// what the job made.
func (s *Service) storeEvaluation(ctx context.Context, h *jobs.Handle, id string, res EvaluationResult) error {
	err := s.db.Update(context.WithoutCancel(ctx), func(tx *store.Txn) error {
		var cur Evaluation
		if err := tx.Get(evalKey(id), &cur); err != nil {
			return err
		}
		cur.Arms, cur.Skipped, cur.Subgroups = res.Arms, res.Skipped, res.Subgroups
		return tx.Put(evalKey(id), cur)
	})
	if err != nil {
		return err
	}
	return h.SetResultID(context.WithoutCancel(ctx), "evaluation", id, map[string]string{"evaluation": id})
}

// modelBaselinesOnly reports whether every baseline is one of the model's
// own dosing methods; map-bayes (which fits each patient as it goes) runs
// unsharded.
func (s *Service) modelBaselinesOnly(in EvaluationInput) bool {
	m, err := dosing.Model(in.Model)
	if err != nil {
		return false
	}
	for _, b := range in.Baselines {
		if !m.HasBaseline(b) {
			return false
		}
	}
	return true
}
