// Package library stores molecule libraries in the store and searches them
// by Tanimoto similarity.
//
// Key layout (namespace mol/):
//
//	mol/m/<library>/<id>          one molecule: name, input and canonical SMILES, ECFP4 words
//	mol/c/<library>/<canonical>   canonical SMILES → id, so a molecule is stored once per library
//
// Ids are "M" followed by a number from the store's "molecule" sequence. At
// New, every library's ECFP4/2048 fingerprints are loaded into a
// molecules.Index; searches with another radius or length build (and keep)
// an index for that shape from the stored canonical SMILES. Search results
// are exact: the same hits as a brute-force scan.
package library
