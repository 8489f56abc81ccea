package response

import "strings"

// Cell-line offsets of unseen-drug GDSC models. Some cell lines are
// sensitive to most drugs and some to few, and that general sensitivity
// decides much of how a new drug ranks the cell lines. The unseen-drug
// network saw it only through the cell lines' features and learned little
// of it: on nested validation (TestCellMeanProbe) each cell line's shrunk
// mean residual from the training drugs' means, a table lookup, ranked the
// cell lines of unseen drugs better than the network (mean per-drug r
// 0.516 against 0.307). So the unseen-drug model starts from the cell
// line's offset, as the unseen-cell-line model starts from the drug's
// mean, and its network learns the rest from the drug's structure. A
// patient is not a GDSC cell line: for patients the offset is estimated
// from the features (CellSensWeights).

// gdscCellShrink is the prior count k of the cell-line offsets: a cell
// line's offset is the sum of its n training pairs' residuals from their
// drugs' means divided by n + k. Cell lines have about 200 training pairs
// each, so k barely matters: k = 0, 5, 20 gave the same nested validation
// (TestCellMeanProbe: mean per-drug r 0.516, 0.516, 0.515).
const gdscCellShrink = 5

// useCellOffsets says whether a split's model adds the cell lines' mean
// offsets: only the unseen-drug split's, whose test cell lines are
// training cell lines and whose network has no drug means to start from.
// On random pairs a drug-mean + cell-mean lookup (RMSE 1.255, nested) is
// far behind the network (1.078), which learns each cell line's
// sensitivity from its features there.
func useCellOffsets(split string) bool { return split == SplitDrug }

// cellOffsets returns every training cell line's offset (by cell index):
// the shrunk mean of its training pairs' residuals resid(i). Unless rowOff
// is nil it writes each training pair's leave-one-out offset (its own
// residual left out) there.
func cellOffsets(g *GDSC, train []int, resid func(i int) float64, rowOff []float64) map[int]float64 {
	sum, cnt := map[int]float64{}, map[int]float64{}
	for _, i := range train {
		c := g.PairCell[i]
		sum[c] += resid(i)
		cnt[c]++
	}
	out := make(map[int]float64, len(sum))
	for c, s := range sum {
		out[c] = s / (cnt[c] + gdscCellShrink)
	}
	if rowOff != nil {
		for _, i := range train {
			c := g.PairCell[i]
			rowOff[i] = (sum[c] - resid(i)) / (cnt[c] - 1 + gdscCellShrink)
		}
	}
	return out
}

// cellSensColumns returns the cell-feature columns of the general
// sensitivity weights: the tissue one-hot and the genomic columns
// (genomicColumns).
func cellSensColumns(g *GDSC, train []int) []int {
	var cols []int
	for j, f := range g.Features {
		if strings.HasPrefix(f, tissuePrefix) {
			cols = append(cols, j)
		}
	}
	return append(cols, genomicColumns(g, train)...)
}

// cellSensOffset returns the general sensitivity (standardised) a model
// estimates from a cell vector: 0 without CellSensWeights.
func (m *Model) cellSensOffset(cell []float32) float32 {
	return float32(genomicEffect(m.rec.CellSensWeights, m.rec.CellSensCols, cell))
}

// residSD returns the spread a model adds to a molecule's members'
// disagreement: the drug's own (DrugResidSD) when it has one, else the
// model's overall spread (ResidSD; 0 in older records).
func (m *Model) residSD(canonical string) float64 {
	if v, ok := m.rec.DrugResidSD[canonical]; ok {
		return v
	}
	return m.rec.ResidSD
}
