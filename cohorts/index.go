package cohorts

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// A sorted view answers a range of sorted positions with two levels of
// precomputed bitmaps: cumulative prefixes every coarseSize entries (a
// range's middle is one ANDNOT of two prefixes) and buckets of fineSize
// entries for the edges; at most 2*fineSize entries are added one by one.
const (
	fineSize   = 1024
	coarseSize = 64 * fineSize
)

// sview is a numeric column sorted by value.
type sview struct {
	keys     []float64
	pids     []uint32
	buckets  []*roaring.Bitmap // buckets[b] = pids at positions [b*fineSize, (b+1)*fineSize)
	prefixes []*roaring.Bitmap // prefixes[k] = pids at positions [0, k*coarseSize)
}

func newView(keys []float64, pids []uint32) *sview {
	type entry struct {
		k float64
		p uint32
	}
	es := make([]entry, len(keys))
	for i := range keys {
		es[i] = entry{keys[i], pids[i]}
	}
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case a.k < b.k:
			return -1
		case a.k > b.k:
			return 1
		case a.p < b.p:
			return -1
		case a.p > b.p:
			return 1
		}
		return 0
	})
	v := &sview{keys: make([]float64, len(keys)), pids: make([]uint32, len(keys))}
	for i, e := range es {
		v.keys[i], v.pids[i] = e.k, e.p
	}
	for lo := 0; lo < len(v.pids); lo += fineSize {
		hi := min(lo+fineSize, len(v.pids))
		b := roaring.New()
		b.AddMany(sortedCopy(v.pids[lo:hi]))
		v.buckets = append(v.buckets, b)
	}
	acc := roaring.New()
	v.prefixes = append(v.prefixes, acc.Clone())
	for k := 1; k*coarseSize <= len(v.pids); k++ {
		acc.AddMany(sortedCopy(v.pids[(k-1)*coarseSize : k*coarseSize]))
		c := acc.Clone()
		c.RunOptimize()
		v.prefixes = append(v.prefixes, c)
	}
	return v
}

// bound returns the first index whose key is >= x (strict=false) or > x (strict=true).
func (v *sview) bound(x float64, strict bool) int {
	if strict {
		return sort.Search(len(v.keys), func(i int) bool { return v.keys[i] > x })
	}
	return sort.Search(len(v.keys), func(i int) bool { return v.keys[i] >= x })
}

// span returns the patients at sorted positions [i, j).
func (v *sview) span(i, j int) *roaring.Bitmap {
	if i >= j {
		return roaring.New()
	}
	var parts []*roaring.Bitmap
	var loose []uint32
	fine := func(i, j int) {
		if i >= j {
			return
		}
		fi := (i + fineSize - 1) / fineSize
		fj := j / fineSize
		if fi >= fj {
			loose = append(loose, v.pids[i:j]...)
			return
		}
		parts = append(parts, v.buckets[fi:fj]...)
		loose = append(loose, v.pids[i:fi*fineSize]...)
		loose = append(loose, v.pids[fj*fineSize:j]...)
	}
	ci := (i + coarseSize - 1) / coarseSize
	cj := j / coarseSize
	if ci < cj {
		parts = append(parts, roaring.AndNot(v.prefixes[cj], v.prefixes[ci]))
		fine(i, ci*coarseSize)
		fine(cj*coarseSize, j)
	} else {
		fine(i, j)
	}
	var out *roaring.Bitmap
	switch len(parts) {
	case 0:
		out = roaring.New()
	case 1:
		out = parts[0].Clone()
	default:
		out = roaring.FastOr(parts...)
	}
	if len(loose) > 0 {
		slices.Sort(loose)
		out.AddMany(loose)
	}
	return out
}

func sortedCopy(p []uint32) []uint32 {
	c := append([]uint32(nil), p...)
	slices.Sort(c)
	return c
}

// interval returns the patients whose key lies between lo and hi; nil
// bounds are open, strict bounds exclude the bound itself.
func (v *sview) interval(lo *float64, loStrict bool, hi *float64, hiStrict bool) *roaring.Bitmap {
	i, j := 0, len(v.keys)
	if lo != nil {
		i = v.bound(*lo, loStrict)
	}
	if hi != nil {
		j = v.bound(*hi, !hiStrict)
	}
	return v.span(i, j)
}

