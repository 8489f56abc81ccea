package cohorts

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/store"
)

// maxCTMLBytes bounds one CTML document.
const maxCTMLBytes = 8 << 20

// ParseCTML reads one trial in CTML (YAML or JSON, as MatchMiner writes it)
// and maps every step, arm and dose level that has a match clause onto a
// Criteria tree. Errors wrap store.ErrInvalid and name the place (line for
// YAML syntax, key path for CTML content). A file with several trials is
// refused here; ParseCTMLFile reads those.
func ParseCTML(text string) (*Trial, error) {
	docs, err := splitCTML(text)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("ctml: %d trials in one file; ParseCTML reads one (importTrials takes several): %w", len(docs), store.ErrInvalid)
	}
	return trialFromCTML("ctml", docs[0])
}

// trialFromCTML maps one decoded CTML trial; root names it in errors
// ("ctml", or "ctml[3]" for the fourth trial of a file).
func trialFromCTML(root string, raw any) (*Trial, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: the document must be one trial (a mapping), got %s: %w", root, kindOf(raw), store.ErrInvalid)
	}
	if err := validateCTML(root, m); err != nil {
		return nil, err
	}
	t := &Trial{ID: str(m["protocol_no"]), NctID: str(m["nct_id"]), Status: str(m["status"]), Phase: str(m["phase"]), Drugs: ctmlDrugs(m)}
	if t.ID == "" {
		return nil, fmt.Errorf("%s.protocol_no: missing: %w", root, store.ErrInvalid)
	}
	if err := store.CheckName(root+".protocol_no", t.ID); err != nil {
		return nil, err
	}
	t.Title = firstNonEmpty(str(m["short_title"]), str(m["long_title"]), str(m["title"]), t.ID)
	var top *Criteria
	if mt, ok := m["match"]; ok {
		c, err := convertMatch(root+".match", mt)
		if err != nil {
			return nil, err
		}
		top = c
	}
	tl, _ := m["treatment_list"].(map[string]any)
	if tl == nil {
		return nil, fmt.Errorf("%s.treatment_list: missing: %w", root, store.ErrInvalid)
	}
	steps, _ := tl["step"].([]any)
	type slot struct {
		arm   TrialArm
		parts []Criteria
	}
	var slots []*slot
	byKey := map[string]*slot{}
	add := func(level, code, desc string, suspended bool, c *Criteria) {
		if c == nil {
			return
		}
		crit := *c
		if top != nil {
			crit = Criteria{All: []Criteria{*top, *c}}
		}
		k := level + "|" + code
		if s, ok := byKey[k]; ok {
			s.parts = append(s.parts, crit)
			s.arm.Suspended = s.arm.Suspended && suspended
			return
		}
		s := &slot{arm: TrialArm{Code: code, Level: level, Description: desc, Suspended: suspended}, parts: []Criteria{crit}}
		byKey[k] = s
		slots = append(slots, s)
	}
	for i, st := range steps {
		sm, _ := st.(map[string]any)
		if sm == nil {
			return nil, fmt.Errorf("%s.treatment_list.step[%d]: not a mapping: %w", root, i, store.ErrInvalid)
		}
		sp := fmt.Sprintf("%s.treatment_list.step[%d]", root, i)
		if mt, ok := sm["match"]; ok {
			c, err := convertMatch(sp+".match", mt)
			if err != nil {
				return nil, err
			}
			add("step", firstNonEmpty(str(sm["step_code"]), strconv.Itoa(i+1)), str(sm["step_description"]), false, c)
		}
		arms, _ := sm["arm"].([]any)
		for j, a := range arms {
			am, _ := a.(map[string]any)
			if am == nil {
				return nil, fmt.Errorf("%s.arm[%d]: not a mapping: %w", sp, j, store.ErrInvalid)
			}
			ap := fmt.Sprintf("%s.arm[%d]", sp, j)
			armSusp := yes(am["arm_suspended"])
			code := firstNonEmpty(str(am["arm_code"]), fmt.Sprintf("arm %d", j+1))
			if mt, ok := am["match"]; ok {
				c, err := convertMatch(ap+".match", mt)
				if err != nil {
					return nil, err
				}
				add("arm", code, str(am["arm_description"]), armSusp, c)
			}
			doses, _ := am["dose_level"].([]any)
			for k, d := range doses {
				dm, _ := d.(map[string]any)
				if dm == nil {
					return nil, fmt.Errorf("%s.dose_level[%d]: not a mapping: %w", ap, k, store.ErrInvalid)
				}
				if mt, ok := dm["match"]; ok {
					c, err := convertMatch(fmt.Sprintf("%s.dose_level[%d].match", ap, k), mt)
					if err != nil {
						return nil, err
					}
					add("dose", firstNonEmpty(str(dm["level_code"]), fmt.Sprintf("dose %d", k+1)), str(dm["level_description"]), armSusp || yes(dm["level_suspended"]), c)
				}
			}
		}
	}
	if len(slots) == 0 {
		if top == nil {
			return nil, fmt.Errorf("%s: no match clause at trial, step, arm or dose level: %w", root, store.ErrInvalid)
		}
		slots = append(slots, &slot{arm: TrialArm{Code: t.ID, Level: "trial"}, parts: []Criteria{*top}})
	}
	for _, s := range slots {
		if len(s.parts) == 1 {
			s.arm.Criteria = s.parts[0]
		} else {
			s.arm.Criteria = Criteria{Any: s.parts}
		}
		if err := s.arm.Criteria.Validate(); err != nil {
			return nil, fmt.Errorf("%s arm %s: %w", root, s.arm.Code, err)
		}
		t.Arms = append(t.Arms, s.arm)
	}
	return t, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case nil:
		return "nothing"
	case string:
		return "a string"
	}
	return fmt.Sprintf("%T", v)
}

