package response

import "math"

// gdscScored is one part of a GDSC split as the model predicts it.
type gdscScored struct {
	mean, sd, y []float64
	drug        []int
}

// gdscEval holds what a GDSC evaluation predicts with.
type gdscEval struct {
	g                        *GDSC
	feats                    []molFeat
	sp                       Split
	drugExtra                [][2]float32
	rowOff, rowGen, rowNoise []float64
}

func (m *Model) gdscPart(e *gdscEval, idx []int) gdscScored {
	var s gdscScored
	for _, i := range idx {
		s.y = append(s.y, e.g.LnIC50[i])
		s.drug = append(s.drug, e.g.PairDrug[i])
	}
	s.mean, s.sd = m.gdscPredict(e.g, e.feats, idx, e.drugExtra, e.rowOff, e.rowGen, e.rowNoise)
	return s
}

// evaluateGDSC calibrates the model on the validation pairs and scores it
// on the test pairs, predicting them as gdscPredict does.
func (m *Model) evaluateGDSC(g *GDSC, feats []molFeat, sp Split, drugExtra [][2]float32, rowOff, rowGen, rowNoise []float64) {
	e := &gdscEval{g: g, feats: feats, sp: sp, drugExtra: drugExtra, rowOff: rowOff, rowGen: rowGen, rowNoise: rowNoise}
	v := m.gdscPart(e, sp.Val)
	m.calibrateGDSC(e, v)
	t := m.gdscPart(e, sp.Test)
	m.rec.Validation = RegressionMetrics(v.mean, v.y)
	m.rec.Validation["baselineRmse"] = RegressionMetrics(m.perDrugBaseline(g, sp, sp.Val), v.y)["rmse"]
	m.rec.Metrics = RegressionMetrics(t.mean, t.y)
	m.rec.Metrics["meanPerDrugPearson"], _ = meanPearsonByGroup(t.mean, t.y, t.drug)
	base := m.perDrugBaseline(g, sp, sp.Test)
	m.bootstrapGDSC(e, t, base)
	cover, half := 0.0, 0.0
	for i := range t.y {
		w := IntervalZ * m.rec.IntervalScale * t.sd[i]
		if math.Abs(t.y[i]-t.mean[i]) <= w {
			cover++
		}
		half += w
	}
	m.rec.Metrics["intervalCoverage"] = cover / float64(max(len(t.y), 1))
	m.rec.Metrics["intervalHalfWidth"] = half / float64(max(len(t.y), 1))
	m.rec.Baseline = RegressionMetrics(base, t.y)
	m.rec.Baseline["meanPerDrugPearson"], _ = meanPearsonByGroup(base, t.y, t.drug)
	m.lookupBaseline(e, v, t)
	for _, mm := range []Metrics{m.rec.Metrics, m.rec.Baseline, m.rec.Validation} {
		for k, x := range mm {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				delete(mm, k)
			}
		}
	}
}

// calibrateGDSC sets the interval scale on the validation pairs and the
// domain threshold over the validation drugs' nearest training drug.
func (m *Model) calibrateGDSC(e *gdscEval, v gdscScored) {
	var z []float64
	for i := range v.y {
		if v.sd[i] > 0 {
			z = append(z, math.Abs(v.y[i]-v.mean[i])/v.sd[i])
		}
	}
	m.rec.IntervalScale = max(1, percentile(z, 95)/IntervalZ)
	var sims []float64
	seen := map[int]bool{}
	for _, i := range e.sp.Val {
		d := e.g.PairDrug[i]
		if seen[d] {
			continue
		}
		seen[d] = true
		sim, _ := m.index.max(e.feats[d].fp, nil)
		sims = append(sims, sim)
	}
	m.rec.InDomainThreshold = percentile(sims, DomainPercentile)
}

// bootstrapGDSC adds 95 % bootstrap intervals of the test RMSE, Pearson r
// and mean per-drug r, resampling what the split holds out whole (cell
// lines, drugs, or pairs), and the paired interval of the RMSE difference
// from the per-drug-mean baseline (model − baseline, negative = better) on
// the same resamples: whether the model beats the baseline beyond the noise.
func (m *Model) bootstrapGDSC(e *gdscEval, t gdscScored, base []float64) {
	var group []int
	switch m.rec.Split {
	case SplitCell:
		for _, i := range e.sp.Test {
			group = append(group, e.g.PairCell[i])
		}
	case SplitDrug:
		group = t.drug
	}
	var p, y []float64
	sample := func(rows []int) Metrics {
		p, y = p[:0], y[:0]
		for _, i := range rows {
			p, y = append(p, t.mean[i]), append(y, t.y[i])
		}
		return RegressionMetrics(p, y)
	}
	n, seed := len(t.y), m.rec.Seed
	for _, key := range []string{"rmse", "pearson"} {
		m.rec.Metrics[key+"Low95"], m.rec.Metrics[key+"High95"] = bootstrapCI(n, group, seed, func(rows []int) float64 {
			return sample(rows)[key]
		})
	}
	var gd []int
	m.rec.Metrics["meanPerDrugPearsonLow95"], m.rec.Metrics["meanPerDrugPearsonHigh95"] = bootstrapCI(n, group, seed, func(rows []int) float64 {
		sample(rows) // fills p and y
		gd = gd[:0]
		for _, i := range rows {
			gd = append(gd, t.drug[i])
		}
		r, k := meanPearsonByGroup(p, y, gd)
		if k == 0 {
			return math.NaN()
		}
		return r
	})
	var pb []float64
	m.rec.Metrics["rmseVsBaselineLow95"], m.rec.Metrics["rmseVsBaselineHigh95"] = bootstrapCI(n, group, seed, func(rows []int) float64 {
		pb = pb[:0]
		for _, i := range rows {
			pb = append(pb, base[i])
		}
		model := sample(rows)["rmse"] // fills y with the resampled targets
		return model - RegressionMetrics(pb, y)["rmse"]
	})
}

// lookupBaseline reports the lookup the model starts from, alone, a
// stronger baseline than the goal's: the drug-by-tissue means (unseen cell
// lines) or the global mean plus the cell line's offset (unseen drugs).
func (m *Model) lookupBaseline(e *gdscEval, v, t gdscScored) {
	prefix := ""
	switch {
	case m.rec.TissueOffsets != nil:
		prefix = "drugTissueBaseline"
	case m.rec.CellSensWeights != nil:
		prefix = "cellMeanBaseline"
	}
	if prefix == "" {
		return
	}
	tb := func(idx []int) []float64 {
		out := make([]float64, len(idx))
		for k, i := range idx {
			out[k] = m.rec.YMean[0] + m.rec.YSD[0]*(float64(e.drugExtra[e.g.PairDrug[i]][0])+e.rowOff[i])
		}
		return out
	}
	m.rec.Validation[prefix+"Rmse"] = RegressionMetrics(tb(e.sp.Val), v.y)["rmse"]
	tt := tb(e.sp.Test)
	tm := RegressionMetrics(tt, t.y)
	m.rec.Metrics[prefix+"Rmse"] = tm["rmse"]
	if prefix == "cellMeanBaseline" {
		m.rec.Metrics[prefix+"Pearson"] = tm["pearson"]
	}
	m.rec.Metrics[prefix+"MeanPerDrugPearson"], _ = meanPearsonByGroup(tt, t.y, t.drug)
}