// labCol holds the most recent value of one lab column per patient.
type labCol struct {
	val   []float64 // NaN when the patient has no value
	day   []int32
	has   *roaring.Bitmap
	byVal *sview
	byDay *sview
	stale *roaring.Bitmap // patients changed since the views were built
}

func (c *labCol) grow(n int) {
	for len(c.val) < n {
		c.val = append(c.val, math.NaN())
		c.day = append(c.day, noDay)
	}
}

// staleLimit is how many changed patients a sorted view tolerates before
// it is rebuilt; below it, queries correct the view for those patients.
func staleLimit(n int) uint64 { return uint64(max(4096, n/32)) }

func (c *labCol) views() (*sview, *sview) {
	if c.byVal == nil || c.stale.GetCardinality() > staleLimit(len(c.val)) {
		keys := make([]float64, 0, c.has.GetCardinality())
		days := make([]float64, 0, cap(keys))
		pids := make([]uint32, 0, cap(keys))
		it := c.has.Iterator()
		for it.HasNext() {
			p := it.Next()
			keys = append(keys, c.val[p])
			days = append(days, float64(c.day[p]))
			pids = append(pids, p)
		}
		c.byVal = newView(keys, pids)
		c.byDay = newView(days, pids)
		c.stale = roaring.New()
	}
	return c.byVal, c.byDay
}

// interval answers a range on the value (byDay false) or date (byDay
// true) of the most recent result, correcting the sorted view for the
// patients changed since it was built. lazy (Service.lazyMu) is held only
// to fetch or build the views: a published column's values, presence set
// and stale set never change, and a rebuild replaces views and stale set
// instead of changing them, so the range itself is computed unlocked.
func (c *labCol) interval(lazy *sync.Mutex, byDay bool, lo *float64, ls bool, hi *float64, hs bool) *roaring.Bitmap {
	lazy.Lock()
	vv, dv := c.views()
	stale := c.stale
	lazy.Unlock()
	v := vv
	if byDay {
		v = dv
	}
	b := v.interval(lo, ls, hi, hs)
	if !stale.IsEmpty() {
		b.AndNot(stale)
		it := stale.Iterator()
		for it.HasNext() {
			p := it.Next()
			if !c.has.Contains(p) {
				continue
			}
			x := c.val[p]
			if byDay {
				x = float64(c.day[p])
			}
			if inBounds(x, lo, ls, hi, hs) {
				b.Add(p)
			}
		}
	}
	return b
}

// labFact is a patient's most recent value in one lab column.
type labFact struct {
	col string
	v   float64
	day int32
}

// feat is everything the index knows about one patient, derived from the
// record by features.
type feat struct {
	id    string
	keys  []string
	birth int32
	labs  []labFact
	dates map[string]int32 // exact or text code key → latest date
}

// index is the in-memory query structure: one bitmap per coded value, a
// birth-date column, lab columns and code-date columns, over dense patient
// numbers.
//
// A published index (Service.snapshot) is immutable: readers use it
// without a lock. Only its lazily built views (birthView, birthStale,
// labCol views, bandCache, rank) change after publication, under
// Service.lazyMu. A writer changes a private copy (cloneForWrite), which
// copies each part on its first change (own records what it copied), and
// publishes it whole; see snapshot.go.
type index struct {
	ids        []string // append-only; versions share the backing array
	byID       map[string]uint32
	rank       []uint32 // rank[pid] = position of ids[pid] in id order; nil when stale
	byRank     []uint32 // byRank[r] = pid
	bm         map[string]*roaring.Bitmap
	birth      []int32
	birthView  *sview
	birthStale *roaring.Bitmap // patients whose birth date changed since birthView was built
	labs       map[string]*labCol
	dates      map[string]map[uint32]int32
	gen        uint64 // set by Service.publish; strictly increasing per Service

	// dirtyKeys and dirtyPids name what the next flush writes. They belong
	// to the write path (guarded by Service.imu) and are shared by every
	// version of the index; readers never touch them.
	dirtyKeys map[string]bool
	dirtyPids map[uint32]bool
	bandCache map[int32][]*roaring.Bitmap
	groupWin  map[string][]*roaring.Bitmap // lab-group columns → per column, the patients whose latest value of the group is in it (vocabulary.go)

	own  *owned      // nil: everything is private (a fresh index); else what this copy owns
	lazy *sync.Mutex // guards the lazy views of a published index (Service.lazyMu)
}

