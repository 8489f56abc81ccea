package cohorts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyntheaUnknownTablesWarn: the full shared CSV set (with allergies,
// careplans, procedures) imports; the tables rxlab does not read are
// skipped with a warning each.
func TestSyntheaUnknownTablesWarn(t *testing.T) {
	tables := map[string]string{}
	for _, n := range []string{"patients", "conditions", "medications", "allergies", "careplans", "procedures"} {
		tables[n] = string(sharedFile(t, "synthea-patients/csv/"+n+".csv"))
	}
	s, _, _ := newService(t, "2022-09-18")
	data, _ := json.Marshal(tables)
	res, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data))
	if err != nil || !res.Committed || res.Rejected != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if s.PatientCount() != 115 {
		t.Fatalf("patients %d", s.PatientCount())
	}
	w := strings.Join(res.Warnings, "\n")
	for _, n := range []string{"allergies", "careplans", "procedures"} {
		if !strings.Contains(w, "data."+n+":") || res.Skipped["table "+n] != 1 {
			t.Errorf("%s: warnings %q skipped %v", n, w, res.Skipped)
		}
	}
	// Only unknown tables: refused as a whole, naming what is read.
	only, _ := json.Marshal(map[string]string{"allergies": tables["allergies"]})
	if _, err := s.ImportPatients(bg, FormatSyntheaCSV, string(only)); err == nil || !strings.Contains(err.Error(), "no Synthea table") {
		t.Errorf("only unknown tables: %v", err)
	}
}

// TestFHIRSkippedByType: a Synthea FHIR bundle's resources rxlab does not
// index are counted by type.
func TestFHIRSkippedByType(t *testing.T) {
	bundles, _ := filepath.Glob(filepath.Join(sharedData, "synthea-patients", "fhir-r4", "*.json"))
	if len(bundles) == 0 {
		t.Skip("shared Synthea FHIR bundles not available")
	}
	p, err := os.ReadFile(bundles[0])
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(p, &b); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range b.Entry {
		if e.Resource.ResourceType == "Encounter" {
			want++
		}
	}
	s, _, _ := newService(t, "2022-09-18")
	res, err := s.ImportFHIR(bg, p)
	if err != nil || !res.Committed {
		t.Fatalf("%+v %v", res, err)
	}
	if want == 0 || res.Skipped["Encounter"] != want {
		t.Errorf("Encounter skipped %d, bundle has %d (%v)", res.Skipped["Encounter"], want, res.Skipped)
	}
	if res.Skipped["Patient"] != 0 || res.Skipped["Condition"] != 0 {
		t.Errorf("indexed types counted as skipped: %v", res.Skipped)
	}
}

// TestGenomicUnlinkedSamples: MatchMiner's genomic.example.csv alone
// creates no patient (its samples are held and reported); after the
// clinical file the same records link; createPatients creates them.
func TestGenomicUnlinkedSamples(t *testing.T) {
	gen := string(sharedFile(t, dfci+"genomic.example.csv"))
	clin := string(sharedFile(t, dfci+"clinical.example.csv"))
	s, _, _ := newService(t, "2017-11-28")
	res, err := s.ImportPatients(bg, FormatMatchMinerGenomic, gen)
	if err != nil || !res.Committed {
		t.Fatalf("%+v %v", res, err)
	}
	if s.PatientCount() != 0 || res.UnlinkedSamples == 0 || res.Accepted != 0 || len(res.Warnings) != 1 {
		t.Fatalf("genomic alone: patients %d, %+v", s.PatientCount(), res)
	}
	if n, err := s.UnlinkedSamples(bg); err != nil || n != res.UnlinkedSamples {
		t.Fatalf("held %d, reported %d (%v)", n, res.UnlinkedSamples, err)
	}
	if cc, _ := s.Count(bg, Criteria{Sex: []string{"UNKNOWN"}}, true); *cc.Count != 0 {
		t.Errorf("%d sex-UNKNOWN patients counted", *cc.Count)
	}
	held := res.UnlinkedSamples
	cres, err := s.ImportPatients(bg, FormatMatchMinerClinical, clin)
	if err != nil || cres.Rejected != 0 {
		t.Fatalf("clinical: %+v %v", cres, err)
	}
	// The held samples whose patients arrived are linked by that import.
	if n, _ := s.UnlinkedSamples(bg); n >= held || !strings.Contains(strings.Join(cres.Warnings, " "), "now linked") {
		t.Fatalf("after clinical: %d of %d still held; warnings %q", n, held, cres.Warnings)
	}
	if cc, _ := s.Count(bg, Criteria{TestedGene: ptr("PIK3CA")}, true); *cc.Count == 0 {
		if cc2, _ := s.Count(bg, Criteria{Variant: &VariantCrit{Gene: "TP53"}}, true); *cc2.Count == 0 {
			t.Error("linked samples carry no genomic data")
		}
	}
	patients := s.PatientCount()
	res, err = s.ImportPatients(bg, FormatMatchMinerGenomic, gen)
	if err != nil || res.Accepted == 0 || s.PatientCount() != patients {
		t.Fatalf("after clinical: %+v %v (patients %d → %d)", res, err, patients, s.PatientCount())
	}
	s2, _, _ := newService(t, "2017-11-28")
	res, err = s2.ImportPatientsWith(bg, FormatMatchMinerGenomic, gen, ImportOptions{CreatePatients: true})
	if err != nil || res.UnlinkedSamples != 0 || s2.PatientCount() == 0 {
		t.Fatalf("createPatients: %+v %v", res, err)
	}
	t.Logf("genomic.example.csv: %d samples held alone, %d after the clinical file; createPatients made %d patients", held, func() int { n, _ := s.UnlinkedSamples(bg); return n }(), s2.PatientCount())
}
