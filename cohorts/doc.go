// Package cohorts owns patient records, the cohort engine, saved cohorts
// and trials: eligibility criteria as a tree, counted over compressed
// bitmap indexes in memory, with attrition, breakdown and small-cell
// suppression; patient import from FHIR R4, Synthea CSV and MatchMiner;
// CTML trial import and matching; and a deterministic demo world.
//
// # Service
//
// New(Config) loads the persisted indexes into memory. Count, PatientIDs,
// Explain, Patient, CohortCount, TrialMatchCount and PatientTrials answer
// queries; ImportPatients, ImportFHIR, ImportGenomics (or the streaming
// BeginGenomics / Add / Finish), SaveCohort, ImportTrial and Seed write.
// Lifecycle (issue 23): CountAsOf counts at another index date and names
// rules no stored record can meet (CohortCount.Warnings); UpdateCohort
// and DeleteCohort version and remove saved cohorts (names unique per
// owner, the audit actor); ImportTrials imports a file of trials with a
// result per trial (CONFLICT for an existing protocol_no unless replace,
// old versions under idx/trialv/, TrialVersions); ImportPatientsWith
// holds MatchMiner genomic samples of unknown patients apart unless
// ImportOptions.CreatePatients.
// The API layer checks permissions and audits patient-level reads; writes
// go through store.DB.Update and are audited there (each write
// transaction touches "patient:<id>" for every patient it changes).
//
// # Criteria
//
// Criteria mirrors the contract's CriteriaInput; its json tags are the
// GraphQL field names. Each node sets exactly one field. Validation errors
// wrap store.ErrInvalid and name the node, e.g.
// `criteria.all[2].lab.op: unknown comparator "GTE"`. Extensions beyond the
// contract (used by CTML and reachable through JSON): Code.System ONCOTREE,
// VariantCrit.Exon, CNVCrit.Type GAIN and HETLOSS, Criteria.Biomarker
// (MMR=DEFICIENT|PROFICIENT, signatures APOBEC|POLE|TOBACCO|TEMOZOLOMIDE|UVA
// = YES|NO).
//
// Semantics, all evaluated at the index date (today, UTC; Config.Now; or
// CountAsOf's asOf, the API's cohortCount(asOf:)):
//
//   - alive: true is every patient not dead at the index date: not
//     deceased, or with a death date after it (FHIR deceasedDateTime /
//     deceasedBoolean, Synthea DEATHDATE, MatchMiner VITAL_STATUS). A death
//     without a date counts at any index date. Records dated after the
//     index date still count (as for withinDays), so asOf is an index
//     date, not a replay of the record as it stood then.
//   - age: {min m} means born on or before the date m years before the
//     index date (for a patient who died before the index date: before
//     the death date, i.e. age at death; a death without a date keeps the
//     index date) (a fraction of a year counts 365.25 days); an integral
//     max M means at most M completed years; a fractional max is exact.
//     Patients without a birth date never match an age rule.
//   - condition/medication: ICD10CM and ATC match by prefix when
//     descendants (default true), ONCOTREE by its tree (the full OncoTree
//     in package vocab, with the meta-types _SOLID_ and _LIQUID_), and
//     every code also through the vocabulary (package vocab, vocabulary.go):
//     an RxNorm ingredient matches the products containing it, SNOMED CT
//     its shipped is-a descendants and the ICD-10-CM codes it maps to,
//     ICD-10-CM the SNOMED CT concepts and OncoTree nodes mapped under it,
//     an ICD-10-CM section ("E08-E13") its categories. Each rule is
//     expanded once per query into index keys; explainMatch names the
//     mapping behind each match. descendants: false matches the code
//     alone. TEXT matches records whose display name contains the text,
//     case-insensitively. withinDays keeps records dated on or after index
//     date − N days.
//   - OncoTree codes are also derived at index time from ICD-10-CM and
//     SNOMED CT diagnoses listed in cohorts/vocab/curated/oncotree_map.tsv
//     (e.g. SNOMED 254637007 → NSCLC, ICD-10-CM C18 → COAD); rebuild the
//     tables with go run ./cohorts/vocab/gen after editing it.
//   - lab: the patient's most recent value of the test (latest date; for
//     equal dates the later record) is compared with value; a test whose
//     LOINC code is in a vocabulary group (eGFR: MDRD, CKD-EPI 2009 and
//     2021 codes) reads the most recent value under any code of the group; withinDays
//     requires that value to be dated within N days. Records dated after the
//     index date count as the most recent. Units: the tests listed in
//     units.go (eGFR, creatinine, bilirubin, ALT, AST, ANC, platelets, INR,
//     haemoglobin, glucose, TMB, weight, height, BMI, blood pressure) are
//     converted to one canonical unit at import and query time (molar ↔
//     mass by molar mass; µkat/L ↔ U/L; cells/µL ↔ 10*3/µL; lb ↔ kg).
//     Other tests are compared only within the same unit spelling.
//   - variant: gene, plus protein change (exact "V600E" or position "V600";
//     three-letter forms and "p." accepted), classes (any of), origin, exon;
//     all on the same variant.
//   - fusion: the gene on either side, optionally with that partner.
//   - pgx: phenotype (case-insensitive CPIC words), diplotype (allele order
//     ignored), activity-score range, or any call for the gene.
//   - testedGene: declared tested genes plus every gene with a recorded
//     alteration. Tested-and-wild-type is all(testedGene, not variant).
//   - cohort: a saved cohort by id (one version) or by name (its latest).
//
// # Engine
//
// Patients get dense uint32 numbers in import order. The index holds one
// roaring bitmap per key (sex, race, every code and code prefix, ONCOTREE
// ancestors, text names, gene × protein change/position/exon × class ×
// origin, CNV, fusion, PGx phenotype/diplotype/score, tested gene,
// biomarker), a birth-date column and per-test lab columns (most recent
// value and its date per patient), and per-code latest-date columns for
// withinDays. Numeric columns are queried through sorted views holding
// cumulative prefix bitmaps every 65,536 entries and bucket bitmaps every
// 1,024, so a range is one ANDNOT, a few bucket ORs and at most 2,048
// single entries. Patients changed since a view was built are corrected
// per query; past n/32 changes the view is rebuilt. A query is
// bitmap algebra (AND, OR, ANDNOT, at-least-n) plus range lookups on the
// sorted views; it never reads patient records. Explain and PatientTrials
// read the one patient's record.
//
// atLeast n of k: n = 0 is everyone, n = 1 the union, n = k the
// intersection; a tiny node (n·k ≤ 32) uses the ladder (level j = patients
// meeting j of the rules so far, O(n·k) bitmap operations); anything else a
// bit-sliced counter: bits.Len(k) bit planes of ⌈patients/64⌉ words, each
// rule's bitmap added with a ripple carry (word by word when dense, bit by
// bit when sparse), then one comparison with n. That is linear in k
// whatever n is, and only one rule's bitmap is alive at a time.
//
// # Cost of a criteria tree (cost.go)
//
// Every query (Count, PatientIDs, CohortCount, TrialMatchCount, Explain)
// and SaveCohort first validates the tree (errors name the node path), then
// costs it against Config.Limits before touching a bitmap, with saved
// cohorts expanded transitively (each distinct cohort once, as it is
// evaluated once per request):
//
//   - MaxLeaves (default 20,000): leaf rules of the expanded tree;
//   - MaxDepth (default 64): levels of the expanded tree, a saved-cohort
//     reference replaced by its tree (one tree alone is also held to 64
//     levels by validation);
//   - MaxAtLeastOf (default 10,000): rules of one atLeast;
//   - MaxCohorts (default 1,000): distinct saved cohorts one tree expands
//     (at save time the cohort being saved counts too).
//
// Over a limit the answer is a *ComplexityError (code QUERY_TOO_COMPLEX
// through store.Coder, a kind of store.ErrInvalid) whose message names the
// measure, its value and the limit, e.g. `criteria too complex: 100000
// leaves (limit 20000)`. A saved cohort that refers to itself, directly or
// through others, by id or by name, is refused at save time (and, were one
// stored, at query time): `cohort C3 refers to itself`.
//
// Evaluation checks the request's context at every node and every 4,096
// iterations of loops over index keys, code dates and result pages, and
// stops with `cohorts: evaluation stopped: <ctx error>` wrapping
// context.DeadlineExceeded (graphql: TIMEOUT) or context.Canceled.
//
// # Saved cohorts are evaluated once
//
// A saved cohort's bitmap is cached per (version id, index generation,
// index date) in a least-recently-used cache bounded by the bitmaps' bytes
// (Config.CohortCacheBytes, default 64 MiB; entries of older generations
// or dates are dropped first; CohortCacheStats reports entries, bytes,
// hits, misses, evictions). Within one request each cohort is evaluated
// at most once however often it is referenced; SaveCohort evaluates the
// new version once and stores that bitmap, so the first count reuses it.
//
// # Snapshots: readers never wait for writers
//
// The index is immutable once published: Service.cur is an atomic pointer
// to the current *index. A reader calls s.snapshot() once per request and
// evaluates that version without holding s.mu (s.mu guards only the saved
// cohort and trial maps, held for a map lookup); lazily built views inside
// a published index (sorted birth and lab views, age bands, id ranks) are
// built under s.lazyMu. A writer holds s.imu and:
//
//	ix := s.begin()          // private copy-on-write clone of the snapshot
//	pid, _ := ix.pid(id, true)
//	ix.remove(pid, oldFeat)  // or ix.add / ix.setColumns
//	...
//	s.publish(ix)            // atomically visible, next generation
//
// or s.update(func(ix *index) error) to publish only when fn succeeds.
// The clone shares everything and copies a part on its first change: one
// bitmap per key (Clone), one lab column (values, dates, presence bitmap;
// the sorted views are shared and corrected through the stale set), one
// code-date map, the birth column, the id map when a patient is added
// (ids are append-only and share their backing array). Publish once per
// import, not per batch: copying is per part per clone. dirtyKeys and
// dirtyPids (what the next flush writes) belong to the write path and are
// shared by every version. A reader in the middle of an evaluation keeps
// its snapshot: it answers for the data as it was when it started.
// Vital status adds no column: deceased patients are the bitmap key
// vital|dead and their death days an entry of the code-date maps, so
// clones, flushes and rows carry it like any code (index format 2).
//
// # Store layout (under the pat/ and idx/ namespaces of package store)
//
//	pat/r/<id>             Patient record (JSON)
//	pat/unlinked/<id>      genomic sample whose id no patient has, held
//	                       (UnlinkedSample JSON; ImportOptions.CreatePatients)
//	pat/dirty              written only by versions before staged imports;
//	                       New() rebuilds the index when it finds it
//	idx/meta               {format, patients}
//	idx/b/<key>            roaring bitmap of one index key (raw)
//	idx/r/<pid:08x>        a patient's index row: id, birth day, latest lab
//	                       values and dates, latest code dates (raw binary)
//	idx/coh/<id>           saved cohort version (JSON)
//	idx/trial/<protocol>   trial with its arms' criteria (JSON), current version
//	idx/trialv/<protocol>/<version:08d>  a replaced version (JSON)
//
// Every import (and the rebuild at start) is one store.Stage (write.go):
// patient records, the changed bitmaps and rows and idx/meta are staged in
// batches of 2,000 patients against a private copy of the index, made
// visible by one commit, and the copy is published only after that commit
// succeeds. An import therefore stores everything it reports or nothing
// (ImportResult.Committed), whatever its size, and a crash at any moment
// leaves the store as it was before the import or after it.
//
// # Imports
//
// Accepted and Rejected count source records (resources, rows, variants);
// each error says where (entry[i], table line, record n, field) and never
// carries patient data. Re-importing replaces only that kind of record:
//
//   - fhir-bundle: a bundle holding the Patient resource is a clinical
//     snapshot and replaces the patient's demographics, conditions,
//     medications and labs; resources about patients not in the bundle are
//     appended. Codings: SNOMED CT, ICD-10(-CM), RxNorm, ATC; Observations
//     with valueQuantity (and components) under LOINC.
//   - synthea-csv: patients replaces demographics; conditions (SNOMED, or
//     the SYSTEM column), medications (RxNorm) and observations (numeric
//     rows) each replace that list for the patients they mention.
//   - matchminer-clinical: demographics, OncoTree diagnosis, TMB.
//     matchminer-genomic: variants, CNVs, fusions, tested genes (WT rows and
//     every altered gene) and biomarkers (MMR, signatures); PGx is kept.
//     Patients are keyed by SAMPLE_ID (or CLINICAL_ID).
//   - ImportGenomics / BeginGenomics: see GenomicsImport.
//
// # Small-cell suppression
//
// The API no longer calls Count with canSeeExact false: it takes exact
// counts and releases them to roles without patients:read through
// cohorts/disclosure (noise, budgets, consistency), which also defends
// against differencing across answers. The rule below is kept for callers
// of this package that want deterministic suppression of one answer.
//
// For callers who may not see exact counts (canSeeExact false), with threshold k
// (Config.SmallCell, default 11):
//
//  1. Primary: every count c with 0 < c < k is hidden (count null,
//     display "<k"). Zero is shown as 0.
//  2. Total: if the total is hidden, every non-zero breakdown cell is hidden
//     too, and so is the last attrition step (it equals the total).
//  3. Attrition: walking from the last step back, a shown "remaining"
//     count must differ from the next shown one by 0 or by at least k;
//     otherwise it is hidden (display "suppressed"), so the number of
//     patients a rule removes can never be a small difference of shown
//     counts. The first step's "alone" equals its "remaining" and is hidden
//     with it.
//  4. Breakdown: within each dimension (sex, ageBand, race; their cells
//     add up to the total), if any cell is hidden, the smallest shown
//     non-zero cells (ties by value name) are hidden as well until at least
//     two cells are hidden and the hidden cells sum to at least k
//     (complementary suppression, display "suppressed").
//
// The rule depends only on the counts, so the same query on the same data
// always gives the same answer. Callers with patients:read see exact values.
//
// # Trials
//
// ImportTrial reads CTML (YAML or JSON) as MatchMiner writes it: every
// step, arm and dose level with a match clause becomes a TrialArm whose
// criteria is that clause (ANDed with the trial-level clause when it says
// anything beyond ignored keys); suspended arms are kept and flagged.
// Mapping: clinical age_numerical → age, oncotree_primary_diagnosis →
// condition ONCOTREE with descendants (a "!" prefix negates the field),
// gender → sex, tmb_numerical → lab 94076-7; genomic clauses must hold on
// one alteration: Mutation → variant (protein_change exact,
// wildcard_protein_change position, variant_classification → class, exon),
// Copy Number Variation → cnv (cnv_call; absent = any level), Structural
// Variation → fusion (fusion_partner_hugo_symbol; any_gene), Any Variation
// → variant or CNV, mmr_status/ms_status → biomarker MMR, *_signature →
// biomarker, wildtype → tested and no variant; a "!" on any genomic value
// negates the whole clause, as MatchMiner does. disease_status, her2/er/pr
// status are ignored (DFCI configuration). Differences from MatchMiner:
// In_Frame_Del and In_Frame_Ins both map to INFRAME_INDEL; "<=N" on age
// keeps N completed years (MatchMiner: exact date).
package cohorts
