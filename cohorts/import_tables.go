package cohorts

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/hgvs"
	"github.com/rxlab/rxlab/store"
)

// table is a CSV table read into rows keyed by upper-cased column name.
type table struct {
	name string
	rows []map[string]string
	line []int // line number of each row
}

func readCSV(name, text string) (*table, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the header line: %v: %w", name, err, store.ErrInvalid)
	}
	for i := range head {
		head[i] = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff")))
	}
	t := &table{name: name}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s line %d: %v: %w", name, pe.Line, pe.Err, store.ErrInvalid)
			}
			return nil, fmt.Errorf("%s: %v: %w", name, err, store.ErrInvalid)
		}
		line, _ := r.FieldPos(0)
		row := map[string]string{}
		for i, v := range rec {
			if i < len(head) {
				row[head[i]] = strings.TrimSpace(v)
			}
		}
		t.rows = append(t.rows, row)
		t.line = append(t.line, line)
	}
	return t, nil
}

// syntheaMutations reads Synthea CSV tables (a JSON object mapping table
// name to CSV text): patients, conditions, medications, observations.
// Each table replaces that kind of record for the patients it mentions.
func syntheaMutations(data string, res *ImportResult) ([]mutation, error) {
	var tables map[string]string
	if err := json.Unmarshal([]byte(data), &tables); err != nil {
		return nil, fmt.Errorf("data: want a JSON object mapping table names to CSV text: %v: %w", err, store.ErrInvalid)
	}
	known := map[string]bool{"patients": true, "conditions": true, "medications": true, "observations": true}
	names := make([]string, 0, len(tables))
	var unknown []string
	for n := range tables {
		n2 := strings.TrimSuffix(strings.ToLower(n), ".csv")
		if !known[n2] {
			unknown = append(unknown, n)
			continue
		}
		names = append(names, n)
	}
	sort.Strings(unknown)
	for _, n := range unknown {
		if err := store.CheckName("table name", n); err != nil || len(n) > 100 {
			return nil, fmt.Errorf("data: a table name is not a plain name: %w", store.ErrInvalid)
		}
		res.skip("table "+n, 1)
		res.warn("data.%s: Synthea table not read (rxlab reads patients, conditions, medications, observations); skipped", n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("data: no Synthea table rxlab reads (want patients, conditions, medications or observations): %w", store.ErrInvalid)
	}
	sort.Slice(names, func(a, b int) bool { return tableOrder(names[a]) < tableOrder(names[b]) })
	var muts []mutation
	for _, n := range names {
		kind := strings.TrimSuffix(strings.ToLower(n), ".csv")
		t, err := readCSV(kind+".csv", tables[n])
		if err != nil {
			return nil, err
		}
		if len(t.rows) > 0 {
			if err := syntheaNeed(kind, t.rows[0]); err != nil {
				return nil, err
			}
		}
		// Rows are grouped per patient: each table replaces that kind of
		// record of the patients it mentions.
		by := map[string]*Patient{}
		count := map[string]int{}
		var order []string
		for i, row := range t.rows {
			pt, ok := syntheaRow(kind, row, fmt.Sprintf("%s.csv line %d", kind, t.line[i]), res)
			if !ok {
				continue
			}
			if kind == "patients" {
				muts = append(muts, pt.mutation(false))
				continue
			}
			acc, seen := by[pt.id]
			if !seen {
				acc = &Patient{}
				by[pt.id] = acc
				order = append(order, pt.id)
			}
			pt.into(acc)
			count[pt.id]++
		}
		for _, id := range order {
			acc := by[id]
			muts = append(muts, syntheaPart{id: id, kind: kind, codes: append(acc.Conditions, acc.Medications...), labs: acc.Labs}.withRecords(count[id]).mutation(true))
		}
	}
	return muts, nil
}

// syntheaColumns are the columns each Synthea table needs.
var syntheaColumns = map[string][]string{
	"patients":     {"ID", "BIRTHDATE", "GENDER"},
	"conditions":   {"START", "PATIENT", "CODE"},
	"medications":  {"START", "PATIENT", "CODE"},
	"observations": {"DATE", "PATIENT", "CODE", "VALUE"},
}

// syntheaNeed checks that a table's header (any row's keys) has the columns
// its kind needs.
func syntheaNeed(kind string, row map[string]string) error {
	for _, c := range syntheaColumns[kind] {
		if _, ok := row[c]; !ok {
			return fmt.Errorf("%s.csv: missing column %s: %w", kind, c, store.ErrInvalid)
		}
	}
	return nil
}

// syntheaPart is what one or more Synthea rows of one table give a patient.
type syntheaPart struct {
	id      string
	kind    string // patients, conditions, medications, observations
	demo    Patient
	codes   []ClinicalCode
	labs    []LabValue
	records int
}

func (pt syntheaPart) withRecords(n int) syntheaPart { pt.records = n; return pt }

// into appends the part's codes or labs to acc (grouping rows).
func (pt syntheaPart) into(acc *Patient) {
	if pt.kind == "medications" {
		acc.Medications = append(acc.Medications, pt.codes...)
	} else {
		acc.Conditions = append(acc.Conditions, pt.codes...)
	}
	acc.Labs = append(acc.Labs, pt.labs...)
}

// mutation applies the part: demographics, or the codes or labs, replacing
// that kind of record when replace is set and appending otherwise.
func (pt syntheaPart) mutation(replace bool) mutation {
	return mutation{id: pt.id, loc: pt.kind + ".csv", records: max(pt.records, 1), fn: func(p *Patient) error {
		pt.apply(p, replace)
		return nil
	}}
}

func (pt syntheaPart) apply(p *Patient, replace bool) {
	switch pt.kind {
	case "patients":
		p.Sex, p.BirthDate, p.DeathDate, p.Race = pt.demo.Sex, pt.demo.BirthDate, pt.demo.DeathDate, pt.demo.Race
		p.Deceased = pt.demo.DeathDate != ""
	case "conditions":
		if replace {
			p.Conditions = nil
		}
		p.Conditions = append(p.Conditions, pt.codes...)
	case "medications":
		if replace {
			p.Medications = nil
		}
		p.Medications = append(p.Medications, pt.codes...)
	case "observations":
		if replace {
			p.Labs = nil
		}
		p.Labs = append(p.Labs, pt.labs...)
	}
}

// syntheaRow reads one row of a Synthea table; false when it was rejected
// (res says why) or carries nothing to index (a text observation).
func syntheaRow(kind string, row map[string]string, loc string, res *ImportResult) (syntheaPart, bool) {
	switch kind {
	case "patients":
		bd, ok1 := normDate(row["BIRTHDATE"])
		dd, ok2 := normDate(row["DEATHDATE"])
		switch {
		case !ok1 || bd == "":
			res.reject(loc+" BIRTHDATE", "unreadable or empty date")
		case !ok2:
			res.reject(loc+" DEATHDATE", "unreadable date")
		case row["ID"] == "":
			res.reject(loc+" Id", "empty patient id")
		default:
			return syntheaPart{id: row["ID"], kind: kind, records: 1, demo: Patient{Sex: normSex(row["GENDER"]), BirthDate: bd, DeathDate: dd, Race: normRace(row["RACE"])}}, true
		}
		return syntheaPart{}, false
	case "conditions", "medications":
		d, ok := normDate(row["START"])
		if !ok {
			res.reject(loc+" START", "unreadable date")
			return syntheaPart{}, false
		}
		if row["PATIENT"] == "" || row["CODE"] == "" {
			res.reject(loc, "empty PATIENT or CODE")
			return syntheaPart{}, false
		}
		sys := SysSNOMED
		if kind == "medications" {
			sys = SysRxNorm
		}
		if s := strings.ToUpper(row["SYSTEM"]); s != "" { // newer Synthea exports name the system
			switch {
			case strings.Contains(s, "SNOMED"):
				sys = SysSNOMED
			case strings.Contains(s, "ICD"):
				sys = SysICD10
			case strings.Contains(s, "RXNORM"):
				sys = SysRxNorm
			}
		}
		c := ClinicalCode{System: sys, Code: normCode(sys, row["CODE"]), Display: row["DESCRIPTION"], Date: d}
		return syntheaPart{id: row["PATIENT"], kind: kind, records: 1, codes: []ClinicalCode{c}}, true
	case "observations":
		if tp := strings.ToLower(row["TYPE"]); tp != "" && tp != "numeric" {
			return syntheaPart{}, false // text observations carry no value to compare
		}
		d, ok := normDate(row["DATE"])
		if !ok {
			res.reject(loc+" DATE", "unreadable date")
			return syntheaPart{}, false
		}
		v, err := strconv.ParseFloat(row["VALUE"], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			res.reject(loc+" VALUE", "not a number")
			return syntheaPart{}, false
		}
		if row["PATIENT"] == "" || row["CODE"] == "" {
			res.reject(loc, "empty PATIENT or CODE")
			return syntheaPart{}, false
		}
		l := LabValue{Loinc: row["CODE"], Value: v, Unit: row["UNITS"], Date: d}
		return syntheaPart{id: row["PATIENT"], kind: kind, records: 1, labs: []LabValue{l}}, true
	}
	return syntheaPart{}, false
}

func tableOrder(n string) int {
	switch strings.TrimSuffix(strings.ToLower(n), ".csv") {
	case "patients":
		return 0
	case "conditions":
		return 1
	case "medications":
		return 2
	}
	return 3
}

// mmRecords reads MatchMiner records: a JSON array, concatenated JSON
// objects (MongoDB export), or CSV with a header line. Values become
// strings; MongoDB extended JSON ({"$date": ...}, {"$oid": ...}) is unwrapped.
func mmRecords(name, data string) ([]map[string]string, []string, error) {
	trim := strings.TrimSpace(data)
	if strings.HasPrefix(trim, "[") || strings.HasPrefix(trim, "{") {
		dec := json.NewDecoder(strings.NewReader(trim))
		dec.UseNumber()
		var objs []map[string]any
		if strings.HasPrefix(trim, "[") {
			if err := dec.Decode(&objs); err != nil {
				return nil, nil, fmt.Errorf("%s: not a JSON array of records: %v: %w", name, err, store.ErrInvalid)
			}
		} else {
			for {
				var o map[string]any
				err := dec.Decode(&o)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return nil, nil, fmt.Errorf("%s: record %d: %v: %w", name, len(objs), err, store.ErrInvalid)
				}
				objs = append(objs, o)
			}
		}
		out := make([]map[string]string, len(objs))
		locs := make([]string, len(objs))
		for i, o := range objs {
			row := map[string]string{}
			for k, v := range o {
				row[strings.ToUpper(k)] = mmString(v)
			}
			out[i] = row
			locs[i] = fmt.Sprintf("record %d", i)
		}
		return out, locs, nil
	}
	t, err := readCSV(name, data)
	if err != nil {
		return nil, nil, err
	}
	locs := make([]string, len(t.rows))
	for i := range t.rows {
		locs[i] = fmt.Sprintf("line %d", t.line[i])
	}
	return t.rows, locs, nil
}

