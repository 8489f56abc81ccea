package mipd

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/rxlab/rxlab/store/errs"
)

// Estimator individualizes population models: MAP estimation of a
// patient's random effects, posterior approximation, forecasts and dose
// search. It holds only its configuration and is safe for concurrent use.
type Estimator struct {
	cfg     Config
	cold    bool    // start BFGS at the population values (tests compare)
	sirInfl float64 // SIR proposal inflation (0: sirInflation; tests)
}

// New returns an Estimator; zero Config fields take the defaults. An
// invalid configuration wraps errs.Invalid.
func New(cfg Config) (*Estimator, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Estimator{cfg: c}, nil
}

// Config returns the effective configuration (defaults filled in).
func (e *Estimator) Config() Config { return e.cfg }

// Prediction is the fit at one observation.
type Prediction struct {
	// Hour is the observation's hour as given.
	Hour float64
	// Observed is the value in the model's unit (the LOQ when censored).
	Observed float64
	// Censored marks a below-LOQ observation (M3 likelihood).
	Censored bool
	// IPRED is the individual prediction (at the MAP η), PRED the
	// population prediction (η = 0).
	IPRED, PRED float64
	// Residual is ln(Observed) − ln(IPRED); IWRES is Residual/σ.
	Residual, IWRES float64
}

// Interval is a central posterior interval of one random effect, from the
// Laplace approximation and (when run) from the SIR samples.
type Interval struct {
	Name                    string
	Level                   float64
	LaplaceLow, LaplaceHigh float64
	SIRLow, SIRHigh         float64 // NaN without SIR
}

// SIRSummary describes the sampling-importance-resampling step.
type SIRSummary struct {
	// Proposals drawn from the Laplace normal (covariance inflated ×2);
	// Samples resampled from them with replacement by importance weight
	// (systematic resampling); ESS is the effective sample size of the
	// weights.
	Proposals, Samples int
	ESS                float64
}

// GradientCheck is the finite-difference convergence test at the mode:
// the OFV gradient g (w.r.t. z = η/ω) with step h and with 4h, read through
// the Hessian H at the mode.
type GradientCheck struct {
	// MaxAbsGradient is the largest |∂OFV/∂z| at the mode (step h).
	MaxAbsGradient float64
	// StepDifference is the largest difference between the two steps'
	// gradients.
	StepDifference float64
	// NewtonStep is the largest component of H⁻¹g, the distance (in z) to
	// the optimum a Newton step would still go; StepShift the largest of
	// H⁻¹(g_h − g_4h), how far the mode would move with the other step.
	NewtonStep, StepShift float64
	// Converged is NewtonStep ≤ 1e-3 and StepShift ≤ 1e-3.
	Converged bool
}

// Result is one patient's individualization.
type Result struct {
	Model string
	// Names are the random effects in model order (the order of
	// Covariance, Draws and EtaVector).
	Names []string
	// Eta is the MAP estimate by parameter name; Parameters are the
	// individual parameters exp(η)·typical; Typical the population values
	// for the patient's covariates.
	Eta, Parameters, Typical map[string]float64
	// Objective is the OFV at the mode: −2 log posterior without constants.
	Objective float64
	// Omega is the prior SD of each η; PosteriorSD the Laplace posterior
	// SD; ShrinkageRatio their ratio (1: the data taught nothing about the
	// parameter, 0: fully determined).
	Omega, PosteriorSD, ShrinkageRatio map[string]float64
	// Covariance is the Laplace posterior covariance of η.
	Covariance [][]float64
	// Intervals are 95 % central intervals of η.
	Intervals   []Interval
	Predictions []Prediction
	// SIR is nil when skipped.
	SIR *SIRSummary
	// EtaMean is the posterior mean of η over Draws (the MAP is the mode;
	// for a skewed posterior the mean has the smaller average error).
	EtaMean map[string]float64
	// Draws are posterior η samples (SIR samples, or Laplace draws when
	// SIR was skipped); forecasts and dose searches use them.
	Draws [][]float64
	// Iterations and Evaluations count quasi-Newton iterations and model
	// simulations; Converged reports the optimizer's and the gradient
	// test's verdict.
	Iterations, Evaluations int
	Converged               bool
	Gradient                GradientCheck
	// Sigma is the residual SD on the log scale.
	Sigma float64
	// Warnings say what was assumed or approximated (one observation only,
	// censoring, rounding, missing genotypes, a non-convex mode).
	Warnings []string

	eta     []float64
	cz      *mat.SymDense // covariance of z
	gH, g4H []float64     // OFV gradients at the mode, steps h and 4h
}

// EtaVector returns the MAP η in Names order.
func (r *Result) EtaVector() []float64 { return append([]float64(nil), r.eta...) }

