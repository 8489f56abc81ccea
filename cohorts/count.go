package cohorts

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// CohortCount is the contract's CohortCount: the number of patients meeting
// a criteria tree, its attrition and its breakdown, with small cells
// suppressed for callers who may not see exact counts (see doc.go).
type CohortCount struct {
	Count      *int            `json:"count"`
	Display    string          `json:"display"`
	Suppressed bool            `json:"suppressed"`
	Attrition  []AttritionStep `json:"attrition"`
	Breakdown  []BreakdownCell `json:"breakdown"`
	// Warnings name rules that cannot match what is stored (CountAsOf,
	// TrialMatchCount; see engine.go warnings). They state facts about
	// the whole store, so the API releases them only with exact counts.
	Warnings []string `json:"warnings,omitempty"`
}

// AttritionStep is one rule of a top-level all: the patients left after it
// (Remaining) and the patients meeting it alone (Alone). Display shows
// Remaining, or its suppressed form.
type AttritionStep struct {
	Rule      string `json:"rule"`
	Remaining *int   `json:"remaining"`
	Alone     *int   `json:"alone"`
	Display   string `json:"display"`
}

// BreakdownCell is the count of the cohort in one value of a dimension
// (sex, ageBand or race).
type BreakdownCell struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Count     *int   `json:"count"`
	Display   string `json:"display"`
}

// Displays of suppressed cells: primary suppression shows "<k"; a cell
// hidden only so that another cannot be recovered by subtraction shows
// complementaryDisplay.
const complementaryDisplay = "suppressed"

// cell is one count during suppression.
type cell struct {
	n       int
	primary bool
	comp    bool
}

func (c *cell) hidden() bool { return c.primary || c.comp }

func (s *Service) display(c *cell) (*int, string) {
	switch {
	case c.primary:
		return nil, "<" + strconv.Itoa(s.small)
	case c.comp:
		return nil, complementaryDisplay
	}
	n := c.n
	return &n, strconv.Itoa(n)
}

// Count returns how many patients meet the criteria, with attrition and
// breakdown. Without canSeeExact, small cells are suppressed (doc.go).
// It evaluates one index snapshot without holding any lock for the
// duration, refuses trees over Config.Limits (ComplexityError,
// QUERY_TOO_COMPLEX) before any work, and stops with the context's error
// (wrapped) when ctx ends.
func (s *Service) Count(ctx context.Context, c Criteria, canSeeExact bool) (CohortCount, error) {
	e, err := s.prepare(ctx, &c, nil)
	if err != nil {
		return CohortCount{}, err
	}
	return s.count(e, &c, canSeeExact)
}

// count evaluates c with e and builds the answer.
func (s *Service) count(e *evaluator, c *Criteria, canSeeExact bool) (CohortCount, error) {
	ix := e.ix
	type step struct {
		rule             string
		remaining, alone int
	}
	var steps []step
	var result *roaring.Bitmap
	if c.All != nil {
		var running *roaring.Bitmap
		allN := int(ix.all().GetCardinality())
		for i := range c.All {
			rule := &c.All[i]
			neg := rule.Not != nil
			if neg {
				rule = rule.Not
			}
			b, err := e.eval(rule)
			if err != nil {
				return CohortCount{}, err
			}
			alone := int(b.GetCardinality())
			switch {
			case neg && running == nil:
				running = roaring.AndNot(ix.all(), b)
			case neg:
				running.AndNot(b)
			case running == nil:
				running = b // eval always returns a bitmap the caller owns
			default:
				running.And(b)
			}
			if neg {
				alone = allN - alone
			}
			steps = append(steps, step{rule: c.All[i].Label(), remaining: int(running.GetCardinality()), alone: alone})
		}
		result = running
	} else {
		b, err := e.eval(c)
		if err != nil {
			return CohortCount{}, err
		}
		result = b
		n := int(b.GetCardinality())
		steps = append(steps, step{rule: c.Label(), remaining: n, alone: n})
	}
	total := int(result.GetCardinality())
	if err := e.stopped(); err != nil {
		return CohortCount{}, err
	}
	dims := s.breakdown(e, result)

	// Build cells and apply the suppression rule.
	tc := &cell{n: total}
	rem := make([]*cell, len(steps))
	alone := make([]*cell, len(steps))
	for i, st := range steps {
		rem[i] = &cell{n: st.remaining}
		alone[i] = &cell{n: st.alone}
	}
	if !canSeeExact {
		s.suppress(tc, rem, alone, dims)
	}
	out := CohortCount{Attrition: []AttritionStep{}, Breakdown: []BreakdownCell{}}
	out.Count, out.Display = s.display(tc)
	out.Suppressed = tc.hidden()
	for i, st := range steps {
		a := AttritionStep{Rule: st.rule}
		a.Remaining, a.Display = s.display(rem[i])
		a.Alone, _ = s.display(alone[i])
		out.Attrition = append(out.Attrition, a)
	}
	for _, d := range dims {
		for _, bc := range d.cells {
			cnt, disp := s.display(bc.c)
			out.Breakdown = append(out.Breakdown, BreakdownCell{Dimension: d.name, Value: bc.value, Count: cnt, Display: disp})
		}
	}
	return out, nil
}

