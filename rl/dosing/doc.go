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
//
// # Units
//
// Doses are given in the model's LevelUnit wherever a caller gives one
// (fixed doses, history doses): mg for warfarin, mg/m² for docetaxel, whose
// administered amount is level × body-surface area rounded to 1 mg
// (LevelToMg). Answers carry both: DoseEvent.Level and Amount,
// Recommendation.Dose (LevelUnit) and DoseMg. Errors list the allowed
// levels. Controllers and the simulators work in administered mg.
//
// # Monitoring schedules
//
// A Schedule decides the visit days: DAILY, OUTPATIENT (warfarin days 0, 3,
// 5, 7, 10, 14, then weekly, every two weeks after two in-range visits in a
// row; docetaxel weekly) or PROTOCOL (the method's own re-test interval).
// Simulate shows the controller a measurement only on visit days; every
// arm of an evaluation under a shared schedule therefore has the same
// information.
//
// # Endpoints, subgroups, guardrails, populations
//
// Docetaxel simulations report the nadir ANC and its day (hourly
// resolution whatever the output grid), grade 3/4 neutropenia and relative
// dose intensity (delivered mg/m² over 75 mg/m² per 21-day cycle started).
// Subgroups partitions an arm's outcomes by CYP2C9, VKORC1, age band, sex
// and ancestry. WarfarinGuardrail is the genotype- and age-aware dose bound
// (the label's pharmacogenomic table as CPIC 2017 cites it). SimulatePopulation
// runs many patients on one shared pkpd batch and reports percentile bands;
// each patient follows exactly Simulate's trajectory for its seed.
//
// # Ancestry
//
// AncestryTable.Population draws a virtual population from an ancestry mix:
// each patient's group by its share, then CYP2C9 (*1, *2, *3, *5, *6, *8,
// *11) and VKORC1 -1639 alleles from that group's published frequencies
// under Hardy–Weinberg (ancestrydata/frequencies.csv; SOURCE.md names the
// table). The model simulates *5, *6 and *11 as *3 and *8 as *2. Without a
// mix, populations stay RavvazPopulation's.
package dosing
