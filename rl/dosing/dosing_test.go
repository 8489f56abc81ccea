package dosing

import (
	"context"
	"errors"
	"flag"
	"math"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/rxlab/rxlab/store/errs"
)

var armPatients = flag.Int("arms", 200, "patients per arm in TestBaselineArms")

func dec(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestModels(t *testing.T) {
	w, err := Model(WarfarinHamberg)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.DoseLevels) != 31 || w.DoseLevels[1].String() != "0.5" || w.DoseLevels[20].String() != "10" || w.DoseLevels[30].String() != "15" {
		t.Errorf("warfarin levels: %d, %v … %v", len(w.DoseLevels), w.DoseLevels[1], w.DoseLevels[30])
	}
	d, _ := Model(DocetaxelFriberg)
	if len(d.DoseLevels) != 21 || d.DoseLevels[15].String() != "75" || d.DoseLevels[20].String() != "100" {
		t.Errorf("docetaxel levels: %d, %v", len(d.DoseLevels), d.DoseLevels[15])
	}
	if _, err := Model("nope"); !errors.Is(err, errs.NotFound) {
		t.Errorf("unknown model: %v", err)
	}
	p := &Patient{WeightKg: 70, HeightCm: 175}
	lv, err := d.PatientDoseLevels(p) // BSA = sqrt(70·175/3600) = 1.8447
	if err != nil {
		t.Fatal(err)
	}
	if lv[15].String() != "138" || lv[1].String() != "9" {
		t.Errorf("docetaxel 75 mg/m² at BSA 1.84 = %v, 5 mg/m² = %v", lv[15], lv[1])
	}
	if _, err := d.PatientDoseLevels(&Patient{}); !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "weightKg") {
		t.Errorf("BSA without weight: %v", err)
	}
}

func TestDoseArithmetic(t *testing.T) {
	w, _ := Model(WarfarinHamberg)
	for _, c := range []struct {
		dose string
		ok   bool
	}{{"5", true}, {"5.0", true}, {"7.5", true}, {"0", true}, {"15", true}, {"15.5", false}, {"2.25", false}, {"-0.5", false}} {
		err := ValidateDose("regimen.fixedDose", dec(c.dose), w.DoseLevels, w.LevelUnit)
		if (err == nil) != c.ok {
			t.Errorf("ValidateDose(%s) = %v", c.dose, err)
		}
		if err != nil && (!errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "regimen.fixedDose")) {
			t.Errorf("error does not name the field or kind: %v", err)
		}
	}
	if _, err := ParseDose("dose", "abc"); !errors.Is(err, errs.Invalid) {
		t.Error("ParseDose accepted abc")
	}
	// 0.1 is not representable in binary; the decimal sum must be exact.
	var daily []*apd.Decimal
	for range 10 {
		daily = append(daily, dec("0.1"), dec("2.5"))
	}
	sum, err := SumDoses(daily)
	if err != nil || sum.String() != "26.0" {
		t.Errorf("sum = %v, %v; want 26.0", sum, err)
	}
	weeks, err := WeeklySums(daily[:9])
	if err != nil || len(weeks) != 2 || weeks[0].String() != "7.9" || weeks[1].String() != "2.6" {
		t.Errorf("weekly = %v, %v", weeks, err)
	}
}

func TestPatientValidation(t *testing.T) {
	cases := []struct {
		name  string
		p     Patient
		field string
	}{
		{"negative weight", Patient{Age: 50, WeightKg: -3}, "patient.weightKg"},
		{"NaN age", Patient{Age: math.NaN()}, "patient.age"},
		{"old", Patient{Age: 130}, "patient.age"},
		{"height", Patient{Age: 50, HeightCm: 900}, "patient.heightCm"},
		{"sex", Patient{Age: 50, Sex: "X"}, "patient.sex"},
		{"cyp", Patient{Age: 50, Genotypes: map[string]string{"CYP2C9": "*9/*9"}}, "patient.genotypes.CYP2C9"},
		{"vkorc1", Patient{Age: 50, Genotypes: map[string]string{"VKORC1": "T/T"}}, "patient.genotypes.VKORC1"},
		{"gene", Patient{Age: 50, Genotypes: map[string]string{"BRCA1": "x"}}, "patient.genotypes"},
	}
	for _, c := range cases {
		err := c.p.Validate()
		if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: err = %v, want ErrInvalid naming %s", c.name, err, c.field)
		}
	}
	ok := Patient{Age: 60, WeightKg: 80, HeightCm: 170, Sex: "MALE", Genotypes: map[string]string{"cyp2c9": "*3/*1", "VKORC1": "A/G"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid patient rejected: %v", err)
	}
}

