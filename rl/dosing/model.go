package dosing

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/rxlab/rxlab/store/errs"
)

// Model identifiers.
const (
	WarfarinHamberg  = "warfarin-hamberg"
	DocetaxelFriberg = "docetaxel-friberg"
)

// Baseline method names.
const (
	MethodFixed        = "fixed"
	MethodIWPCClinical = "iwpc-clinical"
	MethodIWPCPGx      = "iwpc-pgx"
	MethodAurora       = "aurora"
	// MethodIntermountain is the Intermountain maintenance nomogram.
	MethodIntermountain = "intermountain"
	MethodReduceGrade4  = "q3w-reduce-grade4"
)

// MaxDays bounds a simulation's length.
const MaxDays = 365

// DrugModel describes a simulated drug/response model served by the API.
type DrugModel struct {
	ID          string
	Drug        string
	Description string
	// Observable is what is measured and kept in range ("INR", "ANC").
	Observable string
	// TargetLow and TargetHigh bound the target range of the observable.
	// For docetaxel they are the target neutrophil nadir (500–1,000/µL);
	// time below TargetLow is time in grade-4 neutropenia.
	TargetLow, TargetHigh float64
	// DoseUnit is the unit of administered doses ("mg").
	DoseUnit string
	// LevelUnit is the unit of DoseLevels: "mg" for warfarin, "mg/m2" for
	// docetaxel, whose administered levels are level × BSA rounded to 1 mg
	// (PatientDoseLevels).
	LevelUnit string
	// DoseLevels are the doses a policy may choose, in LevelUnit.
	DoseLevels []*apd.Decimal
	// Baselines are the named baseline methods.
	Baselines []string
	// DoseIntervalHours is the nominal dosing interval (24 for warfarin,
	// 504 for docetaxel every 3 weeks).
	DoseIntervalHours float64
	// InfusionHours is the infusion duration (0 for oral dosing).
	InfusionHours float64
}

// decCtx is the arithmetic context for dose sums (34 digits, exact for any
// realistic sum of dose levels).
var decCtx = apd.BaseContext.WithPrecision(34)

func levelGrid(maxTimes10, stepTimes10 int64) []*apd.Decimal {
	var out []*apd.Decimal
	for v := int64(0); v <= maxTimes10; v += stepTimes10 {
		out = append(out, tenths(v))
	}
	return out
}

// Models returns the descriptors of all drug models, in a stable order. Each
// call returns fresh values the caller may keep.
func Models() []*DrugModel {
	return []*DrugModel{
		{
			ID: WarfarinHamberg, Drug: "warfarin",
			Description: "Hamberg 2007 S-warfarin two-compartment PK (CYP2C9, age) with VKORC1-specific Emax PD and two transit chains; INR read before each daily dose",
			Observable:  "INR", TargetLow: 2, TargetHigh: 3,
			DoseUnit: "mg", LevelUnit: "mg",
			DoseLevels:        levelGrid(150, 5), // 0–15 mg in 0.5 mg tablet combinations
			Baselines:         []string{MethodFixed, MethodIWPCClinical, MethodIWPCPGx, MethodAurora, MethodIntermountain},
			DoseIntervalHours: 24,
		},
		{
			ID: DocetaxelFriberg, Drug: "docetaxel",
			Description: "Onoue 2016 docetaxel two-compartment PK (1-h infusion) with Friberg 2002 myelosuppression (proliferating pool, three transits, feedback); ANC in cells/µL",
			Observable:  "ANC", TargetLow: 500, TargetHigh: 1000,
			DoseUnit: "mg", LevelUnit: "mg/m2",
			DoseLevels:        levelGrid(1000, 50), // 0–100 mg/m² in 5 mg/m² steps
			Baselines:         []string{MethodFixed, MethodReduceGrade4},
			DoseIntervalHours: 21 * 24, InfusionHours: 1,
		},
	}
}

// Model returns the descriptor with the given id, or an error wrapping
// errs.NotFound.
func Model(id string) (*DrugModel, error) {
	for _, m := range Models() {
		if m.ID == id {
			return m, nil
		}
	}
	return nil, fmt.Errorf("drug model %q: %w", id, errs.NotFound)
}

// HasBaseline reports whether name is one of the model's baselines.
func (m *DrugModel) HasBaseline(name string) bool { return slices.Contains(m.Baselines, name) }

