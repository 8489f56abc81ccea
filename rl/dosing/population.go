package dosing

import (
	"fmt"

	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// MaxPopulation bounds a generated virtual population.
const MaxPopulation = 1_000_000

// Ravvaz 2017 "Aurora" population (dosing notes §1.3).
var (
	ravvazCYP2C9 = []float64{0.6739, 0.1486, 0.0925, 0.0651, 0.0197, 0.0002} // *1/*1 … *3/*3
	ravvazVKORC1 = []float64{0.3837, 0.4418, 0.1745}                         // G/G, G/A, A/A
	ravvazRace   = []struct {
		name string
		p    float64
	}{{"White", 0.9522}, {"Black or African American", 0.0419}, {"Asian", 0.0040}}
)

const (
	ravvazAgeMean, ravvazAgeSD     = 67.30, 13.43
	ravvazWeightLbMean, ravvazWtSD = 199.24, 54.71
	ravvazHeightInMean, ravvazHtSD = 66.78, 4.31
	ravvazFemale, ravvazAmiodarone = 0.5314, 0.1151
	lbToKg, inToCm                 = 0.45359237, 2.54
	popAgeMin, popAgeMax           = 18, 100
	popWeightMinKg, popWeightMaxKg = 35, 250
	popHeightMinCm, popHeightMaxCm = 135, 215
)

func categorical(rng *pkpd.RNG, p []float64) int {
	u := rng.Float()
	for i, w := range p {
		if u < w {
			return i
		}
		u -= w
	}
	return len(p) - 1
}

func checkPopSize(n int) error {
	if n < 1 || n > MaxPopulation {
		return fmt.Errorf("population.size must be within 1–%d: %w", MaxPopulation, errs.Invalid)
	}
	return nil
}

// RavvazPopulation draws n virtual warfarin patients from the published
// Ravvaz 2017 demographic, co-medication and CYP2C9/VKORC1 frequencies
// (age, weight and height truncated normals). The same seed gives the same
// population.
func RavvazPopulation(n int, seed uint64) ([]*Patient, error) {
	if err := checkPopSize(n); err != nil {
		return nil, err
	}
	rng := pkpd.NewRNG(seed)
	out := make([]*Patient, n)
	for i := range out {
		p := ravvazBody(rng)
		u := rng.Float()
		for _, r := range ravvazRace {
			if u < r.p {
				p.Race = r.name
				break
			}
			u -= r.p
		}
		p.Amiodarone = rng.Float() < ravvazAmiodarone
		p.Genotypes = map[string]string{
			"CYP2C9": pkpd.CYP2C9(categorical(rng, ravvazCYP2C9)).String(),
			"VKORC1": pkpd.VKORC1(categorical(rng, ravvazVKORC1)).String(),
		}
		out[i] = p
	}
	return out, nil
}

// ravvazBody draws age, weight, height and sex from the Ravvaz 2017
// frequencies (race "Unknown").
func ravvazBody(rng *pkpd.RNG) *Patient {
	p := &Patient{
		Age:      rng.TruncNorm(ravvazAgeMean, ravvazAgeSD, popAgeMin, popAgeMax),
		WeightKg: rng.TruncNorm(ravvazWeightLbMean, ravvazWtSD, popWeightMinKg/lbToKg, popWeightMaxKg/lbToKg) * lbToKg,
		HeightCm: rng.TruncNorm(ravvazHeightInMean, ravvazHtSD, popHeightMinCm/inToCm, popHeightMaxCm/inToCm) * inToCm,
		Sex:      "MALE",
		Race:     "Unknown",
	}
	if rng.Float() < ravvazFemale {
		p.Sex = "FEMALE"
	}
	return p
}

// IWPCPopulation draws n virtual patients with replacement from the IWPC
// patients whose age, height, weight, CYP2C9 (one of the six modelled
// diplotypes) and VKORC1 -1639 genotype are all known; the age is drawn
// uniformly within the patient's decade (at least 18).
func IWPCPopulation(recs []IWPCRecord, n int, seed uint64) ([]*Patient, error) {
	if err := checkPopSize(n); err != nil {
		return nil, err
	}
	var pool []IWPCRecord
	for _, r := range recs {
		in := r.Input()
		if !in.Complete() || !in.VKORC1Known || r.CYP2C9 == "" {
			continue
		}
		if _, err := pkpd.ParseCYP2C9(r.CYP2C9); err != nil {
			continue
		}
		pool = append(pool, r)
	}
	if len(pool) == 0 {
		return nil, fmt.Errorf("IWPC table has no patient with complete covariates: %w", errs.Invalid)
	}
	rng := pkpd.NewRNG(seed)
	out := make([]*Patient, n)
	for i := range out {
		r := pool[rng.IntN(len(pool))]
		age := max(18, float64(r.AgeDecade*10)+10*rng.Float())
		c, _ := pkpd.ParseCYP2C9(r.CYP2C9)
		v, _ := pkpd.ParseVKORC1(r.VKORC1)
		out[i] = &Patient{
			Age: age, Sex: r.Sex, WeightKg: r.WeightKg, HeightCm: r.HeightCm, Race: r.Race,
			Genotypes:  map[string]string{"CYP2C9": c.String(), "VKORC1": v.String()},
			Amiodarone: r.Amiodarone, EnzymeInducer: r.EnzymeInducer,
		}
	}
	return out, nil
}