func TestPopulations(t *testing.T) {
	a, err := RavvazPopulation(5000, 11)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RavvazPopulation(5000, 11)
	female, amio, star11, aa, age := 0, 0, 0, 0, 0.0
	for i, p := range a {
		if p.Age != b[i].Age || p.Genotypes["CYP2C9"] != b[i].Genotypes["CYP2C9"] {
			t.Fatal("same seed gave different populations")
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("patient %d invalid: %v", i, err)
		}
		if p.Sex == "FEMALE" {
			female++
		}
		if p.Amiodarone {
			amio++
		}
		if p.Genotypes["CYP2C9"] == "*1/*1" {
			star11++
		}
		if p.Genotypes["VKORC1"] == "A/A" {
			aa++
		}
		age += p.Age
	}
	n := float64(len(a))
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"female", float64(female) / n, 0.5314}, {"amiodarone", float64(amio) / n, 0.1151},
		{"CYP2C9 *1/*1", float64(star11) / n, 0.6739}, {"VKORC1 A/A", float64(aa) / n, 0.1745}} {
		if math.Abs(c.got-c.want) > 0.025 {
			t.Errorf("%s frequency %.3f, want %.3f", c.name, c.got, c.want)
		}
	}
	if m := age / n; math.Abs(m-67.3) > 1.5 {
		t.Errorf("mean age %.1f", m)
	}
	if _, err := RavvazPopulation(0, 1); !errors.Is(err, errs.Invalid) {
		t.Error("size 0 accepted")
	}
	recs, err := EmbeddedIWPC()
	if err != nil {
		t.Fatal(err)
	}
	pop, err := IWPCPopulation(recs, 300, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pop {
		if err := p.Validate(); err != nil || p.WeightKg <= 0 || p.Age < 18 {
			t.Fatalf("IWPC patient %d invalid: %v %+v", i, err, p)
		}
	}
}

