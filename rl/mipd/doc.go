// Package mipd is rxlab's model-informed precision dosing: it fits one
// real patient's random effects from their doses and measurements,
// forecasts the observable under a proposed regimen, and chooses the dose.
//
// # Estimation
//
// Individualize finds the maximum a posteriori (MAP) random effects η of
// the population models in rl/pkpd (Hamberg 2007 warfarin INR with CYP2C9,
// VKORC1 and age; Onoue/Friberg docetaxel ANC), simulated with the pkpd
// batch simulators themselves. Parameters are log-normal, θ = θ_typical ·
// exp(η), η ~ N(0, Ω) with diagonal Ω (warfarin's published ω read as
// variances, as pkpd samples them); the residual error is proportional
// (log-normal) with the model's σ. The objective is NONMEM's −2 log
// posterior without constants,
//
//	OFV = Σ ((ln y − ln f)/σ)² − 2 Σ_censored ln Φ((ln LOQ − ln f)/σ) + ηᵀΩ⁻¹η,
//
// minimized over z = η/ω, bounded to |η| ≤ 5ω by z = 5·tanh(x/5): a few
// Levenberg–Marquardt steps on the least-squares form of the OFV (forward-
// difference Jacobian) bring the search near the mode, gonum's BFGS with a
// More–Thuente line search finishes it (forward-difference gradients while
// the gradient is large, central ones near the mode, step 1e-4 in z), and
// up to three Newton steps with the Laplace Hessian polish it. From the
// population values alone BFGS stopped in a worse local mode for a few
// virtual patients: the posterior can be multimodal. Convergence is
// checked, not assumed: the gradient at the mode with steps h and 4h, read
// through the Hessian, must leave a Newton step and a step-size shift
// below 1e-3 in z (Result.Gradient, Result.Converged, a warning
// otherwise). The Laplace posterior covariance is 2·H⁻¹ from a
// finite-difference Hessian at the mode. Sampling-importance-resampling
// (proposals from the Laplace normal with doubled covariance, seeded)
// weighs the proposals by posterior over proposal density: the weighted
// proposals give the posterior mean (Result.EtaMean) and the SIR
// intervals (weighted quantiles), and a systematic resample with
// replacement gives Result.Draws for forecasts.
//
// Observations below the ANC assay's limit of quantification (ANCLowerLOQ,
// 100 cells/µL, or flagged BelowLOQ) enter with Beal's M3 likelihood; INR
// has no lower limit. A sample taken at the hour of a dose is a pre-dose
// trough. Hours are rounded to the integration grid (1 h by default).
//
// # Forecast and dose choice
//
// Forecast simulates the posterior draws (and the MAP) under a proposed
// regimen and reports the median and prediction intervals with and without
// residual error. OptimizeDose weighs every dose level of the model's grid
// (exact decimals from rl/dosing, warfarin bounded by
// dosing.PatientGuardrail), given on a schedule over the horizon, by the
// posterior probability of being in the target range (warfarin: daily
// pre-dose INR; docetaxel: the nadir ANC) or by expected loss, and
// returns all of them with their scores.
//
// # Budgets and errors
//
// Inputs are checked before any simulation: doses, observations, history
// length, horizon, samples and the simulated patient-hours of a forecast or
// dose search are bounded by Config (LimitError, code LIMIT_EXCEEDED).
// Errors name the field and position (observations[3].hour: before the
// first dose) and wrap errs.Invalid; they never carry a patient's value.
package mipd
