package cohorts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/rxlab/rxlab/cohorts/vocab"
	"github.com/rxlab/rxlab/store"
)

// vocabulary is the vendored vocabulary (package vocab), loaded once and
// read-only, like the OncoTree derived from it.
var vocabulary = mustVocab()

func mustVocab() *vocab.Vocab {
	v, err := vocab.New(vocab.Config{})
	if err != nil {
		panic(fmt.Sprintf("cohorts: vendored vocabulary: %v", err)) // a build defect, caught by every test
	}
	return v
}

// codeTarget is one index key a condition or medication rule reads, with
// the stored code it stands for and the mapping that led to it.
type codeTarget struct {
	key  string // exact or descendant key (index.go)
	sys  string
	code string
	desc bool
	via  string
}

// codeTargets expands a condition (kind "c") or medication ("m") code rule
// through the vocabulary (vocab.Expand) into index keys: the query's own
// key, then every mapped code. TEXT rules are not expanded.
func codeTargets(kind string, c *Code) []codeTarget {
	sys, code, desc := queryCode(c)
	var out []codeTarget
	for _, t := range vocabulary.Expand(sys, code, desc) {
		d := t.Desc && (t.System == SysICD10 || t.System == SysATC || t.System == SysOncotree)
		if t.Via == "" {
			d = t.Desc // the query's own code (or a section's category)
		}
		k := keyCodeExact(kind, t.System, t.Code)
		if d {
			k = keyCodeDesc(kind, t.System, t.Code)
		}
		out = append(out, codeTarget{key: k, sys: t.System, code: t.Code, desc: d, via: t.Via})
	}
	return out
}

// expandCode returns a code rule's targets that the snapshot holds (keys
// with at least one patient), expanded once per query and memoized in the
// evaluator: the expansion never runs per patient.
func (e *evaluator) expandCode(kind string, c *Code) []codeTarget {
	mk := kind + "|" + strings.ToUpper(c.System) + "|" + c.Code
	if c.Descendants != nil && !*c.Descendants {
		mk += "|exact"
	}
	if ts, ok := e.expanded[mk]; ok {
		return ts
	}
	var out []codeTarget
	for _, t := range codeTargets(kind, c) {
		if b, ok := e.ix.bm[t.key]; ok && !b.IsEmpty() {
			out = append(out, t)
		}
	}
	if e.expanded == nil {
		e.expanded = map[string][]codeTarget{}
	}
	e.expanded[mk] = out
	return out
}

// codeShared is the read-only bitmap of a code rule without withinDays
// whose expansion is a single stored key (nil otherwise).
func (e *evaluator) codeShared(kind string, c *Code) *roaring.Bitmap {
	ts := e.expandCode(kind, c)
	switch len(ts) {
	case 0:
		return emptyBM
	case 1:
		return e.ix.get(ts[0].key)
	}
	return nil
}

// codeVocab evaluates a coded (not TEXT) condition or medication rule
// through its expansion.
func (e *evaluator) codeVocab(kind string, c *Code) (*roaring.Bitmap, error) {
	ts := e.expandCode(kind, c)
	if c.WithinDays == nil {
		parts := make([]*roaring.Bitmap, 0, len(ts))
		for _, t := range ts {
			parts = append(parts, e.ix.get(t.key))
		}
		if len(parts) == 1 {
			return parts[0].Clone(), nil
		}
		return roaring.FastOr(parts...), nil
	}
	var parts []*roaring.Bitmap
	var loose []codeTarget
	for _, t := range ts {
		if !t.desc || t.sys == SysSNOMED || t.sys == SysRxNorm {
			d, err := e.dated(keyCodeExact(kind, t.sys, t.code), *c.WithinDays)
			if err != nil {
				return nil, err
			}
			parts = append(parts, d)
		} else {
			loose = append(loose, t)
		}
	}
	if len(loose) > 0 { // prefix and subtree targets: one pass over the dated exact keys
		prefix := kind + "x|"
		i := 0
		for k := range e.ix.dates {
			if i++; i%checkEvery == 0 {
				if err := e.stopped(); err != nil {
					return nil, err
				}
			}
			if !strings.HasPrefix(k, prefix) {
				continue
			}
			sys, code, ok := strings.Cut(k[len(prefix):], "|")
			if ok && targetsMatch(loose, sys, code) != nil {
				d, err := e.dated(k, *c.WithinDays)
				if err != nil {
					return nil, err
				}
				parts = append(parts, d)
			}
		}
	}
	return roaring.FastOr(parts...), nil
}

