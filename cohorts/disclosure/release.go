package disclosure

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/store"
)

// Parts says which parts of a cohort count an answer releases; only those
// are noised and paid for.
type Parts struct {
	Count, Attrition, Breakdown bool
}

func (p Parts) kind() string {
	s := "count:"
	if p.Count {
		s += "c"
	}
	if p.Attrition {
		s += "a"
	}
	if p.Breakdown {
		s += "b"
	}
	return s
}

// breakdownDims is how many dimensions a patient falls in once each (sex,
// ageBand, race): the breakdown vector's squared L2 sensitivity.
const breakdownDims = 3

// CountUnits is the cost in counts of releasing parts of a count over a
// criteria tree with steps attrition steps: the total (1), each step's
// remaining and alone count (the first step's alone is its remaining), and
// the breakdown (one cell per dimension). When attrition is released the
// total is its last step, so it costs nothing more.
func CountUnits(p Parts, steps int) float64 {
	u := 0.0
	if p.Attrition {
		u += float64(2*steps - 1)
	} else if p.Count || p.Breakdown {
		u++
	}
	if p.Breakdown {
		u += breakdownDims
	}
	return u
}

// CountRequest is the ledger request of a count over canonical criteria
// (the JSON of a parsed cohorts.Criteria), so the same tree asked through
// cohortCount, a saved cohort or a trial is one answer.
func CountRequest(criteria []byte, p Parts, steps int) Request {
	return Request{Kind: p.kind(), Query: criteria, Units: CountUnits(p, steps)}
}

// ReleaseCount turns an exact count (computed with canSeeExact) into what
// a role without patients:read may see: the requested parts with Gaussian
// noise, made consistent (attrition non-increasing, the first step's alone
// equal to its remaining, each step's alone at least its remaining,
// breakdown cells non-negative integers adding up to the released total),
// and every number below K shown as "<K". Parts not requested are empty.
func (g *Guard) ReleaseCount(exact cohorts.CohortCount, p Parts, n *Noise) cohorts.CohortCount {
	out := cohorts.CohortCount{Attrition: []cohorts.AttritionStep{}, Breakdown: []cohorts.BreakdownCell{}}
	total := -1
	if p.Attrition && len(exact.Attrition) > 0 {
		steps := exact.Attrition
		rem := make([]float64, len(steps))
		for i, s := range steps {
			rem[i] = n.Count(deref(s.Remaining))
		}
		rem = nonIncreasing(rem)
		for i, s := range steps {
			r := roundCount(rem[i])
			a := r
			if i > 0 {
				a = max(roundCount(n.Count(deref(s.Alone))), r)
			}
			st := cohorts.AttritionStep{Rule: s.Rule}
			st.Remaining, st.Display = g.shown(r)
			st.Alone, _ = g.shown(a)
			out.Attrition = append(out.Attrition, st)
			total = r
		}
	} else if p.Count || p.Breakdown {
		total = roundCount(n.Count(deref(exact.Count)))
	}
	if total >= 0 {
		out.Count, out.Display = g.shown(total)
		out.Suppressed = out.Count == nil
	}
	if p.Breakdown {
		out.Breakdown = g.releaseBreakdown(exact.Breakdown, total, n)
	}
	return out
}

// releaseBreakdown noises every cell, projects each dimension onto
// non-negative cells adding up to total and rounds them keeping the sum.
// When the total itself is below K every cell reads "<K".
func (g *Guard) releaseBreakdown(cells []cohorts.BreakdownCell, total int, n *Noise) []cohorts.BreakdownCell {
	out := make([]cohorts.BreakdownCell, len(cells))
	noisy := make([]float64, len(cells))
	for i, c := range cells {
		noisy[i] = n.Count(deref(c.Count))
		out[i] = cohorts.BreakdownCell{Dimension: c.Dimension, Value: c.Value}
	}
	for start := 0; start < len(cells); {
		end := start
		for end < len(cells) && cells[end].Dimension == cells[start].Dimension {
			end++
		}
		proj := projectSimplex(noisy[start:end], float64(total))
		vals := roundToSum(proj, total)
		for i, v := range vals {
			c := &out[start+i]
			if total < g.k {
				c.Display = "<" + strconv.Itoa(g.k)
				continue
			}
			c.Count, c.Display = g.shown(v)
		}
		start = end
	}
	return out
}