type dimCell struct {
	value string
	c     *cell
}

type dimension struct {
	name  string
	cells []dimCell
}

// suppress applies the small-cell rule documented in doc.go.
func (s *Service) suppress(total *cell, rem, alone []*cell, dims []dimension) {
	k := s.small
	small := func(c *cell) {
		if c.n > 0 && c.n < k {
			c.primary = true
		}
	}
	// 1. Primary suppression of every count.
	small(total)
	for i := range rem {
		small(rem[i])
		small(alone[i])
	}
	for _, d := range dims {
		for _, dc := range d.cells {
			small(dc.c)
		}
	}
	// 2. Attrition: the last step equals the total. Walking back from it,
	// a shown remaining count must differ from the next shown one by 0 or
	// by at least k, so no step's exclusion count is a small difference.
	if n := len(rem); n > 0 {
		if total.hidden() {
			rem[n-1].primary = rem[n-1].primary || total.primary
			rem[n-1].comp = !rem[n-1].primary
		}
		last := -1
		for i := n - 1; i >= 0; i-- {
			if rem[i].hidden() {
				continue
			}
			if last >= 0 {
				if d := rem[i].n - last; d > 0 && d < k {
					rem[i].comp = true
					continue
				}
			}
			last = rem[i].n
		}
		// The first step's remaining equals its alone count.
		if rem[0].hidden() && !alone[0].hidden() {
			alone[0].comp = true
		}
	}
	// 3. Breakdown: within a dimension whose cells add up to the shown
	// total, the hidden cells together must number at least two and sum to
	// at least k; add the smallest shown non-zero cells (ties by value)
	// until they do.
	for _, d := range dims {
		if total.hidden() {
			for _, dc := range d.cells {
				if dc.c.n > 0 && !dc.c.hidden() {
					dc.c.comp = true
				}
			}
			continue
		}
		hidden, sum := 0, 0
		for _, dc := range d.cells {
			if dc.c.hidden() {
				hidden++
				sum += dc.c.n
			}
		}
		if hidden == 0 {
			continue
		}
		order := make([]dimCell, len(d.cells))
		copy(order, d.cells)
		sort.SliceStable(order, func(a, b int) bool {
			if order[a].c.n != order[b].c.n {
				return order[a].c.n < order[b].c.n
			}
			return order[a].value < order[b].value
		})
		for _, dc := range order {
			if hidden >= 2 && sum >= k {
				break
			}
			if dc.c.hidden() || dc.c.n == 0 {
				continue
			}
			dc.c.comp = true
			hidden++
			sum += dc.c.n
		}
	}
}

// ageBands are the breakdown's 10-year bands; the last is open.
var ageBands = []string{"0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+"}

// bandBitmaps returns one bitmap per age band at the index date, then one
// for an unknown birth date; cached until the index changes.
func (s *Service) bandBitmaps(e *evaluator) []*roaring.Bitmap {
	day := dayOf(e.at)
	ix := e.ix
	s.lazyMu.Lock()
	b, ok := ix.bandCache[day]
	s.lazyMu.Unlock()
	if ok {
		return b
	}
	var out []*roaring.Bitmap
	known := roaring.New()
	for i := range ageBands {
		mn := float64(10 * i)
		r := &Range{Min: &mn}
		if i < len(ageBands)-1 {
			mx := float64(10*i + 9)
			r.Max = &mx
		}
		lo, ls, hi, hs := birthBounds(r, e.at)
		b := ix.birthInterval(&s.lazyMu, lo, ls, hi, hs)
		if c, err := e.ageAtDeath(r, b); err == nil {
			b = c // patients who died before the index date: their band at death
		}
		known.Or(b)
		out = append(out, b)
	}
	out = append(out, roaring.AndNot(ix.all(), known))
	s.lazyMu.Lock()
	defer s.lazyMu.Unlock()
	if b, ok := ix.bandCache[day]; ok { // another reader finished first
		return b
	}
	if ix.bandCache == nil {
		ix.bandCache = map[int32][]*roaring.Bitmap{}
	}
	ix.bandCache[day] = out
	return out
}

