package cohorts

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/store"
)

// Criteria is one node of a criteria tree, mirroring the contract's
// CriteriaInput: exactly one field is set. All is AND, Any is OR. The json
// tags equal the GraphQL field names, so a GraphQL argument map converts to
// Criteria by a JSON round trip.
type Criteria struct {
	All        []Criteria     `json:"all,omitempty"`
	Any        []Criteria     `json:"any,omitempty"`
	Not        *Criteria      `json:"not,omitempty"`
	AtLeast    *AtLeast       `json:"atLeast,omitempty"`
	Age        *Range         `json:"age,omitempty"`
	Sex        []string       `json:"sex,omitempty"`
	Race       []string       `json:"race,omitempty"`
	Condition  *Code          `json:"condition,omitempty"`
	Medication *Code          `json:"medication,omitempty"`
	Lab        *Lab           `json:"lab,omitempty"`
	Variant    *VariantCrit   `json:"variant,omitempty"`
	CNV        *CNVCrit       `json:"cnv,omitempty"`
	Fusion     *FusionCrit    `json:"fusion,omitempty"`
	Pgx        *PgxCrit       `json:"pgx,omitempty"`
	TestedGene *string        `json:"testedGene,omitempty"`
	Cohort     *string        `json:"cohort,omitempty"`
	Biomarker  *BiomarkerCrit `json:"biomarker,omitempty"`
	// Alive (true) selects patients alive at the index date: not deceased,
	// or with a death date after it; false selects the others.
	Alive *bool `json:"alive,omitempty"`
}

// AtLeast is met by patients meeting at least N of the Of criteria.
type AtLeast struct {
	N  int        `json:"n"`
	Of []Criteria `json:"of"`
}

// Range is an inclusive numeric range; a nil bound is open.
type Range struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Code selects a condition or medication by coding system and code.
// System is ICD10CM, SNOMED, RXNORM, ATC, ONCOTREE or TEXT (case-insensitive).
// Descendants (default true) matches codes below Code — ICD-10-CM and ATC
// by prefix, ONCOTREE by its tree — and codes the vocabulary relates to it
// (package vocab: an RxNorm ingredient's products, SNOMED CT is-a
// descendants, SNOMED CT ↔ ICD-10-CM and ICD-10-CM → OncoTree mappings);
// false matches Code alone. TEXT matches names containing Code,
// case-insensitively. WithinDays restricts to records dated no earlier
// than that many days before the index date.
type Code struct {
	System      string `json:"system"`
	Code        string `json:"code"`
	Descendants *bool  `json:"descendants,omitempty"`
	WithinDays  *int   `json:"withinDays,omitempty"`
}

// Lab compares the patient's most recent value of a LOINC test with Value.
// Unit is the unit of Value (converted to the test's canonical unit when
// they differ; see doc.go). WithinDays requires that most recent value to
// be dated within that many days before the index date.
type Lab struct {
	Loinc      string  `json:"loinc"`
	Op         string  `json:"op"`
	Value      float64 `json:"value"`
	Unit       *string `json:"unit,omitempty"`
	WithinDays *int    `json:"withinDays,omitempty"`
}

// VariantCrit selects patients with a small variant in Gene, optionally
// with a protein change ("V600E" exact, "V600" any change at the position),
// one of Classes, an Origin, and (an rxlab extension used by CTML) an exon.
type VariantCrit struct {
	Gene          string   `json:"gene"`
	ProteinChange *string  `json:"proteinChange,omitempty"`
	Classes       []string `json:"classes,omitempty"`
	Origin        *string  `json:"origin,omitempty"`
	Exon          *int     `json:"exon,omitempty"`
}

// CNVCrit selects a gene-level copy-number call. Type is AMPLIFICATION or
// DELETION (contract), or the rxlab extensions GAIN and HETLOSS for
// MatchMiner's low-level calls.
type CNVCrit struct {
	Gene string `json:"gene"`
	Type string `json:"type"`
}

