package response

import (
	"fmt"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/rxlab/rxlab/store"
)

// Per-drug genomic weights of GDSC models. A network shared by 237 drugs
// barely used the cell lines' mutation and copy-number features for cell
// lines it never saw (0.0015 RMSE over the drug-by-tissue means on nested
// validation); a ridge regression per drug on the same features, of the
// residuals from the drug-by-tissue mean, gained 0.008 on every seed
// (TestRidgeProbe). So the unseen-cell-line model adds, after the drug's
// mean and its tissue offset, the drug's linear genomic effect, and its
// network learns what is left.

const (
	// gdscGenomicRidge is the ridge penalty λ of the per-drug weights
	// (on 0/1 features and standardised residuals). Nested validation,
	// unseen cell lines, seeds 1–5 (TestRidgeProbe): λ = 30, 100, 300,
	// 1000 gave 1.309, 1.293, 1.294, 1.298 against 1.302 without weights.
	gdscGenomicRidge = 100
	// gdscGenomicMinCells is how many training cell lines must carry a
	// feature for it to get per-drug weights: rarer ones cannot be
	// estimated per drug.
	gdscGenomicMinCells = 10
)

// genomicColumns returns the cell-feature columns that get per-drug
// weights: every feature but the tissue one-hot set in at least
// gdscGenomicMinCells of the training cell lines.
func genomicColumns(g *GDSC, train []int) []int {
	seen := map[int]bool{}
	count := make([]int, len(g.Features))
	for _, i := range train {
		c := g.PairCell[i]
		if seen[c] {
			continue
		}
		seen[c] = true
		for j, v := range g.CellFeatures[c] {
			if v > 0 {
				count[j]++
			}
		}
	}
	var cols []int
	for j, f := range g.Features {
		if !strings.HasPrefix(f, tissuePrefix) && count[j] >= gdscGenomicMinCells {
			cols = append(cols, j)
		}
	}
	return cols
}

// genomicWeights fits, for every drug key (key[d]: its canonical SMILES or
// its GDSC id), the ridge weights over cols of its training pairs'
// residuals resid(i), solving (XᵀX + λI)·w = Xᵀr by Cholesky factorisation
// (models use λ = gdscGenomicRidge).
func genomicWeights(g *GDSC, train []int, key []string, cols []int, lambda float64, resid func(i int) float64) (map[string][]float64, error) {
	byKey := map[string][]int{}
	var keys []string
	for _, i := range train {
		k := key[g.PairDrug[i]]
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	p := len(cols)
	out := make(map[string][]float64, len(keys))
	if p == 0 {
		return out, nil
	}
	a := mat.NewSymDense(p, nil)
	b := mat.NewVecDense(p, nil)
	w := mat.NewVecDense(p, nil)
	on := make([]int, 0, p)
	var ch mat.Cholesky
	for _, k := range keys {
		a.Zero()
		b.Zero()
		for u := 0; u < p; u++ {
			a.SetSym(u, u, lambda)
		}
		for _, i := range byKey[k] {
			x := g.CellFeatures[g.PairCell[i]]
			on = on[:0]
			for u, j := range cols {
				if x[j] > 0 {
					on = append(on, u)
				}
			}
			r := resid(i)
			for s, u := range on {
				b.SetVec(u, b.AtVec(u)+r)
				for _, v := range on[:s+1] {
					a.SetSym(v, u, a.At(v, u)+1)
				}
			}
		}
		if !ch.Factorize(a) {
			return nil, fmt.Errorf("response: genomic weights of drug %s: the ridge system is not positive definite: %w", k, store.ErrInvalid)
		}
		if err := ch.SolveVecTo(w, b); err != nil {
			return nil, fmt.Errorf("response: genomic weights of drug %s: %v: %w", k, err, store.ErrInvalid)
		}
		out[k] = append([]float64(nil), w.RawVector().Data...)
	}
	return out, nil
}

// genomicEffect is Σ w[u]·cell[cols[u]]: a drug's linear genomic effect on
// a cell vector (0 without weights).
func genomicEffect(w []float64, cols []int, cell []float32) float64 {
	s := 0.0
	for u, j := range cols {
		if u < len(w) && j < len(cell) && cell[j] > 0 {
			s += w[u] * float64(cell[j])
		}
	}
	return s
}

// genomicOffset returns the per-drug genomic effect (standardised) of a
// molecule on a cell vector: 0 when the model has no weights for it.
func (m *Model) genomicOffset(canonical string, cell []float32) float32 {
	return float32(genomicEffect(m.rec.GenomicWeights[canonical], m.rec.GenomicCols, cell))
}