// PatientDoseLevels returns the administrable doses (DoseUnit) for a patient:
// the levels themselves for warfarin; level × body-surface area rounded to
// 1 mg for docetaxel (duplicates removed, ascending).
func (m *DrugModel) PatientDoseLevels(p *Patient) ([]*apd.Decimal, error) {
	if m.LevelUnit != "mg/m2" {
		return m.DoseLevels, nil
	}
	bsa, err := p.BSA()
	if err != nil {
		return nil, err
	}
	var out []*apd.Decimal
	for _, l := range m.DoseLevels {
		f, _ := l.Float64()
		d := apd.New(int64(math.Round(f*bsa)), 0)
		if len(out) == 0 || out[len(out)-1].Cmp(d) != 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// levelFloats converts levels to float64 milligrams (exact for these grids).
func levelFloats(levels []*apd.Decimal) []float64 {
	out := make([]float64, len(levels))
	for i, l := range levels {
		out[i], _ = l.Float64()
	}
	return out
}

// ParseDose reads a decimal dose string; the error names field and wraps
// errs.Invalid.
func ParseDose(field, s string) (*apd.Decimal, error) {
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite {
		return nil, fmt.Errorf("%s: %q is not a decimal number: %w", field, s, errs.Invalid)
	}
	return d, nil
}

// ValidateDose checks that dose is one of levels; the error names field,
// lists the allowed levels with their unit and wraps errs.Invalid.
func ValidateDose(field string, dose *apd.Decimal, levels []*apd.Decimal, unit string) error {
	if dose == nil {
		return fmt.Errorf("%s: dose is required: %w", field, errs.Invalid)
	}
	for _, l := range levels {
		if l.Cmp(dose) == 0 {
			return nil
		}
	}
	allowed := make([]string, len(levels))
	for i, l := range levels {
		allowed[i] = l.Text('f')
	}
	return fmt.Errorf("%s: dose %s %s is not one of the model's dose levels (%s: %s): %w",
		field, dose.Text('f'), unit, unit, strings.Join(allowed, ", "), errs.Invalid)
}

// LevelToMg converts a dose level (LevelUnit) to the administered amount in
// mg for patient p: the level itself for warfarin, level × body-surface
// area rounded to 1 mg for docetaxel. level must be one of DoseLevels; the
// error names field.
func (m *DrugModel) LevelToMg(field string, p *Patient, level *apd.Decimal) (*apd.Decimal, error) {
	if err := ValidateDose(field, level, m.DoseLevels, m.LevelUnit); err != nil {
		return nil, err
	}
	if m.LevelUnit != "mg/m2" {
		return level, nil
	}
	bsa, err := p.BSA()
	if err != nil {
		return nil, err
	}
	f, _ := level.Float64()
	return apd.New(int64(math.Round(f*bsa)), 0), nil
}

// MgToLevel returns the dose level (LevelUnit) whose administered amount
// for p is mg, the lowest such level when rounding maps several to one;
// ok is false when none does.
func (m *DrugModel) MgToLevel(p *Patient, mg float64) (level *apd.Decimal, ok bool) {
	if m.LevelUnit != "mg/m2" {
		for _, l := range m.DoseLevels {
			if f, _ := l.Float64(); math.Abs(f-mg) < 1e-9 {
				return l, true
			}
		}
		return nil, false
	}
	bsa, err := p.BSA()
	if err != nil {
		return nil, false
	}
	for _, l := range m.DoseLevels {
		if f, _ := l.Float64(); math.Round(f*bsa) == math.Round(mg) {
			return l, true
		}
	}
	return nil, false
}

// SumDoses returns the exact sum of doses.
func SumDoses(doses []*apd.Decimal) (*apd.Decimal, error) {
	sum := new(apd.Decimal)
	for _, d := range doses {
		if _, err := decCtx.Add(sum, sum, d); err != nil {
			return nil, fmt.Errorf("dose sum: %w", err)
		}
	}
	return sum, nil
}

// WeeklySums returns the exact dose sum of each consecutive 7-element window
// of daily doses (the last week may be partial).
func WeeklySums(daily []*apd.Decimal) ([]*apd.Decimal, error) {
	var out []*apd.Decimal
	for start := 0; start < len(daily); start += 7 {
		s, err := SumDoses(daily[start:min(start+7, len(daily))])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// nearestLevel returns the index of the level closest to mg (ties go down).
func nearestLevel(levels []float64, mg float64) int {
	best, bd := 0, math.Inf(1)
	for i, l := range levels {
		if d := math.Abs(l - mg); d < bd-1e-12 {
			best, bd = i, d
		}
	}
	return best
}

// decimalOf returns the exact decimal for a float64 dose that is one of the
// grid values (multiples of 0.5 mg).
func decimalOf(mg float64) *apd.Decimal {
	return tenths(int64(math.Round(mg * 10)))
}

// tenths returns v/10 as a plain decimal: "10", "2.5" (never "1E+1").
func tenths(v int64) *apd.Decimal {
	if v%10 == 0 {
		return apd.New(v/10, 0)
	}
	return apd.New(v, -1)
}