// FusionCrit selects a fusion involving Gene (as either partner), optionally
// with Partner.
type FusionCrit struct {
	Gene    string  `json:"gene"`
	Partner *string `json:"partner,omitempty"`
}

// PgxCrit selects a pharmacogenomic call of Gene by CPIC phenotype,
// diplotype, or activity-score range.
type PgxCrit struct {
	Gene          string  `json:"gene"`
	Phenotype     *string `json:"phenotype,omitempty"`
	Diplotype     *string `json:"diplotype,omitempty"`
	ActivityScore *Range  `json:"activityScore,omitempty"`
}

// BiomarkerCrit (an rxlab extension) selects a tumour-level biomarker
// status such as MMR=DEFICIENT, MSI=HIGH or a mutational signature
// (APOBEC, POLE, TOBACCO, TEMOZOLOMIDE, UVA) = YES.
type BiomarkerCrit struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// The coding systems a Code may name.
const (
	SysICD10    = "ICD10CM"
	SysSNOMED   = "SNOMED"
	SysRxNorm   = "RXNORM"
	SysATC      = "ATC"
	SysLOINC    = "LOINC"
	SysOncotree = "ONCOTREE"
	SysText     = "TEXT"
)

var validSex = map[string]bool{"FEMALE": true, "MALE": true, "OTHER": true, "UNKNOWN": true}

var validClasses = map[string]bool{"MISSENSE": true, "NONSENSE": true, "FRAMESHIFT": true, "SPLICE": true,
	"INFRAME_INDEL": true, "SYNONYMOUS": true, "START_LOST": true, "STOP_LOST": true, "OTHER": true}

var validCNV = map[string]bool{"AMPLIFICATION": true, "DELETION": true, "GAIN": true, "HETLOSS": true}

var validOps = map[string]bool{"LT": true, "LE": true, "EQ": true, "GE": true, "GT": true}

// maxDepth bounds the nesting of a criteria tree.
const maxDepth = 64

func invalidf(path, format string, a ...any) error {
	return fmt.Errorf("%s: %s: %w", path, fmt.Sprintf(format, a...), store.ErrInvalid)
}

// Validate checks that every node sets exactly one field with valid values.
// Errors wrap store.ErrInvalid and name the node's path, e.g.
// `criteria.all[2].lab.op: unknown comparator "GTE"`.
func (c *Criteria) Validate() error { return c.validate("criteria", 0) }

func (c *Criteria) fields() []string {
	var f []string
	if c.All != nil {
		f = append(f, "all")
	}
	if c.Any != nil {
		f = append(f, "any")
	}
	if c.Not != nil {
		f = append(f, "not")
	}
	if c.AtLeast != nil {
		f = append(f, "atLeast")
	}
	if c.Age != nil {
		f = append(f, "age")
	}
	if c.Sex != nil {
		f = append(f, "sex")
	}
	if c.Race != nil {
		f = append(f, "race")
	}
	if c.Condition != nil {
		f = append(f, "condition")
	}
	if c.Medication != nil {
		f = append(f, "medication")
	}
	if c.Lab != nil {
		f = append(f, "lab")
	}
	if c.Variant != nil {
		f = append(f, "variant")
	}
	if c.CNV != nil {
		f = append(f, "cnv")
	}
	if c.Fusion != nil {
		f = append(f, "fusion")
	}
	if c.Pgx != nil {
		f = append(f, "pgx")
	}
	if c.TestedGene != nil {
		f = append(f, "testedGene")
	}
	if c.Cohort != nil {
		f = append(f, "cohort")
	}
	if c.Biomarker != nil {
		f = append(f, "biomarker")
	}
	if c.Alive != nil {
		f = append(f, "alive")
	}
	return f
}

func validRange(path string, r *Range) error {
	if r.Min == nil && r.Max == nil {
		return invalidf(path, "set min, max or both")
	}
	for _, v := range []*float64{r.Min, r.Max} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return invalidf(path, "bound is not a finite number")
		}
	}
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		return invalidf(path, "min %g is greater than max %g", *r.Min, *r.Max)
	}
	return nil
}

