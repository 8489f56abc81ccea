package cohorts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rxlab/rxlab/store"
)

// Import formats accepted by ImportPatients.
const (
	FormatFHIRBundle         = "fhir-bundle"
	FormatSyntheaCSV         = "synthea-csv"
	FormatMatchMinerClinical = "matchminer-clinical"
	FormatMatchMinerGenomic  = "matchminer-genomic"
)

// maxImportBytes bounds one import call's data.
const maxImportBytes = 512 << 20

// ImportPatients imports patients in one of the formats FormatFHIRBundle,
// FormatFHIRNDJSON, FormatSyntheaCSV, FormatMatchMinerClinical or
// FormatMatchMinerGenomic, in one staged write (ImportResult.Committed).
// Bad records are rejected one by one (ImportResult.Errors says where and
// why); good ones are kept. A document that cannot be read at all is an
// error wrapping store.ErrInvalid. MatchMiner genomic records whose
// sample id no patient has are held as unlinked samples (see
// ImportOptions); ImportPatientsWith can create those patients instead.
func (s *Service) ImportPatients(ctx context.Context, format, data string) (ImportResult, error) {
	return s.ImportPatientsWith(ctx, format, data, ImportOptions{})
}

// importPatients is ImportPatients with every record linked to (or
// creating) its patient.
func (s *Service) importPatients(ctx context.Context, format, data string) (ImportResult, error) {
	if len(data) > maxImportBytes {
		return ImportResult{}, fmt.Errorf("data: %d bytes, more than the %d allowed in one call: %w", len(data), maxImportBytes, store.ErrInvalid)
	}
	var muts []mutation
	res := ImportResult{Errors: []ImportError{}}
	var err error
	switch format {
	case FormatFHIRBundle:
		muts, err = fhirMutations([]byte(data), &res)
	case FormatSyntheaCSV:
		muts, err = syntheaMutations(data, &res)
	case FormatMatchMinerClinical:
		muts, err = matchminerClinical(data, &res)
	case FormatMatchMinerGenomic:
		muts, err = matchminerGenomic(data, &res)
	case FormatFHIRNDJSON:
		return s.ImportPatientStream(ctx, format, strings.NewReader(data), StreamOptions{})
	default:
		return ImportResult{}, fmt.Errorf("format: unknown import format %q (want %s, %s, %s, %s or %s): %w", format,
			FormatFHIRBundle, FormatFHIRNDJSON, FormatSyntheaCSV, FormatMatchMinerClinical, FormatMatchMinerGenomic, store.ErrInvalid)
	}
	if err != nil {
		return ImportResult{}, err
	}
	if err := s.importMutations(ctx, muts, &res); err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// ImportFHIR imports one FHIR R4 Bundle (Patient, Condition,
// MedicationRequest/MedicationStatement, Observation).
func (s *Service) ImportFHIR(ctx context.Context, bundle []byte) (ImportResult, error) {
	return s.ImportPatients(ctx, FormatFHIRBundle, string(bundle))
}

type fhirCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type fhirConcept struct {
	Coding []fhirCoding `json:"coding"`
	Text   string       `json:"text"`
}

type fhirQuantity struct {
	Value *float64 `json:"value"`
	Unit  string   `json:"unit"`
	Code  string   `json:"code"`
}

type fhirRef struct {
	Reference string `json:"reference"`
}

type fhirResource struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	// Patient
	Gender           string          `json:"gender"`
	BirthDate        string          `json:"birthDate"`
	DeceasedDateTime string          `json:"deceasedDateTime"`
	DeceasedBoolean  *bool           `json:"deceasedBoolean"`
	Extension        []fhirExtension `json:"extension"`
	// Condition, Observation, Medication*
	Subject           *fhirRef                `json:"subject"`
	Code              *fhirConcept            `json:"code"`
	OnsetDateTime     string                  `json:"onsetDateTime"`
	RecordedDate      string                  `json:"recordedDate"`
	EffectiveDateTime string                  `json:"effectiveDateTime"`
	EffectivePeriod   *struct{ Start string } `json:"effectivePeriod"`
	Issued            string                  `json:"issued"`
	ValueQuantity     *fhirQuantity           `json:"valueQuantity"`
	Component         []struct {
		Code          *fhirConcept  `json:"code"`
		ValueQuantity *fhirQuantity `json:"valueQuantity"`
	} `json:"component"`
	MedicationCodeableConcept *fhirConcept `json:"medicationCodeableConcept"`
	AuthoredOn                string       `json:"authoredOn"`
}

type fhirExtension struct {
	URL         string          `json:"url"`
	ValueString string          `json:"valueString"`
	ValueCoding *fhirCoding     `json:"valueCoding"`
	Extension   []fhirExtension `json:"extension"`
}