func mmString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case map[string]any:
		if d, ok := x["$date"]; ok {
			switch dv := d.(type) {
			case json.Number:
				if ms, err := dv.Int64(); err == nil {
					return time.UnixMilli(ms).UTC().Format("2006-01-02")
				}
			case map[string]any:
				if n, ok := dv["$numberLong"].(string); ok {
					if ms, err := strconv.ParseInt(n, 10, 64); err == nil {
						return time.UnixMilli(ms).UTC().Format("2006-01-02")
					}
				}
			}
			return mmString(d)
		}
		if o, ok := x["$oid"]; ok {
			return mmString(o)
		}
	}
	return fmt.Sprint(v)
}

// mmID is the patient a MatchMiner record belongs to: its SAMPLE_ID, or
// for genomic records that only link to the clinical document, CLINICAL_ID
// (MatchMiner's clinical _id, equal to SAMPLE_ID in its test data).
func mmID(row map[string]string) string {
	return firstNonEmpty(row["SAMPLE_ID"], row["CLINICAL_ID"], row["MRN"])
}

// LOINC codes rxlab uses for MatchMiner fields.
const (
	loincTMB = "94076-7" // Mutations/Megabase [# Ratio] in Tumor
)

// matchminerClinical reads MatchMiner clinical records. Each record
// replaces the patient's demographics, OncoTree diagnosis and tumour
// mutational burden.
func matchminerClinical(data string, res *ImportResult) ([]mutation, error) {
	rows, locs, err := mmRecords("clinical", data)
	if err != nil {
		return nil, err
	}
	var muts []mutation
	for i, row := range rows {
		if m, ok := mmClinicalRow(row, locs[i], res); ok {
			muts = append(muts, m)
		}
	}
	return muts, nil
}