// Individualize finds the MAP random effects of one patient and
// approximates the posterior (Laplace, then SIR unless skipped). Invalid
// input wraps errs.Invalid naming the field and position (never a
// value); inputs over budget answer a *LimitError.
func (e *Estimator) Individualize(ctx context.Context, in Input) (*Result, error) {
	rec, err := e.prepare(&in)
	if err != nil {
		return nil, err
	}
	return e.individualize(ctx, &in, rec)
}

func (e *Estimator) individualize(ctx context.Context, in *Input, rec *record) (*Result, error) {
	pb, err := newProblem(ctx, rec, e.cfg.Workers)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: rec.m.desc.ID, Names: rec.m.names, Sigma: rec.m.sigma, Warnings: append([]string(nil), rec.warn...)}
	z, err := e.mode(pb, res)
	if err != nil {
		return nil, err
	}
	if err := e.laplace(pb, z, res); err != nil {
		return nil, err
	}
	z = e.polish(pb, z, res)
	if err := e.predictions(pb, z, res); err != nil {
		return nil, err
	}
	if in.SkipSIR {
		res.Draws, err = laplaceDraws(res, e.cfg.Draws, in.Seed)
	} else {
		n := in.SIRSamples
		if n == 0 {
			n = e.cfg.SIRSamples
		}
		err = e.sir(pb, z, res, n, in.Seed)
	}
	if err != nil {
		return nil, err
	}
	if res.EtaMean == nil {
		res.EtaMean = map[string]float64{}
	}
	for i, name := range res.Names {
		if res.SIR != nil {
			break
		}
		s := 0.0
		for _, d := range res.Draws {
			s += d[i]
		}
		res.EtaMean[name] = s / float64(len(res.Draws))
	}
	res.Evaluations = pb.evals
	return res, nil
}

// grad is the central finite-difference gradient of the OFV in the search
// variable x (mapped to z by sm; nil: x is z), with step h, all 2n points
// simulated as one batch.
func (pb *problem) grad(grad, x []float64, h float64, sm *searchMap) {
	n := len(x)
	pts := make([][]float64, 2*n)
	for i := range n {
		for s, sign := range []float64{1, -1} {
			v := append([]float64(nil), x...)
			v[i] += sign * h
			if sm != nil {
				v = sm.toZ(v, make([]float64, n))
			}
			pts[2*i+s] = v
		}
	}
	f := make([]float64, 2*n)
	pb.ofvs(pts, f)
	for i := range n {
		grad[i] = (f[2*i] - f[2*i+1]) / (2 * h)
	}
}

// fwdGrad is the forward finite-difference gradient (n + 1 simulations).
func (pb *problem) fwdGrad(grad, x []float64, h float64, sm *searchMap) {
	n := len(x)
	pts := make([][]float64, n+1)
	for i := range pts {
		v := append([]float64(nil), x...)
		if i > 0 {
			v[i-1] += h
		}
		pts[i] = sm.toZ(v, make([]float64, n))
	}
	f := make([]float64, n+1)
	pb.ofvs(pts, f)
	for i := range n {
		grad[i] = (f[i+1] - f[0]) / h
	}
}

// fdStep is the finite-difference step of the gradient in u (≈ z) units.
const fdStep = 1e-4

// mode runs BFGS (gonum, More–Thuente line search) from the population
// values and checks the gradient at the result with two step sizes.
func (e *Estimator) mode(pb *problem, res *Result) ([]float64, error) {
	n := len(pb.rec.m.omega)
	zs := make([]float64, n)
	sm := identityMap(n)
	gmax := math.Inf(1)
	prob := optimize.Problem{
		Func: func(x []float64) float64 { return pb.ofv(sm.toZ(x, zs)) },
		Grad: func(g, x []float64) {
			// Forward differences (n + 1 simulations) while the gradient
			// is large, central ones (2n) near the mode.
			if gmax > 1 {
				pb.fwdGrad(g, x, fdStep, sm)
			} else {
				pb.grad(g, x, fdStep, sm)
			}
			gmax = 0
			for _, v := range g {
				gmax = math.Max(gmax, math.Abs(v))
			}
		},
		Status: func() (optimize.Status, error) {
			if pb.err != nil {
				return optimize.Failure, pb.err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-4,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-8, Iterations: 4},
		MajorIterations:   e.cfg.MaxIterations,
		FuncEvaluations:   20 * e.cfg.MaxIterations,
	}
	// Start BFGS from a few Levenberg–Marquardt steps (search variable x
	// with z = 5·tanh(x/5): invert it).
	x := make([]float64, n)
	if !e.cold {
		x = pb.warmStart(8)
		for i, v := range x {
			x[i] = zBound * math.Atanh(v/zBound)
		}
	}
	var z []float64
	// A run that stops short of the gradient test is restarted (twice at
	// most) from where it stopped, with a fresh Hessian approximation.
	for attempt := 0; attempt < 3; attempt++ {
		out, err := optimize.Minimize(prob, x, settings, &optimize.BFGS{Linesearcher: &optimize.MoreThuente{}})
		if pb.err != nil {
			if errors.Is(pb.err, context.Canceled) || errors.Is(pb.err, context.DeadlineExceeded) {
				return nil, pb.err
			}
			return nil, fmt.Errorf("individualize: %w", pb.err)
		}
		if out == nil {
			return nil, fmt.Errorf("individualize: the optimizer could not start (%v): %w", err, errs.Invalid)
		}
		x = out.X
		res.Iterations += out.Stats.MajorIterations
		z = sm.toZ(x, make([]float64, n))
		pb.gradientCheck(z, res)
		if res.Converged {
			break
		}
		gmax = 0
	}
	res.Objective = pb.ofv(z)
	for i, v := range z {
		if math.Abs(v) > zBound-1e-3 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("eta.%s is at its bound (5ω): the data pull it beyond the population model's range", pb.rec.m.names[i]))
		}
	}
	return z, nil
}