// targetsMatch returns the first target a stored code falls under, or nil.
func targetsMatch(ts []codeTarget, sys, code string) *codeTarget {
	for i := range ts {
		if ts[i].sys == sys && codeMatches(sys, code, ts[i].code, ts[i].desc) {
			return &ts[i]
		}
	}
	return nil
}

// labGroupCols returns the index columns a lab rule reads: its own, and
// those of every LOINC code measuring the same test (vocab.LabGroup) in
// the same unit, in group order with the rule's own column first.
func labGroupCols(l *Lab, has func(string) bool) ([]string, error) {
	col, err := labQueryValue(l)
	if err != nil {
		return nil, err
	}
	codes, _ := vocabulary.LabGroup(l.Loinc)
	canon := ""
	if lu, ok := labUnits[l.Loinc]; ok {
		canon = lu.canonical
	} else if _, u, ok := strings.Cut(col, "|"); ok && u != "" {
		canon = u
	} else { // no unit given for a code outside the unit table: its group's unit
		for _, m := range codes {
			if lu, ok := labUnits[m]; ok {
				canon = lu.canonical
				col = l.Loinc + "|" + canon
				break
			}
		}
	}
	cols := []string{col}
	for _, m := range codes {
		if m == l.Loinc {
			continue
		}
		if lu, ok := labUnits[m]; ok && lu.canonical == canon {
			cols = append(cols, m)
		}
		if canon != "" {
			cols = append(cols, m+"|"+canon)
		}
	}
	out := cols[:1]
	for _, c := range cols[1:] {
		if has(c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// lab evaluates a lab rule on the most recent value of its test: with a
// group (eGFR by MDRD, CKD-EPI 2009 or 2021…), the most recent value under
// any of the group's codes (latest date wins; on a tie the rule's own
// code, then group order). Each column answers through its sorted view,
// restricted to the patients whose latest group value it holds
// (groupWinners, cached per index version).
func (e *evaluator) lab(l *Lab) (*roaring.Bitmap, error) {
	ix := e.ix
	_, v, err := labQuery(l)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, store.ErrInvalid)
	}
	cols, err := labGroupCols(l, func(c string) bool { _, ok := ix.labs[c]; return ok })
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, store.ErrInvalid)
	}
	var present []string
	for _, c := range cols {
		if _, ok := ix.labs[c]; ok {
			present = append(present, c)
		}
	}
	lo, ls, hi, hs := opBounds(l.Op, v)
	var win []*roaring.Bitmap
	if len(present) > 1 {
		if win, err = e.groupWinners(present); err != nil {
			return nil, err
		}
	}
	var parts []*roaring.Bitmap
	for i, c := range present {
		lc := ix.labs[c]
		b := lc.interval(&e.s.lazyMu, false, lo, ls, hi, hs)
		if l.WithinDays != nil {
			cut := float64(e.cutoff(*l.WithinDays))
			b.And(lc.interval(&e.s.lazyMu, true, &cut, false, nil, false))
		}
		if win != nil {
			b.And(win[i])
		}
		parts = append(parts, b)
	}
	switch len(parts) {
	case 0:
		return roaring.New(), nil
	case 1:
		return parts[0], nil
	}
	return roaring.FastOr(parts...), nil
}

