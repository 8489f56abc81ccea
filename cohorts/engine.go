package cohorts

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/rxlab/rxlab/store"
)

// birthBounds converts an age range at the index date into a birth-day
// interval. A minimum of m years means born on or before the date m years
// before the index date (fractions of a year count 365.25 days); an
// integral maximum M means at most M completed years, i.e. born after the
// date M+1 years before; a fractional maximum is an exact bound.
func birthBounds(r *Range, at time.Time) (lo *float64, loStrict bool, hi *float64, hiStrict bool) {
	back := func(years float64) float64 {
		whole := math.Floor(years)
		frac := years - whole
		d := dayOf(at.AddDate(-int(whole), 0, 0))
		return float64(d) - math.Round(frac*365.25)
	}
	if r.Min != nil {
		h := back(*r.Min)
		hi = &h
	}
	if r.Max != nil {
		if *r.Max == math.Floor(*r.Max) {
			l := back(*r.Max + 1)
			lo, loStrict = &l, true
		} else {
			l := back(*r.Max)
			lo = &l
		}
	}
	return
}

func inBounds(x float64, lo *float64, loStrict bool, hi *float64, hiStrict bool) bool {
	if lo != nil && (x < *lo || (loStrict && x == *lo)) {
		return false
	}
	if hi != nil && (x > *hi || (hiStrict && x == *hi)) {
		return false
	}
	return true
}

// opBounds turns a comparator into interval bounds around v.
func opBounds(op string, v float64) (lo *float64, loStrict bool, hi *float64, hiStrict bool) {
	switch op {
	case "LT":
		return nil, false, &v, true
	case "LE":
		return nil, false, &v, false
	case "EQ":
		return &v, false, &v, false
	case "GE":
		return &v, false, nil, false
	case "GT":
		return &v, true, nil, false
	}
	return nil, false, nil, false
}

// evaluator evaluates criteria trees against one index snapshot. It
// checks its context at every node and inside loops over index keys.
type evaluator struct {
	s        *Service
	ctx      context.Context
	ix       *index
	at       time.Time
	resolved map[string]*SavedCohort    // saved-cohort references, resolved once by the cost check
	visiting map[string]bool            // saved cohorts being evaluated (cycle guard)
	memo     map[string]*roaring.Bitmap // saved cohorts evaluated by this request (read-only)
	expanded map[string][]codeTarget    // code rules expanded through the vocabulary (vocabulary.go), once per request
}

func (e *evaluator) cutoff(days int) int32 { return dayOf(e.at) - int32(days) }

// stopped returns the context's error, wrapped, once the caller is gone or
// the deadline passed; graphql maps context.DeadlineExceeded to TIMEOUT.
func (e *evaluator) stopped() error {
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("cohorts: evaluation stopped: %w", err)
	}
	return nil
}

// checkEvery is how many loop iterations pass between context checks.
const checkEvery = 4096