// mmUnknownDate is the date MatchMiner's demo data writes for an unknown
// report date; it and anything earlier are treated as unknown.
const mmUnknownDate = "1900-01-01"

// mmClinicalRow reads one MatchMiner clinical record into a mutation that
// replaces the patient's demographics, OncoTree diagnosis and tumour
// mutational burden; false when it was rejected (res says why).
func mmClinicalRow(row map[string]string, loc string, res *ImportResult) (mutation, bool) {
	id := mmID(row)
	if id == "" {
		res.reject(loc+" SAMPLE_ID", "missing sample id")
		return mutation{}, false
	}
	bd, ok := normDate(row["BIRTH_DATE"])
	if !ok {
		res.reject(loc+" BIRTH_DATE", "unreadable date")
		return mutation{}, false
	}
	report, _ := normDate(row["REPORT_DATE"])
	if report <= mmUnknownDate {
		report = "" // MatchMiner's placeholder for an unknown date: omitted, never shown as evidence
	}
	dx := row["ONCOTREE_PRIMARY_DIAGNOSIS_NAME"]
	if dx == "" {
		dx = row["ONCOTREE_PRIMARY_DIAGNOSIS"]
	}
	var tmb *LabValue
	if t := row["TUMOR_MUTATIONAL_BURDEN_PER_MEGABASE"]; t != "" {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			res.reject(loc+" TUMOR_MUTATIONAL_BURDEN_PER_MEGABASE", "not a number")
			return mutation{}, false
		}
		tmb = &LabValue{Loinc: loincTMB, Value: v, Unit: "/mb", Date: report}
	}
	sex := normSex(row["GENDER"])
	dead := strings.EqualFold(strings.TrimSpace(row["VITAL_STATUS"]), "deceased")
	return mutation{id: id, loc: loc, records: 1, fn: func(p *Patient) error {
		p.Sex, p.BirthDate, p.Deceased = sex, bd, dead
		var conds []ClinicalCode
		for _, c := range p.Conditions {
			if c.System != SysOncotree {
				conds = append(conds, c)
			}
		}
		if dx != "" {
			conds = append(conds, ClinicalCode{System: SysOncotree, Code: onco.oncoCode(dx), Display: dx, Date: report})
		}
		p.Conditions = conds
		var labs []LabValue
		for _, l := range p.Labs {
			if l.Loinc != loincTMB {
				labs = append(labs, l)
			}
		}
		if tmb != nil {
			labs = append(labs, *tmb)
		}
		p.Labs = labs
		return nil
	}}, true
}