func validGene(path, g string) error {
	if strings.TrimSpace(g) == "" {
		return invalidf(path, "empty gene symbol")
	}
	return nil
}

func (c *Criteria) validate(path string, depth int) error {
	if depth > maxDepth {
		return invalidf(path, "criteria nested deeper than %d levels", maxDepth)
	}
	f := c.fields()
	switch len(f) {
	case 0:
		return invalidf(path, "empty node: set exactly one field")
	case 1:
	default:
		return invalidf(path, "set exactly one field, got %s", strings.Join(f, ", "))
	}
	p := path + "." + f[0]
	switch {
	case c.All != nil || c.Any != nil:
		list := c.All
		if c.Any != nil {
			list = c.Any
		}
		if len(list) == 0 {
			return invalidf(p, "empty list")
		}
		for i := range list {
			if err := list[i].validate(fmt.Sprintf("%s[%d]", p, i), depth+1); err != nil {
				return err
			}
		}
	case c.Not != nil:
		return c.Not.validate(p, depth+1)
	case c.AtLeast != nil:
		if len(c.AtLeast.Of) == 0 {
			return invalidf(p+".of", "empty list")
		}
		if c.AtLeast.N < 0 || c.AtLeast.N > len(c.AtLeast.Of) {
			return invalidf(p+".n", "n=%d outside 0..%d", c.AtLeast.N, len(c.AtLeast.Of))
		}
		for i := range c.AtLeast.Of {
			if err := c.AtLeast.Of[i].validate(fmt.Sprintf("%s.of[%d]", p, i), depth+1); err != nil {
				return err
			}
		}
	case c.Age != nil:
		return validRange(p, c.Age)
	case c.Sex != nil:
		if len(c.Sex) == 0 {
			return invalidf(p, "empty list")
		}
		for i, s := range c.Sex {
			if !validSex[strings.ToUpper(s)] {
				return invalidf(fmt.Sprintf("%s[%d]", p, i), "unknown sex %q (want FEMALE, MALE, OTHER or UNKNOWN)", s)
			}
		}
	case c.Race != nil:
		if len(c.Race) == 0 {
			return invalidf(p, "empty list")
		}
	case c.Condition != nil || c.Medication != nil:
		cd := c.Condition
		if cd == nil {
			cd = c.Medication
		}
		sys := strings.ToUpper(cd.System)
		switch sys {
		case SysICD10, SysSNOMED, SysRxNorm, SysATC, SysOncotree, SysText:
		default:
			return invalidf(p+".system", "unknown coding system %q (want ICD10CM, SNOMED, RXNORM, ATC, ONCOTREE or TEXT)", cd.System)
		}
		if strings.TrimSpace(cd.Code) == "" {
			return invalidf(p+".code", "empty code")
		}
		if cd.WithinDays != nil && *cd.WithinDays < 0 {
			return invalidf(p+".withinDays", "negative")
		}
	case c.Lab != nil:
		if strings.TrimSpace(c.Lab.Loinc) == "" {
			return invalidf(p+".loinc", "empty LOINC code")
		}
		if !validOps[c.Lab.Op] {
			return invalidf(p+".op", "unknown comparator %q", c.Lab.Op)
		}
		if math.IsNaN(c.Lab.Value) || math.IsInf(c.Lab.Value, 0) {
			return invalidf(p+".value", "not a finite number")
		}
		if c.Lab.WithinDays != nil && *c.Lab.WithinDays < 0 {
			return invalidf(p+".withinDays", "negative")
		}
		if c.Lab.Unit != nil {
			if _, err := labQueryValue(c.Lab); err != nil {
				return invalidf(p+".unit", "%v", err)
			}
		}
	case c.Variant != nil:
		v := c.Variant
		if err := validGene(p+".gene", v.Gene); err != nil {
			return err
		}
		if v.ProteinChange != nil {
			if _, _, ok := parseProtein(*v.ProteinChange); !ok {
				return invalidf(p+".proteinChange", "cannot read protein change %q (want e.g. V600E or V600)", *v.ProteinChange)
			}
		}
		for i, cl := range v.Classes {
			if !validClasses[strings.ToUpper(cl)] {
				return invalidf(fmt.Sprintf("%s.classes[%d]", p, i), "unknown variant class %q", cl)
			}
		}
		if v.Origin != nil {
			o := strings.ToUpper(*v.Origin)
			if o != "GERMLINE" && o != "SOMATIC" {
				return invalidf(p+".origin", "unknown origin %q (want GERMLINE or SOMATIC)", *v.Origin)
			}
		}
		if v.Exon != nil && v.ProteinChange != nil {
			return invalidf(p+".exon", "set exon or proteinChange, not both")
		}
	case c.CNV != nil:
		if err := validGene(p+".gene", c.CNV.Gene); err != nil {
			return err
		}
		if !validCNV[strings.ToUpper(c.CNV.Type)] {
			return invalidf(p+".type", "unknown copy-number type %q (want AMPLIFICATION or DELETION)", c.CNV.Type)
		}
	case c.Fusion != nil:
		return validGene(p+".gene", c.Fusion.Gene)
	case c.Pgx != nil:
		if err := validGene(p+".gene", c.Pgx.Gene); err != nil {
			return err
		}
		n := 0
		if c.Pgx.Phenotype != nil {
			n++
		}
		if c.Pgx.Diplotype != nil {
			n++
		}
		if c.Pgx.ActivityScore != nil {
			n++
			if err := validRange(p+".activityScore", c.Pgx.ActivityScore); err != nil {
				return err
			}
		}
		if n > 1 {
			return invalidf(p, "set one of phenotype, diplotype or activityScore")
		}
	case c.TestedGene != nil:
		return validGene(p, *c.TestedGene)
	case c.Cohort != nil:
		if strings.TrimSpace(*c.Cohort) == "" {
			return invalidf(p, "empty cohort id")
		}
	case c.Biomarker != nil:
		if strings.TrimSpace(c.Biomarker.Name) == "" || strings.TrimSpace(c.Biomarker.Value) == "" {
			return invalidf(p, "set name and value")
		}
	}
	return nil
}

