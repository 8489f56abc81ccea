package molecules

import (
	_ "embed"
	"strconv"
	"strings"
)

// element is one row of RDKit's periodic table (atomic_data.cpp, 2022.09.3).
type element struct {
	z        int
	symbol   string
	mass     float64 // average atomic weight
	nOuter   int     // outer-shell electrons
	isotope  int     // most common isotope
	isoMass  float64 // its exact mass
	valences []int8  // allowed valences, -1 = any
}

func defaultValence(z uint8) int { return int(elementTable[z].valences[0]) }

//go:embed isotopes.txt
var isotopesText string

// isotopeMass maps Z*1000+A to the exact isotope mass (read-only after init).
var isotopeMass = func() map[int]float64 {
	m := make(map[int]float64, 3100)
	for _, line := range strings.Split(isotopesText, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		z, _ := strconv.Atoi(f[0])
		a, _ := strconv.Atoi(f[1])
		v, _ := strconv.ParseFloat(f[2], 64)
		m[z*1000+a] = v
	}
	return m
}()

// atomMass is RDKit Atom::getMass: isotope mass when an isotope is set,
// otherwise the average weight.
func atomMass(a *Atom) float64 {
	if a.Isotope != 0 {
		if v, ok := isotopeMass[int(a.Z)*1000+int(a.Isotope)]; ok {
			return v
		}
		if a.Z != 0 {
			return float64(a.Isotope)
		}
		return 0
	}
	return elementTable[a.Z].mass
}

// atomExactMass is the monoisotopic mass used by ExactMolWt.
func atomExactMass(a *Atom) float64 {
	if a.Isotope != 0 {
		return atomMass(a)
	}
	return elementTable[a.Z].isoMass
}

// symbolToZ maps element symbols (including bracket-only ones) to Z.
var symbolToZ = func() map[string]uint8 {
	m := make(map[string]uint8, 130)
	for i := range elementTable {
		m[elementTable[i].symbol] = uint8(elementTable[i].z)
	}
	return m
}()

// earlyAtom is RDKit's isEarlyAtom table (2022.09): elements whose formal
// charge sign is flipped in valence calculations.
var earlyAtom = func() [119]bool {
	var t [119]bool
	for _, z := range []int{3, 4, 5, 11, 12, 13, 19, 20, 21, 22, 30, 31, 32, 37, 38, 39, 40, 41, 48, 49, 50, 51, 55, 56, 57, 58, 59, 60, 61, 72, 73, 80, 81, 82, 83, 87, 88, 89, 90, 91, 92, 93, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118} {
		t[z] = true
	}
	return t
}()
