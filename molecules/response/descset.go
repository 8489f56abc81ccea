package response

import (
	"sync"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/descriptors"
)

// physScratch holds featurize's working arrays and the physchem block's
// (package descriptors); it is pooled because featurisation runs once per
// predicted molecule.
type physScratch struct {
	envs     []molecules.MorganEnv   // featurize
	colCount []uint16                // featurize: count per column (zero between calls)
	colSeen  []uint64                // featurize: columns counted (zero between calls)
	crippen  []molecules.CrippenAtom // featurize: per-atom Crippen types
	seen     []bool                  // fragments
	stack    []int32                 // fragments
	phys     descriptors.Physchem
}

var physPool = sync.Pool{New: func() any { return new(physScratch) }}

// descWidth is the number of raw descriptors of a descriptor set (its
// blocks in order: descriptorNames, Crippen types, physchem, VSA, E-state);
// a smaller set's descriptors are a prefix of a larger one's.
func descWidth(set int) int {
	w := NumDescriptors
	for _, b := range []struct{ set, n int }{{DescCrippen, NumCrippenTypes}, {DescPhyschem, descriptors.NumPhyschem}, {DescVSA, descriptors.NumVSA}, {DescEState, descriptors.NumEState}} {
		if set >= b.set {
			w += b.n
		}
	}
	return w
}
