// Package pkpd owns the pharmacokinetic/pharmacodynamic simulators of rxlab's
// dosing workbench: the Hamberg 2007 warfarin INR model and the docetaxel
// (Onoue 2016 PK) Friberg 2002 myelosuppression model.
//
// Each model comes as a parameter type (typical values, or sampled with
// log-normal between-subject variability from a seeded RNG) and as a batch
// type that steps many patients together in struct-of-arrays layout without
// allocating per step. Linear parts (PK, the warfarin transit chains) are
// propagated exactly with per-patient matrix exponentials computed once at
// setup; the nonlinear Friberg feedback model is integrated with classical
// RK4 on a fine step while drug is present and a coarse step afterwards.
//
// The package holds no mutable package-level state: every random draw comes
// from an explicit *RNG built from a seed.
package pkpd
