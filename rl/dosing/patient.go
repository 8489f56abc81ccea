package dosing

import (
	"fmt"
	"math"
	"strings"

	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// RaceGroup is a race category of the IWPC algorithms.
type RaceGroup uint8

// Race groups.
const (
	RaceWhite RaceGroup = iota
	RaceAsian
	RaceBlack
	RaceMissingOrMixed
)

// Patient holds a virtual patient's covariates (the API's VirtualPatientInput).
// Zero numeric values mean "not given".
type Patient struct {
	Age      float64 // years
	Sex      string  // FEMALE, MALE, OTHER, UNKNOWN or ""
	WeightKg float64
	HeightCm float64
	Race     string
	// Genotypes by gene, e.g. {"CYP2C9": "*1/*3", "VKORC1": "G/A"}.
	Genotypes     map[string]string
	CrClMlMin     float64
	Amiodarone    bool
	EnzymeInducer bool
}

// knownGenes are the genes the models use.
var knownGenes = []string{"CYP2C9", "VKORC1"}

// Validate checks the covariates; errors name the field and wrap
// errs.Invalid. Values are never echoed (they are patient data).
func (p *Patient) Validate() error {
	checks := []struct {
		field  string
		v      float64
		lo, hi float64
	}{
		{"patient.age", p.Age, 0, 120},
		{"patient.weightKg", p.WeightKg, 0, 400},
		{"patient.heightCm", p.HeightCm, 0, 250},
		{"patient.crclMlMin", p.CrClMlMin, 0, 300},
	}
	for _, c := range checks {
		if math.IsNaN(c.v) || c.v < c.lo || c.v > c.hi {
			return fmt.Errorf("%s must be within %g–%g: %w", c.field, c.lo, c.hi, errs.Invalid)
		}
	}
	switch p.Sex {
	case "", "FEMALE", "MALE", "OTHER", "UNKNOWN":
	default:
		return fmt.Errorf("patient.sex must be FEMALE, MALE, OTHER or UNKNOWN: %w", errs.Invalid)
	}
	for gene, g := range p.Genotypes {
		switch strings.ToUpper(gene) {
		case "CYP2C9":
			if _, err := pkpd.ParseCYP2C9(g); err != nil {
				return fmt.Errorf("patient.genotypes.CYP2C9: %w", err)
			}
		case "VKORC1":
			if _, err := pkpd.ParseVKORC1(g); err != nil {
				return fmt.Errorf("patient.genotypes.VKORC1: %w", err)
			}
		default:
			return fmt.Errorf("patient.genotypes: gene %q is not used by the models (known: %s): %w",
				gene, strings.Join(knownGenes, ", "), errs.Invalid)
		}
	}
	return nil
}

func (p *Patient) genotype(gene string) (string, bool) {
	for k, v := range p.Genotypes {
		if strings.EqualFold(k, gene) && strings.TrimSpace(v) != "" {
			return v, true
		}
	}
	return "", false
}

// CYP2C9 returns the parsed CYP2C9 diplotype and whether it was given.
func (p *Patient) CYP2C9() (pkpd.CYP2C9, bool) {
	s, ok := p.genotype("CYP2C9")
	if !ok {
		return pkpd.CYP2C9_11, false
	}
	c, err := pkpd.ParseCYP2C9(s)
	return c, err == nil
}

// VKORC1 returns the parsed VKORC1 -1639 genotype and whether it was given.
func (p *Patient) VKORC1() (pkpd.VKORC1, bool) {
	s, ok := p.genotype("VKORC1")
	if !ok {
		return pkpd.VKORC1_GA, false
	}
	v, err := pkpd.ParseVKORC1(s)
	return v, err == nil
}

// RaceGroup maps the free-text race to the IWPC groups.
func (p *Patient) RaceGroup() RaceGroup {
	r := strings.ToLower(p.Race)
	switch {
	case strings.Contains(r, "mixed") || strings.Contains(r, "unknown") || r == "":
		return RaceMissingOrMixed
	case strings.Contains(r, "asian"):
		return RaceAsian
	case strings.Contains(r, "black") || strings.Contains(r, "african"):
		return RaceBlack
	case strings.Contains(r, "white") || strings.Contains(r, "caucasian"):
		return RaceWhite
	}
	return RaceMissingOrMixed
}

// BSA returns the Mosteller body-surface area (m²); it needs height and
// weight.
func (p *Patient) BSA() (float64, error) {
	if !(p.WeightKg > 0) {
		return 0, fmt.Errorf("patient.weightKg is required for body-surface area: %w", errs.Invalid)
	}
	if !(p.HeightCm > 0) {
		return 0, fmt.Errorf("patient.heightCm is required for body-surface area: %w", errs.Invalid)
	}
	return math.Sqrt(p.WeightKg * p.HeightCm / 3600), nil
}

// WarfarinCovariates returns the Hamberg model covariates. Age is required
// (18–120); a missing genotype is taken as the model's reference (*1/*1,
// G/A), which the second and third results report.
func (p *Patient) WarfarinCovariates() (c pkpd.WarfarinCovariates, cypGiven, vkGiven bool, err error) {
	if !(p.Age >= 18) {
		return c, false, false, fmt.Errorf("patient.age is required for warfarin and must be ≥ 18: %w", errs.Invalid)
	}
	c.Age = p.Age
	c.CYP2C9, cypGiven = p.CYP2C9()
	c.VKORC1, vkGiven = p.VKORC1()
	return c, cypGiven, vkGiven, nil
}

// clone returns a deep copy.
func (p *Patient) clone() *Patient {
	q := *p
	if p.Genotypes != nil {
		q.Genotypes = make(map[string]string, len(p.Genotypes))
		for k, v := range p.Genotypes {
			q.Genotypes[k] = v
		}
	}
	return &q
}
