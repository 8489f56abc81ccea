package response

import "math"

// scored is one part of the split as the model predicts it: the halves'
// sums, each row's nearest-training similarity and the labels by task.
type scored struct {
	halves halfSums
	sim    []float64
	y      [][]float64 // y[task][row]
	mean   []float64   // row-major rows × tasks
	sd     []float64
}

// scorePart predicts the rows idx.
func (m *Model) scorePart(eng *engine, feats []molFeat, ys [][]float64, idx []int) scored {
	T := len(m.rec.Tasks)
	fs := make([]molFeat, len(idx))
	s := scored{y: make([][]float64, T), sim: make([]float64, len(idx))}
	for k, i := range idx {
		fs[k] = feats[i]
		for j := 0; j < T; j++ {
			s.y[j] = append(s.y[j], ys[i][j])
		}
	}
	s.halves = m.halfSums(eng, fs)
	for k := range fs {
		s.sim[k], eng.sims = m.index.max(fs[k].fp, eng.sims)
	}
	s.mean, s.sd = s.halves.combine(m.mlpWeight())
	return s
}

// column returns task j's entries of a row-major rows × T slice.
func column(v []float64, j, T int) []float64 {
	out := make([]float64, 0, len(v)/T)
	for i := j; i < len(v); i += T {
		out = append(out, v[i])
	}
	return out
}

// headline is the metric a model's task is judged by.
func (m *Model) headline() string {
	if m.rec.Task == Classification {
		return "rocAuc"
	}
	return "rmse"
}

// score computes the task's metrics of pred against y.
func (m *Model) score(pred, y []float64) Metrics {
	if m.rec.Task == Classification {
		return Metrics{"rocAuc": ROCAUC(pred, y), "n": float64(countLabelled(y))}
	}
	return RegressionMetrics(pred, y)
}

// averageMetrics averages each metric over the tasks where it is defined
// (a task without both classes in a part has no ROC-AUC there).
func averageMetrics(parts []Metrics) Metrics {
	out, n := Metrics{}, map[string]float64{}
	for _, p := range parts {
		for k, v := range p {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				out[k] += v
				n[k]++
			}
		}
	}
	for k := range out {
		out[k] /= n[k]
	}
	return out
}

// scoreAll is the task-averaged metrics of row-major predictions pred.
func (m *Model) scoreAll(pred []float64, y [][]float64) Metrics {
	T := len(m.rec.Tasks)
	parts := make([]Metrics, T)
	for j := range parts {
		parts[j] = m.score(column(pred, j, T), y[j])
	}
	return averageMetrics(parts)
}

// evaluate computes validation-derived calibration (interval scale,
// domain threshold), test metrics and the baseline.
//
// With calibrate false (a refitted model, which has trained on the
// validation rows) the calibration and validation metrics already in the
// record are kept, and only the test rows are scored.
func (m *Model) evaluate(feats []molFeat, ys [][]float64, sp Split, calibrate bool) {
	eng := m.pool.get()
	defer m.pool.put(eng)
	hybrid := m.rec.Task == Regression && len(m.members) > 0 && len(m.graphs) > 0
	if calibrate {
		v := m.scorePart(eng, feats, ys, sp.Val)
		m.calibrate(v)
		m.rec.Validation = m.scoreAll(v.mean, v.y)
		if hybrid {
			m.halfMetrics(v, m.rec.Validation)
		}
	}
	t := m.scorePart(eng, feats, ys, sp.Test)
	m.rec.Metrics, m.rec.Baseline = m.scoreAll(t.mean, t.y), m.baselineMetrics(t.y)
	m.bootstrapHeadline(t, len(sp.Test))
	if hybrid {
		m.halfMetrics(t, m.rec.Metrics)
	}
	m.domainMetrics(t)
	for k, v := range m.rec.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m.rec.Metrics, k)
		}
	}
}

