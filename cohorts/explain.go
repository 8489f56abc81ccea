package cohorts

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rxlab/rxlab/store"
)

// MatchExplanation is the contract's MatchExplanation: whether one patient
// meets the criteria and, for every leaf, its result and evidence.
type MatchExplanation struct {
	PatientID string       `json:"patientId"`
	Matched   bool         `json:"matched"`
	Leaves    []LeafResult `json:"leaves"`
}

// LeafResult is one leaf criterion's result for a patient, with the
// evidence (the code, value and date) that decided it.
type LeafResult struct {
	Rule     string   `json:"rule"`
	Matched  bool     `json:"matched"`
	Evidence []string `json:"evidence"`
	// Negated is true when the leaf sits under an odd number of nots, so
	// that a false leaf supports the match.
	Negated bool `json:"negated,omitempty"`
}

// recordEval evaluates criteria against one patient record, the
// straightforward way: it is the reference the bitmap engine is tested
// against, and the source of explanations and trial-match reasons.
//
// A saved cohort is evaluated once per polarity (under an even or odd
// number of nots): later references reuse the result and do not list its
// leaves again, so cohorts that share sub-cohorts (a diamond, repeated
// down many levels) cost their distinct size, not their expanded size.
type recordEval struct {
	s        *Service
	ctx      context.Context // nil: not checked
	at       time.Time
	leaves   []LeafResult
	visiting map[string]bool
	memo     map[cohortPolarity]bool
	expanded map[string][]codeTarget // code rules expanded through the vocabulary, once per explanation
}

type cohortPolarity struct {
	id  string
	neg bool
}

// maxEvidence bounds the evidence strings one leaf reports.
const maxEvidence = 5

func (r *recordEval) eval(p *Patient, c *Criteria, neg bool) (bool, error) {
	if r.ctx != nil {
		if err := r.ctx.Err(); err != nil {
			return false, fmt.Errorf("cohorts: evaluation stopped: %w", err)
		}
	}
	switch {
	case c.All != nil:
		ok := true
		for i := range c.All {
			m, err := r.eval(p, &c.All[i], neg)
			if err != nil {
				return false, err
			}
			ok = ok && m
		}
		return ok, nil
	case c.Any != nil:
		ok := false
		for i := range c.Any {
			m, err := r.eval(p, &c.Any[i], neg)
			if err != nil {
				return false, err
			}
			ok = ok || m
		}
		return ok, nil
	case c.Not != nil:
		m, err := r.eval(p, c.Not, !neg)
		return !m, err
	case c.AtLeast != nil:
		n := 0
		for i := range c.AtLeast.Of {
			m, err := r.eval(p, &c.AtLeast.Of[i], neg)
			if err != nil {
				return false, err
			}
			if m {
				n++
			}
		}
		return n >= c.AtLeast.N, nil
	case c.Cohort != nil:
		sc, err := r.s.lookupCohort(*c.Cohort, nil)
		if err != nil {
			return false, err
		}
		key := cohortPolarity{sc.ID, neg}
		if m, ok := r.memo[key]; ok {
			return m, nil
		}
		if r.visiting[sc.ID] {
			return false, fmt.Errorf("cohort %s refers to itself: %w", sc.ID, store.ErrInvalid)
		}
		r.visiting[sc.ID] = true
		defer delete(r.visiting, sc.ID)
		m, err := r.eval(p, &sc.Criteria, neg)
		if err == nil {
			if r.memo == nil {
				r.memo = map[cohortPolarity]bool{}
			}
			r.memo[key] = m
		}
		return m, err
	}
	m, ev, err := r.leaf(p, c)
	if err != nil {
		return false, err
	}
	if ev == nil {
		ev = []string{}
	}
	r.leaves = append(r.leaves, LeafResult{Rule: c.Label(), Matched: m, Evidence: ev, Negated: neg})
	return m, nil
}

func (r *recordEval) cutoff(days int) int32 { return dayOf(r.at) - int32(days) }

func addEv(ev []string, s string) []string {
	if len(ev) < maxEvidence {
		ev = append(ev, s)
	}
	return ev
}

func codeString(c ClinicalCode) string {
	s := c.System + " " + c.Code
	if c.Display != "" {
		s += " " + c.Display
	}
	if c.Date != "" {
		s += " on " + c.Date
	}
	return s
}

