package cohorts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rxlab/rxlab/genomics"
)

// Patient is one patient's full record as stored under pat/r/<id>.
type Patient struct {
	ID        string `json:"id"`
	Sex       string `json:"sex"`
	BirthDate string `json:"birthDate,omitempty"` // YYYY-MM-DD
	DeathDate string `json:"deathDate,omitempty"`
	// Deceased says the patient died, with or without a known DeathDate
	// (FHIR deceasedBoolean, MatchMiner VITAL_STATUS). A DeathDate implies it.
	Deceased    bool                 `json:"deceased,omitempty"`
	Race        string               `json:"race,omitempty"`
	Conditions  []ClinicalCode       `json:"conditions,omitempty"`
	Medications []ClinicalCode       `json:"medications,omitempty"`
	Labs        []LabValue           `json:"labs,omitempty"`
	Variants    []Variant            `json:"variants,omitempty"`
	CNVs        []genomics.CNV       `json:"cnvs,omitempty"`
	Fusions     []genomics.Fusion    `json:"fusions,omitempty"`
	Pgx         []genomics.PgxResult `json:"pgx,omitempty"`
	TestedGenes []string             `json:"testedGenes,omitempty"`
	Biomarkers  []Biomarker          `json:"biomarkers,omitempty"`
}

// ClinicalCode is a coded condition or medication with its date.
type ClinicalCode struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
	Date    string `json:"date,omitempty"` // YYYY-MM-DD
}