// mafClass maps a MAF variant classification onto the contract's classes
// through hgvs.MAFClass, rxlab's one MAF map.
func mafClass(s string) genomics.VariantClass { return hgvs.MAFClass(s) }

// cnvCall maps MatchMiner CNV_CALL values (and CTML cnv_call) to CNV types.
func cnvCall(s string) (genomics.CNVType, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "high level amplification", "high amplification", "amplification", "amp":
		return genomics.Amplification, true
	case "homozygous deletion", "deletion", "homdel":
		return genomics.Deletion, true
	case "gain":
		return "GAIN", true
	case "heterozygous deletion", "hetloss":
		return "HETLOSS", true
	}
	return "", false
}

// mmrStatus maps MatchMiner MMR/MSI wording to MMR=DEFICIENT|PROFICIENT.
func mmrStatus(s string) (string, bool) {
	l := strings.ToLower(s)
	switch {
	case l == "":
		return "", false
	case strings.Contains(l, "deficient"), strings.Contains(l, "msi-h"), strings.Contains(l, "mmr-d"):
		return "DEFICIENT", true
	case strings.Contains(l, "proficient"), strings.Contains(l, "mss"), strings.Contains(l, "msi-l"), strings.Contains(l, "mmr-p"):
		return "PROFICIENT", true
	case strings.Contains(l, "cannot assess"), strings.Contains(l, "indeterminate"), strings.Contains(l, "unknown"):
		return "INDETERMINATE", true
	}
	return "", false
}