func (r *recordEval) leaf(p *Patient, c *Criteria) (bool, []string, error) {
	var ev []string
	switch {
	case c.Age != nil:
		b, ok := parseDay(p.BirthDate)
		if !ok {
			return false, []string{"birth date unknown"}, nil
		}
		lo, ls, hi, hs := birthBounds(c.Age, ageDate(p, r.at))
		m := inBounds(float64(b), lo, ls, hi, hs)
		return m, []string{fmt.Sprintf("born %s, age %d at %s", p.BirthDate, p.Age(r.at), r.at.Format("2006-01-02"))}, nil
	case c.Alive != nil:
		alive := aliveAt(p, r.at)
		ev := "alive at " + r.at.Format("2006-01-02")
		if !alive {
			ev = "deceased"
			if p.DeathDate != "" {
				ev += " on " + p.DeathDate
			}
		}
		return alive == *c.Alive, []string{ev}, nil
	case c.Sex != nil:
		for _, s := range c.Sex {
			if strings.ToUpper(s) == p.Sex {
				return true, []string{"sex " + p.Sex}, nil
			}
		}
		return false, []string{"sex " + p.Sex}, nil
	case c.Race != nil:
		race := normRace(p.Race)
		for _, x := range c.Race {
			if normRace(x) == race {
				return true, []string{"race " + race}, nil
			}
		}
		return false, []string{"race " + race}, nil
	case c.Condition != nil || c.Medication != nil:
		cd, list := c.Condition, conditionCodes(p)
		if cd == nil {
			cd, list = c.Medication, p.Medications
		}
		sys, _, _ := queryCode(cd)
		needle := strings.ToLower(strings.TrimSpace(cd.Code))
		var ts []codeTarget
		if sys != SysText {
			ts = r.targets(c.Condition == nil, cd)
		}
		m := false
		for _, rec := range list {
			var hit bool
			via := ""
			if sys == SysText {
				hit = rec.Display != "" && strings.Contains(strings.ToLower(rec.Display), needle)
			} else if t := targetsMatch(ts, rec.System, rec.Code); t != nil {
				hit, via = true, t.via
			}
			if hit && cd.WithinDays != nil {
				d, ok := parseDay(rec.Date)
				hit = ok && d >= r.cutoff(*cd.WithinDays)
			}
			if hit {
				m = true
				s := codeString(rec)
				if via != "" {
					s += " (" + via + ")"
				}
				ev = addEv(ev, s)
			}
		}
		if !m {
			ev = []string{"no matching record"}
		}
		return m, ev, nil
	case c.Lab != nil:
		_, v, err := labQuery(c.Lab)
		if err != nil {
			return false, nil, fmt.Errorf("%v: %w", err, store.ErrInvalid)
		}
		last := r.latestLab(p, c.Lab)
		if last < 0 {
			return false, []string{"no " + c.Lab.Loinc + " result"}, nil
		}
		l := p.Labs[last]
		_, cv := labColumn(l.Loinc, l.Value, l.Unit)
		m := compare(c.Lab.Op, cv, v)
		s := fmt.Sprintf("LOINC %s = %s %s", l.Loinc, strconv.FormatFloat(l.Value, 'g', -1, 64), l.Unit)
		if l.Date != "" {
			s += " on " + l.Date
		}
		s += " (most recent)"
		if l.Loinc != c.Lab.Loinc {
			_, g := vocabulary.LabGroup(c.Lab.Loinc)
			s += fmt.Sprintf(" (LOINC %s and %s are both %s: one test)", l.Loinc, c.Lab.Loinc, g)
		}
		if c.Lab.WithinDays != nil {
			d, ok := parseDay(l.Date)
			if !ok || d < r.cutoff(*c.Lab.WithinDays) {
				m = false
				s += fmt.Sprintf(", older than %d days", *c.Lab.WithinDays)
			}
		}
		return m, []string{s}, nil
	case c.Variant != nil:
		q := c.Variant
		gene := normGene(q.Gene)
		var exact, pos string
		if q.ProteinChange != nil {
			exact, pos, _ = parseProtein(*q.ProteinChange)
		}
		m := false
		for _, v := range p.Variants {
			if v.Gene != gene {
				continue
			}
			if q.ProteinChange != nil {
				ve, vp, ok := parseProtein(v.ProteinChange)
				if !ok || (exact != "" && ve != exact) || (exact == "" && vp != pos) {
					continue
				}
			}
			if q.Exon != nil && v.Exon != *q.Exon {
				continue
			}
			if q.Origin != nil && string(v.Origin) != strings.ToUpper(*q.Origin) {
				continue
			}
			if len(q.Classes) > 0 {
				found := false
				for _, cl := range q.Classes {
					if strings.ToUpper(cl) == string(v.Class) {
						found = true
					}
				}
				if !found {
					continue
				}
			}
			m = true
			s := v.Gene
			if v.ProteinChange != "" {
				s += " " + v.ProteinChange
			}
			if v.Exon > 0 {
				s += fmt.Sprintf(" exon %d", v.Exon)
			}
			s += " " + string(v.Origin)
			if v.Class != "" {
				s += " " + string(v.Class)
			}
			if v.Chrom != "" {
				s += fmt.Sprintf(" %s:%d %s>%s", v.Chrom, v.Pos, v.Ref, v.Alt)
			}
			ev = addEv(ev, s)
		}
		if !m {
			if p.testedGeneSet()[gene] {
				ev = []string{gene + " tested, no matching variant"}
			} else {
				ev = []string{gene + " not tested"}
			}
		}
		return m, ev, nil
	case c.CNV != nil:
		g, t := normGene(c.CNV.Gene), strings.ToUpper(c.CNV.Type)
		for _, x := range p.CNVs {
			if x.Gene == g && string(x.Type) == t {
				return true, []string{g + " " + t}, nil
			}
		}
		return false, []string{"no " + g + " " + t}, nil
	case c.Fusion != nil:
		g := normGene(c.Fusion.Gene)
		partner := ""
		if c.Fusion.Partner != nil {
			partner = normGene(*c.Fusion.Partner)
		}
		for _, f := range p.Fusions {
			if g == "*" || (f.Gene == g && (partner == "" || f.Partner == partner)) ||
				(f.Partner == g && (partner == "" || f.Gene == partner)) {
				return true, []string{"fusion " + f.Gene + "-" + f.Partner}, nil
			}
		}
		return false, []string{"no " + g + " fusion"}, nil
	case c.Pgx != nil:
		g := normGene(c.Pgx.Gene)
		for _, x := range p.Pgx {
			if x.Gene != g || (x.Phenotype == "" && x.Diplotype == "" && x.ActivityScore == "") {
				continue
			}
			s := fmt.Sprintf("%s %s %s", g, x.Diplotype, x.Phenotype)
			if x.ActivityScore != "" {
				s += " activity score " + x.ActivityScore
			}
			s = strings.Join(strings.Fields(s), " ")
			switch {
			case c.Pgx.Phenotype != nil:
				return lowerTrim(x.Phenotype) == lowerTrim(*c.Pgx.Phenotype), []string{s}, nil
			case c.Pgx.Diplotype != nil:
				return x.Diplotype != "" && normDiplotype(x.Diplotype) == normDiplotype(*c.Pgx.Diplotype), []string{s}, nil
			case c.Pgx.ActivityScore != nil:
				_, f, ok := normScore(x.ActivityScore)
				return ok && inRange(f, c.Pgx.ActivityScore), []string{s}, nil
			}
			return true, []string{s}, nil
		}
		return false, []string{"no " + g + " call"}, nil
	case c.TestedGene != nil:
		g := normGene(*c.TestedGene)
		if p.testedGeneSet()[g] {
			return true, []string{g + " tested"}, nil
		}
		return false, []string{g + " not tested"}, nil
	case c.Biomarker != nil:
		n, v := strings.ToUpper(c.Biomarker.Name), strings.ToUpper(c.Biomarker.Value)
		for _, b := range p.Biomarkers {
			if b.Name == n {
				return b.Value == v, []string{b.Name + "=" + b.Value}, nil
			}
		}
		return false, []string{"no " + n + " status"}, nil
	}
	return false, nil, fmt.Errorf("empty criteria node: %w", store.ErrInvalid)
}

// Explain evaluates the criteria for one patient and reports every leaf
// with its evidence. The caller must hold patients:read and audit the read.
func (s *Service) Explain(ctx context.Context, patientID string, c Criteria) (MatchExplanation, error) {
	if _, err := s.prepare(ctx, &c, nil); err != nil { // validation and cost
		return MatchExplanation{}, err
	}
	p, err := s.Patient(ctx, patientID)
	if err != nil {
		return MatchExplanation{}, err
	}
	r := &recordEval{s: s, ctx: ctx, at: s.indexDate(), visiting: map[string]bool{}}
	m, err := r.eval(p, &c, false)
	if err != nil {
		return MatchExplanation{}, err
	}
	if r.leaves == nil {
		r.leaves = []LeafResult{}
	}
	return MatchExplanation{PatientID: p.ID, Matched: m, Leaves: r.leaves}, nil
}

// matchRecord evaluates criteria against a record (no lock taken).
func (s *Service) matchRecord(p *Patient, c *Criteria, at time.Time) (bool, []LeafResult, error) {
	r := &recordEval{s: s, at: at, visiting: map[string]bool{}}
	m, err := r.eval(p, c, false)
	return m, r.leaves, err
}
