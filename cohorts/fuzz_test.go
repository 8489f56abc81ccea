package cohorts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// addShared seeds a fuzz target with shared data files when present.
func addShared(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join(sharedData, glob))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(string(b))
		}
	}
}

func addFiles(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(string(b))
		}
	}
}

func FuzzParseCTML(f *testing.F) {
	f.Add(demoTrials[1])
	f.Add(`{"protocol_no": "X", "treatment_list": {"step": [{"arm": [{"arm_code": "A", "match": [{"and": [{"clinical": {"age_numerical": ">=18"}}, {"genomic": {"hugo_symbol": "EGFR", "variant_category": "!Mutation", "protein_change": "p.T790M"}}]}]}]}]}}`)
	f.Add("protocol_no: 1\ntreatment_list:\n  step:\n  - match:\n    - or:\n      - genomic: {hugo_symbol: ALK, variant_category: Structural Variation}\n      - clinical: {tmb_numerical: '>=10'}\n")
	addShared(f, "trial-eligibility/matchminer-ctml-tests/trials/*.json")
	addShared(f, "trial-eligibility/matchminer-ctml-tests/yaml/*.yaml")
	addFiles(f, "testdata/matchminer-ctml-tests/integration_trials/*.json")
	f.Fuzz(func(t *testing.T, s string) {
		tr, err := ParseCTML(s)
		if err != nil {
			return
		}
		for _, a := range tr.Arms {
			if err := a.Criteria.Validate(); err != nil {
				t.Fatalf("parsed arm does not validate: %v", err)
			}
		}
	})
}

func FuzzParseCriteria(f *testing.F) {
	for _, c := range leafPool() {
		b, _ := json.Marshal(c)
		f.Add(string(b))
	}
	f.Add(`{"all":[{"age":{"min":18}},{"not":{"variant":{"gene":"KRAS","proteinChange":"G12"}}},{"atLeast":{"n":1,"of":[{"testedGene":"EGFR"}]}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCriteria([]byte(s))
		if err != nil {
			return
		}
		_ = c.Label()
	})
}

func FuzzFHIRBundle(f *testing.F) {
	f.Add(`{"resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","id":"a","gender":"female","birthDate":"1970-02-03"}},{"resource":{"resourceType":"Observation","subject":{"reference":"urn:uuid:a"},"code":{"coding":[{"system":"http://loinc.org","code":"751-8"}]},"valueQuantity":{"value":1.2,"code":"10*3/uL"},"effectiveDateTime":"2024-01-01"}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		res := ImportResult{}
		muts, err := fhirMutations([]byte(s), &res)
		if err != nil {
			return
		}
		for _, m := range muts {
			p := Patient{ID: m.id}
			if m.fn(&p) == nil {
				_ = p.normalize()
				if p.ID != "" {
					features(&p)
				}
			}
		}
	})
}

func FuzzMatchMinerRecords(f *testing.F) {
	f.Add("SAMPLE_ID,TRUE_HUGO_SYMBOL,TRUE_PROTEIN_CHANGE,VARIANT_CATEGORY,CNV_CALL,WILDTYPE\nS1,EGFR,p.L858R,MUTATION,,false\nS1,ERBB2,,CNV,High level amplification,false\n")
	f.Add(`[{"SAMPLE_ID":"S1","VARIANT_CATEGORY":"SIGNATURE","MMR_STATUS":"Deficient (MMR-D / MSI-H)","BIRTH_DATE":{"$date":1262304000000}}]`)
	addShared(f, "trial-eligibility/matchminer-ctml-tests/genomic_csv/*.csv")
	addShared(f, "trial-eligibility/matchminer-ctml-tests/clinical_csv/*.csv")
	f.Fuzz(func(t *testing.T, s string) {
		for _, fn := range []func(string, *ImportResult) ([]mutation, error){matchminerGenomic, matchminerClinical, syntheaMutations} {
			res := ImportResult{}
			muts, err := fn(s, &res)
			if err != nil {
				continue
			}
			for _, m := range muts {
				p := Patient{ID: m.id}
				if m.fn(&p) == nil && p.normalize() == nil {
					features(&p)
				}
			}
		}
	})
}

func FuzzDecodeRow(f *testing.F) {
	f.Add(string(encodeRow(&feat{id: "P1", birth: 100, labs: []labFact{{col: "751-8", v: 1.5, day: 3}}, dates: map[string]int32{"cx|ICD10CM|I4891": 7}})))
	f.Fuzz(func(t *testing.T, s string) {
		r, err := decodeRow([]byte(s))
		if err != nil {
			return
		}
		if _, err := decodeRow(encodeRow(r)); err != nil {
			t.Fatalf("re-encoded row does not decode: %v", err)
		}
	})
}
