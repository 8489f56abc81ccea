package pkpd

import (
	"fmt"
	"math"

	"github.com/rxlab/rxlab/store/errs"
)

// Docetaxel population values: two-compartment PK of Onoue 2016 and the
// Friberg 2002 semi-mechanistic myelosuppression model (Table 4 row 1, Emax
// drug effect), as given in the dosing notes. The parenthesised IIV values of
// the notes are log-scale standard deviations.
const (
	docCL    = 32.6 // L/h
	docQ     = 5.34 // L/h
	docV1    = 5.77 // L
	docV2    = 11.0 // L
	docCirc0 = 5050 // cells/µL
	docMTT   = 89.3 // h
	docGamma = 0.163
	docEmax  = 83.9
	docEC50  = 7.17 * 0.808 // µM × mg/µmol = mg/L

	docSdCL, docSdQ, docSdV1, docSdV2 = 0.295, 0.551, 0.1, 0.598
	docSdCirc0, docSdMTT, docSdGamma  = 0.42, 0.16, 0.039
	docSdEmax, docSdEC50              = 0.33, 0.50
	// docSigmaANC is the residual SD of log ANC. The notes give none; 0.2 is
	// an assumption of this package (a typical proportional ANC error).
	docSigmaANC = 0.2
)

// DocetaxelParams are one patient's docetaxel PK and Friberg PD parameters.
type DocetaxelParams struct {
	CL, Q, V1, V2 float64 // L/h, L
	Circ0         float64 // baseline ANC, cells/µL
	MTT           float64 // h, mean transit time (k_tr = 4/MTT)
	Gamma         float64 // feedback exponent
	Emax, EC50    float64 // drug effect E = Emax·C/(EC50 + C), C in mg/L
	SigmaANC      float64 // residual SD of log ANC (0 for none)
}

// TypicalDocetaxel returns the typical-value parameters.
func TypicalDocetaxel() DocetaxelParams {
	return DocetaxelParams{CL: docCL, Q: docQ, V1: docV1, V2: docV2, Circ0: docCirc0, MTT: docMTT,
		Gamma: docGamma, Emax: docEmax, EC50: docEC50}
}

// SampleDocetaxel draws an individual with log-normal between-subject
// variability on every parameter and the residual ANC error.
func SampleDocetaxel(rng *RNG) DocetaxelParams {
	return DocetaxelParams{
		CL: rng.LogNormal(docCL, docSdCL), Q: rng.LogNormal(docQ, docSdQ),
		V1: rng.LogNormal(docV1, docSdV1), V2: rng.LogNormal(docV2, docSdV2),
		Circ0: rng.LogNormal(docCirc0, docSdCirc0), MTT: rng.LogNormal(docMTT, docSdMTT),
		Gamma: rng.LogNormal(docGamma, docSdGamma), Emax: rng.LogNormal(docEmax, docSdEmax),
		EC50: rng.LogNormal(docEC50, docSdEC50), SigmaANC: docSigmaANC,
	}
}

func (p DocetaxelParams) valid() bool {
	for _, v := range []float64{p.CL, p.Q, p.V1, p.V2, p.Circ0, p.MTT, p.Gamma, p.EC50} {
		if !(v > 0) || math.IsInf(v, 0) {
			return false
		}
	}
	return p.Emax >= 0 && !math.IsInf(p.Emax, 0) && p.SigmaANC >= 0
}

// DocetaxelConfig configures a DocetaxelBatch.
type DocetaxelConfig struct {
	// Patients is the batch size (≥ 1).
	Patients int
	// FineStepsPerHour is the number of RK4 steps per hour while drug is in
	// the body (zero means 16). Infusion durations must be whole fine steps.
	FineStepsPerHour int
	// CoarseStepsPerHour is the number of RK4 steps per hour once the drug is
	// gone (< 1e-6 mg in the body; zero means 1).
	CoarseStepsPerHour int
}

// DocetaxelBatch steps many docetaxel patients together (struct-of-arrays).
// PK with zero-order infusion is propagated exactly; the Friberg model
// (proliferating pool, three transits, circulating neutrophils, feedback
// (Circ0/Circ)^γ) is integrated with classical RK4 using the exact
// concentration at each stage.
type DocetaxelBatch struct {
	n            int
	fine, coarse int
	hf           float64
	// PK half-step propagator (central, peripheral) and infusion input.
	q11, q12, q21, q22, g1, g2, invV1  []float64
	ktr, circ0, gamma, emax, ec50, sig []float64
	// State.
	cen, per, rate, left   []float64 // amounts (mg), infusion rate (mg/h), fine steps left
	prol, t1, t2, t3, circ []float64
	hour                   float64
}