// parseProtein reads a one-letter protein change ("V600E", "p.V600E",
// "p.Val600Glu", "V600"), returning the normalized exact form and the
// position form ("V600"). exact is empty for a position-only query.
func parseProtein(s string) (exact, pos string, ok bool) {
	s = normProtein(s)
	if s == "" {
		return "", "", false
	}
	i := 0
	for i < len(s) && !(s[i] >= '0' && s[i] <= '9') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if i == 0 || j == i {
		return "", "", false
	}
	pos = s[:j]
	if j == len(s) {
		return "", pos, true
	}
	return s, pos, true
}

var aa3 = map[string]string{"Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
	"Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
	"Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U"}

// normProtein strips "p.", parentheses and converts three-letter amino
// acids to one letter: "p.(Val600Glu)" → "V600E".
func normProtein(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "p.")
	s = strings.TrimPrefix(s, "P.")
	s = strings.Trim(s, "()")
	if len(s) >= 3 {
		var b strings.Builder
		for i := 0; i < len(s); {
			if i+3 <= len(s) {
				if one, ok := aa3[s[i:i+3]]; ok {
					b.WriteString(one)
					i += 3
					continue
				}
			}
			b.WriteByte(s[i])
			i++
		}
		s = b.String()
	}
	return strings.ToUpper(s)
}