// fhirSystems maps FHIR coding-system URIs to rxlab system names.
var fhirSystems = map[string]string{
	"http://snomed.info/sct":                      SysSNOMED,
	"http://hl7.org/fhir/sid/icd-10-cm":           SysICD10,
	"http://hl7.org/fhir/sid/icd-10":              SysICD10,
	"http://www.nlm.nih.gov/research/umls/rxnorm": SysRxNorm,
	"http://www.whocc.no/atc":                     SysATC,
	"http://loinc.org":                            SysLOINC,
	"http://oncotree.mskcc.org":                   SysOncotree,
}

func refID(ref string) string {
	ref = strings.TrimSpace(ref)
	if i := strings.LastIndex(ref, "urn:uuid:"); i >= 0 {
		return ref[i+len("urn:uuid:"):]
	}
	if i := strings.LastIndex(ref, "Patient/"); i >= 0 {
		return ref[i+len("Patient/"):]
	}
	return ref
}

func firstDate(ds ...string) string {
	for _, d := range ds {
		if n, ok := normDate(d); ok && n != "" {
			return n
		}
	}
	return ""
}

// fhirRace reads the US Core race extension's text or first OMB category.
func fhirRace(exts []fhirExtension) string {
	for _, e := range exts {
		if !strings.HasSuffix(e.URL, "us-core-race") {
			continue
		}
		for _, sub := range e.Extension {
			if sub.URL == "ombCategory" && sub.ValueCoding != nil && sub.ValueCoding.Display != "" {
				return usRace(sub.ValueCoding.Display)
			}
		}
		for _, sub := range e.Extension {
			if sub.URL == "text" && sub.ValueString != "" {
				return usRace(sub.ValueString)
			}
		}
	}
	return ""
}

// usRace folds OMB race category names to Synthea's short names.
func usRace(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "white":
		return "white"
	case "black or african american", "black":
		return "black"
	case "asian":
		return "asian"
	case "american indian or alaska native", "native":
		return "native"
	case "native hawaiian or other pacific islander", "hawaiian":
		return "hawaiian"
	case "other", "other race":
		return "other"
	}
	return strings.ToLower(strings.TrimSpace(s))
}

type fhirPatient struct {
	demo        *Patient
	conditions  []ClinicalCode
	medications []ClinicalCode
	labs        []LabValue
	records     int
	order       int
}

// fhirMutations reads a Bundle into one mutation per patient.
func fhirMutations(data []byte, res *ImportResult) ([]mutation, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("bundle: not a JSON FHIR Bundle: %v: %w", err, store.ErrInvalid)
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("bundle.resourceType: %q, want Bundle: %w", b.ResourceType, store.ErrInvalid)
	}
	pats := map[string]*fhirPatient{}
	var order []string
	get := func(id string) *fhirPatient {
		p, ok := pats[id]
		if !ok {
			p = &fhirPatient{order: len(order)}
			pats[id] = p
			order = append(order, id)
		}
		return p
	}
	urlToID := map[string]string{}
	resources := make([]*fhirResource, len(b.Entry))
	for i, e := range b.Entry {
		var r fhirResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			res.reject(fmt.Sprintf("entry[%d]", i), "unreadable resource: %v", err)
			continue
		}
		resources[i] = &r
		if r.ResourceType == "Patient" {
			if r.ID == "" {
				res.reject(fmt.Sprintf("entry[%d] (Patient)", i), "missing id")
				resources[i] = nil
				continue
			}
			if e.FullURL != "" {
				urlToID[e.FullURL] = r.ID
			}
			urlToID["Patient/"+r.ID] = r.ID
			urlToID["urn:uuid:"+r.ID] = r.ID
		}
	}
	for i, r := range resources {
		if r == nil {
			continue
		}
		loc := fmt.Sprintf("entry[%d] (%s)", i, r.ResourceType)
		subject := ""
		if r.Subject != nil {
			if id, ok := urlToID[r.Subject.Reference]; ok {
				subject = id
			} else {
				subject = refID(r.Subject.Reference)
			}
		}
		pt, ok := fhirResourcePart(r, subject, loc, res)
		if !ok {
			continue
		}
		p := get(pt.id)
		switch pt.kind {
		case "Patient":
			p.demo = pt.demo
		case "Condition":
			p.conditions = append(p.conditions, pt.codes...)
		case "Medication":
			p.medications = append(p.medications, pt.codes...)
		case "Observation":
			p.labs = append(p.labs, pt.labs...)
		}
		p.records++
	}
	muts := make([]mutation, 0, len(order))
	for _, id := range order {
		fp := pats[id]
		muts = append(muts, mutation{id: id, loc: "patient " + fmt.Sprint(fp.order), records: fp.records, fn: func(p *Patient) error {
			if fp.demo != nil {
				// A bundle with the Patient is a clinical snapshot.
				p.Sex, p.BirthDate, p.DeathDate, p.Race = fp.demo.Sex, fp.demo.BirthDate, fp.demo.DeathDate, fp.demo.Race
				p.Deceased = fp.demo.Deceased
				p.Conditions, p.Medications, p.Labs = fp.conditions, fp.medications, fp.labs
				return nil
			}
			p.Conditions = append(p.Conditions, fp.conditions...)
			p.Medications = append(p.Medications, fp.medications...)
			p.Labs = append(p.Labs, fp.labs...)
			return nil
		}})
	}
	return muts, nil
}

