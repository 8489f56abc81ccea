package response

import (
	"math"
	"sort"
)

// Metrics are held-out scores by name: rmse, mae, r2, pearson (regression)
// or rocAuc (classification), plus counts and extras named in the docs.
type Metrics map[string]float64

// RegressionMetrics scores predictions against targets (rows with a NaN
// target are skipped).
func RegressionMetrics(pred, y []float64) Metrics {
	var n, se, ae, sy, sp float64
	for i := range y {
		if math.IsNaN(y[i]) {
			continue
		}
		d := pred[i] - y[i]
		se += d * d
		ae += math.Abs(d)
		sy += y[i]
		sp += pred[i]
		n++
	}
	if n == 0 {
		return Metrics{"n": 0}
	}
	my, mp := sy/n, sp/n
	var vy, vp, cov float64
	for i := range y {
		if math.IsNaN(y[i]) {
			continue
		}
		dy, dp := y[i]-my, pred[i]-mp
		vy += dy * dy
		vp += dp * dp
		cov += dy * dp
	}
	m := Metrics{"n": n, "rmse": math.Sqrt(se / n), "mae": ae / n}
	if vy > 0 {
		m["r2"] = 1 - se/vy
	}
	if vy > 0 && vp > 0 {
		m["pearson"] = cov / math.Sqrt(vy*vp)
	} else {
		m["pearson"] = 0
	}
	return m
}

// ROCAUC is the area under the ROC curve of scores for binary labels
// (NaN labels skipped; ties count one half). It is NaN when one class is absent.
func ROCAUC(score, y []float64) float64 {
	type sl struct{ s, y float64 }
	var v []sl
	var pos, neg float64
	for i := range y {
		if math.IsNaN(y[i]) {
			continue
		}
		v = append(v, sl{score[i], y[i]})
		if y[i] > 0.5 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	sort.Slice(v, func(i, j int) bool { return v[i].s < v[j].s })
	// Rank-sum (Mann–Whitney U) with average ranks for ties.
	var rankSum float64
	for i := 0; i < len(v); {
		j := i
		for j < len(v) && v[j].s == v[i].s {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if v[k].y > 0.5 {
				rankSum += avg
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// meanPearsonByGroup is the mean Pearson r of pred vs y within each group
// with at least 3 rows and non-constant values on both sides; groups where
// the prediction is constant count as r = 0 (as a per-group-mean baseline is).
func meanPearsonByGroup(pred, y []float64, group []int) (float64, int) {
	by := map[int][]int{}
	for i, g := range group {
		by[g] = append(by[g], i)
	}
	var sum float64
	var n int
	for _, rows := range by {
		if len(rows) < 3 {
			continue
		}
		p := make([]float64, len(rows))
		t := make([]float64, len(rows))
		for k, i := range rows {
			p[k], t[k] = pred[i], y[i]
		}
		m := RegressionMetrics(p, t)
		if _, ok := m["r2"]; !ok { // constant target
			continue
		}
		sum += m["pearson"]
		n++
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// BootstrapResamples is the number of resamples behind a metric's 95 %
// interval (the Low95/High95 metrics).
const BootstrapResamples = 1000

// bootstrapCI is the 95 % percentile-bootstrap interval of stat over the n
// rows of a held-out set: BootstrapResamples resamples, drawn with seed, of
// whole clusters with replacement. group[i] names row i's cluster (nil:
// every row is its own), so that rows which are not independent (the pairs
// of one unseen drug) are resampled together. stat receives the resampled
// row indices; resamples where it is NaN are skipped, and with fewer than
// half left both bounds are NaN.
func bootstrapCI(n int, group []int, seed uint64, stat func(rows []int) float64) (lo, hi float64) {
	var clusters [][]int
	if group == nil {
		clusters = make([][]int, n)
		for i := range clusters {
			clusters[i] = []int{i}
		}
	} else {
		at := map[int]int{}
		for i, g := range group[:n] {
			k, ok := at[g]
			if !ok {
				k = len(clusters)
				at[g] = k
				clusters = append(clusters, nil)
			}
			clusters[k] = append(clusters[k], i)
		}
	}
	if len(clusters) == 0 {
		return math.NaN(), math.NaN()
	}
	rng := newRand(seed, 0xb007)
	rows := make([]int, 0, n)
	vals := make([]float64, 0, BootstrapResamples)
	for b := 0; b < BootstrapResamples; b++ {
		rows = rows[:0]
		for range clusters {
			rows = append(rows, clusters[rng.IntN(len(clusters))]...)
		}
		if v := stat(rows); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) < BootstrapResamples/2 {
		return math.NaN(), math.NaN()
	}
	return percentile(vals, 2.5), percentile(vals, 97.5)
}