// owned records which parts a copy-on-write index has already copied.
type owned struct {
	bm, labs, dates   map[string]bool
	byID, birth, bStl bool
}

func newIndex() *index {
	return &index{
		byID:      map[string]uint32{},
		bm:        map[string]*roaring.Bitmap{},
		labs:      map[string]*labCol{},
		dates:     map[string]map[uint32]int32{},
		dirtyKeys: map[string]bool{},
		dirtyPids: map[uint32]bool{},
	}
}

// cloneForWrite returns a private copy of a published index sharing every
// part until it is changed. The caller holds ix.lazy (the source's lazy
// views may be rebuilt concurrently otherwise).
func (ix *index) cloneForWrite() *index {
	return &index{
		ids: ix.ids, byID: ix.byID, rank: ix.rank, byRank: ix.byRank,
		bm: maps.Clone(ix.bm), birth: ix.birth, birthView: ix.birthView, birthStale: ix.birthStale,
		labs: maps.Clone(ix.labs), dates: maps.Clone(ix.dates), gen: ix.gen,
		dirtyKeys: ix.dirtyKeys, dirtyPids: ix.dirtyPids,
		own:  &owned{bm: map[string]bool{}, labs: map[string]bool{}, dates: map[string]bool{}},
		lazy: ix.lazy,
	}
}

// wbm returns a writable bitmap for key, creating it when absent.
func (ix *index) wbm(k string) *roaring.Bitmap {
	b, ok := ix.bm[k]
	switch {
	case !ok:
		b = roaring.New()
		ix.bm[k] = b
	case ix.own != nil && !ix.own.bm[k]:
		b = b.Clone()
		ix.bm[k] = b
	default:
		return b
	}
	if ix.own != nil {
		ix.own.bm[k] = true
	}
	return b
}

// wlab returns a writable lab column, creating it when absent.
func (ix *index) wlab(col string) *labCol {
	c, ok := ix.labs[col]
	switch {
	case !ok:
		c = &labCol{has: roaring.New(), stale: roaring.New()}
	case ix.own != nil && !ix.own.labs[col]:
		ix.lazy.Lock() // a reader may be rebuilding the shared column's views
		c = &labCol{val: slices.Clone(c.val), day: slices.Clone(c.day), has: c.has.Clone(),
			byVal: c.byVal, byDay: c.byDay, stale: c.stale.Clone()}
		ix.lazy.Unlock()
	default:
		return c
	}
	ix.labs[col] = c
	if ix.own != nil {
		ix.own.labs[col] = true
	}
	return c
}

// wdates returns a writable code-date map for key, creating it when absent.
func (ix *index) wdates(k string) map[uint32]int32 {
	m, ok := ix.dates[k]
	switch {
	case !ok:
		m = map[uint32]int32{}
	case ix.own != nil && !ix.own.dates[k]:
		m = maps.Clone(m)
	default:
		return m
	}
	ix.dates[k] = m
	if ix.own != nil {
		ix.own.dates[k] = true
	}
	return m
}

// wbirth makes the birth column (and its staleness set) writable.
func (ix *index) wbirth() {
	if ix.own == nil || ix.own.birth {
		return
	}
	ix.birth = slices.Clone(ix.birth)
	if ix.birthStale != nil {
		ix.birthStale = ix.birthStale.Clone()
	}
	ix.own.birth = true
}

var emptyBM = roaring.New()

// get returns the bitmap of key (read-only), or an empty bitmap.
func (ix *index) get(key string) *roaring.Bitmap {
	if b, ok := ix.bm[key]; ok {
		return b
	}
	return emptyBM
}

func (ix *index) all() *roaring.Bitmap { return ix.get(keyAll) }

// pid returns the dense number of id, assigning a new one when asked.
func (ix *index) pid(id string, create bool) (uint32, bool) {
	if p, ok := ix.byID[id]; ok {
		return p, true
	}
	if !create {
		return 0, false
	}
	if ix.own != nil && !ix.own.byID {
		ix.byID = maps.Clone(ix.byID)
		ix.own.byID = true
	}
	ix.wbirth()
	p := uint32(len(ix.ids))
	ix.ids = append(ix.ids, id)
	ix.byID[id] = p
	ix.birth = append(ix.birth, noDay)
	ix.rank, ix.byRank = nil, nil
	return p, true
}