// calibrate sets the interval scale k so that 95 % of validation
// |residual|/sd ≤ 1.96·k (regression; 1 for classification), and the
// domain threshold at the validation rows' DomainPercentile similarity.
func (m *Model) calibrate(v scored) {
	T := len(m.rec.Tasks)
	m.rec.IntervalScale = 1
	if m.rec.Task == Regression {
		var z []float64
		for i, y := range v.y[0] {
			if !math.IsNaN(y) && v.sd[i*T] > 0 {
				z = append(z, math.Abs(y-v.mean[i*T])/v.sd[i*T])
			}
		}
		m.rec.IntervalScale = max(1, percentile(z, 95)/IntervalZ)
	}
	m.rec.InDomainThreshold = percentile(v.sim, DomainPercentile)
}

// baselineMetrics scores the naive predictor (each task's training mean).
func (m *Model) baselineMetrics(y [][]float64) Metrics {
	parts := make([]Metrics, len(y))
	for j := range y {
		base := make([]float64, len(y[j]))
		mu := m.trainMean(j)
		for i := range base {
			base[i] = mu
		}
		parts[j] = m.score(base, y[j])
	}
	return averageMetrics(parts)
}

// bootstrapHeadline adds a 95 % bootstrap interval of the headline test
// metric: test sets of a hundred molecules leave RMSE uncertain by about
// ±10 %.
func (m *Model) bootstrapHeadline(t scored, n int) {
	key, T := m.headline(), len(m.rec.Tasks)
	var p, y []float64
	m.rec.Metrics[key+"Low95"], m.rec.Metrics[key+"High95"] = bootstrapCI(n, nil, m.rec.Seed, func(rows []int) float64 {
		parts := make([]Metrics, T)
		for j := 0; j < T; j++ {
			p, y = p[:0], y[:0]
			for _, i := range rows {
				p, y = append(p, t.mean[i*T+j]), append(y, t.y[j][i])
			}
			parts[j] = m.score(p, y)
		}
		v, ok := averageMetrics(parts)[key]
		if !ok {
			return math.NaN()
		}
		return v
	})
}

// halfMetrics adds a regression hybrid's halves' scores alone (rmseMLP,
// rmseGraph) to into.
func (m *Model) halfMetrics(s scored, into Metrics) {
	a, b := s.halves.halfMeans()
	into["rmseMLP"] = m.scoreAll(a, s.y)["rmse"]
	into["rmseGraph"] = m.scoreAll(b, s.y)["rmse"]
}

// domainMetrics adds the interval's coverage and the in- and
// out-of-domain scores on the test rows (task 0).
func (m *Model) domainMetrics(t scored) {
	T := len(m.rec.Tasks)
	var in, out []int
	cover, nCover := 0.0, 0.0
	for i, y := range t.y[0] {
		if math.IsNaN(y) {
			continue
		}
		if t.sim[i] >= m.rec.InDomainThreshold {
			in = append(in, i)
		} else {
			out = append(out, i)
		}
		if m.rec.Task == Regression {
			if math.Abs(y-t.mean[i*T]) <= IntervalZ*m.rec.IntervalScale*t.sd[i*T] {
				cover++
			}
			nCover++
		}
	}
	if nCover > 0 {
		m.rec.Metrics["intervalCoverage"] = cover / nCover
	}
	sub := func(idx []int) Metrics {
		p, y := make([]float64, len(idx)), make([]float64, len(idx))
		for k, i := range idx {
			p[k], y[k] = t.mean[i*T], t.y[0][i]
		}
		return m.score(p, y)
	}
	key := m.headline()
	if len(in) > 2 {
		m.rec.Metrics[key+"InDomain"] = sub(in)[key]
	}
	if len(out) > 2 {
		m.rec.Metrics[key+"OutOfDomain"] = sub(out)[key]
	}
	m.rec.Metrics["nInDomain"], m.rec.Metrics["nOutOfDomain"] = float64(len(in)), float64(len(out))
}

// trainMean is the training mean of task j in target units.
func (m *Model) trainMean(j int) float64 {
	if m.rec.Task == Regression {
		return m.rec.YMean[j]
	}
	// Classification: the training prevalence is not stored; a constant
	// score has ROC-AUC 0.5 whatever the constant.
	return 0.5
}

func countLabelled(y []float64) int {
	n := 0
	for _, v := range y {
		if !math.IsNaN(v) {
			n++
		}
	}
	return n
}
