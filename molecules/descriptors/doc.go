// Package descriptors computes RDKit-style molecular descriptors from a
// parsed molecules.Mol, checked against RDKit 2022.09.3 on golden files in
// testdata (made by the Python scripts there with Debian's python3-rdkit):
//
//   - the surface-area block (AppendVSA: LabuteASA, SlogP_VSA1–12,
//     SMR_VSA1–10) and the E-state block (AppendEState: EState_VSA1–11,
//     VSA_EState1–10), equal to RDKit's within 0.01 on 714 molecules;
//   - the topological block (AppendPhyschem, Physchem.Append: Kier–Hall
//     connectivity indices Chi0–Chi4 and Chi0v–Chi4v, Kier's shape indices
//     Kappa1–3 without the Hall–Kier α, symmetry and ring-system counts),
//     equal to RDKit's within 0.01 except where TestPhyschemAgainstRDKit
//     names a difference of definition (dummy and isolated atoms, charged
//     atoms and elements outside Kier–Hall's table in the valence indices);
//   - Bemis–Murcko scaffolds (ScaffoldAtoms, ScaffoldKey), the same size as
//     RDKit's MurckoScaffold less the exocyclic double-bonded atoms RDKit
//     keeps, and one key per RDKit scaffold SMILES.
//
// The blocks append to a caller's slice and allocate nothing once it has
// room (Physchem keeps its working arrays between molecules); non-finite
// values read 0. Package response featurizes molecules with them.
package descriptors