func (e *evaluator) eval(c *Criteria) (*roaring.Bitmap, error) {
	if err := e.stopped(); err != nil {
		return nil, err
	}
	ix := e.ix
	switch {
	case c.All != nil:
		// Negated children are subtracted from the intersection of the
		// others instead of being materialized as complements.
		var parts, negs []*roaring.Bitmap
		for i := range c.All {
			ch := &c.All[i]
			target := &parts
			if ch.Not != nil {
				ch, target = ch.Not, &negs
			}
			b, err := e.child(ch)
			if err != nil {
				return nil, err
			}
			*target = append(*target, b)
		}
		var out *roaring.Bitmap
		if len(parts) == 0 {
			out = ix.all().Clone()
		} else {
			sort.Slice(parts, func(a, b int) bool { return parts[a].GetCardinality() < parts[b].GetCardinality() })
			out = roaring.FastAnd(parts...)
		}
		for _, n := range negs {
			out.AndNot(n)
		}
		return out, nil
	case c.Any != nil:
		parts := make([]*roaring.Bitmap, len(c.Any))
		for i := range c.Any {
			b, err := e.child(&c.Any[i])
			if err != nil {
				return nil, err
			}
			parts[i] = b
		}
		return roaring.FastOr(parts...), nil
	case c.Not != nil:
		b, err := e.child(c.Not)
		if err != nil {
			return nil, err
		}
		return roaring.AndNot(ix.all(), b), nil
	case c.AtLeast != nil:
		return e.atLeast(c.AtLeast)
	case c.Age != nil:
		lo, ls, hi, hs := birthBounds(c.Age, e.at)
		return e.ageAtDeath(c.Age, e.birthInterval(lo, ls, hi, hs))
	case c.Alive != nil:
		dead, err := e.deadAt()
		if err != nil {
			return nil, err
		}
		if *c.Alive {
			return roaring.AndNot(ix.all(), dead), nil
		}
		return dead, nil
	case c.Sex != nil:
		var parts []*roaring.Bitmap
		for _, s := range c.Sex {
			parts = append(parts, ix.get(keySex(strings.ToUpper(s))))
		}
		return roaring.FastOr(parts...), nil
	case c.Race != nil:
		var parts []*roaring.Bitmap
		for _, r := range c.Race {
			parts = append(parts, ix.get(keyRace(normRace(r))))
		}
		return roaring.FastOr(parts...), nil
	case c.Condition != nil:
		return e.code("c", c.Condition)
	case c.Medication != nil:
		return e.code("m", c.Medication)
	case c.Lab != nil:
		return e.lab(c.Lab) // through the test's LOINC group (vocabulary.go)
	case c.Variant != nil:
		v := c.Variant
		gene := normGene(v.Gene)
		pc := "*"
		if v.ProteinChange != nil {
			exact, pos, _ := parseProtein(*v.ProteinChange)
			pc = pos
			if exact != "" {
				pc = exact
			}
		}
		if v.Exon != nil {
			pc = "x" + strconv.Itoa(*v.Exon)
		}
		origin := "*"
		if v.Origin != nil {
			origin = strings.ToUpper(*v.Origin)
		}
		classes := []string{"*"}
		if len(v.Classes) > 0 {
			classes = sortedUpper(v.Classes)
		}
		var parts []*roaring.Bitmap
		for _, cl := range classes {
			parts = append(parts, ix.get(keyVariant(gene, pc, cl, origin)))
		}
		return roaring.FastOr(parts...), nil
	case c.CNV != nil, c.Fusion != nil, c.TestedGene != nil, c.Biomarker != nil:
		return e.shared(c).Clone(), nil
	case c.Pgx != nil:
		g := normGene(c.Pgx.Gene)
		switch {
		case c.Pgx.ActivityScore != nil:
			prefix := "pa|" + g + "|"
			var parts []*roaring.Bitmap
			i := 0
			for k, b := range ix.bm {
				if i++; i%checkEvery == 0 {
					if err := e.stopped(); err != nil {
						return nil, err
					}
				}
				if !strings.HasPrefix(k, prefix) {
					continue
				}
				f, err := strconv.ParseFloat(k[len(prefix):], 64)
				if err == nil && inRange(f, c.Pgx.ActivityScore) {
					parts = append(parts, b)
				}
			}
			return roaring.FastOr(parts...), nil
		}
		return e.shared(c).Clone(), nil
	case c.Cohort != nil:
		return e.cohort(*c.Cohort)
	}
	return nil, fmt.Errorf("empty criteria node: %w", store.ErrInvalid)
}

// shared returns the index's own bitmap (read-only) for a leaf that is
// exactly one index key: cnv, fusion, testedGene, biomarker, pgx by
// phenotype, diplotype or gene, and condition or medication by code
// without withinDays. Other nodes give nil.
func (e *evaluator) shared(c *Criteria) *roaring.Bitmap {
	ix := e.ix
	switch {
	case c.CNV != nil:
		return ix.get(keyCNV(normGene(c.CNV.Gene), strings.ToUpper(c.CNV.Type)))
	case c.Fusion != nil:
		partner := "*"
		if c.Fusion.Partner != nil && strings.TrimSpace(*c.Fusion.Partner) != "" {
			partner = normGene(*c.Fusion.Partner)
		}
		return ix.get(keyFusion(normGene(c.Fusion.Gene), partner))
	case c.TestedGene != nil:
		return ix.get(keyTested(normGene(*c.TestedGene)))
	case c.Biomarker != nil:
		return ix.get(keyBiomarker(c.Biomarker.Name, c.Biomarker.Value))
	case c.Pgx != nil:
		g := normGene(c.Pgx.Gene)
		switch {
		case c.Pgx.Phenotype != nil:
			return ix.get(keyPgxPheno(g, *c.Pgx.Phenotype))
		case c.Pgx.Diplotype != nil:
			return ix.get(keyPgxDiplo(g, *c.Pgx.Diplotype))
		case c.Pgx.ActivityScore == nil:
			return ix.get(keyPgxAny(g))
		}
	case c.Condition != nil || c.Medication != nil:
		kind, cd := "c", c.Condition
		if cd == nil {
			kind, cd = "m", c.Medication
		}
		if strings.EqualFold(cd.System, SysText) || cd.WithinDays != nil {
			return nil
		}
		return e.codeShared(kind, cd) // one stored key after vocabulary expansion, else nil
	}
	return nil
}