// remove takes a patient's features out of the index.
func (ix *index) remove(p uint32, f *feat) {
	for _, k := range f.keys {
		if _, ok := ix.bm[k]; ok {
			ix.wbm(k).Remove(p)
			ix.dirtyKeys[k] = true
		}
	}
	ix.wbirth()
	ix.birth[p] = noDay
	if ix.birthStale != nil {
		ix.birthStale.Add(p)
	}
	for _, l := range f.labs {
		if _, ok := ix.labs[l.col]; ok {
			c := ix.wlab(l.col)
			c.val[p], c.day[p] = math.NaN(), noDay
			c.has.Remove(p)
			c.stale.Add(p)
		}
	}
	for k := range f.dates {
		if _, ok := ix.dates[k]; ok {
			delete(ix.wdates(k), p)
		}
	}
	ix.dirtyPids[p] = true
	ix.bandCache = nil
	ix.groupWin = nil
}

// setColumns stores a patient's lab values and code dates in the numeric
// columns; stale marks the lab columns for re-sorting (a change, not a load).
func (ix *index) setColumns(p uint32, f *feat, stale bool) {
	for _, l := range f.labs {
		c := ix.wlab(l.col)
		c.grow(len(ix.ids))
		c.val[p], c.day[p] = l.v, l.day
		c.has.Add(p)
		if stale {
			c.stale.Add(p)
		}
	}
	for k, d := range f.dates {
		ix.wdates(k)[p] = d
	}
}

// add puts a patient's features into the index.
func (ix *index) add(p uint32, f *feat) {
	for _, k := range f.keys {
		ix.wbm(k).Add(p)
		ix.dirtyKeys[k] = true
	}
	ix.wbirth()
	ix.birth[p] = f.birth
	if ix.birthStale != nil {
		ix.birthStale.Add(p)
	}
	ix.setColumns(p, f, true)
	ix.dirtyPids[p] = true
	ix.bandCache = nil
	ix.groupWin = nil
}

func (ix *index) birthSorted() *sview {
	if ix.birthView == nil || ix.birthStale.GetCardinality() > staleLimit(len(ix.birth)) {
		keys := make([]float64, 0, len(ix.birth))
		pids := make([]uint32, 0, len(ix.birth))
		for p, b := range ix.birth {
			if b != noDay {
				keys = append(keys, float64(b))
				pids = append(pids, uint32(p))
			}
		}
		ix.birthView = newView(keys, pids)
		ix.birthStale = roaring.New()
	}
	return ix.birthView
}

// birthInterval answers a birth-day range, correcting the sorted view for
// patients changed since it was built. lazy (Service.lazyMu) is held only
// to fetch or build the view (see labCol.interval).
func (ix *index) birthInterval(lazy *sync.Mutex, lo *float64, ls bool, hi *float64, hs bool) *roaring.Bitmap {
	lazy.Lock()
	view := ix.birthSorted()
	stale := ix.birthStale
	lazy.Unlock()
	b := view.interval(lo, ls, hi, hs)
	if !stale.IsEmpty() {
		b.AndNot(stale)
		it := stale.Iterator()
		for it.HasNext() {
			p := it.Next()
			if d := ix.birth[p]; d != noDay && inBounds(float64(d), lo, ls, hi, hs) {
				b.Add(p)
			}
		}
	}
	return b
}

// ranks returns rank and byRank, rebuilding them after new patients.
func (ix *index) ranks() ([]uint32, []uint32) {
	if ix.rank == nil || len(ix.rank) != len(ix.ids) {
		byRank := make([]uint32, len(ix.ids))
		for i := range byRank {
			byRank[i] = uint32(i)
		}
		sort.Slice(byRank, func(a, b int) bool { return ix.ids[byRank[a]] < ix.ids[byRank[b]] })
		rank := make([]uint32, len(ix.ids))
		for r, p := range byRank {
			rank[p] = uint32(r)
		}
		ix.rank, ix.byRank = rank, byRank
	}
	return ix.rank, ix.byRank
}