func yes(v any) bool {
	s := strings.ToUpper(str(v))
	return s == "Y" || s == "YES" || s == "TRUE"
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// convertMatch maps a CTML match value (a list of clauses, or one clause)
// onto Criteria; nil means no constraint (only ignored keys).
func convertMatch(path string, v any) (*Criteria, error) {
	switch x := v.(type) {
	case []any:
		var parts []Criteria
		for i, item := range x {
			c, err := convertMatch(fmt.Sprintf("%s[%d]", path, i), item)
			if err != nil {
				return nil, err
			}
			if c != nil {
				parts = append(parts, *c)
			}
		}
		return combine(parts, true), nil
	case map[string]any:
		if len(x) == 0 {
			return nil, fmt.Errorf("%s: empty match node: %w", path, store.ErrInvalid)
		}
		if len(x) > 1 {
			// Several keys in one node are ANDed, as MatchMiner does.
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var parts []Criteria
			for _, k := range keys {
				c, err := convertMatch(path, map[string]any{k: x[k]})
				if err != nil {
					return nil, err
				}
				if c != nil {
					parts = append(parts, *c)
				}
			}
			return combine(parts, true), nil
		}
		for k, val := range x {
			p := path + "." + k
			switch k {
			case "and", "or":
				list, ok := val.([]any)
				if !ok {
					return nil, fmt.Errorf("%s: want a list: %w", p, store.ErrInvalid)
				}
				var parts []Criteria
				for i, item := range list {
					c, err := convertMatch(fmt.Sprintf("%s[%d]", p, i), item)
					if err != nil {
						return nil, err
					}
					if c != nil {
						parts = append(parts, *c)
					}
				}
				return combine(parts, k == "and"), nil
			case "clinical":
				cm, ok := val.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s: want a mapping: %w", p, store.ErrInvalid)
				}
				return convertClinical(p, cm)
			case "genomic":
				gm, ok := val.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s: want a mapping: %w", p, store.ErrInvalid)
				}
				return convertGenomic(p, gm)
			default:
				return nil, fmt.Errorf("%s: unknown match node (want and, or, clinical, genomic): %w", p, store.ErrInvalid)
			}
		}
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%s: want a list or a mapping, got %s: %w", path, kindOf(v), store.ErrInvalid)
}

func combine(parts []Criteria, and bool) *Criteria {
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return &parts[0]
	}
	if and {
		return &Criteria{All: parts}
	}
	return &Criteria{Any: parts}
}

func negated(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "!") {
		return strings.TrimSpace(s[1:]), true
	}
	return s, false
}

func not(c Criteria) Criteria { return Criteria{Not: &c} }