// child evaluates c for read-only use by an aggregate (union,
// intersection, difference, counter): a one-key leaf is the index's own
// bitmap, not a copy.
func (e *evaluator) child(c *Criteria) (*roaring.Bitmap, error) {
	if b := e.shared(c); b != nil {
		if err := e.stopped(); err != nil {
			return nil, err
		}
		return b, nil
	}
	return e.eval(c)
}

// birthInterval answers a birth-day range; the view is built lazily under
// lazyMu, so concurrent readers never race on it.
// keyDead holds every patient known to have died; the index's code-date
// map under the same key holds the death day of those with a known date.
const keyDead = "vital|dead"

// deadAt is the patients dead at the index date: flagged deceased without
// a date, or with a death date on or before it. Cost: one pass over the
// dated deaths.
func (e *evaluator) deadAt() (*roaring.Bitmap, error) {
	dead := e.ix.get(keyDead).Clone()
	day := dayOf(e.at)
	i := 0
	for p, d := range e.ix.dates[keyDead] {
		if i++; i%4096 == 0 {
			if err := e.ctx.Err(); err != nil {
				return nil, fmt.Errorf("cohorts: evaluation stopped: %w", err)
			}
		}
		if d > day {
			dead.Remove(p)
		}
	}
	return dead, nil
}

// ageAtDeath corrects an age answer b (ages at the index date) for the
// patients who died before the index date: their age is their age at
// death. Deaths without a date keep the index date (nothing better is
// known). b is the caller's; it is cloned before the first change.
func (e *evaluator) ageAtDeath(r *Range, b *roaring.Bitmap) (*roaring.Bitmap, error) {
	day := dayOf(e.at)
	owned := false
	i := 0
	for p, d := range e.ix.dates[keyDead] {
		if i++; i%4096 == 0 {
			if err := e.ctx.Err(); err != nil {
				return nil, fmt.Errorf("cohorts: evaluation stopped: %w", err)
			}
		}
		if d >= day || int(p) >= len(e.ix.birth) || e.ix.birth[p] == noDay {
			continue
		}
		lo, ls, hi, hs := birthBounds(r, dayTime(d))
		in := inBounds(float64(e.ix.birth[p]), lo, ls, hi, hs)
		if in == b.Contains(p) {
			continue
		}
		if !owned {
			b, owned = b.Clone(), true
		}
		if in {
			b.Add(p)
		} else {
			b.Remove(p)
		}
	}
	return b, nil
}

// ageDate is the date a patient's age is taken at for index date at: at,
// or the death date when the patient died before it.
func ageDate(p *Patient, at time.Time) time.Time {
	if d, ok := parseDay(p.DeathDate); ok && d < dayOf(at) {
		return dayTime(d)
	}
	return at
}

// aliveAt says whether the patient was alive at the index date.
func aliveAt(p *Patient, at time.Time) bool {
	if d, ok := parseDay(p.DeathDate); ok {
		return d > dayOf(at)
	}
	return !p.Deceased
}

func (e *evaluator) birthInterval(lo *float64, ls bool, hi *float64, hs bool) *roaring.Bitmap {
	return e.ix.birthInterval(&e.s.lazyMu, lo, ls, hi, hs)
}

func inRange(x float64, r *Range) bool {
	if r.Min != nil && x < *r.Min {
		return false
	}
	if r.Max != nil && x > *r.Max {
		return false
	}
	return true
}

// codeMatches reports whether a stored (normalized) code falls under a
// query code for the system: prefix for ICD-10-CM and ATC, the tree for
// OncoTree, equality otherwise.
func codeMatches(sys, stored, query string, desc bool) bool {
	if !desc {
		return stored == query
	}
	switch sys {
	case SysICD10, SysATC:
		return strings.HasPrefix(stored, query)
	case SysOncotree:
		return onco.isDescendant(stored, query)
	}
	return stored == query
}

func queryCode(c *Code) (sys, code string, desc bool) {
	sys = strings.ToUpper(c.System)
	code = normCode(sys, c.Code)
	if sys == SysOncotree {
		code = onco.oncoCode(c.Code)
	}
	desc = c.Descendants == nil || *c.Descendants
	return
}

// code evaluates a condition or medication leaf.
func (e *evaluator) code(kind string, c *Code) (*roaring.Bitmap, error) {
	ix := e.ix
	if strings.EqualFold(c.System, SysText) {
		needle := strings.ToLower(strings.TrimSpace(c.Code))
		prefix := kind + "t|"
		var parts []*roaring.Bitmap
		i := 0
		for k, b := range ix.bm {
			if i++; i%checkEvery == 0 {
				if err := e.stopped(); err != nil {
					return nil, err
				}
			}
			if strings.HasPrefix(k, prefix) && strings.Contains(k[len(prefix):], needle) {
				if c.WithinDays != nil {
					d, err := e.dated(k, *c.WithinDays)
					if err != nil {
						return nil, err
					}
					parts = append(parts, d)
				} else {
					parts = append(parts, b)
				}
			}
		}
		return roaring.FastOr(parts...), nil
	}
	return e.codeVocab(kind, c) // through the vocabulary (vocabulary.go)
}

