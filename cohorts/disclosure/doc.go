// Package disclosure is rxlab's one disclosure-control layer: every
// aggregate about stored patients that is released to a role without
// patients:read passes through a Guard — cohort counts, attrition and
// breakdowns, trial match counts, saved cohorts' counts, health's patient
// count, and response distributions (predictPatientResponse) — and virtual
// twins, evaluations and rankings drawn from stored patients check
// CheckMinimum. Roles with patients:read (clinician, admin) keep exact
// numbers, audited as before.
//
// # Threat model
//
// Who asks: a holder of one API token with a role that lacks
// patients:read — a trial designer (cohorts:count, models:read), a
// pharmacologist (cohorts:count, models:read, dosing), a chemist
// (models:read only; no counts at all, and no predictPatientResponse,
// which needs cohorts:count as well). They know the API, may know some
// patients' public attributes (age, sex, a rare diagnosis), can script
// thousands of requests and may phrase one question many ways.
//
// What they can ask: any criteria tree (and, or, not, at-least), so any
// two answers can be differenced; attrition, whose steps are nested sets;
// breakdowns by sex, age band and race; the same cohort as a saved cohort,
// a trial or health's total; the mean and quantiles of predicted responses
// over any cohort, for any molecule.
//
// What is protected, within one token's budget per period:
//
//   - a single patient's membership in any set they can describe (the
//     answers with and without that patient are (ε, δ)-indistinguishable);
//   - an exact small count: no number below K is shown, and no
//     difference or average of shown numbers is exact;
//   - a single patient's value (a predicted response): means and quantiles
//     are taken over values clamped to published bounds, with noise
//     calibrated to what one patient can move them.
//
// What is not protected: the budget renews every period, so a token that
// spends several periods' budgets on one patient learns more each period
// (the audit log records every spend, so an admin can see it and lower
// that token's budget); several tokens pooling their answers (noise is
// per token, and each has its own budget); the existence of a category in
// the breakdown (which sexes and races occur at all); the total number of
// stored patients to within a few; anything a role with patients:read sees;
// and timing. Populations for virtual twins and evaluations use stored
// patients inside a job; CheckMinimum keeps them at K or more (on the
// exact number, so whether a population reaches K is one exact bit per
// job), and the job reports only simulated outcomes and noisy counts of
// the patients it skipped.
//
// # Mechanism
//
// Every released number gets Gaussian noise; ρ-zCDP composition (Bun and
// Steinke 2016) adds up what a token spends; the budget is stated as ε at
// δ = 1e-6 and converted: ρ = (sqrt(ln(1/δ)+ε) − sqrt(ln(1/δ)))².
//
//   - Counts have sensitivity 1 (add or remove one patient): noise σ
//     (DefaultSigma 2.6), cost 1/(2σ²), "one count".
//   - Attrition of m steps releases m remaining counts and m−1 alone counts
//     (the first step's alone is its remaining): each moves by at most one,
//     so the vector costs 2m−1 counts; the total is the last step.
//   - A breakdown moves one cell in each of its three dimensions: 3 counts.
//   - Only the parts a query selects (count, attrition, breakdown) are
//     released and paid for.
//   - A response distribution releases a noisy count, two noisy sums (of
//     values clamped to LnIC50Bounds, sensitivity 10, and of interval
//     half-widths clamped to HalfWidthBounds, sensitivity 10) each with σ
//     times its sensitivity, and five quantiles by the exponential
//     mechanism with ε = sqrt(8/(2σ²)) each (ε²/8-zCDP): 8 counts.
//
// The noise is drawn from HMAC-SHA256 keyed with a server secret (dp/secret,
// 32 random bytes made on first start) over the token id, the budget period
// and the answer's key (its kind and canonical query: the JSON of the
// parsed criteria, plus model and canonical SMILES). So the same question
// asked again in the same period gets the same answer (it is also
// remembered in the ledger, so it costs nothing, even after the data
// changed), while two different questions — or the same one another
// period — get independent noise. Noise keyed by the query, not by the set
// of patients, on purpose: a set-keyed answer would repeat exactly when
// two phrasings select the same patients, which tells a difference of
// zero from a difference of one.
//
// Post-processing (free): attrition is projected onto a non-increasing
// sequence (pool-adjacent-violators) and rounded, each alone is at least
// its remaining; each breakdown dimension is projected onto non-negative
// cells adding up to the released total (least squares, as the Census
// TopDown algorithm does) and rounded keeping the sum; then every number
// below K reads "<K" with count null (thresholding after noise, as i2b2
// and SHRINE do), and when the total is below K so do all its cells. A
// response distribution whose noisy count is below K returns
// COHORT_TOO_SMALL instead of numbers.
//
// # Defaults and the utility they buy
//
// With σ = 2.6 a released count is within ±5 of the truth (so within ±5 %
// of any count ≥ 100) with probability P(|N(0, 2.6²)| < 5.5) = 96.6 %
// (BenchmarkUtility measures it on 10,000 patients). One count costs
// ρ = 0.074; the default budget ε = 45 at δ = 1e-6 per token per day is
// ρ = 15.6, i.e. 211 single counts a day (≥ 200 distinct counts, the
// goal). On its own one count is (2.1, 1e-6)-DP; a day's budget is
// (45, 1e-6)-DP — a large ε, which is what 200 accurate counts a day
// cost. What it means in practice: a designer who spends the whole day's
// budget differencing pairs of counts that isolate one patient ends with
// an estimate of that patient's membership with standard error
// 2σ/sqrt(211) ≈ 0.36 (TestPrivacyAttacks prints the distribution); the
// 100-query averaging attack of issue 21 ends at ≈ 0.52. An admin lowers
// the budget of tokens that need fewer counts (setPrivacyBudget).
//
// # Budget
//
// A token's budget is its own (dp/tok/<token>), else its role's
// (dp/role/<role>), else Config.Epsilon; δ is DefaultDelta. Periods are
// fixed windows of Config.Period since the Unix epoch (UTC midnight for a
// day); a spent budget answers PRIVACY_BUDGET_EXHAUSTED with renewsAt.
// One store.Update reads the budget and what was spent, refuses or records
// the spend and the released answer, and appends the audit record
// (operation "<op> (privacy: spend)", targets the answer's hash and its
// cost in counts) in the same transaction, so an answer is never released
// without being paid for and audited. A refusal is audited as
// "denied: PRIVACY_BUDGET_EXHAUSTED".
//
// # Store layout (under the dp/ namespace of package store)
//
//	dp/secret                           32-byte noise key (raw)
//	dp/role/<role>                      {epsilon, delta} set by an admin
//	dp/tok/<token id>                   {epsilon, delta} for one token
//	dp/spent/<token id>/<period:016x>   {role, rho, answers}
//	dp/ans/<token id>/<period:016x>/<sha256 of kind and query>
//	                                    {kind, rho, released answer JSON}
//
// Released answers are the noisy numbers the token already saw; no exact
// count is stored here. A token's first answer in a period deletes its
// records of earlier periods in the same transaction, so the ledger holds
// about one period per token (about 1 KB per answer); the audit log keeps
// the history of spends.
package disclosure