// shown applies the threshold to a released number.
func (g *Guard) shown(v int) (*int, string) {
	if v < g.k {
		return nil, "<" + strconv.Itoa(g.k)
	}
	return &v, strconv.Itoa(v)
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// Bounds are the published clamp of one kind of per-patient value: before
// a mean or quantile is released every value is clamped into [Low, High],
// so one patient moves a sum by at most max(|Low|, |High|).
type Bounds struct {
	Low, High float64
}

// Sensitivity is how far one patient can move a sum of clamped values.
func (b Bounds) Sensitivity() float64 { return math.Max(math.Abs(b.Low), math.Abs(b.High)) }

// Clamp returns v within the bounds.
func (b Bounds) Clamp(v float64) float64 { return math.Min(math.Max(v, b.Low), b.High) }

// Published bounds of predicted responses: GDSC ln IC50 (µM) and the
// half-width of its 95 % interval.
var (
	LnIC50Bounds    = Bounds{Low: -10, High: 10}
	HalfWidthBounds = Bounds{Low: 0, High: 10}
)

// quantileEpsilon is the ε of each quantile's exponential mechanism,
// chosen so that one quantile costs one count: ε²/8 = 1/(2σ²).
func (g *Guard) quantileEpsilon() float64 { return math.Sqrt(8 * g.UnitRho()) }

// DistributionUnits is the cost in counts of ReleaseDistribution with q
// quantiles: the count, the two sums and each quantile.
func DistributionUnits(q int) float64 { return 3 + float64(q) }

// Distribution is a released summary of per-patient values.
type Distribution struct {
	// Patients is the noisy count (it may read below K, then nothing else
	// is released).
	Patients int `json:"patients"`
	// TooSmall is true when Patients is below K.
	TooSmall bool `json:"tooSmall"`
	// Mean and MeanHalfWidth are noisy sums over the noisy count.
	Mean          *float64 `json:"mean"`
	MeanHalfWidth *float64 `json:"meanHalfWidth"`
	// Quantiles are the requested quantiles, non-decreasing.
	Quantiles []float64 `json:"quantiles"`
}

// ReleaseDistribution releases a summary of per-patient values and
// half-widths (same length) with the values clamped to vb and the
// half-widths to hb: a noisy count, means as noisy clamped sums over it,
// and quantiles qs by the exponential mechanism, sorted.
func (g *Guard) ReleaseDistribution(values, halfWidths []float64, qs []float64, vb, hb Bounds, n *Noise) (Distribution, error) {
	if len(values) != len(halfWidths) {
		return Distribution{}, fmt.Errorf("disclosure: %w: %d values and %d half-widths", store.ErrInvalid, len(values), len(halfWidths))
	}
	d := Distribution{Patients: roundCount(n.Count(len(values))), Quantiles: []float64{}}
	sum, hsum := 0.0, 0.0
	sorted := make([]float64, len(values))
	for i, v := range values {
		sorted[i] = vb.Clamp(v)
		sum += sorted[i]
		hsum += hb.Clamp(halfWidths[i])
	}
	sum = n.Gaussian(sum, vb.Sensitivity())
	hsum = n.Gaussian(hsum, hb.Sensitivity())
	sort.Float64s(sorted)
	eps := g.quantileEpsilon()
	for _, q := range qs {
		d.Quantiles = append(d.Quantiles, quantile(sorted, q, eps, vb.Low, vb.High, n))
	}
	if d.Patients < g.k {
		d.TooSmall, d.Quantiles = true, []float64{}
		return d, nil
	}
	sort.Float64s(d.Quantiles)
	m, h := vb.Clamp(sum/float64(d.Patients)), hb.Clamp(hsum/float64(d.Patients))
	d.Mean, d.MeanHalfWidth = &m, &h
	return d, nil
}

// MinimumError says a population drawn from stored patients is below the
// minimum size. It names no patient attribute.
type MinimumError struct{ K int }

func (e *MinimumError) Error() string {
	return fmt.Sprintf("fewer than %d stored patients match; populations, rankings and evaluations drawn from stored patients need at least %d", e.K, e.K)
}

// Code implements store.Coder.
func (e *MinimumError) Code() string { return CodeTooSmall }

// Is makes errors.Is(err, store.ErrInvalid) hold.
func (e *MinimumError) Is(target error) bool { return target == store.ErrInvalid }

// CodeTooSmall is the GraphQL error code of a population below the minimum.
const CodeTooSmall = "COHORT_TOO_SMALL"

// CheckMinimum returns a *MinimumError when n stored patients are fewer
// than k (k ≤ 0 means DefaultK): virtual twins, evaluations and response
// rankings drawn from stored patients call it before using them.
func CheckMinimum(n, k int) error {
	if k <= 0 {
		k = DefaultK
	}
	if n < k {
		return &MinimumError{K: k}
	}
	return nil
}

// CheckMinimum is CheckMinimum with the guard's K.
func (g *Guard) CheckMinimum(n int) error { return CheckMinimum(n, g.k) }

// ReleaseCounts releases independent counts (each patient in at most one
// of them, e.g. the patients a job skipped, by reason; cost: one count
// each when disjoint, else one per count a patient can fall in): noisy,
// rounded, and below K as nil with display "<K".
func (g *Guard) ReleaseCounts(exact []int, n *Noise) (counts []*int, displays []string) {
	counts, displays = make([]*int, len(exact)), make([]string, len(exact))
	for i, v := range exact {
		counts[i], displays[i] = g.shown(roundCount(n.Count(v)))
	}
	return counts, displays
}
