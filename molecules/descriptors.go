package molecules

// Descriptors holds RDKit-defined molecular descriptors.
type Descriptors struct {
	MolWt              float64
	ExactMass          float64
	LogP               float64
	MR                 float64
	TPSA               float64
	HBD                int
	HBA                int
	RotatableBonds     int
	Rings              int
	AromaticRings      int
	FractionCSP3       float64
	LipinskiViolations int
}

// Describe computes all descriptors.
func Describe(m *Mol) Descriptors {
	return Descriptors{}
}
