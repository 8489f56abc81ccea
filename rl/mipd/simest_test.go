package mipd

import (
	"context"
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/pkpd"
)

var simest500 = flag.Bool("mipd.simest500", false, "run the simulation–estimation check on 500 virtual patients (about a minute)")

// virtualPatient is a simulated patient with known η, dosed by the Aurora
// protocol on the shared outpatient schedule, measured with residual error.
type virtualPatient struct {
	in  Input
	eta []float64
	day []int // observation day of each observation
}

// simulateWarfarin builds n patients (antithetic pairs: η and −η, so the
// true η average exactly zero and the bias measures the estimator, not
// the draw) on the pkpd warfarin batch, 'days' days each.
func simulateWarfarin(t testing.TB, n, days int, seed uint64) []virtualPatient {
	t.Helper()
	m, _ := dosing.Model(dosing.WarfarinHamberg)
	pats, err := dosing.RavvazPopulation(n, seed)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := pkpd.NewWarfarinBatch(pkpd.WarfarinConfig{Patients: n})
	if err != nil {
		t.Fatal(err)
	}
	rng := pkpd.NewRNG(seed + 1)
	out := make([]virtualPatient, n)
	ctls := make([]dosing.Controller, n)
	scheds := make([]*dosing.Schedule, n)
	pol, err := dosing.Method(m, "method", dosing.MethodAurora)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pats {
		eta := make([]float64, len(warfarinOmega))
		for k := range eta {
			if i%2 == 0 {
				eta[k] = warfarinOmega[k] * rng.Norm()
			} else {
				eta[k] = -out[i-1].eta[k]
			}
		}
		cov, _, _, err := p.WarfarinCovariates()
		if err != nil {
			t.Fatal(err)
		}
		typ, _ := pkpd.TypicalWarfarin(cov)
		mm := &model{warf: &typ}
		if err := batch.SetPatient(i, mm.warfParams(eta)); err != nil {
			t.Fatal(err)
		}
		out[i] = virtualPatient{in: Input{Model: m.ID, Patient: *p, SkipSIR: !*simest500, Seed: uint64(i)}, eta: eta}
		if ctls[i], err = pol.NewController(m, p); err != nil {
			t.Fatal(err)
		}
		scheds[i], _ = dosing.NewSchedule(m, dosing.MonitoringOutpatient)
	}
	sigma, _ := pkpd.SampleWarfarin(pkpd.WarfarinCovariates{Age: 70}, pkpd.NewRNG(0))
	for day := range days {
		for i := range out {
			var obs *dosing.Observation
			if scheds[i].IsVisit(day) {
				v := batch.INR(i) * math.Exp(sigma.SigmaINR*rng.Norm())
				obs = &dosing.Observation{Hour: float64(24 * day), Value: v}
				out[i].in.Observations = append(out[i].in.Observations, Observation{Hour: obs.Hour, Value: v})
				out[i].day = append(out[i].day, day)
			}
			dec, err := ctls[i].Decide(day, obs)
			if err != nil {
				t.Fatal(err)
			}
			if obs != nil {
				scheds[i].Visited(day, obs.Value, dec.NextCheckHours)
			}
			if dec.Dose > 0 {
				batch.Dose(i, dec.Dose)
				out[i].in.Doses = append(out[i].in.Doses, Dose{Hour: float64(24 * day), Amount: dec.Dose})
			}
		}
		batch.AdvanceAll(batch.StepsPerDay())
	}
	return out
}

// upTo returns the patient's input with the observations and doses up to
// day (inclusive for observations, which are pre-dose).
func (v virtualPatient) upTo(day int) Input {
	in := v.in
	in.Observations = nil
	for i, o := range v.in.Observations {
		if v.day[i] <= day {
			in.Observations = append(in.Observations, o)
		}
	}
	in.Doses = nil
	for _, d := range v.in.Doses {
		if d.Hour <= float64(24*day) {
			in.Doses = append(in.Doses, d)
		}
	}
	return in
}

type simestStats struct {
	rmse, bias, cover90, cover95 []float64 // per η, bias and RMSE in units of ω
	meanBias                     []float64 // bias of the posterior mean (SIR) in units of ω
	sirCover95                   []float64 // coverage of the SIR 95 % intervals (NaN without SIR)
	ess                          float64   // mean SIR effective sample size
	shrink                       map[string]float64
	n, notConverged              int
}

