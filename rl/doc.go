// Package rl is rxlab's dosing-RL service: it trains dosing policies with
// PPO (package rl/ppo) on the simulated patients of rl/env, runs training
// and evaluation as durable jobs (store/jobs), keeps runs, checkpoints,
// policies and evaluations in the store, and serves trained policies through
// rl/dosing's Policy interface so simulate, recommendDose and evaluations
// treat them like the baseline protocols.
//
// # Store layout
//
//	rl/run/<id>      a training run: input, per-iteration metrics, policy id (JSON)
//	rl/ckpt/<id>     the run's latest checkpoint (raw bytes, ppo.Trainer.MarshalBinary)
//	rl/policy/<id>   a trained policy: model, run, createdAt, parameters, weights (JSON)
//	rl/eval/<id>     an evaluation: input and arms (JSON)
//	rl/popsim/<id>   a population simulation run as a job: request and arms (JSON)
//
// Ids are "R<n>" for runs, "P<n>" for policies, "E<n>" for evaluations and
// "S<n>" for population simulations.
//
// # Trained policies as dosing methods
//
// PolicyFor's controllers ask for a measurement every day (the environment
// observes INR daily and each docetaxel cycle's nadir), but evaluations
// share a monitoring schedule among all arms (default OUTPATIENT; under
// PROTOCOL each baseline keeps its own and the policy is on OUTPATIENT), so
// no arm sees more measurements than another. On a day without a
// measurement a warfarin controller keeps its dose: dose changes happen
// only at visits. Training can run under OUTPATIENT (TrainingInput.
// Monitoring), where the environment behaves the same way. Serving applies
// the warfarin guardrail (dosing.WarfarinGuardrail) to every learned
// policy, also to those stored before it existed, and reports when it
// lowered the raw choice; Checks counts that and tests the dose table's
// monotonicity. Every evaluation reports each arm by subgroup and flags
// the policy's subgroups below the best baseline. For docetaxel the controller takes the lowest daily ANC of a cycle as
// its nadir, while the environment applies one residual error to the true
// nadir: with measurement noise the deployed policy sees slightly lower
// nadirs than in training, which makes it more cautious, not less.
//
// # Jobs
//
// "rl-training" is resumable: its Run restores the run's checkpoint (when
// there is one) and continues from that iteration, so a server restarted
// after a crash resumes training where the last checkpoint left it. The
// metrics of iterations after the checkpoint are dropped and recomputed,
// identically, because each iteration is a function of the checkpointed
// state. "rl-evaluation" is not resumable: an evaluation interrupted while
// it ran is marked failed and can be started again; one still waiting for
// a slot stays queued across a restart (package store/jobs). A run or an
// evaluation is stored in the same transaction as its job, so it always
// names a job that exists. "rl-population-simulation" (not resumable) runs
// a population simulation above MaxSyncPopulationSimWork (200,000
// patient-days, the synchronous simulatePopulation's limit) up to
// dosing.MaxPopulationSimWork; it stores the request with each arm's
// regimen as given (policies are looked up again when the job runs) and
// simulates arm by arm, reporting progress after each, with the same
// patients and seeds as the synchronous path, so both give the same arms.
//
// # Budgets
//
// Inputs are checked before a job is queued (budget.go): population size,
// iterations and days each have a maximum, and so has the work of one job
// in simulated patient-days (training: iterations × envs × episode days;
// evaluation: size × days × arms). Over a limit is a LimitError (code
// LIMIT_EXCEEDED) naming the field and the limit. The jobs check ctx in
// every loop over patients and iterations, so cancelJob and shutdown stop
// them promptly.
//
// # Virtual populations
//
// Without criteria a population is drawn from the Ravvaz 2017 frequencies,
// or, with PopulationInput.Ancestry, from an ancestry mix over the groups
// of dosing.AncestryTable (published CYP2C9 and VKORC1 allele frequencies
// per group, Hardy–Weinberg genotypes). Ancestry and criteria exclude each
// other: twins keep their stored ancestry.
//
// # Populations drawn from stored patients
//
// With PopulationInput.Criteria the patients are virtual twins of stored
// patients (the Twins hook, implemented in package server over cohorts).
// Each stored patient is checked against the model and every compared
// dosing method (eligibility.go); the ones that cannot take part (under
// 18, no age, no weight or height where body-surface area or the IWPC
// algorithms need them, covariates out of range, a method that cannot dose
// them) are left out and counted by reason in the run's or evaluation's
// Skipped. Only reason categories and counts are kept, never a patient or a
// value. The Twins hook refuses populations drawn from fewer than k stored
// patients (the small-cell threshold), before the job when fewer match and
// in the job when fewer are eligible.
package rl