func TestRosendaal(t *testing.T) {
	cases := []struct {
		name          string
		h, v          []float64
		in, ab, below float64
	}{
		{"all in", []float64{0, 24}, []float64{2.5, 2.5}, 1, 0, 0},
		{"rise through range", []float64{0, 24}, []float64{1, 4}, 1.0 / 3, 1.0 / 3, 1.0 / 3},
		{"fall", []float64{0, 10, 20}, []float64{3.5, 2.5, 1.5}, 0.5, 0.25, 0.25},
		{"uneven spacing", []float64{0, 7, 28}, []float64{1.5, 2.5, 2.5}, (3.5 + 21) / 28, 0, 3.5 / 28},
		{"one point", []float64{0}, []float64{2}, 0, 0, 0},
	}
	for _, c := range cases {
		in, ab, be := Rosendaal(c.h, c.v, 2, 3)
		if math.Abs(in-c.in) > 1e-12 || math.Abs(ab-c.ab) > 1e-12 || math.Abs(be-c.below) > 1e-12 {
			t.Errorf("%s: got %.4f/%.4f/%.4f want %.4f/%.4f/%.4f", c.name, in, ab, be, c.in, c.ab, c.below)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize("a", []Outcome{{TimeInRange: 0.5, MeanDailyDose: 4}, {TimeInRange: 0.7, TimeAbove: 0.2, MeanDailyDose: 6}})
	half := 1.959963984540054 * math.Sqrt(0.02/1/2)
	if s.Patients != 2 || math.Abs(s.TimeInRange-0.6) > 1e-12 || math.Abs(s.TimeInRangeHigh95-(0.6+half)) > 1e-12 ||
		math.Abs(s.TimeAbove-0.1) > 1e-12 || s.MeanDailyDose != 5 {
		t.Errorf("summary %+v", s)
	}
}

func typical(cyp, vk string) Patient {
	return Patient{Age: 71, WeightKg: 80, HeightCm: 172, Race: "White", Sex: "MALE",
		Genotypes: map[string]string{"CYP2C9": cyp, "VKORC1": vk}}
}

func TestSimulateWarfarin(t *testing.T) {
	ctx := context.Background()
	sim, err := Simulate(ctx, SimulationInput{Model: WarfarinHamberg, Patient: typical("*1/*1", "G/A"),
		Regimen: Regimen{FixedDose: dec("5")}, Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.Points) != 31 || len(sim.Doses) != 30 || sim.TotalDose.String() != "150" || sim.MeanDailyDose != 5 {
		t.Fatalf("points %d doses %d total %v mean %v", len(sim.Points), len(sim.Doses), sim.TotalDose, sim.MeanDailyDose)
	}
	if got := sim.Points[30].Observable; math.Abs(got-2.289) > 0.01 {
		t.Errorf("day-30 INR %.3f, want 2.289 (pkpd typical value)", got)
	}
	if s := sim.TimeInRange + sim.TimeAbove + sim.TimeBelow; math.Abs(s-1) > 1e-9 {
		t.Errorf("fractions sum to %v", s)
	}
	// Every baseline runs, stays on the level grid, and is deterministic.
	for _, m := range []string{MethodFixed, MethodIWPCClinical, MethodIWPCPGx, MethodAurora, MethodIntermountain} {
		in := SimulationInput{Model: WarfarinHamberg, Patient: typical("*1/*3", "A/A"), Regimen: Regimen{Method: m}, Days: 90, Seed: 5, Variability: true}
		a, err := Simulate(ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		b, _ := Simulate(ctx, in)
		if a.TimeInRange != b.TimeInRange || a.TotalDose.Cmp(b.TotalDose) != 0 {
			t.Errorf("%s not deterministic", m)
		}
		t.Logf("%-14s TIR %.2f above %.2f below %.2f mean dose %.2f mg/day, %d checks", m, a.TimeInRange, a.TimeAbove, a.TimeBelow, a.MeanDailyDose, len(a.Observations))
	}
}

func TestSimulateErrors(t *testing.T) {
	ctx := context.Background()
	good := SimulationInput{Model: WarfarinHamberg, Patient: typical("*1/*1", "G/G"), Regimen: Regimen{Method: MethodFixed}, Days: 10}
	cases := []struct {
		name  string
		mut   func(*SimulationInput)
		field string
		kind  error
	}{
		{"model", func(in *SimulationInput) { in.Model = "x" }, "model", errs.NotFound},
		{"days", func(in *SimulationInput) { in.Days = 400 }, "days", errs.Invalid},
		{"weight", func(in *SimulationInput) { in.Patient.WeightKg = -1 }, "patient.weightKg", errs.Invalid},
		{"genotype", func(in *SimulationInput) { in.Patient.Genotypes = map[string]string{"CYP2C9": "*7/*7"} }, "patient.genotypes.CYP2C9", errs.Invalid},
		{"method", func(in *SimulationInput) { in.Regimen.Method = "magic" }, "regimen.method", errs.Invalid},
		{"two regimens", func(in *SimulationInput) { in.Regimen.FixedDose = dec("5") }, "regimen", errs.Invalid},
		{"dose level", func(in *SimulationInput) { in.Regimen = Regimen{FixedDose: dec("5.25")} }, "regimen.fixedDose", errs.Invalid},
		{"interval", func(in *SimulationInput) { in.Regimen = Regimen{FixedDose: dec("5"), IntervalHours: 30} }, "regimen.intervalHours", errs.Invalid},
		{"no age", func(in *SimulationInput) { in.Patient.Age = 0 }, "patient.age", errs.Invalid},
	}
	for _, c := range cases {
		in := good
		in.Patient = *good.Patient.clone()
		c.mut(&in)
		_, err := Simulate(ctx, in)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: err = %v, want %v naming %s", c.name, err, c.kind, c.field)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Simulate(cctx, good); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestDocetaxelBaselines(t *testing.T) {
	ctx := context.Background()
	p := Patient{Age: 60, WeightKg: 70, HeightCm: 175, Sex: "FEMALE"}
	fixed, err := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{Method: MethodFixed}, Days: 84})
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Doses) != 4 || fixed.Doses[0].Amount.String() != "138" || fixed.Doses[1].Hour != 21*24 {
		t.Fatalf("fixed doses: %+v", fixed.Doses)
	}
	fx, err := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{FixedDose: dec("75")}, Days: 42})
	if err != nil || len(fx.Doses) != 2 || fx.TotalDose.String() != "276" || fx.Doses[0].Level.String() != "75" {
		t.Fatalf("docetaxel fixed dose every 21 days: %v %+v", err, fx)
	}
	nadir := math.Inf(1)
	for _, pt := range fx.Points[:21] {
		nadir = math.Min(nadir, pt.Observable)
	}
	if nadir > 1300 || nadir < 1000 || fx.TimeBelow != 0 {
		t.Errorf("typical 138 mg daily-sampled nadir %.0f, time below %.3f", nadir, fx.TimeBelow)
	}
	if _, err := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{FixedDose: dec("138")}, Days: 21}); !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "regimen.fixedDose") || !strings.Contains(err.Error(), "0, 5, 10") {
		t.Errorf("138 is mg, not a level in mg/m²; the error must list the levels: %v", err)
	}
	// A sensitive patient (low baseline ANC through variability) gets grade-4
	// neutropenia; the reduction rule must then lower later doses.
	reduced := 0
	for seed := uint64(0); seed < 40 && reduced == 0; seed++ {
		sim, err := Simulate(ctx, SimulationInput{Model: DocetaxelFriberg, Patient: p, Regimen: Regimen{Method: MethodReduceGrade4}, Days: 84, Seed: seed, Variability: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range sim.Observations {
			if o.Value < 500 {
				for _, d := range sim.Doses[1:] {
					if d.Amount.Cmp(sim.Doses[0].Amount) < 0 {
						reduced++
						t.Logf("seed %d: grade 4 seen, doses %v", seed, doseList(sim.Doses))
						break
					}
				}
				break
			}
		}
	}
	if reduced == 0 {
		t.Error("no patient with grade-4 neutropenia had a dose reduction")
	}
}

func doseList(ds []DoseEvent) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Amount.String())
	}
	return out
}

