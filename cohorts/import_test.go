package cohorts

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/genomics"
)

func TestImportRejectsBadRecordsKeepsGood(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	tables := map[string]string{
		"patients": "Id,BIRTHDATE,DEATHDATE,RACE,GENDER\n" +
			"p1,1960-01-01,,white,F\n" +
			"p2,not-a-date,,black,M\n" +
			",1970-01-01,,asian,M\n" +
			"p3,1980-05-05,,asian,M\n",
		"conditions": "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n" +
			"2020-01-01,,p1,e,840539006,COVID-19\n" +
			"2020-13-45,,p1,e,840539006,COVID-19\n" +
			"2021-01-01,,p3,e,,missing code\n",
		"observations": "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n" +
			"2025-12-01,p1,e,751-8,ANC,1200,/uL,numeric\n" +
			"2025-12-01,p1,e,751-8,ANC,lots,/uL,numeric\n" +
			"2025-12-01,p3,e,72166-2,Tobacco,Never,,text\n",
	}
	data, _ := json.Marshal(tables)
	res, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2+1+1 || res.Rejected != 5 {
		t.Fatalf("accepted %d rejected %d: %+v", res.Accepted, res.Rejected, res.Errors)
	}
	wantLocs := []string{"patients.csv line 3 BIRTHDATE", "patients.csv line 4 Id", "conditions.csv line 3 START", "conditions.csv line 4", "observations.csv line 3 VALUE"}
	for i, w := range wantLocs {
		if i >= len(res.Errors) || res.Errors[i].Location != w {
			t.Errorf("error %d: %+v, want location %q", i, res.Errors, w)
		}
	}
	for _, e := range res.Errors {
		if strings.Contains(e.Message, "p1") || strings.Contains(e.Message, "p3") {
			t.Errorf("patient id in error message: %+v", e)
		}
	}
	// ANC 1200 /uL is 1.2 ×10³/µL.
	cc, _ := s.Count(bg, Criteria{Lab: &Lab{Loinc: "751-8", Op: "LT", Value: 1.5}}, true)
	if *cc.Count != 1 {
		t.Errorf("unit conversion: %d", *cc.Count)
	}

	// FHIR: a bad entry is rejected, the rest of the bundle kept.
	bundle := `{"resourceType":"Bundle","entry":[
	 {"fullUrl":"urn:uuid:f1","resource":{"resourceType":"Patient","id":"f1","gender":"male","birthDate":"1950-03-04",
	   "extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[{"url":"ombCategory","valueCoding":{"display":"Asian"}}]}]}},
	 {"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:f1"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C34.90"}]},"onsetDateTime":"2024-02-02T10:00:00Z"}},
	 {"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:f1"},"code":{"coding":[{"system":"http://example.org/local","code":"X"}]}}},
	 {"resource":{"resourceType":"MedicationRequest","subject":{"reference":"urn:uuid:f1"},"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"32968","display":"clopidogrel"}]},"authoredOn":"2025-01-01"}},
	 {"resource":{"resourceType":"Observation","subject":{"reference":"urn:uuid:f1"},"code":{"coding":[{"system":"http://loinc.org","code":"1975-2"}]},"valueQuantity":{"value":34.2,"code":"umol/L"},"effectiveDateTime":"2025-12-20"}},
	 {"resource":{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"1975-2"}]},"valueQuantity":{"value":1}}}
	]}`
	res, err = s.ImportFHIR(bg, []byte(bundle))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 4 || res.Rejected != 2 || res.Errors[0].Location != "entry[2] (Condition).code" || res.Errors[1].Location != "entry[5] (Observation).subject" {
		t.Fatalf("%+v", res)
	}
	p, _ := s.Patient(bg, "f1")
	if p.Race != "asian" || p.Sex != "MALE" || len(p.Conditions) != 1 || len(p.Medications) != 1 || len(p.Labs) != 1 {
		t.Fatalf("%+v", p)
	}
	q := Criteria{All: []Criteria{
		{Condition: &Code{System: "ICD10CM", Code: "C34", WithinDays: ptr(800)}},
		{Condition: &Code{System: "ONCOTREE", Code: "LUNG"}}, // derived from C34
		{Lab: &Lab{Loinc: "1975-2", Op: "EQ", Value: 2, WithinDays: ptr(30)}},
		{Medication: &Code{System: "TEXT", Code: "CLOPIDO"}},
	}}
	cc, _ = s.Count(bg, q, true)
	if *cc.Count != 1 {
		t.Errorf("FHIR patient not found by %+v", cc.Attrition)
	}

	// MatchMiner genomic: unknown category rejected with its record number.
	res, err = s.ImportPatientsWith(bg, FormatMatchMinerGenomic, `[{"SAMPLE_ID":"m1","VARIANT_CATEGORY":"MUTATION","TRUE_HUGO_SYMBOL":"KRAS","TRUE_PROTEIN_CHANGE":"p.Gly12Cys"},{"SAMPLE_ID":"m1","VARIANT_CATEGORY":"TELEPATHY","TRUE_HUGO_SYMBOL":"X"}]`, ImportOptions{CreatePatients: true})
	if err != nil || res.Accepted != 1 || res.Rejected != 1 || res.Errors[0].Location != "record 1 VARIANT_CATEGORY" {
		t.Fatalf("%+v %v", res, err)
	}
	cc, _ = s.Count(bg, Criteria{Variant: &VariantCrit{Gene: "KRAS", ProteinChange: ptr("G12C")}}, true)
	if *cc.Count != 1 {
		t.Errorf("three-letter protein change not normalized")
	}
	// Not JSON at all → an error for the whole call.
	if _, err := s.ImportPatients(bg, FormatFHIRBundle, "{"); err == nil {
		t.Error("want error for unreadable bundle")
	}
	if _, err := s.ImportPatients(bg, "hl7v2", "x"); err == nil {
		t.Error("want error for unknown format")
	}
}