// Label is a short human-readable form of the node, used as the attrition
// rule name and in explanations.
func (c *Criteria) Label() string {
	switch {
	case c.All != nil:
		return "all of " + strconv.Itoa(len(c.All)) + " rules"
	case c.Any != nil:
		return "any of " + strconv.Itoa(len(c.Any)) + " rules"
	case c.Not != nil:
		return "not (" + c.Not.Label() + ")"
	case c.AtLeast != nil:
		return fmt.Sprintf("at least %d of %d rules", c.AtLeast.N, len(c.AtLeast.Of))
	case c.Age != nil:
		return "age " + rangeLabel(c.Age)
	case c.Alive != nil:
		if *c.Alive {
			return "alive"
		}
		return "deceased"
	case c.Sex != nil:
		return "sex in " + strings.Join(c.Sex, ", ")
	case c.Race != nil:
		return "race in " + strings.Join(c.Race, ", ")
	case c.Condition != nil:
		return "condition " + codeLabel(c.Condition)
	case c.Medication != nil:
		return "medication " + codeLabel(c.Medication)
	case c.Lab != nil:
		s := fmt.Sprintf("lab %s %s %g", c.Lab.Loinc, c.Lab.Op, c.Lab.Value)
		if c.Lab.Unit != nil {
			s += " " + *c.Lab.Unit
		}
		if c.Lab.WithinDays != nil {
			s += fmt.Sprintf(" within %d days", *c.Lab.WithinDays)
		}
		return s
	case c.Variant != nil:
		s := "variant " + c.Variant.Gene
		if c.Variant.ProteinChange != nil {
			s += " " + normProtein(*c.Variant.ProteinChange)
		}
		if c.Variant.Exon != nil {
			s += fmt.Sprintf(" exon %d", *c.Variant.Exon)
		}
		if len(c.Variant.Classes) > 0 {
			s += " [" + strings.Join(c.Variant.Classes, ",") + "]"
		}
		if c.Variant.Origin != nil {
			s += " " + strings.ToUpper(*c.Variant.Origin)
		}
		return s
	case c.CNV != nil:
		return "cnv " + c.CNV.Gene + " " + strings.ToUpper(c.CNV.Type)
	case c.Fusion != nil:
		s := "fusion " + c.Fusion.Gene
		if c.Fusion.Partner != nil {
			s += "-" + *c.Fusion.Partner
		}
		return s
	case c.Pgx != nil:
		s := "pgx " + c.Pgx.Gene
		switch {
		case c.Pgx.Phenotype != nil:
			s += " " + *c.Pgx.Phenotype
		case c.Pgx.Diplotype != nil:
			s += " " + *c.Pgx.Diplotype
		case c.Pgx.ActivityScore != nil:
			s += " activity score " + rangeLabel(c.Pgx.ActivityScore)
		}
		return s
	case c.TestedGene != nil:
		return "tested gene " + *c.TestedGene
	case c.Cohort != nil:
		return "cohort " + *c.Cohort
	case c.Biomarker != nil:
		return "biomarker " + strings.ToUpper(c.Biomarker.Name) + "=" + strings.ToUpper(c.Biomarker.Value)
	}
	return "empty"
}

func rangeLabel(r *Range) string {
	switch {
	case r.Min != nil && r.Max != nil:
		return fmt.Sprintf("%g..%g", *r.Min, *r.Max)
	case r.Min != nil:
		return fmt.Sprintf(">= %g", *r.Min)
	case r.Max != nil:
		return fmt.Sprintf("<= %g", *r.Max)
	}
	return "any"
}

func codeLabel(c *Code) string {
	s := strings.ToUpper(c.System) + " " + c.Code
	if c.Descendants != nil && !*c.Descendants {
		s += " (exact)"
	}
	if c.WithinDays != nil {
		s += fmt.Sprintf(" within %d days", *c.WithinDays)
	}
	return s
}

// ParseCriteria decodes a criteria tree from JSON and validates it.
func ParseCriteria(p []byte) (Criteria, error) {
	var c Criteria
	dec := json.NewDecoder(strings.NewReader(string(p)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("criteria: %v: %w", err, store.ErrInvalid)
	}
	return c, c.Validate()
}

func sortedUpper(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToUpper(strings.TrimSpace(s))
	}
	sort.Strings(out)
	return out
}