// fhirPart is what one FHIR resource gives its patient.
type fhirPart struct {
	id    string
	kind  string // Patient, Condition, Medication or Observation
	demo  *Patient
	codes []ClinicalCode
	labs  []LabValue
}

// fhirResourcePart reads one resource whose patient is subject (the
// resource's own id for a Patient); false when it was rejected (res says
// why) or carries nothing rxlab indexes.
func fhirResourcePart(r *fhirResource, subject, loc string, res *ImportResult) (fhirPart, bool) {
	switch r.ResourceType {
	case "Patient":
		bd, ok := normDate(r.BirthDate)
		if !ok {
			res.reject(loc+".birthDate", "unreadable date")
			return fhirPart{}, false
		}
		dd, ok := normDate(r.DeceasedDateTime)
		if !ok {
			res.reject(loc+".deceasedDateTime", "unreadable date")
			return fhirPart{}, false
		}
		dead := dd != "" || (r.DeceasedBoolean != nil && *r.DeceasedBoolean)
		return fhirPart{id: r.ID, kind: "Patient", demo: &Patient{ID: r.ID, Sex: normSex(r.Gender), BirthDate: bd, DeathDate: dd, Deceased: dead, Race: fhirRace(r.Extension)}}, true
	case "Condition", "MedicationRequest", "MedicationStatement":
		if subject == "" {
			res.reject(loc+".subject", "missing patient reference")
			return fhirPart{}, false
		}
		concept := r.Code
		date := firstDate(r.OnsetDateTime, r.RecordedDate)
		kind := "Condition"
		if r.ResourceType != "Condition" {
			kind = "Medication"
			concept = r.MedicationCodeableConcept
			start := ""
			if r.EffectivePeriod != nil {
				start = r.EffectivePeriod.Start
			}
			date = firstDate(r.AuthoredOn, r.EffectiveDateTime, start)
		}
		if concept == nil {
			res.reject(loc, "no code (medication given by reference is not supported)")
			return fhirPart{}, false
		}
		var codes []ClinicalCode
		for _, c := range concept.Coding {
			if sys, ok := fhirSystems[c.System]; ok && c.Code != "" {
				disp := c.Display
				if disp == "" {
					disp = concept.Text
				}
				codes = append(codes, ClinicalCode{System: sys, Code: normCode(sys, c.Code), Display: disp, Date: date})
			}
		}
		if len(codes) == 0 {
			res.reject(loc+".code", "no coding in a known system (SNOMED, ICD-10-CM, RxNorm, ATC)")
			return fhirPart{}, false
		}
		return fhirPart{id: subject, kind: kind, codes: codes}, true
	case "Observation":
		if subject == "" {
			res.reject(loc+".subject", "missing patient reference")
			return fhirPart{}, false
		}
		labs := fhirLabs(r)
		if len(labs) == 0 {
			res.skip("Observation (no LOINC quantity)", 1) // e.g. a survey answer: nothing to index
			return fhirPart{}, false
		}
		return fhirPart{id: subject, kind: "Observation", labs: labs}, true
	}
	res.skip(r.ResourceType, 1)
	return fhirPart{}, false
}

// fhirLabs reads an Observation's LOINC-coded quantities (its value and
// its components').
func fhirLabs(r *fhirResource) []LabValue {
	date := firstDate(r.EffectiveDateTime, r.Issued)
	var labs []LabValue
	add := func(c *fhirConcept, q *fhirQuantity) {
		if c == nil || q == nil || q.Value == nil {
			return
		}
		for _, cd := range c.Coding {
			if cd.System == "http://loinc.org" && cd.Code != "" {
				unit := q.Code
				if unit == "" {
					unit = q.Unit
				}
				labs = append(labs, LabValue{Loinc: cd.Code, Value: *q.Value, Unit: unit, Date: date})
				return
			}
		}
	}
	add(r.Code, r.ValueQuantity)
	for _, comp := range r.Component {
		add(comp.Code, comp.ValueQuantity)
	}
	return labs
}