// gradientCheck computes the OFV gradient in z at the mode with steps 4h
// and h and fills res.Gradient and res.Converged.
func (pb *problem) gradientCheck(z []float64, res *Result) {
	n := len(z)
	g1, g2 := make([]float64, n), make([]float64, n)
	pb.grad(g1, z, fdStep*4, nil)
	pb.grad(g2, z, fdStep, nil)
	res.Gradient = GradientCheck{}
	for i := range n {
		res.Gradient.MaxAbsGradient = math.Max(res.Gradient.MaxAbsGradient, math.Abs(g2[i]))
		res.Gradient.StepDifference = math.Max(res.Gradient.StepDifference, math.Abs(g1[i]-g2[i]))
	}
	res.gH, res.g4H = g2, g1
	// A provisional verdict for the restart; laplace reads the gradients
	// through the Hessian for the final one.
	res.Converged = res.Gradient.MaxAbsGradient < 1e-2
}

// newtonCheck reads the two gradients through the posterior covariance
// of z (2·H⁻¹): the remaining Newton step H⁻¹g and the shift between the
// finite-difference steps, and sets the convergence verdict.
func (res *Result) newtonCheck() []float64 {
	n := len(res.gH)
	res.Gradient.NewtonStep, res.Gradient.StepShift = 0, 0
	newton := make([]float64, n)
	for i := range n {
		var shift float64
		for j := range n {
			c := res.cz.At(i, j) / 2 // H⁻¹
			newton[i] += c * res.gH[j]
			shift += c * (res.gH[j] - res.g4H[j])
		}
		res.Gradient.NewtonStep = math.Max(res.Gradient.NewtonStep, math.Abs(newton[i]))
		res.Gradient.StepShift = math.Max(res.Gradient.StepShift, math.Abs(shift))
	}
	res.Gradient.Converged = res.Gradient.NewtonStep <= 1e-3 && res.Gradient.StepShift <= 1e-3
	res.Converged = res.Gradient.Converged
	return newton
}

// polish takes up to three Newton steps z − H⁻¹g with the Hessian of the
// Laplace step while the remaining step is above 1e-3 (in z), keeping
// each only if it lowers the OFV; η, the parameters and the objective
// follow the final z (the covariance stays the Hessian's, a step of at
// most 0.1 away).
func (e *Estimator) polish(pb *problem, z []float64, res *Result) []float64 {
	for range 3 {
		newton := res.newtonCheck()
		if res.Converged || res.Gradient.NewtonStep > 0.1 {
			break
		}
		cand := make([]float64, len(z))
		for i := range z {
			cand[i] = math.Max(-zBound, math.Min(zBound, z[i]-newton[i]))
		}
		f := pb.ofv(cand)
		if !(f < res.Objective) {
			break
		}
		z, res.Objective = cand, f
		pb.gradientCheck(z, res)
	}
	res.eta = pb.eta(z, res.eta)
	for i, name := range res.Names {
		res.Eta[name] = res.eta[i]
		lo, hi := res.Intervals[i].LaplaceLow, res.Intervals[i].LaplaceHigh
		mid := (lo + hi) / 2
		res.Intervals[i].LaplaceLow, res.Intervals[i].LaplaceHigh = lo-mid+res.eta[i], hi-mid+res.eta[i]
	}
	res.Parameters = pb.rec.m.params(res.eta)
	if !res.Converged {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the mode is not converged (a Newton step would still move z by %.2g, the finite-difference step moves it by %.2g): the estimate may not be the exact maximum", res.Gradient.NewtonStep, res.Gradient.StepShift))
	}
	return z
}
