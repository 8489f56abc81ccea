package dosing

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

// TestDocetaxelUnits checks issue 24's unit rules: doses are given in mg/m²
// (fixedDose "75" is 75 mg/m²), answers carry both mg/m² and mg, and errors
// list the allowed levels.
func TestDocetaxelUnits(t *testing.T) {
	ctx := context.Background()
	p := Patient{Age: 60, WeightKg: 70, HeightCm: 175, Sex: "FEMALE"} // BSA 1.84 m²
	cases := []struct {
		name     string
		dose     string
		wantMg   string
		wantErr  bool
		errParts []string
	}{
		{"75 mg/m2", "75", "138", false, nil},
		{"100 mg/m2", "100", "184", false, nil},
		{"mg instead of mg/m2", "138", "", true, []string{"regimen.fixedDose", "mg/m2", "0, 5, 10", "100"}},
		{"off grid", "73", "", true, []string{"regimen.fixedDose", "75"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, err := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{FixedDose: dec(c.dose)}, Days: 21})
			if c.wantErr {
				if !errors.Is(err, errs.Invalid) {
					t.Fatalf("err = %v", err)
				}
				for _, part := range c.errParts {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q lacks %q", err, part)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := sim.Doses[0]; d.Level.String() != c.dose || d.Amount.String() != c.wantMg {
				t.Errorf("dose %s mg/m² / %s mg, want %s / %s", d.Level, d.Amount, c.dose, c.wantMg)
			}
		})
	}
	// recommendDose: the history's doses are mg/m², the answer gives both.
	hist := []Observation{{Hour: 0, Value: 4000}, {Hour: 7 * 24, Value: 400, Dose: dec("75")}, {Hour: 21 * 24, Value: 2500, Dose: dec("75")}}
	r, err := Recommend(DocetaxelFriberg, &p, MethodReduceGrade4, hist, 21)
	if err != nil {
		t.Fatal(err)
	}
	if r.Unit != "mg/m2" || r.Dose.String() != "55" || r.DoseMg.String() != "101" {
		t.Errorf("after grade 4: %s %s (%s mg), want 55 mg/m2 (101 mg): %s", r.Dose, r.Unit, r.DoseMg, r.Rationale)
	}
	if _, err := Recommend(DocetaxelFriberg, &p, MethodReduceGrade4, []Observation{{Hour: 24, Value: 900, Dose: dec("138")}}, 21); !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "history[0].dose") {
		t.Errorf("a history dose in mg must be refused: %v", err)
	}
}

// TestDocetaxelEndpoints checks nadir, grade 3/4 and relative dose
// intensity, and the sub-daily output grid.
func TestDocetaxelEndpoints(t *testing.T) {
	ctx := context.Background()
	p := Patient{Age: 60, WeightKg: 70, HeightCm: 175, Sex: "FEMALE"}
	hourly, err := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{Method: MethodFixed}, Days: 42, SampleEveryHours: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(hourly.Points) != 42*24+1 || hourly.Points[1].Hour != 1 {
		t.Fatalf("hourly grid: %d points", len(hourly.Points))
	}
	if c := hourly.Points[1].Concentration; !(c > 1) { // end of the 1-h infusion: µg/mL range, not 1.7e-05
		t.Errorf("concentration at 1 h = %g mg/L", c)
	}
	ep := hourly.Endpoints
	if ep == nil || ep.NadirDay < 5 || ep.NadirDay > 10 || ep.NadirANC > 1300 || ep.NadirANC < 900 {
		t.Fatalf("typical 75 mg/m² nadir: %+v", ep)
	}
	if ep.RelativeDoseIntensity != 1 || ep.DeliveredPerM2.String() != "150" || ep.Grade4 {
		t.Errorf("two full cycles: %+v", ep)
	}
	daily, _ := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{Method: MethodFixed}, Days: 42})
	if daily.Endpoints.NadirANC != ep.NadirANC || len(daily.Points) != 43 {
		t.Errorf("the nadir must not depend on the output grid: %g vs %g", daily.Endpoints.NadirANC, ep.NadirANC)
	}
	half, _ := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{FixedDose: dec("35")}, Days: 42})
	if math.Abs(half.Endpoints.RelativeDoseIntensity-70.0/150) > 1e-12 {
		t.Errorf("RDI at 35 mg/m²: %g", half.Endpoints.RelativeDoseIntensity)
	}
	for _, every := range []int{5, 25, -1} {
		if _, err := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{Method: MethodFixed}, Days: 2, SampleEveryHours: every}); !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "sampleEveryHours") {
			t.Errorf("sampleEveryHours %d: %v", every, err)
		}
	}
	w, err := Simulate(ctx, SimulationInput{Model: WarfarinHamberg, Patient: typical("*1/*1", "G/A"), Regimen: Regimen{Method: MethodFixed}, Days: 10, SampleEveryHours: 6})
	if err != nil || len(w.Points) != 41 || w.Endpoints != nil {
		t.Errorf("warfarin 6-hourly: %v %d", err, len(w.Points))
	}
}