func TestRecommend(t *testing.T) {
	p := typical("*1/*1", "G/A")
	r, err := Recommend(WarfarinHamberg, &p, MethodIWPCPGx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := IWPCInputOf(&p)
	want := math.Round(IWPCPharmacogenetic(in)/7*2) / 2 // initiation dose on the 0.5 mg grid
	if f, _ := r.Dose.Float64(); f != want || r.Unit != "mg" || r.NextCheckHours != 72 || !strings.Contains(r.Rationale, "pharmacogenetic") {
		t.Errorf("recommendation %+v, want %.1f mg", r, want)
	}
	// Aurora: a 70-year-old starts at 5 mg; INR 1.3 on day 3 raises the dose.
	hist := []Observation{{Hour: 0, Value: 1.0}, {Hour: 72, Value: 1.3, Dose: dec("5")}}
	r, err = Recommend(WarfarinHamberg, &p, MethodAurora, hist, 3)
	if err != nil {
		t.Fatal(err)
	}
	if r.Dose.String() != "5.5" || r.NextCheckHours != 48 {
		t.Errorf("aurora after INR 1.3: %+v", r)
	}
	hist = append(hist, Observation{Hour: 120, Value: 5.6})
	r, err = Recommend(WarfarinHamberg, &p, MethodAurora, hist, 5)
	if err != nil || !r.Dose.IsZero() || r.NextCheckHours != 48 {
		t.Errorf("aurora after INR 5.6: %+v %v", r, err)
	}
	for _, c := range []struct {
		name  string
		hist  []Observation
		day   int
		meth  string
		field string
	}{
		{"day", nil, 400, MethodFixed, "day"},
		{"method", nil, 0, "", "method"},
		{"hour", []Observation{{Hour: -1, Value: 2}}, 3, MethodAurora, "history[0].hour"},
		{"value", []Observation{{Hour: 1, Value: math.NaN()}}, 3, MethodAurora, "history[0].value"},
		{"dose", []Observation{{Hour: 1, Value: 2, Dose: dec("5.3")}}, 3, MethodAurora, "history[0].dose"},
	} {
		_, err := Recommend(WarfarinHamberg, &p, c.meth, c.hist, c.day)
		if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

// TestBaselineArms runs every warfarin baseline on the same Ravvaz
// population (variability on, 90 days) and checks the arms are plausible:
// the pharmacogenetic algorithm beats the fixed dose on time in range.
func TestBaselineArms(t *testing.T) {
	if testing.Short() {
		t.Skip("population run")
	}
	pop, err := RavvazPopulation(*armPatients, 2024)
	if err != nil {
		t.Fatal(err)
	}
	arms := map[string]ArmSummary{}
	for _, m := range []string{MethodFixed, MethodIWPCClinical, MethodIWPCPGx, MethodAurora, MethodIntermountain} {
		s, err := EvaluateArm(context.Background(), m, WarfarinHamberg, pop, Regimen{Method: m}, 90, 99, true)
		if err != nil {
			t.Fatal(err)
		}
		arms[m] = s
		t.Logf("%-14s n=%d TIR %.3f [%.3f, %.3f] above %.3f below %.3f dose %.2f mg/day",
			m, s.Patients, s.TimeInRange, s.TimeInRangeLow95, s.TimeInRangeHigh95, s.TimeAbove, s.TimeBelow, s.MeanDailyDose)
	}
	if arms[MethodIWPCPGx].TimeInRange <= arms[MethodFixed].TimeInRange {
		t.Errorf("pharmacogenetic TIR %.3f not above fixed %.3f", arms[MethodIWPCPGx].TimeInRange, arms[MethodFixed].TimeInRange)
	}
	// Docetaxel, 6 cycles: the reduction rule must lower both dose intensity
	// and time in grade-4 neutropenia relative to the fixed schedule.
	doc := map[string]ArmSummary{}
	for _, m := range []string{MethodFixed, MethodReduceGrade4} {
		s, err := EvaluateArm(context.Background(), m, DocetaxelFriberg, pop, Regimen{Method: m}, 126, 99, true)
		if err != nil {
			t.Fatal(err)
		}
		doc[m] = s
		t.Logf("docetaxel %-18s n=%d time ANC<500 %.4f, nadir-target time %.3f, mean dose %.2f mg/day", m, s.Patients, s.TimeBelow, s.TimeInRange, s.MeanDailyDose)
	}
	if f, r := doc[MethodFixed], doc[MethodReduceGrade4]; r.MeanDailyDose >= f.MeanDailyDose || r.TimeBelow >= f.TimeBelow {
		t.Errorf("reduction rule: dose %.2f vs %.2f, grade-4 time %.4f vs %.4f", r.MeanDailyDose, f.MeanDailyDose, r.TimeBelow, f.TimeBelow)
	}
}

// FuzzParseDose checks dose parsing and level validation never panic and
// that accepted doses are warfarin levels exactly.
func FuzzParseDose(f *testing.F) {
	for _, s := range []string{"5", "5.0", "0.5", "15", "2.25", "-1", "1e1", "NaN", "Infinity", "", "7.50000"} {
		f.Add(s)
	}
	w, _ := Model(WarfarinHamberg)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDose("dose", s)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error kind: %v", err)
			}
			return
		}
		if ValidateDose("dose", d, w.DoseLevels, w.LevelUnit) == nil {
			v, _ := d.Float64()
			if v < 0 || v > 15 || math.Mod(v*2, 1) != 0 {
				t.Fatalf("%q accepted as a level", s)
			}
		}
	})
}

