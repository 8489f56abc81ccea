// Package molecules is rxlab's pure-Go chemistry core. It owns SMILES parsing
// (OpenSMILES plus RDKit's extensions), sanitization as RDKit 2022.09 does it
// (valence and implicit hydrogens, ring perception, RDKit's aromaticity model,
// kekulization, removal of explicit [H] atoms), molecular formula, canonical
// SMILES, Morgan/ECFP fingerprints bit-identical to RDKit's defaults,
// RDKit-defined descriptors (MolWt, ExactMolWt, Crippen logP/MR, TPSA,
// H-bond donors/acceptors, strict rotatable bonds, ring counts, FractionCSP3,
// Lipinski violations) and an in-memory Tanimoto similarity index.
//
// Entry points:
//
//	m, err := molecules.Parse("CC(=O)Oc1ccccc1C(=O)O")
//	m.CanonicalSMILES()             // RDKit MolToSmiles (isomeric)
//	molecules.Describe(m)           // descriptors
//	molecules.Morgan(m, 2, 2048)    // ECFP4 bits
//	idx, _ := molecules.NewIndex(2048)
//
// Parse errors are *SMILESError values: they wrap store.ErrInvalid, carry the
// 0-based character position and report the code BAD_SMILES.
//
// The golden data (testdata/*.tsv, from RDKit 2022.09.3) pins every answer;
// golden_test.go prints field-by-field agreement.
package molecules