// LabValue is one numeric lab result. Value is in Unit as imported.
type LabValue struct {
	Loinc string  `json:"loinc"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
	Date  string  `json:"date,omitempty"` // YYYY-MM-DD
}

// Variant is a genomics.Variant plus the exon it falls in, when the source
// says so (MatchMiner's TRUE_TRANSCRIPT_EXON).
type Variant struct {
	genomics.Variant
	Exon int `json:"exon,omitempty"`
}

// Biomarker is a tumour-level status such as MMR=DEFICIENT or TOBACCO=YES.
type Biomarker struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Age returns the patient's age in completed years at the date, or at
// death when the patient died before it; -1 when the birth date is
// unknown.
func (p *Patient) Age(at time.Time) int {
	b, ok := parseDay(p.BirthDate)
	if !ok {
		return -1
	}
	if d, ok := parseDay(p.DeathDate); ok && d < dayOf(at) {
		at = dayTime(d)
	}
	bt := dayTime(b)
	y := at.Year() - bt.Year()
	if at.Month() < bt.Month() || (at.Month() == bt.Month() && at.Day() < bt.Day()) {
		y--
	}
	return y
}

const noDay = math.MinInt32

var epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// dayOf returns the day number (days since 1970-01-01, UTC) of t's date.
func dayOf(t time.Time) int32 {
	t = t.UTC()
	return civilDay(t.Year(), int(t.Month()), t.Day())
}

func dayTime(d int32) time.Time { return epoch.AddDate(0, 0, int(d)) }

func dayString(d int32) string {
	if d == noDay {
		return ""
	}
	return dayTime(d).Format("2006-01-02")
}

// parseDay reads YYYY-MM-DD, optionally followed by a time ("T..."), as a day number.
func parseDay(s string) (int32, bool) {
	if len(s) < 10 {
		if len(s) == 4 { // a bare year
			y, err := strconv.Atoi(s)
			if err == nil && y > 0 {
				return civilDay(y, 1, 1), true
			}
		}
		return noDay, false
	}
	if s[4] != '-' || s[7] != '-' || (len(s) > 10 && s[10] != 'T' && s[10] != ' ') {
		return noDay, false
	}
	num := func(t string) (int, bool) {
		n := 0
		for i := 0; i < len(t); i++ {
			c := t[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return noDay, false
	}
	return civilDay(y, m, d), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilDay returns days since 1970-01-01 of a proleptic Gregorian date
// (H. Hinnant's days_from_civil).
func civilDay(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// normDate turns an ISO date or date-time into YYYY-MM-DD, or "" when unreadable.
func normDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	d, ok := parseDay(s)
	if !ok {
		return "", false
	}
	return dayString(d), true
}

// normSex maps the many spellings of sex to the contract's enum.
func normSex(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "F", "FEMALE", "WOMAN":
		return "FEMALE"
	case "M", "MALE", "MAN":
		return "MALE"
	case "O", "OTHER":
		return "OTHER"
	}
	return "UNKNOWN"
}

func normRace(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "unknown"
	}
	return s
}

func normGene(g string) string { return strings.ToUpper(strings.TrimSpace(g)) }

// normCode normalizes a code for its system: ICD-10-CM upper case without
// the dot, ATC upper case, others trimmed.
func normCode(sys, code string) string {
	code = strings.TrimSpace(code)
	switch sys {
	case SysICD10:
		return strings.ReplaceAll(strings.ToUpper(code), ".", "")
	case SysATC, SysOncotree:
		return strings.ToUpper(code)
	}
	return code
}

// normDiplotype orders the two alleles so "*3/*1" and "*1/*3" agree.
func normDiplotype(d string) string {
	d = strings.TrimSpace(d)
	a, b, ok := strings.Cut(d, "/")
	if !ok {
		return d
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if alleleLess(b, a) {
		a, b = b, a
	}
	return a + "/" + b
}

func alleleLess(a, b string) bool {
	na, ea := strconv.Atoi(strings.TrimPrefix(a, "*"))
	nb, eb := strconv.Atoi(strings.TrimPrefix(b, "*"))
	if ea == nil && eb == nil && na != nb {
		return na < nb
	}
	return a < b
}

// normScore formats an activity score as a canonical decimal ("1.5", "2").
func normScore(s string) (string, float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return "", 0, false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), f, true
}

// normalize cleans a patient record in place (codes, genes, dates) and
// sorts its lists so that equal records encode equally. It reports the
// first problem found with its field path.
func (p *Patient) normalize() error {
	if strings.TrimSpace(p.ID) == "" {
		return fmt.Errorf("id: empty patient id")
	}
	p.ID = strings.TrimSpace(p.ID)
	p.Sex = normSex(p.Sex)
	if p.Race != "" {
		p.Race = normRace(p.Race)
	}
	var ok bool
	if p.BirthDate, ok = normDate(p.BirthDate); !ok {
		return fmt.Errorf("birthDate: unreadable date")
	}
	if p.DeathDate, ok = normDate(p.DeathDate); !ok {
		return fmt.Errorf("deathDate: unreadable date")
	}
	p.Deceased = p.Deceased || p.DeathDate != ""
	for _, list := range []struct {
		name string
		l    []ClinicalCode
	}{{"conditions", p.Conditions}, {"medications", p.Medications}} {
		for i := range list.l {
			c := &list.l[i]
			c.System = strings.ToUpper(strings.TrimSpace(c.System))
			if c.System == "" || strings.TrimSpace(c.Code) == "" {
				return fmt.Errorf("%s[%d]: missing system or code", list.name, i)
			}
			c.Code = normCode(c.System, c.Code)
			if c.Date, ok = normDate(c.Date); !ok {
				return fmt.Errorf("%s[%d].date: unreadable date", list.name, i)
			}
		}
	}
	for i := range p.Labs {
		l := &p.Labs[i]
		l.Loinc = strings.TrimSpace(l.Loinc)
		if l.Loinc == "" {
			return fmt.Errorf("labs[%d].loinc: empty", i)
		}
		if math.IsNaN(l.Value) || math.IsInf(l.Value, 0) {
			return fmt.Errorf("labs[%d].value: not a finite number", i)
		}
		if l.Date, ok = normDate(l.Date); !ok {
			return fmt.Errorf("labs[%d].date: unreadable date", i)
		}
		l.Unit = strings.TrimSpace(l.Unit)
	}
	sort.SliceStable(p.Labs, func(i, j int) bool { return p.Labs[i].Date < p.Labs[j].Date })
	for i := range p.Variants {
		v := &p.Variants[i]
		v.Gene = normGene(v.Gene)
		if v.Gene == "" {
			return fmt.Errorf("variants[%d].gene: empty", i)
		}
		if v.ProteinChange != "" {
			v.ProteinChange = normProtein(v.ProteinChange)
		}
		v.Class = genomics.VariantClass(strings.ToUpper(string(v.Class)))
		v.Origin = genomics.Origin(strings.ToUpper(string(v.Origin)))
		if v.Origin != genomics.Germline && v.Origin != genomics.Somatic {
			return fmt.Errorf("variants[%d].origin: want GERMLINE or SOMATIC", i)
		}
	}
	for i := range p.CNVs {
		p.CNVs[i].Gene = normGene(p.CNVs[i].Gene)
		p.CNVs[i].Type = genomics.CNVType(strings.ToUpper(string(p.CNVs[i].Type)))
		if p.CNVs[i].Gene == "" || !validCNV[string(p.CNVs[i].Type)] {
			return fmt.Errorf("cnvs[%d]: want a gene and AMPLIFICATION, DELETION, GAIN or HETLOSS", i)
		}
	}
	for i := range p.Fusions {
		p.Fusions[i].Gene = normGene(p.Fusions[i].Gene)
		p.Fusions[i].Partner = normGene(p.Fusions[i].Partner)
		if p.Fusions[i].Gene == "" {
			return fmt.Errorf("fusions[%d].gene: empty", i)
		}
	}
	for i := range p.Pgx {
		r := &p.Pgx[i]
		r.Gene = normGene(r.Gene)
		if r.Gene == "" {
			return fmt.Errorf("pgx[%d].gene: empty", i)
		}
		r.Diplotype = normDiplotype(r.Diplotype)
		if r.ActivityScore != "" {
			s, _, ok := normScore(r.ActivityScore)
			if !ok {
				return fmt.Errorf("pgx[%d].activityScore: not a number", i)
			}
			r.ActivityScore = s
		}
		if r.MissingPositions == nil {
			r.MissingPositions = []string{}
		}
	}
	seen := map[string]bool{}
	var tg []string
	for _, g := range p.TestedGenes {
		g = normGene(g)
		if g != "" && !seen[g] {
			seen[g] = true
			tg = append(tg, g)
		}
	}
	sort.Strings(tg)
	p.TestedGenes = tg
	for i := range p.Biomarkers {
		p.Biomarkers[i].Name = strings.ToUpper(strings.TrimSpace(p.Biomarkers[i].Name))
		p.Biomarkers[i].Value = strings.ToUpper(strings.TrimSpace(p.Biomarkers[i].Value))
	}
	return nil
}

// testedGeneSet is the set of genes the patient was tested for: the
// declared tested genes plus every gene with a recorded alteration.
func (p *Patient) testedGeneSet() map[string]bool {
	m := map[string]bool{}
	for _, g := range p.TestedGenes {
		m[g] = true
	}
	for _, v := range p.Variants {
		m[v.Gene] = true
	}
	for _, c := range p.CNVs {
		m[c.Gene] = true
	}
	for _, f := range p.Fusions {
		m[f.Gene] = true
		if f.Partner != "" {
			m[f.Partner] = true
		}
	}
	return m
}

// BirthYear returns the year of birth, if known.
func (p *Patient) BirthYear() (int, bool) {
	b, ok := parseDay(p.BirthDate)
	if !ok {
		return 0, false
	}
	return dayTime(b).Year(), true
}
