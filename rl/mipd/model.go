package mipd

import (
	"fmt"
	"math"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// Between-subject variability of the pkpd simulators, as the SD of η on the
// log scale. rl/pkpd keeps these unexported; TestOmegaMatchesSimulator
// replays pkpd.SampleWarfarin and pkpd.SampleDocetaxel to prove these are the
// values the simulators draw with.
var (
	warfarinNames = []string{"CL", "V1", "V2", "MTT1", "MTT2", "EC50"}
	// warfarinOmega: Hamberg 2007 ω read as variances, as pkpd does (SD = √ω).
	warfarinOmega = []float64{math.Sqrt(0.310), math.Sqrt(0.262), math.Sqrt(0.991),
		math.Sqrt(0.141), math.Sqrt(1.020), math.Sqrt(0.409)}
	docetaxelNames = []string{"CL", "Q", "V1", "V2", "Circ0", "MTT", "Gamma", "Emax", "EC50"}
	docetaxelOmega = []float64{0.295, 0.551, 0.1, 0.598, 0.42, 0.16, 0.039, 0.33, 0.50}
)

// ANCLowerLOQ is the lower limit of quantification assumed for the ANC
// assay (cells/µL): automated haematology analysers report neutrophils
// below 0.1 × 10⁹/L as "< 0.1", so an ANC under 100/µL (or one flagged
// belowLoq) enters the likelihood as censored (Beal's M3). INR has no
// lower limit in practice, so warfarin observations are never censored.
const ANCLowerLOQ = 100.0

// model is one population model as the estimator sees it: parameter names,
// ω, the residual error, the integration grid, and a simulator over a
// batch of η vectors.
type model struct {
	desc  *dosing.DrugModel
	names []string
	omega []float64 // SD of η
	sigma float64   // SD of the log-scale residual error
	loq   float64   // lower limit of quantification (0: none)
	grid  float64   // hours per integration step
	infus float64   // infusion duration (h), 0 for oral
	warf  *pkpd.WarfarinParams
	cov   pkpd.WarfarinCovariates
	doc   *pkpd.DocetaxelParams
	wcfg  pkpd.WarfarinConfig
	dcfg  pkpd.DocetaxelConfig
}

// newModel resolves the model id and the patient's covariates; warnings
// say which covariates were assumed.
func newModel(cfg Config, id string, p *dosing.Patient) (*model, []string, error) {
	desc, err := dosing.Model(id)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	m := &model{desc: desc, infus: desc.InfusionHours}
	var warn []string
	switch id {
	case dosing.WarfarinHamberg:
		cov, cyp, vk, err := p.WarfarinCovariates()
		if err != nil {
			return nil, nil, err
		}
		if !cyp {
			warn = append(warn, "patient.genotypes.CYP2C9 not given: the model's reference *1/*1 was assumed")
		}
		if !vk {
			warn = append(warn, "patient.genotypes.VKORC1 not given: the model's reference G/A was assumed")
		}
		typ, err := pkpd.TypicalWarfarin(cov)
		if err != nil {
			return nil, nil, fmt.Errorf("patient: %w", err)
		}
		s, _ := pkpd.SampleWarfarin(cov, pkpd.NewRNG(0))
		m.warf, m.cov, m.sigma = &typ, cov, s.SigmaINR
		m.names, m.omega = warfarinNames, warfarinOmega
		m.wcfg = pkpd.WarfarinConfig{StepsPerDay: cfg.WarfarinStepsPerDay}
		m.grid = 24 / float64(cfg.WarfarinStepsPerDay)
	case dosing.DocetaxelFriberg:
		typ := pkpd.TypicalDocetaxel()
		m.doc, m.sigma, m.loq = &typ, pkpd.SampleDocetaxel(pkpd.NewRNG(0)).SigmaANC, ANCLowerLOQ
		m.names, m.omega = docetaxelNames, docetaxelOmega
		m.dcfg = pkpd.DocetaxelConfig{FineStepsPerHour: cfg.DocetaxelFineStepsPerHour}
		m.grid = 1
	default:
		return nil, nil, fmt.Errorf("model: %q has no estimator: %w", id, errs.NotImplemented)
	}
	return m, warn, nil
}

// params returns the individual parameters for η (log-normal random
// effects: θ_k = typical_k · exp(η_k)).
func (m *model) params(eta []float64) map[string]float64 {
	out := make(map[string]float64, len(m.names))
	if m.warf != nil {
		p := m.warfParams(eta)
		for i, v := range []float64{p.CL, p.V1, p.V2, p.MTT1, p.MTT2, p.EC50} {
			out[m.names[i]] = v
		}
		return out
	}
	p := m.docParams(eta)
	for i, v := range []float64{p.CL, p.Q, p.V1, p.V2, p.Circ0, p.MTT, p.Gamma, p.Emax, p.EC50} {
		out[m.names[i]] = v
	}
	return out
}

func (m *model) warfParams(eta []float64) pkpd.WarfarinParams {
	return WarfarinIndividual(*m.warf, eta)
}

// WarfarinIndividual is the Hamberg model's individual parameters for the
// random effects eta (log-normal, in the order CL, V1, V2, MTT1, MTT2,
// EC50) around the typical values typ.
func WarfarinIndividual(typ pkpd.WarfarinParams, eta []float64) pkpd.WarfarinParams {
	p := typ
	p.CL *= math.Exp(eta[0])
	p.V1 *= math.Exp(eta[1])
	p.V2 *= math.Exp(eta[2])
	p.MTT1 *= math.Exp(eta[3])
	p.MTT2 *= math.Exp(eta[4])
	p.EC50 *= math.Exp(eta[5])
	return p
}

func (m *model) docParams(eta []float64) pkpd.DocetaxelParams {
	p := *m.doc
	p.CL *= math.Exp(eta[0])
	p.Q *= math.Exp(eta[1])
	p.V1 *= math.Exp(eta[2])
	p.V2 *= math.Exp(eta[3])
	p.Circ0 *= math.Exp(eta[4])
	p.MTT *= math.Exp(eta[5])
	p.Gamma *= math.Exp(eta[6])
	p.Emax *= math.Exp(eta[7])
	p.EC50 *= math.Exp(eta[8])
	return p
}