// mmSignatures are MatchMiner's signature status columns and rxlab's biomarker names.
var mmSignatures = map[string]string{
	"TABACCO_STATUS": "TOBACCO", "TOBACCO_STATUS": "TOBACCO", "TEMOZOLOMIDE_STATUS": "TEMOZOLOMIDE",
	"POLE_STATUS": "POLE", "APOBEC_STATUS": "APOBEC", "UVA_STATUS": "UVA",
}

type mmGenomic struct {
	variants []Variant
	cnvs     []genomics.CNV
	fusions  []genomics.Fusion
	tested   []string
	markers  []Biomarker
	records  int
}

// add reads one MatchMiner genomic record into g; false when it was
// rejected (res says why).
func (g *mmGenomic) add(row map[string]string, loc string, res *ImportResult) bool {
	hugo := gene(row)
	cat := strings.ToUpper(row["VARIANT_CATEGORY"])
	wild := strings.EqualFold(row["WILDTYPE"], "true")
	switch {
	case wild || cat == "WT":
		if hugo == "" {
			res.reject(loc+" TRUE_HUGO_SYMBOL", "wild-type record without a gene")
			return false
		}
		g.tested = append(g.tested, hugo)
	case cat == "MUTATION":
		if hugo == "" {
			res.reject(loc+" TRUE_HUGO_SYMBOL", "mutation without a gene")
			return false
		}
		v := Variant{Variant: genomics.Variant{Gene: hugo, Origin: genomics.Somatic}}
		if strings.Contains(strings.ToLower(row["SOMATIC_STATUS"]), "germline") {
			v.Origin = genomics.Germline
		}
		if pc := firstNonEmpty(row["TRUE_PROTEIN_CHANGE"], row["HARMONIZED_PROTEIN_CHANGE"]); pc != "" {
			if _, _, ok := parseProtein(pc); ok {
				v.ProteinChange = normProtein(pc)
			}
		}
		v.Class = mafClass(firstNonEmpty(row["TRUE_VARIANT_CLASSIFICATION"], row["HARMONIZED_VARIANT_CLASSIFICATION"]))
		v.Chrom = strings.TrimPrefix(row["CHROMOSOME"], "chr")
		if ps := row["POSITION"]; ps != "" {
			f, err := strconv.ParseFloat(ps, 64)
			if err != nil || f < 0 {
				res.reject(loc+" POSITION", "not a position")
				return false
			}
			v.Pos = int64(f)
		}
		v.Ref, v.Alt = row["REFERENCE_ALLELE"], row["ALTERNATE_ALLELE"]
		if ex := firstNonEmpty(row["TRUE_TRANSCRIPT_EXON"], row["HARMONIZED_TRANSCRIPT_EXON"]); ex != "" {
			f, err := strconv.ParseFloat(ex, 64)
			if err != nil || f < 0 || f > 10000 {
				res.reject(loc+" TRUE_TRANSCRIPT_EXON", "not an exon number")
				return false
			}
			v.Exon = int(f)
		}
		g.variants = append(g.variants, v)
	case cat == "CNV" || cat == "COPY NUMBER VARIATION":
		t, ok := cnvCall(row["CNV_CALL"])
		if hugo == "" || !ok {
			res.reject(loc+" CNV_CALL", "CNV record needs a gene and a known CNV_CALL")
			return false
		}
		g.cnvs = append(g.cnvs, genomics.CNV{Gene: hugo, Type: t})
	case cat == "SV" || cat == "STRUCTURAL VARIATION":
		left := normGene(firstNonEmpty(row["LEFT_PARTNER_GENE"], row["HARMONIZED_LEFT_PARTNER_GENE"]))
		right := normGene(firstNonEmpty(row["FUSION_PARTNER_HUGO_SYMBOL"], row["RIGHT_PARTNER_GENE"], row["HARMONIZED_RIGHT_PARTNER_GENE"]))
		if hugo == "" {
			hugo = left
		} else if right == "" && left != hugo {
			right = left
		}
		if hugo == "" {
			// Unstructured SV: take gene symbols from the free-text comment.
			genes := commentGenes(row["STRUCTURAL_VARIANT_COMMENT"])
			if len(genes) == 0 {
				res.reject(loc+" STRUCTURAL_VARIANT_COMMENT", "structural variant without a gene")
				return false
			}
			hugo = genes[0]
			if len(genes) > 1 {
				right = genes[1]
			}
		}
		partner := right
		if partner == hugo {
			partner = ""
		}
		g.fusions = append(g.fusions, genomics.Fusion{Gene: hugo, Partner: partner})
	case cat == "SIGNATURE":
		found := false
		if st, ok := mmrStatus(row["MMR_STATUS"]); ok {
			g.markers = append(g.markers, Biomarker{Name: "MMR", Value: st})
			found = true
		}
		for col, name := range mmSignatures {
			if v := strings.ToUpper(row[col]); v == "YES" || v == "NO" {
				g.markers = append(g.markers, Biomarker{Name: name, Value: v})
				found = true
			}
		}
		if !found {
			res.reject(loc, "signature record without MMR_STATUS or signature statuses")
			return false
		}
	default:
		res.reject(loc+" VARIANT_CATEGORY", "unknown category %q", row["VARIANT_CATEGORY"])
		return false
	}
	g.records++
	return true
}

