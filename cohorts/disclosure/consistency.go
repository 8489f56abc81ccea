package disclosure

import (
	"math"
	"sort"
)

// Post-processing never looks at exact values: it only reshapes noisy
// ones, so it costs no privacy. It makes one answer agree with itself.

// nonIncreasing returns the least-squares non-increasing sequence closest
// to x (pool-adjacent-violators), as attrition needs: every rule can only
// remove patients.
func nonIncreasing(x []float64) []float64 {
	type block struct {
		sum float64
		n   int
	}
	var bs []block
	for _, v := range x {
		bs = append(bs, block{v, 1})
		for len(bs) > 1 {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			if a.sum/float64(a.n) >= b.sum/float64(b.n) {
				break
			}
			bs = append(bs[:len(bs)-2], block{a.sum + b.sum, a.n + b.n})
		}
	}
	out := make([]float64, 0, len(x))
	for _, b := range bs {
		for i := 0; i < b.n; i++ {
			out = append(out, b.sum/float64(b.n))
		}
	}
	return out
}

// projectSimplex returns the least-squares point closest to x with
// non-negative cells that add up to total (total ≥ 0), as in the Census
// TopDown algorithm's post-processing of a table below a fixed total.
func projectSimplex(x []float64, total float64) []float64 {
	n := len(x)
	out := make([]float64, n)
	if n == 0 {
		return out
	}
	s := append([]float64(nil), x...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	cum, theta := 0.0, 0.0
	for i, v := range s {
		cum += v
		t := (cum - total) / float64(i+1)
		if v-t > 0 {
			theta = t
		}
	}
	for i, v := range x {
		out[i] = math.Max(v-theta, 0)
	}
	return out
}

// roundToSum rounds non-negative cells to integers that add up to total
// (largest remainders first; ties by position).
func roundToSum(x []float64, total int) []int {
	out := make([]int, len(x))
	if len(x) == 0 {
		return out
	}
	sum := 0
	rem := make([]int, len(x))
	for i, v := range x {
		out[i] = int(math.Floor(v))
		sum += out[i]
		rem[i] = i
	}
	sort.SliceStable(rem, func(a, b int) bool {
		fa, fb := x[rem[a]]-math.Floor(x[rem[a]]), x[rem[b]]-math.Floor(x[rem[b]])
		return fa > fb
	})
	for i := 0; sum < total; i = (i + 1) % len(x) {
		out[rem[i]]++
		sum++
	}
	for i := len(rem) - 1; sum > total; i = (i - 1 + len(x)) % len(x) {
		if out[rem[i]] > 0 {
			out[rem[i]]--
			sum--
		}
	}
	return out
}

// roundCount rounds a noisy count to a non-negative integer.
func roundCount(x float64) int {
	if x < 0 || math.IsNaN(x) {
		return 0
	}
	return int(math.Round(x))
}

// quantile draws the q-quantile of values (sorted, clamped to [lo, hi])
// with the exponential mechanism (Smith 2011): the gap between consecutive
// values j and j+1 is chosen with probability proportional to its width
// times exp(−ε·|j − q·n|/2), then a point uniformly inside it.
func quantile(sorted []float64, q, eps, lo, hi float64, n *Noise) float64 {
	m := len(sorted)
	edges := make([]float64, 0, m+2)
	edges = append(edges, lo)
	for _, v := range sorted {
		edges = append(edges, math.Min(math.Max(v, lo), hi))
	}
	edges = append(edges, hi)
	logw := make([]float64, m+1)
	best := math.Inf(-1)
	for j := 0; j <= m; j++ {
		w := edges[j+1] - edges[j]
		if w <= 0 {
			logw[j] = math.Inf(-1)
			continue
		}
		logw[j] = math.Log(w) - eps*math.Abs(float64(j)-q*float64(m))/2
		best = math.Max(best, logw[j])
	}
	if math.IsInf(best, -1) {
		return edges[0]
	}
	total := 0.0
	for j := range logw {
		total += math.Exp(logw[j] - best)
	}
	u := n.Uniform() * total
	for j := range logw {
		p := math.Exp(logw[j] - best)
		if u <= p || j == m {
			return edges[j] + n.Uniform()*(edges[j+1]-edges[j])
		}
		u -= p
	}
	return edges[m]
}