// Keys of the index. Every key is a namespace, '|' and parts.
const keyAll = "all"

func keySex(s string) string  { return "sex|" + s }
func keyRace(r string) string { return "race|" + r }

// code keys: kind is "c" (condition) or "m" (medication).
func keyCodeExact(kind, sys, code string) string { return kind + "x|" + sys + "|" + code }
func keyCodeDesc(kind, sys, code string) string  { return kind + "p|" + sys + "|" + code }
func keyCodeText(kind, name string) string       { return kind + "t|" + strings.ToLower(name) }

func keyVariant(gene, pc, class, origin string) string {
	return "v|" + gene + "|" + pc + "|" + class + "|" + origin
}
func keyTested(g string) string          { return "tg|" + g }
func keyCNV(g, t string) string          { return "cnv|" + g + "|" + t }
func keyFusion(g, partner string) string { return "fu|" + g + "|" + partner }
func keyPgxAny(g string) string          { return "pg|" + g }
func keyPgxPheno(g, ph string) string {
	return "pp|" + g + "|" + strings.ToLower(strings.TrimSpace(ph))
}
func keyPgxDiplo(g, d string) string { return "pd|" + g + "|" + normDiplotype(d) }
func keyPgxScore(g, s string) string { return "pa|" + g + "|" + s }
func keyBiomarker(name, val string) string {
	return "bm|" + strings.ToUpper(name) + "|" + strings.ToUpper(val)
}

// conditionCodes returns the patient's conditions plus the OncoTree codes
// derived from ICD-10-CM and SNOMED CT diagnoses through the OncoTree map
// (cohorts/vocab/curated/oncotree_map.tsv).
func conditionCodes(p *Patient) []ClinicalCode {
	out := p.Conditions
	extra := false
	for _, c := range p.Conditions {
		if oc, ok := onco.derive(c.System, c.Code); ok {
			if !extra {
				out = append([]ClinicalCode(nil), p.Conditions...)
				extra = true
			}
			out = append(out, ClinicalCode{System: SysOncotree, Code: oc, Display: "derived from " + c.System + " " + c.Code, Date: c.Date})
		}
	}
	return out
}

// codeKeys returns the bitmap keys of one coded record.
func codeKeys(kind string, c ClinicalCode, add func(string)) {
	add(keyCodeExact(kind, c.System, c.Code))
	switch c.System {
	case SysICD10, SysATC:
		for l := 1; l <= len(c.Code); l++ {
			add(keyCodeDesc(kind, c.System, c.Code[:l]))
		}
	case SysOncotree:
		for _, a := range onco.ancestors(c.Code) {
			add(keyCodeDesc(kind, c.System, a))
		}
	default:
		add(keyCodeDesc(kind, c.System, c.Code))
	}
	if c.Display != "" {
		add(keyCodeText(kind, c.Display))
	}
}

