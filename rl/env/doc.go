// Package env is the reinforcement-learning environment of rxlab's dosing
// workbench: N virtual patients of one drug model stepped together (reset /
// step, seeded), float32 observations in one flat buffer, discrete actions
// that are the model's dose levels, a shaped reward, and a safety shield that
// masks unsafe actions. Stepping allocates nothing.
//
// # Warfarin (model "warfarin-hamberg")
//
// One step is one day: the action's dose is given at hour 24·d and the INR
// is measured (with residual error) before the next day's dose. Actions are
// the 31 dose levels 0, 0.5, …, 15 mg. The observation (ObsDim = 2K + 12,
// K = Config.History, default 7; most recent first) is:
//
//	[0, K)        measured INR, (INR − 2.5) / 1.5, clipped to ±4
//	              (before the first measurement: baseline INR 1)
//	[K, 2K)       dose given on the previous K days, mg / 15
//	2K            day / episode days
//	2K+1 … 2K+6   CYP2C9 one-hot (*1/*1, *1/*2, *1/*3, *2/*2, *2/*3, *3/*3)
//	2K+7 … 2K+9   VKORC1 one-hot (G/G, G/A, A/A)
//	2K+10         (age − 65) / 15
//	2K+11         1 if the shield currently forces a hold (INR > HoldAbove)
//
// Reward per day, on the model INR after the day (not the noisy
// measurement): +1 inside [2, 3]; −BelowWeight·(2 − INR) below;
// −AboveWeight·(INR − 3) above; −ChangeWeight·|Δdose| (mg) for changing the
// dose; −ShieldWeight when the shield had to replace the chosen action.
//
// # Docetaxel (model "docetaxel-friberg")
//
// One step is one 21-day cycle: the action is a dose level in mg/m² (0, 5,
// …, 100) converted to mg with the patient's body-surface area (rounded to
// 1 mg) and infused over 1 h at the start of the cycle. The observation
// (ObsDim = 2K + 6, default K = 3) is:
//
//	[0, K)     measured nadir ANC of the previous K cycles, log(ANC / 5050)
//	[K, 2K)    dose of the previous K cycles, mg/m² / 100
//	2K         measured pre-cycle ANC, log(ANC / 5050)
//	2K+1       cycle / episode cycles
//	2K+2       (age − 65) / 15
//	2K+3       (BSA − 1.8) / 0.3
//	2K+4       1 if the shield currently forces a hold (ANC < HoldBelow)
//	2K+5       baseline-relative dose intensity so far (mean mg/m² / 75)
//
// Reward per cycle: +1 if the nadir lies in [500, 1000]; +DoseWeight·mg/m²/75
// (dose intensity); −Grade4Weight if the nadir is below 500; −ChangeWeight·
// |Δ mg/m²|/75; −ShieldWeight when the shield intervened.
//
// # Safety shield
//
// Mask(i) marks allowed actions: dose ≤ MaxDose; |dose − previous dose| ≤
// MaxChange (after the first step); with Guardrail (warfarin, on by
// default) dose ≤ dosing.WarfarinGuardrail for the patient's genotype, age
// and day; only a zero dose while the last measurement is above HoldAbove
// (INR 4) or below HoldBelow (ANC 500). Step replaces a masked action by
// the nearest allowed level and counts it.
//
// # Monitoring
//
// With Config.Monitoring OUTPATIENT (warfarin) the INR is measured only on
// the schedule's visit days: between visits the mask allows only the
// current dose and the observation's INR and dose history does not move
// (the day feature does). Visit(i) tells whether today is a visit. With
// PROTOCOL the agent chooses its visits: NumActions is NumLevels × the
// VisitIntervals (2, 4, 7, 14 days), action a gives ActionDose(a) and asks
// for the next INR in NextVisitDays(a) days, and every measurement costs
// Reward.VisitWeight.
//
// # Posterior observation
//
// With Config.Posterior (warfarin) the observation grows by 2·P entries
// (PosteriorDim) after the layout above, P the Posterior's random effects
// (six for Hamberg: CL, V1, V2, MTT1, MTT2, EC50):
//
//	2K+12 … 2K+11+P      η̂_k / ω_k, the MAP estimate in prior SDs, clipped to ±4
//	2K+12+P … 2K+11+2P   SD_k / ω_k, the posterior SD over the prior SD, clipped to [0, 2]
//
// Before the first measurement after a dose they hold the prior (0 and 1).
// At every measurement (each visit under OUTPATIENT) the Posterior refits
// the patient on the doses given and the measured INRs so far; the fits of
// one step run on two goroutines under StepContext's context. NewPolicyContext
// rebuilds the same features for a served policy.
//
// # Serving a trained agent
//
// NewPolicy wraps an action function (obs, mask) → action into a
// dosing.Policy that rebuilds exactly this observation and mask for one
// patient from its measurements, so dosing.Simulate, dosing.RecommendWith
// and dosing.EvaluateArm run a trained agent the way it was trained
// (TestPolicyMatchesEnv checks the observations are identical).
package env
