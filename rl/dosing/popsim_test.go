package dosing

import (
	"context"
	"errors"
	"flag"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store/errs"
)

// TestSimulatePopulationMatchesSimulate checks that the shared-batch
// population run gives each patient exactly Simulate's trajectory with
// seed+k, and that the bands are ordered percentiles of those trajectories.
func TestSimulatePopulationMatchesSimulate(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		model string
		pats  func() []*Patient
		arms  []PopulationArm
		days  int
	}{
		{WarfarinHamberg, func() []*Patient { p, _ := RavvazPopulation(41, 3); return p },
			[]PopulationArm{{Name: "aurora", Regimen: Regimen{Method: MethodAurora}, Monitoring: MonitoringOutpatient}, {Name: "iwpc-pgx", Regimen: Regimen{Method: MethodIWPCPGx}}}, 40},
		{DocetaxelFriberg, func() []*Patient {
			var out []*Patient
			for k := range 9 {
				out = append(out, &Patient{Age: 50 + float64(k), WeightKg: 60 + 3*float64(k), HeightCm: 165})
			}
			return out
		}, []PopulationArm{{Name: "reduce", Regimen: Regimen{Method: MethodReduceGrade4}}}, 63},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			pats := c.pats()
			res, err := SimulatePopulation(ctx, PopulationSimInput{Model: c.model, Patients: pats, Arms: c.arms, Days: c.days, Seed: 100, Variability: true, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			for a, arm := range c.arms {
				r := res[a]
				if r.Patients != len(pats) || len(r.Bands) != c.days+1 || r.Name != arm.Name {
					t.Fatalf("arm %+v", r)
				}
				var tir float64
				last := make([]float64, len(pats))
				for k, p := range pats {
					sim, err := Simulate(ctx, SimulationInput{Model: c.model, Patient: *p, Regimen: arm.Regimen, Days: c.days, Seed: 100 + uint64(k), Variability: true, Monitoring: arm.Monitoring})
					if err != nil {
						t.Fatal(err)
					}
					tir += sim.TimeInRange / float64(len(pats))
					last[k] = sim.Points[c.days].Observable
				}
				if math.Abs(r.Endpoints[0].Mean-tir) > 1e-12 || r.Endpoints[0].Name != "timeInRange" {
					t.Errorf("%s: mean TIR %.15f, Simulate gives %.15f", arm.Name, r.Endpoints[0].Mean, tir)
				}
				b := r.Bands[c.days]
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, v := range last {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
				for j := 1; j < 5; j++ {
					if b.P[j] < b.P[j-1] {
						t.Errorf("band not ordered: %v", b.P)
					}
				}
				if b.P[0] < lo || b.P[4] > hi {
					t.Errorf("band %v outside [%g, %g]", b.P, lo, hi)
				}
			}
		})
	}
}

func TestSimulatePopulationLimits(t *testing.T) {
	for _, c := range []struct {
		n, arms, days int
		field         string
	}{{0, 1, 10, "population.size"}, {10, 0, 10, "arms"}, {10, 9, 10, "arms"}, {10, 1, 0, "days"}, {100000, 3, 90, "5000000"}} {
		if err := CheckPopulationSim(c.n, c.arms, c.days); !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

var popGoal = flag.Bool("popsim.goal", false, "run the 10,000-patient population-simulation goal (fails above 2 s wall time)")

// TestSimulatePopulationGoal measures issue 24's goal: 10,000 warfarin
// patients × 90 days in ≤ 2 s on 2 cores. It needs an otherwise idle
// machine, so it runs only with -popsim.goal.
func TestSimulatePopulationGoal(t *testing.T) {
	if !*popGoal {
		t.Skip("goal check: go test ./rl/dosing -run TestSimulatePopulationGoal -popsim.goal -v")
	}
	pats, err := RavvazPopulation(10000, 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := SimulatePopulation(context.Background(), PopulationSimInput{Model: WarfarinHamberg, Patients: pats, Days: 90, Seed: 1, Variability: true,
		Arms: []PopulationArm{{Name: "iwpc-pgx", Regimen: Regimen{Method: MethodIWPCPGx}, Monitoring: MonitoringOutpatient}}})
	el := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10,000 patients × 90 days, one arm: %.2f s; day-90 INR bands %v; TIR mean %.3f", el.Seconds(), res[0].Bands[90].P, res[0].Endpoints[0].Mean)
	if el > 2*time.Second {
		t.Errorf("goal missed: %.2f s > 2 s", el.Seconds())
	}
}

// BenchmarkSimulatePopulation is 1,000 warfarin patients × 90 days under
// the IWPC pharmacogenetic protocol on the outpatient schedule (two
// workers); the goal scales it tenfold within 2 s.
func BenchmarkSimulatePopulation(b *testing.B) {
	pats, err := RavvazPopulation(1000, 1)
	if err != nil {
		b.Fatal(err)
	}
	in := PopulationSimInput{Model: WarfarinHamberg, Patients: pats, Days: 90, Seed: 1, Variability: true,
		Arms: []PopulationArm{{Name: "iwpc-pgx", Regimen: Regimen{Method: MethodIWPCPGx}, Monitoring: MonitoringOutpatient}}}
	for b.Loop() {
		if _, err := SimulatePopulation(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(1000*90), "ns/patient-day")
}
