// Package dosing owns the drug models the dosing API serves: their
// descriptors (observable, target range, exact decimal dose levels, named
// baselines), virtual patients and populations (Ravvaz 2017 frequencies and
// the IWPC covariates), the baseline dosing methods (fixed dose, IWPC clinical
// and pharmacogenetic algorithms, the Aurora titration nomogram, docetaxel
// 75 mg/m² every 3 weeks with a 25 % reduction after grade-4 neutropenia),
// dose recommendation, single-patient simulation with Rosendaal time in range,
// and the evaluation statistics an arm of a virtual trial reports.
//
// Doses cross the API as exact decimals (github.com/cockroachdb/apd/v3); the
// simulators in rl/pkpd work in float64 milligrams, which is exact for every
// dose level (multiples of 0.5 mg or whole mg).
//
// A dosing method is a Policy: it creates one Controller per patient that is
// asked for the dose each day and sees each scheduled measurement. Trained
// reinforcement-learning policies plug in through the same interface.
package dosing
