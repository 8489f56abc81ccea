package response

import "math"

// A hybrid model (ArchHybrid) weights its two halves: the MLP members' mean
// gets the weight w (modelRecord.MLPWeight) and the message-passing
// members' mean 1 − w. Within a half every member counts equally, so each
// MLP member has weight w/nMLP and each graph member (1 − w)/nGraph in the
// mean, the spread and the attributions. Training stores no weight: a
// weight fitted on the validation split (least squares) tied the even
// blend on ESOL and was removed (RESULTS.md, "ESOL, second round"), so
// every member counts equally (w = nMLP/(nMLP + nGraph), 0.5 for a hybrid);
// a stored weight is still honoured.

// halfSums holds, per row and task, the sums of the MLP members'
// predictions (target units) and of their squares, and the same for the
// message-passing members.
type halfSums struct {
	sumM, sqM, sumG, sqG []float64
	nM, nG               int
}

// halfSums runs every member on feats.
func (m *Model) halfSums(eng *engine, feats []molFeat) halfSums {
	counts, dense := m.inputs(feats, nil)
	n := len(feats) * len(m.rec.Tasks)
	h := halfSums{nM: len(m.members), nG: len(m.graphs)}
	if h.nM > 0 {
		h.sumM, h.sqM = make([]float64, n), make([]float64, n)
		m.mlpAccumulate(eng, counts, dense, nil, h.sumM, h.sqM)
	}
	if h.nG > 0 {
		h.sumG, h.sqG = make([]float64, n), make([]float64, n)
		m.graphAccumulate(feats, dense, h.sumG, h.sqG)
	}
	return h
}

// mlpWeight is the weight of the MLP half in the model's mean (1 without
// graph members, 0 without MLP members).
func (m *Model) mlpWeight() float64 {
	return blendWeight(m.rec.MLPWeight, len(m.members), len(m.graphs))
}

// blendWeight resolves a stored MLP weight: nil (records from before the
// weight) counts every member once.
func blendWeight(stored *float64, nM, nG int) float64 {
	switch {
	case nG == 0:
		return 1
	case nM == 0:
		return 0
	case stored != nil:
		return *stored
	}
	return float64(nM) / float64(nM+nG)
}

// combine returns the weighted mean and standard deviation over the
// members, the MLP half weighted w (see blendWeight for the one-kind cases).
func (h halfSums) combine(w float64) (mean, sd []float64) {
	w = blendWeight(&w, h.nM, h.nG)
	n := max(len(h.sumM), len(h.sumG))
	mean, sd = make([]float64, n), make([]float64, n)
	for i := range mean {
		var mu, m2 float64
		if h.nM > 0 && w > 0 {
			mu += w * h.sumM[i] / float64(h.nM)
			m2 += w * h.sqM[i] / float64(h.nM)
		}
		if h.nG > 0 && w < 1 {
			mu += (1 - w) * h.sumG[i] / float64(h.nG)
			m2 += (1 - w) * h.sqG[i] / float64(h.nG)
		}
		mean[i] = mu
		sd[i] = math.Sqrt(max(m2-mu*mu, 0))
	}
	return mean, sd
}

// halfMeans returns the MLP half's and the graph half's means (nil for a
// missing half).
func (h halfSums) halfMeans() (mlp, graph []float64) {
	if h.nM > 0 {
		mlp, _ = h.combine(1)
	}
	if h.nG > 0 {
		graph, _ = h.combine(0)
	}
	return mlp, graph
}

// graphExtras is how many leading standardised descriptors the
// message-passing members read (the recipe's graphDesc can give them a
// smaller descriptor set than the MLP members'); all of them in records
// that do not say.
func (m *Model) graphExtras() int {
	if m.rec.Graph != nil && m.rec.Graph.Extras > 0 && m.rec.Graph.Extras <= m.eng.dense {
		return m.rec.Graph.Extras
	}
	return m.eng.dense
}