// ctmlIgnored are CTML keys MatchMiner's DFCI configuration ignores.
var ctmlIgnored = map[string]bool{"disease_status": true, "her2_status": true, "er_status": true, "pr_status": true,
	"oncotree_primary_diagnosis_meta": true, "display_name": true, "oncokb_variant": true}

// parseComparison reads ">=18", "<.5", "==40" into an operator and value.
func parseComparison(s string) (string, float64, bool) {
	s = strings.TrimSpace(s)
	for _, op := range []struct{ sym, name string }{{">=", "GE"}, {"<=", "LE"}, {"==", "EQ"}, {">", "GT"}, {"<", "LT"}, {"=", "EQ"}} {
		if strings.HasPrefix(s, op.sym) {
			v, err := strconv.ParseFloat(strings.TrimSpace(s[len(op.sym):]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return "", 0, false
			}
			return op.name, v, true
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", 0, false
	}
	return "EQ", v, true
}

// ageRange maps a comparison on age in years onto an inclusive age Range
// (see birthBounds): "<18" is at most 17 completed years, ">18" starts one
// day after the 18th birthday.
func ageRange(op string, v float64) *Range {
	day := 1 / 365.25
	switch op {
	case "GE":
		return &Range{Min: &v}
	case "GT":
		x := v + day
		return &Range{Min: &x}
	case "LE":
		return &Range{Max: &v}
	case "LT":
		if v == math.Floor(v) {
			x := v - 1
			return &Range{Max: &x}
		}
		x := v - day
		return &Range{Max: &x}
	}
	lo, hi := v, v
	return &Range{Min: &lo, Max: &hi}
}

func convertClinical(path string, m map[string]any) (*Criteria, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []Criteria
	for _, k := range keys {
		p := path + "." + k
		val := str(m[k])
		if ctmlIgnored[k] {
			continue
		}
		switch k {
		case "age_numerical":
			op, v, ok := parseComparison(val)
			if !ok {
				return nil, fmt.Errorf("%s: cannot read %q (want e.g. >=18): %w", p, val, store.ErrInvalid)
			}
			parts = append(parts, Criteria{Age: ageRange(op, v)})
		case "oncotree_primary_diagnosis":
			dx, neg := negated(val)
			if dx == "" {
				return nil, fmt.Errorf("%s: empty diagnosis: %w", p, store.ErrInvalid)
			}
			c := Criteria{Condition: &Code{System: SysOncotree, Code: onco.oncoCode(dx)}}
			if neg {
				c = not(c)
			}
			parts = append(parts, c)
		case "gender", "sex":
			g, neg := negated(val)
			c := Criteria{Sex: []string{normSex(g)}}
			if neg {
				c = not(c)
			}
			parts = append(parts, c)
		case "tmb_numerical":
			op, v, ok := parseComparison(val)
			if !ok {
				return nil, fmt.Errorf("%s: cannot read %q (want e.g. >=10): %w", p, val, store.ErrInvalid)
			}
			parts = append(parts, Criteria{Lab: &Lab{Loinc: loincTMB, Op: op, Value: v}})
		default:
			return nil, fmt.Errorf("%s: unsupported CTML clinical key: %w", p, store.ErrInvalid)
		}
	}
	return combine(parts, true), nil
}

// ctmlSignatures maps CTML signature keys to rxlab biomarker names.
var ctmlSignatures = map[string]string{
	"apobec_signature": "APOBEC", "pole_signature": "POLE", "tobacco_signature": "TOBACCO",
	"temozolomide_signature": "TEMOZOLOMIDE", "uva_signature": "UVA",
	"apobec_status": "APOBEC", "pole_status": "POLE", "tobacco_status": "TOBACCO",
	"temozolomide_status": "TEMOZOLOMIDE", "uva_status": "UVA",
}

// convertGenomic maps one genomic clause. Like MatchMiner, all its fields
// must hold on the same alteration, and a "!" on any value negates the
// whole clause (the patient must have no such alteration).
func convertGenomic(path string, m map[string]any) (*Criteria, error) {
	neg := false
	vals := map[string]string{}
	for k, v := range m {
		s, n := negated(str(v))
		vals[k] = s
		neg = neg || n
	}
	gene := normGene(vals["hugo_symbol"])
	if gene == "NONE" {
		gene = ""
	}
	cat0 := strings.ToLower(vals["variant_category"])
	if gene == "ANY_GENE" || (gene == "" && (cat0 == "structural variation" || cat0 == "sv")) {
		gene = "*" // structural variants name "any gene" on either side
	}
	var parts []Criteria
	wrap := func(c Criteria) {
		parts = append(parts, c)
	}
	// Tumour-level biomarkers.
	for _, k := range []string{"mmr_status", "ms_status"} {
		if s := vals[k]; s != "" {
			st, ok := mmrStatus(s)
			if !ok {
				return nil, fmt.Errorf("%s.%s: unknown status %q: %w", path, k, s, store.ErrInvalid)
			}
			wrap(Criteria{Biomarker: &BiomarkerCrit{Name: "MMR", Value: st}})
		}
	}
	for k, name := range ctmlSignatures {
		if s := strings.ToUpper(vals[k]); s != "" {
			if s != "YES" && s != "NO" {
				return nil, fmt.Errorf("%s.%s: want Yes or No: %w", path, k, store.ErrInvalid)
			}
			wrap(Criteria{Biomarker: &BiomarkerCrit{Name: name, Value: s}})
		}
	}
	if s := vals["tmb_numerical"]; s != "" {
		op, v, ok := parseComparison(s)
		if !ok {
			return nil, fmt.Errorf("%s.tmb_numerical: cannot read %q: %w", path, s, store.ErrInvalid)
		}
		wrap(Criteria{Lab: &Lab{Loinc: loincTMB, Op: op, Value: v}})
	}
	cat := strings.ToLower(vals["variant_category"])
	if vals["wildtype"] == "true" {
		if gene == "" {
			return nil, fmt.Errorf("%s.wildtype: needs hugo_symbol: %w", path, store.ErrInvalid)
		}
		g := gene
		wrap(Criteria{All: []Criteria{{TestedGene: &g}, not(Criteria{Variant: &VariantCrit{Gene: g}})}})
	} else if gene != "" {
		if cat == "" {
			cat = "mutation"
		}
		switch cat {
		case "mutation":
			v := &VariantCrit{Gene: gene}
			if pc := vals["protein_change"]; pc != "" {
				if _, _, ok := parseProtein(pc); !ok {
					return nil, fmt.Errorf("%s.protein_change: cannot read %q: %w", path, pc, store.ErrInvalid)
				}
				x := normProtein(pc)
				v.ProteinChange = &x
			} else if pc := vals["wildcard_protein_change"]; pc != "" {
				_, pos, ok := parseProtein(pc)
				if !ok {
					return nil, fmt.Errorf("%s.wildcard_protein_change: cannot read %q: %w", path, pc, store.ErrInvalid)
				}
				v.ProteinChange = &pos
			}
			if cl := vals["variant_classification"]; cl != "" {
				v.Classes = []string{string(mafClass(cl))}
			}
			if ex := vals["exon"]; ex != "" {
				n, err := strconv.Atoi(ex)
				if err != nil || n <= 0 {
					return nil, fmt.Errorf("%s.exon: not an exon number: %w", path, store.ErrInvalid)
				}
				if v.ProteinChange == nil {
					v.Exon = &n
				}
			}
			wrap(Criteria{Variant: v})
		case "copy number variation", "cnv":
			if call := vals["cnv_call"]; call != "" {
				t, ok := cnvCall(call)
				if !ok {
					return nil, fmt.Errorf("%s.cnv_call: unknown call %q: %w", path, call, store.ErrInvalid)
				}
				wrap(Criteria{CNV: &CNVCrit{Gene: gene, Type: string(t)}})
			} else {
				wrap(anyCNV(gene))
			}
		case "structural variation", "sv":
			f := &FusionCrit{Gene: gene}
			if p := normGene(vals["fusion_partner_hugo_symbol"]); p != "" && p != "ANY_GENE" {
				if gene == "*" {
					f.Gene = p
				} else {
					f.Partner = &p
				}
			}
			wrap(Criteria{Fusion: f})
		case "any variation":
			wrap(Criteria{Any: []Criteria{{Variant: &VariantCrit{Gene: gene}}, anyCNV(gene)}})
		case "signature":
		default:
			return nil, fmt.Errorf("%s.variant_category: unknown category %q: %w", path, vals["variant_category"], store.ErrInvalid)
		}
	}
	for k := range m {
		switch k {
		case "hugo_symbol", "variant_category", "protein_change", "wildcard_protein_change", "variant_classification",
			"exon", "cnv_call", "wildtype", "mmr_status", "ms_status", "tmb_numerical", "fusion_partner_hugo_symbol":
		default:
			if _, ok := ctmlSignatures[k]; !ok && !ctmlIgnored[k] {
				return nil, fmt.Errorf("%s.%s: unsupported CTML genomic key: %w", path, k, store.ErrInvalid)
			}
		}
	}
	c := combine(parts, true)
	if c == nil {
		return nil, fmt.Errorf("%s: genomic clause says nothing to match: %w", path, store.ErrInvalid)
	}
	if neg {
		n := not(*c)
		return &n, nil
	}
	return c, nil
}

func anyCNV(gene string) Criteria {
	var parts []Criteria
	for _, t := range []string{"AMPLIFICATION", "DELETION", "GAIN", "HETLOSS"} {
		parts = append(parts, Criteria{CNV: &CNVCrit{Gene: gene, Type: t}})
	}
	return Criteria{Any: parts}
}

// Trials lists the imported trials by id.
func (s *Service) Trials(ctx context.Context) ([]*Trial, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Trial, 0, len(s.trials))
	for _, t := range s.trials {
		out = append(out, t)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// Trial returns one trial.
func (s *Service) Trial(ctx context.Context, id string) (*Trial, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.trials[id]
	if !ok {
		return nil, fmt.Errorf("trial %q: %w", id, store.ErrNotFound)
	}
	return t, nil
}

// TrialCriteria is the trial's arms combined with OR.
func (t *Trial) TrialCriteria() Criteria {
	if len(t.Arms) == 1 {
		return t.Arms[0].Criteria
	}
	parts := make([]Criteria, len(t.Arms))
	for i, a := range t.Arms {
		parts[i] = a.Criteria
	}
	return Criteria{Any: parts}
}

// TrialMatchCount counts the patients matching any arm of the trial.
func (s *Service) TrialMatchCount(ctx context.Context, trialID string, canSeeExact bool) (CohortCount, error) {
	t, err := s.Trial(ctx, trialID)
	if err != nil {
		return CohortCount{}, err
	}
	cc, err := s.CountAsOf(ctx, t.TrialCriteria(), canSeeExact, nil)
	if err != nil {
		return CohortCount{}, err
	}
	if len(t.Arms) > 1 && len(cc.Attrition) == 1 {
		cc.Attrition[0].Rule = fmt.Sprintf("any of the %d arms of trial %s", len(t.Arms), t.ID)
	}
	return cc, nil
}

// TrialMatch is one trial arm a patient is eligible for, with the reasons
// (the leaf criteria that held, and their evidence).
type TrialMatch struct {
	Trial   *Trial   `json:"trial"`
	Arm     string   `json:"arm"`
	Level   string   `json:"level"`
	Reasons []string `json:"reasons"`
}

// PatientTrials returns the trial arms (suspended ones included, flagged
// on the arm) the patient is eligible for. The caller must hold
// patients:read and audit the read.
func (s *Service) PatientTrials(ctx context.Context, patientID string) ([]TrialMatch, error) {
	p, err := s.Patient(ctx, patientID)
	if err != nil {
		return nil, err
	}
	trials, err := s.Trials(ctx)
	if err != nil {
		return nil, err
	}
	at := s.indexDate()
	out := []TrialMatch{}
	for _, t := range trials {
		for _, a := range t.Arms {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ok, leaves, err := s.matchRecord(p, &a.Criteria, at)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			var reasons []string
			seen := map[string]bool{}
			for _, l := range leaves {
				var r string
				switch {
				case l.Matched && !l.Negated:
					r = l.Rule + ": " + strings.Join(l.Evidence, "; ")
				case !l.Matched && l.Negated:
					r = "not (" + l.Rule + "): " + strings.Join(l.Evidence, "; ")
				default:
					continue
				}
				if !seen[r] {
					seen[r] = true
					reasons = append(reasons, r)
				}
			}
			out = append(out, TrialMatch{Trial: t, Arm: a.Code, Level: a.Level, Reasons: reasons})
		}
	}
	return out, nil
}
