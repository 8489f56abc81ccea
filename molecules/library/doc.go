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
// molecules.Index; searches with another radius or length build an index
// for that shape from the stored canonical SMILES. Search results are
// exact: the same hits as a brute-force scan.
//
// # Memory
//
// Shapes are limited to radius 0..6 and nBits 512, 1024, 2048 or 4096
// (molecules.CheckFingerprintShape; anything else is BAD_USER_INPUT naming
// the allowed values), so a library has at most 27 derived indexes. They
// are kept in a least-recently-used cache keyed by (library, radius,
// nBits) and bounded by bytes (Config.IndexCacheBytes, default 64 MiB;
// an index of the 5,300-molecule demo library takes 0.3–3 MB); adding
// molecules to a library drops its derived indexes, and concurrent
// searches of one missing shape share one build. CacheStats reports
// entries, bytes, hits, misses and evictions for the metrics.
package library
