// Package hgvs parses and normalises HGVS protein-change notation and maps
// consequence words to genomics.VariantClass.
//
// Parse accepts one- and three-letter amino acids (p.V600E = p.Val600Glu),
// an optional reference-sequence prefix ("ENSP0001:p.") and "p.", predicted
// forms in parentheses (p.(Gly12Cys)), position-only changes (V600), ranges,
// in-frame deletions, duplications, insertions and delins, frameshifts (fs,
// fs*N, fsTerN), stops written *, Ter or X, start loss (M1?), stop loss
// (*757Qext*?) and synonymous changes (=). Protein.String gives the
// canonical one-letter form without "p.", e.g. "V600E", "E746_A750del",
// "R882Hfs*13", "L802=".
//
// Class maps Sequence Ontology / VEP / SnpEff consequence terms and MAF
// Variant_Classification values to a VariantClass, taking the most severe
// of several "&"- or ","-joined terms.
package hgvs