// NewDocetaxelBatch allocates a batch of typical patients.
func NewDocetaxelBatch(cfg DocetaxelConfig) (*DocetaxelBatch, error) {
	if cfg.Patients < 1 {
		return nil, fmt.Errorf("patients must be ≥ 1: %w", errs.Invalid)
	}
	if cfg.FineStepsPerHour == 0 {
		cfg.FineStepsPerHour = 16
	}
	if cfg.CoarseStepsPerHour == 0 {
		cfg.CoarseStepsPerHour = 1
	}
	if cfg.FineStepsPerHour < 1 || cfg.FineStepsPerHour > 1024 || cfg.CoarseStepsPerHour < 1 || cfg.CoarseStepsPerHour > 1024 {
		return nil, fmt.Errorf("steps per hour must be within 1–1024: %w", errs.Invalid)
	}
	n := cfg.Patients
	b := &DocetaxelBatch{n: n, fine: cfg.FineStepsPerHour, coarse: cfg.CoarseStepsPerHour, hf: 1 / float64(cfg.FineStepsPerHour)}
	for _, p := range []*[]float64{&b.q11, &b.q12, &b.q21, &b.q22, &b.g1, &b.g2, &b.invV1,
		&b.ktr, &b.circ0, &b.gamma, &b.emax, &b.ec50, &b.sig,
		&b.cen, &b.per, &b.rate, &b.left, &b.prol, &b.t1, &b.t2, &b.t3, &b.circ} {
		*p = make([]float64, n)
	}
	typ := TypicalDocetaxel()
	for i := range n {
		if err := b.SetPatient(i, typ); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Len returns the number of patients.
func (b *DocetaxelBatch) Len() int { return b.n }

// Hour returns the simulated time since the last Reset.
func (b *DocetaxelBatch) Hour() float64 { return b.hour }

// SetPatient installs patient i's parameters and resets the patient to
// baseline (no drug, all Friberg compartments at Circ0).
func (b *DocetaxelBatch) SetPatient(i int, p DocetaxelParams) error {
	if i < 0 || i >= b.n {
		return fmt.Errorf("patient index %d out of range [0,%d): %w", i, b.n, errs.Invalid)
	}
	if !p.valid() {
		return fmt.Errorf("docetaxel parameters must be positive and finite: %w", errs.Invalid)
	}
	h := b.hf / 2
	k10, k12, k21 := p.CL/p.V1, p.Q/p.V1, p.Q/p.V2
	// Augmented [cen, per, R] with R' = 0: exact for a constant infusion rate.
	var e [9]float64
	expm(e[:], []float64{
		-(k10 + k12) * h, k21 * h, h,
		k12 * h, -k21 * h, 0,
		0, 0, 0,
	}, 3)
	b.q11[i], b.q12[i], b.g1[i] = e[0], e[1], e[2]
	b.q21[i], b.q22[i], b.g2[i] = e[3], e[4], e[5]
	b.invV1[i] = 1 / p.V1
	b.ktr[i], b.circ0[i], b.gamma[i], b.emax[i], b.ec50[i], b.sig[i] = 4/p.MTT, p.Circ0, p.Gamma, p.Emax, p.EC50, p.SigmaANC
	b.resetPatient(i)
	return nil
}

func (b *DocetaxelBatch) resetPatient(i int) {
	b.cen[i], b.per[i], b.rate[i], b.left[i] = 0, 0, 0, 0
	c0 := b.circ0[i]
	b.prol[i], b.t1[i], b.t2[i], b.t3[i], b.circ[i] = c0, c0, c0, c0, c0
}

// Reset returns every patient to baseline at hour 0.
func (b *DocetaxelBatch) Reset() {
	for i := range b.n {
		b.resetPatient(i)
	}
	b.hour = 0
}

// Infuse starts a zero-order infusion of mg over hours for patient i. The
// duration must be a positive whole number of fine steps and no other
// infusion may be running.
func (b *DocetaxelBatch) Infuse(i int, mg, hours float64) error {
	if i < 0 || i >= b.n {
		return fmt.Errorf("patient index %d out of range: %w", i, errs.Invalid)
	}
	if !(mg >= 0) || math.IsInf(mg, 0) {
		return fmt.Errorf("dose must be a finite non-negative amount: %w", errs.Invalid)
	}
	steps := hours * float64(b.fine)
	if !(hours > 0) || math.Abs(steps-math.Round(steps)) > 1e-9 || steps > 1e6 {
		return fmt.Errorf("infusion duration must be a positive multiple of %g h: %w", b.hf, errs.Invalid)
	}
	if b.left[i] > 0 {
		return fmt.Errorf("an infusion is already running: %w", errs.Invalid)
	}
	if mg == 0 {
		return nil
	}
	b.rate[i] = mg / hours
	b.left[i] = math.Round(steps)
	return nil
}

// ANC returns patient i's circulating neutrophils (cells/µL), no residual.
func (b *DocetaxelBatch) ANC(i int) float64 { return b.circ[i] }

// Conc returns patient i's plasma docetaxel concentration (mg/L).
func (b *DocetaxelBatch) Conc(i int) float64 { return b.cen[i] * b.invV1[i] }

// Observe returns a measured ANC with the residual error when the patient
// has one.
func (b *DocetaxelBatch) Observe(i int, rng *RNG) float64 {
	v := b.circ[i]
	if s := b.sig[i]; s > 0 && rng != nil {
		v *= math.Exp(s * rng.Norm())
	}
	return v
}

// Residual returns v (an ANC of patient i, e.g. a nadir) with the patient's
// residual error applied.
func (b *DocetaxelBatch) Residual(i int, v float64, rng *RNG) float64 {
	if s := b.sig[i]; s > 0 && rng != nil {
		v *= math.Exp(s * rng.Norm())
	}
	return v
}

// drugFree is the amount (mg) below which the drug is treated as gone.
const drugFree = 1e-6

// Advance integrates patients [lo, hi) by whole hours. Disjoint ranges may
// run on different goroutines; it does not move Hour (AdvanceAll does).
func (b *DocetaxelBatch) Advance(lo, hi, hours int) {
	for i := lo; i < hi; i++ {
		for range hours {
			if b.left[i] > 0 || b.cen[i]+b.per[i] > drugFree {
				for range b.fine {
					b.fineStep(i)
				}
			} else {
				b.cen[i], b.per[i] = 0, 0
				h := 1 / float64(b.coarse)
				for range b.coarse {
					b.rk4(i, h, 0, 0, 0)
				}
			}
		}
	}
}

// AdvanceAll integrates the whole batch by hours.
func (b *DocetaxelBatch) AdvanceAll(hours int) {
	b.Advance(0, b.n, hours)
	b.hour += float64(hours)
}

func (b *DocetaxelBatch) fineStep(i int) {
	r := 0.0
	if b.left[i] > 0 {
		r = b.rate[i]
		b.left[i]--
		if b.left[i] == 0 {
			b.rate[i] = 0 // r keeps this step's rate
		}
	}
	iv := b.invV1[i]
	c0 := b.cen[i] * iv
	x, y := b.cen[i], b.per[i]
	x, y = b.q11[i]*x+b.q12[i]*y+b.g1[i]*r, b.q21[i]*x+b.q22[i]*y+b.g2[i]*r
	cm := x * iv
	x, y = b.q11[i]*x+b.q12[i]*y+b.g1[i]*r, b.q21[i]*x+b.q22[i]*y+b.g2[i]*r
	c1 := x * iv
	b.cen[i], b.per[i] = x, y
	b.rk4(i, b.hf, c0, cm, c1)
}

// rk4 advances the Friberg states of patient i by h hours, given the drug
// concentration at the start, middle and end of the step.
func (b *DocetaxelBatch) rk4(i int, h, c0, cm, c1 float64) {
	k, base, g, em, ec := b.ktr[i], b.circ0[i], b.gamma[i], b.emax[i], b.ec50[i]
	e0, em1, e1 := em*c0/(ec+c0), em*cm/(ec+cm), em*c1/(ec+c1)
	deriv := func(e, p, a1, a2, a3, c float64) (dp, d1, d2, d3, dc float64) {
		fb := math.Exp(g * math.Log(base/c))
		return k * p * ((1-e)*fb - 1), k * (p - a1), k * (a1 - a2), k * (a2 - a3), k * (a3 - c)
	}
	p, a1, a2, a3, c := b.prol[i], b.t1[i], b.t2[i], b.t3[i], b.circ[i]
	kp1, k11, k21, k31, kc1 := deriv(e0, p, a1, a2, a3, c)
	kp2, k12, k22, k32, kc2 := deriv(em1, p+h/2*kp1, a1+h/2*k11, a2+h/2*k21, a3+h/2*k31, c+h/2*kc1)
	kp3, k13, k23, k33, kc3 := deriv(em1, p+h/2*kp2, a1+h/2*k12, a2+h/2*k22, a3+h/2*k32, c+h/2*kc2)
	kp4, k14, k24, k34, kc4 := deriv(e1, p+h*kp3, a1+h*k13, a2+h*k23, a3+h*k33, c+h*kc3)
	b.prol[i] = p + h/6*(kp1+2*kp2+2*kp3+kp4)
	b.t1[i] = a1 + h/6*(k11+2*k12+2*k13+k14)
	b.t2[i] = a2 + h/6*(k21+2*k22+2*k23+k24)
	b.t3[i] = a3 + h/6*(k31+2*k32+2*k33+k34)
	b.circ[i] = c + h/6*(kc1+2*kc2+2*kc3+kc4)
}