// breakdown counts the result by sex, age band and race.
func (s *Service) breakdown(e *evaluator, result *roaring.Bitmap) []dimension {
	ix := e.ix
	var dims []dimension
	sex := dimension{name: "sex"}
	for _, v := range []string{"FEMALE", "MALE", "OTHER", "UNKNOWN"} {
		b := ix.get(keySex(v))
		if b.IsEmpty() {
			continue
		}
		sex.cells = append(sex.cells, dimCell{v, &cell{n: int(result.AndCardinality(b))}})
	}
	dims = append(dims, sex)
	age := dimension{name: "ageBand"}
	bands := s.bandBitmaps(e)
	for i, b := range bands {
		name := "unknown"
		if i < len(ageBands) {
			name = ageBands[i]
		}
		if i == len(ageBands) && b.IsEmpty() {
			continue
		}
		age.cells = append(age.cells, dimCell{name, &cell{n: int(result.AndCardinality(b))}})
	}
	dims = append(dims, age)
	race := dimension{name: "race"}
	var races []string
	for k := range ix.bm {
		if len(k) > 5 && k[:5] == "race|" && !ix.bm[k].IsEmpty() {
			races = append(races, k[5:])
		}
	}
	sort.Strings(races)
	for _, r := range races {
		race.cells = append(race.cells, dimCell{r, &cell{n: int(result.AndCardinality(ix.bm[keyRace(r)]))}})
	}
	dims = append(dims, race)
	return dims
}

func (s *Service) indexDate() time.Time {
	t := s.now().UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// PatientPage is one page of patient ids, sorted by id.
type PatientPage struct {
	IDs         []string `json:"ids"`
	Total       int      `json:"total"`
	EndCursor   *string  `json:"endCursor"`
	HasNextPage bool     `json:"hasNextPage"`
}

// PatientIDs returns the ids of patients meeting the criteria, sorted by
// id, first at most, after the cursor (an id; exclusive). The caller must
// hold patients:read and audit the read.
func (s *Service) PatientIDs(ctx context.Context, c Criteria, first int, after string) (PatientPage, error) {
	if first < 0 || first > 10000 {
		return PatientPage{}, invalidf("first", "must be between 0 and 10000, got %d", first)
	}
	e, err := s.prepare(ctx, &c, nil)
	if err != nil {
		return PatientPage{}, err
	}
	b, err := e.eval(&c)
	if err != nil {
		return PatientPage{}, err
	}
	ix := e.ix
	s.lazyMu.Lock() // ranks may be rebuilt
	rank, byRank := ix.ranks()
	s.lazyMu.Unlock()
	ranks := roaring.New()
	it := b.Iterator()
	buf := make([]uint32, 0, 1024)
	for it.HasNext() {
		buf = append(buf, rank[it.Next()])
		if len(buf) == cap(buf) {
			ranks.AddMany(buf)
			buf = buf[:0]
			if err := e.stopped(); err != nil {
				return PatientPage{}, err
			}
		}
	}
	ranks.AddMany(buf)
	page := PatientPage{IDs: []string{}, Total: int(b.GetCardinality())}
	start := uint32(0)
	if after != "" {
		start = uint32(sort.Search(len(byRank), func(i int) bool { return ix.ids[byRank[i]] > after }))
	}
	ri := ranks.Iterator()
	ri.AdvanceIfNeeded(start)
	for ri.HasNext() && len(page.IDs) < first {
		page.IDs = append(page.IDs, ix.ids[byRank[ri.Next()]])
	}
	page.HasNextPage = ri.HasNext()
	if len(page.IDs) > 0 {
		last := page.IDs[len(page.IDs)-1]
		page.EndCursor = &last
	}
	return page, nil
}
