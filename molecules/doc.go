// Package molecules is rxlab's pure-Go chemistry core. It gives RDKit
// 2022.09's answers for what rxlab reports about a molecule.
//
// It owns:
//   - SMILES parsing (OpenSMILES plus RDKit's extensions: bracket atoms with
//     isotope, chirality, H count, charge incl. ++/--, atom class; aromatic
//     lowercase atoms incl. se/as/te/si; ring closures 0-9, %nn, %(nnn);
//     dot-separated fragments; bonds - = # $ : / \ -> <-) with size caps;
//   - sanitization as RDKit's MolFromSmiles does it: nitro/azide/P=O clean-up,
//     valence checks and implicit hydrogens (2022.09 valence tables), removal
//     of explicit [H], ring perception (symmetrized SSSR), kekulization with
//     RDKit's bounded backtracking (so c1ccnc1 is rejected), RDKit's
//     aromaticity model incl. fused systems, conjugation and hybridization,
//     stereocentre and double-bond stereo perception;
//   - canonical isomeric SMILES equal to MolToSmiles (RDKit's canonical
//     ranking and writer), molecular formula as CalcMolFormula;
//   - Morgan/ECFP fingerprints with RDKit's default invariants, bit-identical
//     folded bits, unfolded counts and per-bit environments (bit info);
//   - descriptors: MolWt, ExactMolWt, Crippen MolLogP/MolMR and per-atom
//     Wildman–Crippen types (CrippenAtoms, CrippenLabels: a small SMARTS
//     matcher runs RDKit's Crippen table, seeing the hydrogens as virtual
//     atoms as after AddHs), TPSA, NumHDonors/NumHAcceptors,
//     strict NumRotatableBonds, ring and aromatic ring counts, FractionCSP3,
//     Lipinski violations;
//   - Index, an in-memory Tanimoto search with popcount buckets and a
//     bit-count bound; results are exact.
//
// Entry points:
//
//	m, err := molecules.Parse("CC(=O)Oc1ccccc1C(=O)O") // *SMILESError on bad input
//	m.CanonicalSMILES()                                  // "CC(=O)Oc1ccccc1C(=O)O"
//	m.Formula()                                          // "C9H8O4"
//	molecules.Describe(m)                                // Descriptors
//	molecules.CrippenAtoms(m, nil)                       // per-atom types, logP, MR
//	molecules.Morgan(m, 2, 2048)                         // ECFP4 bits
//	molecules.MorganWithInfo(m, 2, 2048)                 // bits + (atom, radius) per bit
//	idx, _ := molecules.NewIndex(2048)
//	idx.Add("aspirin", fp); idx.Search(ctx, q, 0.7, 10)
//
// Parse errors are *SMILESError values: they wrap errs.Invalid, carry the
// 0-based character position (or -1 for whole-molecule chemistry problems)
// and report the API code BAD_SMILES. A Parser built with NewParser caps
// input length, atoms and ring closures; ParserConfig.SkipStereo skips
// stereo perception for callers that read no stereo (fingerprints,
// descriptors). For loops over many SMILES, Parser.ParseInto rewrites a
// molecule the caller no longer needs instead of allocating a new one, and
// MorganEnvironmentsInto reuses the caller's slice.
//
// Agreement with RDKit is pinned by golden_test.go against RDKit 2022.09.3
// output in testdata/ (edge cases, NCI 5K, a MoleculeNet sample), and the
// per-atom Crippen types by crippen_test.go (testdata/make_crippen_golden.py); extra
// files made with peer/make_golden.py can be checked through
// MOLECULES_GOLDEN. peer/rdkit_bench.py is the speed peer of
// BenchmarkVsRDKit.
//
// Parsing keeps allocations low: adjacency lists come from shared chunks,
// sanitization borrows its temporary arrays from a pooled scratch, and the
// SSSR finder and SMARTS matcher keep pooled scratch of their own. The pools
// hold reusable buffers, and one memo of answers that depend on nothing but
// their key (below), never a molecule's results. Exact shortcuts skip work whose
// answer is already known, each checked against the full computation by a
// test over the golden and MoleculeNet SMILES and by FuzzParse: molecules
// whose ring systems are single cycles skip RDKit's ring search, and
// Crippen types each distinct star-shaped atom environment once: a pooled
// matcher remembers the type of every environment key it has typed, across
// molecules, since the key holds all that the parameter rows read.
package molecules
