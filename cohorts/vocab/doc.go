// Package vocab is rxlab's vocabulary layer: concepts of ICD-10-CM,
// SNOMED CT (the part that may be shipped), RxNorm, LOINC and OncoTree,
// their hierarchy and the mappings between them, so that a cohort rule on
// one code finds records coded another way.
//
// What matching through it means (Vocab.Expand):
//   - an RxNorm ingredient matches every product containing it (and the
//     ATC code the ingredient is classified under); an ATC class matches
//     its ingredients and their products;
//   - a SNOMED CT concept matches its shipped is-a descendants and the
//     ICD-10-CM codes it maps to; an ICD-10-CM code matches the SNOMED CT
//     concepts mapped under it and the OncoTree nodes mapped to a category
//     under it; ICD-10-CM sections and chapters ("E08-E13") match their
//     categories;
//   - a LOINC code matches the other codes of its group (one test measured
//     or computed differently, e.g. eGFR by MDRD, CKD-EPI 2009 or 2021;
//     Vocab.LabGroup).
//
// Every expansion carries the mapping that led to it (Target.Via), which
// explanations quote. Expansion happens once per query, never per patient.
//
// The tables are vendored under data/ (embedded; see data/SOURCE.md for
// origin and licence of each) and rebuilt by `go run ./cohorts/vocab/gen`
// from curated/ and the shared Synthea data. A Vocab is read-only and safe
// for concurrent use.
package vocab