func TestStreamingGenomicsImport(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	g, err := s.BeginGenomics(bg, genomics.Somatic)
	if err != nil {
		t.Fatal(err)
	}
	// One patient's variants arrive in two batches; both are kept.
	if err := g.Add("s1", []genomics.Variant{{Gene: "BRAF", ProteinChange: "V600E", Class: genomics.Missense}}, []string{"BRAF", "NRAS"}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := g.Add("s1", []genomics.Variant{{Gene: "TP53", ProteinChange: "R175H"}, {Gene: "", Chrom: "1", Pos: 5}, {Gene: "KRAS"}}, nil, nil, []genomics.CNV{{Gene: "MYC", Type: genomics.Amplification}}, []genomics.Fusion{{Gene: "ALK", Partner: "EML4"}}); err != nil {
		t.Fatal(err)
	}
	res, err := g.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 1 || res.Errors[0].Location != "variant 2 (KRAS)" || g.Skipped != 1 {
		t.Fatalf("%+v skipped %d", res, g.Skipped)
	}
	for _, q := range []Criteria{
		{Variant: &VariantCrit{Gene: "BRAF", ProteinChange: ptr("V600"), Origin: ptr("SOMATIC")}},
		{Variant: &VariantCrit{Gene: "TP53"}},
		{CNV: &CNVCrit{Gene: "MYC", Type: "AMPLIFICATION"}},
		{Fusion: &FusionCrit{Gene: "EML4", Partner: ptr("ALK")}},
		{All: []Criteria{{TestedGene: ptr("NRAS")}, {Not: &Criteria{Variant: &VariantCrit{Gene: "NRAS"}}}}},
	} {
		cc, err := s.Count(bg, q, true)
		if err != nil || *cc.Count != 1 {
			t.Errorf("%s: %+v %v", q.Label(), cc.Count, err)
		}
	}
	// A new import of the same origin replaces the patient's somatic variants.
	if _, err := s.ImportGenomics(bg, "s1", genomics.Somatic, []genomics.Variant{{Gene: "KRAS", ProteinChange: "G12D"}}, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	cc, _ := s.Count(bg, Criteria{Variant: &VariantCrit{Gene: "BRAF"}}, true)
	cc2, _ := s.Count(bg, Criteria{CNV: &CNVCrit{Gene: "MYC", Type: "AMPLIFICATION"}}, true)
	if *cc.Count != 0 || *cc2.Count != 1 {
		t.Errorf("replacement: BRAF %d (want 0), MYC kept %d (want 1)", *cc.Count, *cc2.Count)
	}
}