func simest(t *testing.T, e *Estimator, pats []virtualPatient, day int) simestStats {
	t.Helper()
	k := len(warfarinOmega)
	st := simestStats{rmse: make([]float64, k), bias: make([]float64, k), cover90: make([]float64, k), cover95: make([]float64, k), meanBias: make([]float64, k), sirCover95: make([]float64, k)}
	var results []*Result
	for _, p := range pats {
		in := p.upTo(day)
		if len(in.Doses) == 0 {
			continue
		}
		res, err := e.Individualize(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
		if res.SIR != nil {
			st.ess += res.SIR.ESS
		}
		if !res.Converged {
			st.notConverged++
		}
		for j, name := range res.Names {
			err := (res.eta[j] - p.eta[j]) / warfarinOmega[j]
			st.bias[j] += err
			st.meanBias[j] += (res.EtaMean[name] - p.eta[j]) / warfarinOmega[j]
			st.rmse[j] += err * err
			sd := res.PosteriorSD[name]
			if math.Abs(res.eta[j]-p.eta[j]) <= 1.6448536269514722*sd {
				st.cover90[j]++
			}
			if math.Abs(res.eta[j]-p.eta[j]) <= z975*sd {
				st.cover95[j]++
			}
			if iv := res.Intervals[j]; iv.SIRLow <= p.eta[j] && p.eta[j] <= iv.SIRHigh {
				st.sirCover95[j]++
			}
		}
	}
	st.n = len(results)
	for j := range k {
		st.bias[j] /= float64(st.n)
		st.meanBias[j] /= float64(st.n)
		st.sirCover95[j] /= float64(st.n)
		st.rmse[j] = math.Sqrt(st.rmse[j] / float64(st.n))
		st.cover90[j] /= float64(st.n)
		st.cover95[j] /= float64(st.n)
	}
	st.shrink = PopulationShrinkage(results)
	return st
}

// TestSimulationEstimation is the acceptance check of issue 26: virtual
// patients with known η, the Aurora protocol on the outpatient schedule,
// residual error on. It reports bias, RMSE (both in units of ω) and
// Laplace coverage after each cutoff, and checks that the error shrinks as
// visits are added, that the bias is within ±5 % of ω (or three standard
// errors when the sample is small) and that the 90/95 % Laplace intervals
// cover at a sane rate. -mipd.simest500 runs the full 500 patients.
func TestSimulationEstimation(t *testing.T) {
	n := 40
	if *simest500 {
		n = 500
	} else if testing.Short() {
		n = 12
	}
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	pats := simulateWarfarin(t, n, 57, 2601)
	var prev []float64
	for _, day := range []int{7, 14, 28, 56} {
		st := simest(t, e, pats, day)
		var line string
		for j, name := range warfarinNames {
			line += fmt.Sprintf(" %s bias %+.3f (mean %+.3f) rmse %.3f cov90 %.2f cov95 %.2f shrink %.2f;", name, st.bias[j], st.meanBias[j], st.rmse[j], st.cover90[j], st.cover95[j], st.shrink[name])
		}
		t.Logf("day %d (n=%d, not converged %d):%s", day, st.n, st.notConverged, line)
		if st.notConverged > max(1, st.n/50) {
			t.Errorf("day %d: %d of %d fits did not converge", day, st.notConverged, st.n)
		}
		if prev != nil {
			// The pooled error over the identifiable effects (CL, EC50,
			// MTT2 carry the INR) must not grow as visits are added.
			if a, b := pooled(prev), pooled(st.rmse); b > a*1.02 {
				t.Errorf("day %d: pooled RMSE %.3f grew from %.3f", day, b, a)
			}
		}
		prev = st.rmse
		if day != 56 {
			continue
		}
		for j, name := range warfarinNames {
			tol := 0.05
			if !*simest500 {
				tol = math.Max(tol, 3*st.rmse[j]/math.Sqrt(float64(st.n)))
			}
			// The CI run checks the MAP; the 500-patient run checks the
			// posterior mean from SIR (the MAP, a mode, is reported: it is
			// biased where the posterior is skewed, V2 and MTT2).
			b, what := st.bias[j], "MAP"
			if *simest500 {
				b, what = st.meanBias[j], "posterior-mean"
			}
			if math.Abs(b) > tol {
				t.Errorf("eta %s: %s bias %.3f ω beyond ±%.3f ω", name, what, b, tol)
			}
		}
		c90, c95 := mean(st.cover90), mean(st.cover95)
		t.Logf("Laplace coverage over all η: 90 %% nominal → %.3f, 95 %% nominal → %.3f", c90, c95)
		if *simest500 {
			t.Logf("SIR 95 %% intervals cover %.3f (per η %.2f); mean ESS %.0f of %d proposals", mean(st.sirCover95), st.sirCover95, st.ess/float64(st.n), e.Config().SIRSamples)
		}
		if c90 < 0.75 || c90 > 0.99 || c95 < 0.8 || c95 > 1 {
			t.Errorf("Laplace coverage %.3f / %.3f outside the sane band", c90, c95)
		}
	}
}

func pooled(rmse []float64) float64 {
	// CL, MTT2, EC50
	return math.Sqrt((rmse[0]*rmse[0] + rmse[4]*rmse[4] + rmse[5]*rmse[5]) / 3)
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