func gene(row map[string]string) string {
	for _, k := range []string{"TRUE_HUGO_SYMBOL", "HARMONIZED_HUGO_SYMBOL", "HUGO_SYMBOL"} {
		if g := row[k]; g != "" && !strings.EqualFold(g, "none") {
			return normGene(g)
		}
	}
	return ""
}

// matchminerGenomic reads MatchMiner genomic records. The records of a
// patient replace that patient's genomic alterations, tested genes and
// tumour biomarkers (PGx calls are kept).
func matchminerGenomic(data string, res *ImportResult) ([]mutation, error) {
	rows, locs, err := mmRecords("genomic", data)
	if err != nil {
		return nil, err
	}
	by := map[string]*mmGenomic{}
	var order []string
	for i, row := range rows {
		loc := locs[i]
		id := mmID(row)
		if id == "" {
			res.reject(loc+" SAMPLE_ID", "missing sample id")
			continue
		}
		g, ok := by[id]
		if !ok {
			g = &mmGenomic{}
			by[id] = g
			order = append(order, id)
		}
		g.add(row, loc, res)
	}
	var muts []mutation
	for _, id := range order {
		g := by[id]
		if g.records == 0 {
			continue
		}
		muts = append(muts, mutation{id: id, loc: "genomic records of sample " + strconv.Itoa(len(muts)), records: g.records, fn: func(p *Patient) error {
			p.Variants, p.CNVs, p.Fusions, p.TestedGenes = g.variants, g.cnvs, g.fusions, g.tested
			p.Biomarkers = dedupMarkers(g.markers)
			return nil
		}})
	}
	return muts, nil
}

// commentGenes returns the gene-symbol-like words of a free-text
// structural-variant comment ("EML4-ALK fusion" → EML4, ALK).
func commentGenes(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '-' || r == ',' || r == ';' || r == '(' || r == ')' || r == ':' || r == '/'
	}) {
		if len(w) < 2 || len(w) > 15 || w != strings.ToUpper(w) || w[0] < 'A' || w[0] > 'Z' {
			continue
		}
		ok := true
		for _, r := range w {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				ok = false
			}
		}
		if ok {
			out = append(out, w)
		}
	}
	return out
}

func dedupMarkers(in []Biomarker) []Biomarker {
	seen := map[string]bool{}
	var out []Biomarker
	for _, b := range in {
		k := b.Name + "=" + b.Value
		if !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name+out[a].Value < out[b].Name+out[b].Value })
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