// features derives the index features of a patient record.
func features(p *Patient) *feat {
	f := &feat{id: p.ID, birth: noDay, dates: map[string]int32{}}
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			f.keys = append(f.keys, k)
		}
	}
	add(keyAll)
	add(keySex(p.Sex))
	add(keyRace(normRace(p.Race)))
	if d, ok := parseDay(p.BirthDate); ok {
		f.birth = d
	}
	if p.Deceased || p.DeathDate != "" {
		add(keyDead) // vital status: see engine.go deadAt
		if d, ok := parseDay(p.DeathDate); ok {
			f.dates[keyDead] = d
		}
	}
	for kind, list := range map[string][]ClinicalCode{"c": conditionCodes(p), "m": p.Medications} {
		for _, c := range list {
			codeKeys(kind, c, add)
			d, ok := parseDay(c.Date)
			if !ok {
				continue
			}
			for _, k := range []string{keyCodeExact(kind, c.System, c.Code), keyCodeText(kind, c.Display)} {
				if k == kind+"t|" {
					continue
				}
				if old, ok := f.dates[k]; !ok || d > old {
					f.dates[k] = d
				}
			}
		}
	}
	latest := map[string]int{}
	for i, l := range p.Labs { // sorted by date; a later entry wins ties
		col, _ := labColumn(l.Loinc, l.Value, l.Unit)
		latest[col] = i
	}
	cols := make([]string, 0, len(latest))
	for c := range latest {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, col := range cols {
		l := p.Labs[latest[col]]
		_, v := labColumn(l.Loinc, l.Value, l.Unit)
		d, ok := parseDay(l.Date)
		if !ok {
			d = noDay
		}
		f.labs = append(f.labs, labFact{col: col, v: v, day: d})
	}
	for _, v := range p.Variants {
		pcs := []string{"*"}
		if v.ProteinChange != "" {
			if exact, pos, ok := parseProtein(v.ProteinChange); ok {
				if exact != "" {
					pcs = append(pcs, exact)
				}
				pcs = append(pcs, pos)
			}
		}
		if v.Exon > 0 {
			pcs = append(pcs, "x"+strconv.Itoa(v.Exon))
		}
		classes := []string{"*"}
		if v.Class != "" {
			classes = append(classes, string(v.Class))
		}
		for _, pc := range pcs {
			for _, cl := range classes {
				add(keyVariant(v.Gene, pc, cl, "*"))
				add(keyVariant(v.Gene, pc, cl, string(v.Origin)))
			}
		}
	}
	for g := range p.testedGeneSet() {
		add(keyTested(g))
	}
	for _, c := range p.CNVs {
		add(keyCNV(c.Gene, string(c.Type)))
	}
	for _, fu := range p.Fusions {
		add(keyFusion("*", "*"))
		add(keyFusion(fu.Gene, "*"))
		if fu.Partner != "" {
			add(keyFusion(fu.Gene, fu.Partner))
			add(keyFusion(fu.Partner, "*"))
			add(keyFusion(fu.Partner, fu.Gene))
		}
	}
	for _, r := range p.Pgx {
		if r.Phenotype == "" && r.Diplotype == "" && r.ActivityScore == "" {
			continue
		}
		add(keyPgxAny(r.Gene))
		if r.Phenotype != "" {
			add(keyPgxPheno(r.Gene, r.Phenotype))
		}
		if r.Diplotype != "" {
			add(keyPgxDiplo(r.Gene, r.Diplotype))
		}
		if s, _, ok := normScore(r.ActivityScore); ok {
			add(keyPgxScore(r.Gene, s))
		}
	}
	for _, b := range p.Biomarkers {
		add(keyBiomarker(b.Name, b.Value))
	}
	sort.Strings(f.keys)
	return f
}

// encodeRow writes the persisted part of a patient's features that the
// bitmaps do not hold: id, birth date, lab facts, code dates.
func encodeRow(f *feat) []byte {
	var b []byte
	putStr := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	putStr(f.id)
	b = binary.AppendVarint(b, int64(f.birth))
	b = binary.AppendUvarint(b, uint64(len(f.labs)))
	for _, l := range f.labs {
		putStr(l.col)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(l.v))
		b = binary.AppendVarint(b, int64(l.day))
	}
	keys := make([]string, 0, len(f.dates))
	for k := range f.dates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		putStr(k)
		b = binary.AppendVarint(b, int64(f.dates[k]))
	}
	return b
}

func decodeRow(b []byte) (*feat, error) {
	f := &feat{dates: map[string]int32{}}
	bad := fmt.Errorf("cohorts: corrupt index row")
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	sv := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := uv()
		if !ok || uint64(len(b)) < n {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	var ok bool
	if f.id, ok = str(); !ok {
		return nil, bad
	}
	bd, ok := sv()
	if !ok {
		return nil, bad
	}
	f.birth = int32(bd)
	nl, ok := uv()
	if !ok || nl > uint64(len(b)) {
		return nil, bad
	}
	for range nl {
		col, ok := str()
		if !ok || len(b) < 8 {
			return nil, bad
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		d, ok := sv()
		if !ok {
			return nil, bad
		}
		f.labs = append(f.labs, labFact{col: col, v: v, day: int32(d)})
	}
	nd, ok := uv()
	if !ok || nd > uint64(len(b)) {
		return nil, bad
	}
	for range nd {
		k, ok := str()
		if !ok {
			return nil, bad
		}
		d, ok := sv()
		if !ok {
			return nil, bad
		}
		f.dates[k] = int32(d)
	}
	return f, nil
}
