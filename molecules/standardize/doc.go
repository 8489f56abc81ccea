// Package standardize cleans up molecules the way RDKit 2022.09's
// rdMolStandardize does, so that a salt, a charged form and a
// differently drawn functional group of one compound give one canonical
// SMILES.
//
// Standardize runs four steps in this order (each can be skipped with
// Options), the order of RDKit's ChargeParent without its metal
// disconnection and final clean-up:
//
//  1. normalize (Normalizer): the 22 default transforms of
//     normalizations.in — nitro, sulfone, pyridine N-oxide, azide,
//     diazo, sulfoxide, phosphate, C/S+N, P+N, hydrazine-diazonium,
//     recombination of 1,3- and 1,5-separated charges, 1,3 and 1,5
//     conjugated cations, halogen oxide charges and isonitrile-like
//     charge recombination — each applied repeatedly until nothing
//     changes, restarting from the first after every change;
//  2. reionize (Reionizer): RDKit's charge corrections for free Li, Na,
//     K, Mg, Ca and Cl, then protons moved from the strongest protonated
//     acid to the weakest ionized one (the 33 acid–base pairs of
//     acid_base_pairs.in);
//  3. fragment (LargestFragmentChooser): the fragment with the most atoms
//     counting hydrogens, then the largest exact mass, then the first
//     canonical SMILES — salts and solvents are stripped;
//  4. neutralize (Uncharger): negative and positive charges removed by
//     adding or removing hydrogens where a neutral form exists, keeping
//     zwitterions of quaternary cations balanced, in RDKit's canonical
//     atom order.
//
// Result.Steps records what each step changed (the rule name and, for a
// fragment choice, what was dropped). Result.SMILES is the canonical SMILES
// of the standardized molecule, as molecules.Mol.CanonicalSMILES writes
// it.
//
// The transforms are written as SMARTS for molecules' matcher and applied
// with molecules' edit API (charges, hydrogen counts, bond orders); every
// intermediate molecule is written and parsed again, so each is a
// sanitized molecule — a transform whose product fails sanitization is not
// applied, as in RDKit.
//
// Agreement with RDKit is pinned by golden_test.go against
// testdata/standardize_rdkit2022.09.tsv, made by testdata/make_golden.py
// with RDKit 2022.09.3 (each step alone and the whole pipeline). Not
// supported: metal disconnection (MetalDisconnector), tautomer
// canonicalization and RDKit's Validate checks. Normalizer products whose
// atoms exceed their allowed valence (RDKit lets them through) are not
// applied here, since every product is parsed strictly.
//
// Work is bounded: each application looks at most MaxMatches matches of a
// transform, a transform is applied at most 20 times in a row and the
// normalizer restarts at most 200 times, as in RDKit; every candidate
// product is a rewrite (written and parsed again), RDKit's exact choice
// among the matches holds while rewrites × atoms stay under
// ExactRewriteAtoms, after which every non-overlapping site of a rule is
// rewritten at once, and a molecule needing more than MaxRewrites is
// refused. ctx is checked between applications.
package standardize