func TestIntermountain(t *testing.T) {
	p := typical("*1/*1", "G/A")
	cases := []struct {
		name      string
		inr       float64
		dose      string // today's dose
		nextHours float64
	}{
		{"action low", 1.4, "10", 5 * 24},
		{"red low", 1.7, "7.5", 7 * 24},
		{"yellow low once", 1.9, "5", 14 * 24},
		{"green", 2.5, "5", 14 * 24},
		{"yellow high once", 3.2, "5", 14 * 24},
		{"red high below 4", 3.6, "2.5", 7 * 24},
		{"red high above 4", 4.5, "0", 7 * 24},
		{"action high", 6.0, "0", 2 * 24},
	}
	for _, c := range cases {
		hist := []Observation{{Hour: 0, Value: 1}, {Hour: 8 * 24, Value: c.inr}}
		r, err := Recommend(WarfarinHamberg, &p, MethodIntermountain, hist, 8)
		if err != nil {
			t.Fatal(err)
		}
		if r.Dose.String() != c.dose || r.NextCheckHours != c.nextHours {
			t.Errorf("%s: %s mg, next %g h (%s); want %s mg, %g h", c.name, r.Dose, r.NextCheckHours, r.Rationale, c.dose, c.nextHours)
		}
	}
	// Two greens in a row stretch the interval to 28 days; after a red-high
	// result the maintenance dose is lower the next day.
	hist := []Observation{{Hour: 0, Value: 1}, {Hour: 8 * 24, Value: 2.5}, {Hour: 22 * 24, Value: 2.6}}
	if r, _ := Recommend(WarfarinHamberg, &p, MethodIntermountain, hist, 22); r.NextCheckHours != 28*24 {
		t.Errorf("green twice: next %g h", r.NextCheckHours)
	}
	hist = []Observation{{Hour: 0, Value: 1}, {Hour: 8 * 24, Value: 3.6}}
	if r, _ := Recommend(WarfarinHamberg, &p, MethodIntermountain, hist, 9); r.Dose.String() != "4.5" {
		t.Errorf("after red high: %s mg/day, want 4.5", r.Dose)
	}
}