// dated returns the patients whose latest record under key is dated on or
// after the cutoff.
func (e *evaluator) dated(key string, days int) (*roaring.Bitmap, error) {
	cut := e.cutoff(days)
	var ps []uint32
	i := 0
	for p, d := range e.ix.dates[key] {
		if i++; i%checkEvery == 0 {
			if err := e.stopped(); err != nil {
				return nil, err
			}
		}
		if d >= cut {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	b := roaring.New()
	b.AddMany(ps)
	return b, nil
}

// atLeast evaluates an at-least-n-of-k node: n = 0 is everyone, n = 1 the
// union, n = k the intersection, a tiny node the ladder, anything else
// the bit-sliced counter (atleast.go). The rules are evaluated one at a
// time and dropped after they are counted.
func (e *evaluator) atLeast(a *AtLeast) (*roaring.Bitmap, error) {
	n, k := a.N, len(a.Of)
	next := func(i int) (*roaring.Bitmap, error) { return e.child(&a.Of[i]) }
	switch {
	case n <= 0:
		return e.ix.all().Clone(), nil
	case n == 1:
		return e.eval(&Criteria{Any: a.Of})
	case n >= k:
		return e.eval(&Criteria{All: a.Of})
	case n*k <= ladderMax:
		return ladder(e.ix.all(), n, k, next)
	}
	return countAtLeast(len(e.ix.ids), n, k, next)
}

// ParseAsOf reads an index date (YYYY-MM-DD, 1800-01-01 … 2200-12-31);
// "" is nil (today).
func ParseAsOf(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 1800 || t.Year() > 2200 {
		return nil, fmt.Errorf("asOf: want a date YYYY-MM-DD between 1800 and 2200: %w", store.ErrInvalid)
	}
	return &t, nil
}

// CountAsOf is Count with the index date set to asOf (nil: today): ages,
// withinDays windows, vital status and saved cohorts are all evaluated at
// that date.
func (s *Service) CountAsOf(ctx context.Context, c Criteria, canSeeExact bool, asOf *time.Time) (CohortCount, error) {
	e, err := s.prepare(ctx, &c, nil)
	if err != nil {
		return CohortCount{}, err
	}
	if asOf != nil {
		e.at = *asOf
	}
	cc, err := s.count(e, &c, canSeeExact)
	if err != nil {
		return CohortCount{}, err
	}
	if cc.Warnings, err = e.warnings(&c); err != nil {
		return CohortCount{}, err
	}
	return cc, nil
}

// maxWarnRules bounds the distinct rules one query checks for warnings.
const maxWarnRules = 200

// warnings names the code and lab rules of c (negated ones included) that
// no stored record can meet: a condition or medication code no record
// carries (nor one below it, when descendants), a lab test with no stored
// value. Such a rule silently selects nobody (or, negated, removes
// nobody). The messages name the rule, never a patient. At most
// maxWarnRules distinct rules are checked (one bitmap evaluation each).
func (e *evaluator) warnings(c *Criteria) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	var walk func(c *Criteria) error
	walk = func(c *Criteria) error {
		if len(seen) >= maxWarnRules {
			return nil
		}
		var kids []Criteria
		switch {
		case c.All != nil:
			kids = c.All
		case c.Any != nil:
			kids = c.Any
		case c.AtLeast != nil:
			kids = c.AtLeast.Of
		case c.Not != nil:
			return walk(c.Not)
		case c.Condition != nil || c.Medication != nil:
			probe := Criteria{}
			if c.Condition != nil {
				x := *c.Condition
				x.WithinDays = nil
				probe.Condition = &x
			} else {
				x := *c.Medication
				x.WithinDays = nil
				probe.Medication = &x
			}
			l := probe.Label()
			if seen[l] {
				return nil
			}
			seen[l] = true
			b, err := e.eval(&probe)
			if err != nil {
				return err
			}
			if b.IsEmpty() {
				out = append(out, l+": no stored record carries this code, one below it or one it maps to, so the rule selects nobody (and, negated, removes nobody)")
			}
		case c.Lab != nil:
			l := "lab " + c.Lab.Loinc
			if seen[l] {
				return nil
			}
			seen[l] = true
			if !e.labStored(c.Lab) {
				out = append(out, l+": no stored value of this test (under any of its LOINC codes), so the rule selects nobody")
			}
		}
		for i := range kids {
			if err := walk(&kids[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(c); err != nil {
		return nil, err
	}
	return out, nil
}