// groupWinners returns, for each of a lab group's stored columns, the
// patients whose most recent value of the group is in that column (latest
// date; on a tie the earlier column). It is computed once per index
// version and cached (ix.groupWin, under lazyMu): patients with values in
// one column only are a bitmap difference; those with two or more are
// resolved one by one, once.
func (e *evaluator) groupWinners(cols []string) ([]*roaring.Bitmap, error) {
	ix := e.ix
	k := strings.Join(cols, "\x00")
	e.s.lazyMu.Lock()
	w, ok := ix.groupWin[k]
	e.s.lazyMu.Unlock()
	if ok {
		return w, nil
	}
	multi := roaring.New()
	for i := range cols {
		for j := i + 1; j < len(cols); j++ {
			multi.Or(roaring.And(ix.labs[cols[i]].has, ix.labs[cols[j]].has))
		}
	}
	w = make([]*roaring.Bitmap, len(cols))
	for i, c := range cols {
		w[i] = roaring.AndNot(ix.labs[c].has, multi)
	}
	it := multi.Iterator()
	for n := 0; it.HasNext(); n++ {
		if n%checkEvery == 0 {
			if err := e.stopped(); err != nil {
				return nil, err
			}
		}
		p := it.Next()
		best, bestDay := -1, int32(0)
		for i, c := range cols {
			lc := ix.labs[c]
			if lc.has.Contains(p) && (best < 0 || lc.day[p] > bestDay) {
				best, bestDay = i, lc.day[p]
			}
		}
		w[best].Add(p)
	}
	for _, b := range w {
		b.RunOptimize()
	}
	e.s.lazyMu.Lock()
	defer e.s.lazyMu.Unlock()
	if prev, ok := ix.groupWin[k]; ok { // another reader finished first
		return prev, nil
	}
	if ix.groupWin == nil {
		ix.groupWin = map[string][]*roaring.Bitmap{}
	}
	ix.groupWin[k] = w
	return w, nil
}

// labStored reports whether any column of a lab rule's group holds a value.
func (e *evaluator) labStored(l *Lab) bool {
	cols, err := labGroupCols(l, func(c string) bool { _, ok := e.ix.labs[c]; return ok })
	if err != nil {
		return true // validation reports it
	}
	for _, c := range cols {
		if lc, ok := e.ix.labs[c]; ok && lc.has != nil && !lc.has.IsEmpty() {
			return true
		}
	}
	return false
}

// targets expands a code rule for record evaluation, once per rule per
// explanation (memoized like the evaluator's expandCode).
func (r *recordEval) targets(medication bool, c *Code) []codeTarget {
	kind := "c"
	if medication {
		kind = "m"
	}
	mk := kind + "|" + strings.ToUpper(c.System) + "|" + c.Code
	if c.Descendants != nil && !*c.Descendants {
		mk += "|exact"
	}
	if ts, ok := r.expanded[mk]; ok {
		return ts
	}
	ts := codeTargets(kind, c)
	if r.expanded == nil {
		r.expanded = map[string][]codeTarget{}
	}
	r.expanded[mk] = ts
	return ts
}

// latestLab returns the index of the patient's most recent value of a lab
// rule's test under any LOINC code of its group, as the index sees it
// (each code's latest value, then the latest of those; on a tie the
// rule's own code, then group order); -1 when there is none.
func (r *recordEval) latestLab(p *Patient, l *Lab) int {
	cols, err := labGroupCols(l, func(string) bool { return true })
	if err != nil {
		return -1
	}
	latest := map[string]int{}
	for i, x := range p.Labs { // sorted by date; a later entry wins ties
		if c, _ := labColumn(x.Loinc, x.Value, x.Unit); slices.Contains(cols, c) {
			latest[c] = i
		}
	}
	best, bestDay := -1, int32(0)
	for _, c := range cols {
		i, ok := latest[c]
		if !ok {
			continue
		}
		d, ok := parseDay(p.Labs[i].Date)
		if !ok {
			d = noDay
		}
		if best < 0 || d > bestDay {
			best, bestDay = i, d
		}
	}
	return best
}
