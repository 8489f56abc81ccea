package cohorts

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

// TestStreamFormats imports a small file of each streaming format and
// checks what was stored and which lines were rejected.
func TestStreamFormats(t *testing.T) {
	cases := []struct {
		name, format, table, data string
		accepted, rejected        int
		badLoc                    string
		create                    bool // StreamOptions.CreatePatients
		check                     func(t *testing.T, s *Service)
	}{
		{name: "fhir ndjson", format: FormatFHIRNDJSON, data: `{"resourceType":"Patient","id":"F1","gender":"female","birthDate":"1970-02-03"}

{"resourceType":"Condition","subject":{"reference":"Patient/F1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"254637007"}]},"onsetDateTime":"2020-01-01"}
{"resourceType":"Observation","subject":{"reference":"Patient/F1"},"code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"valueQuantity":{"value":1.1,"unit":"mg/dL"},"effectiveDateTime":"2021-01-01"}
{"resourceType":"Encounter","subject":{"reference":"Patient/F1"}}
{"resourceType":"Patient","id":"F2","birthDate":"yesterday"}
{not json
`, accepted: 3, rejected: 2, badLoc: "line 6 (Patient).birthDate",
			check: func(t *testing.T, s *Service) {
				p, err := s.Patient(bg, "F1")
				if err != nil || p.Sex != "FEMALE" || len(p.Conditions) != 1 || len(p.Labs) != 1 {
					t.Fatalf("F1 = %+v, %v", p, err)
				}
			}},
		{name: "synthea patients (header tells the table)", format: FormatSyntheaCSV, data: "Id,BIRTHDATE,DEATHDATE,GENDER,RACE\nS1,1980-01-01,,M,white\nS2,bad,,F,asian\n",
			accepted: 1, rejected: 1, badLoc: "csv line 3 BIRTHDATE"},
		{name: "synthea conditions named", format: FormatSyntheaCSV, table: "conditions", data: "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n2019-01-01,,S9,e,44054006,Diabetes\n2019-02-01,,S9,e,38341003,Hypertension\n",
			accepted: 2, check: func(t *testing.T, s *Service) {
				p, _ := s.Patient(bg, "S9")
				if p == nil || len(p.Conditions) != 2 {
					t.Fatalf("S9 = %+v: want both conditions (first replaces, then append)", p)
				}
			}},
		{name: "matchminer clinical csv", format: FormatMatchMinerClinical, data: mmClinicalCSV("M", 20), accepted: 20},
		{name: "matchminer clinical json array", format: FormatMatchMinerClinical, data: `[{"SAMPLE_ID":"J1","BIRTH_DATE":"1950-01-01","GENDER":"Male"},{"SAMPLE_ID":"","BIRTH_DATE":"1950-01-01"}]`,
			accepted: 1, rejected: 1, badLoc: "record 1 SAMPLE_ID"},
		{name: "matchminer genomic objects", format: FormatMatchMinerGenomic, data: `{"SAMPLE_ID":"G1","TRUE_HUGO_SYMBOL":"EGFR","VARIANT_CATEGORY":"MUTATION","TRUE_PROTEIN_CHANGE":"p.L858R"}
{"SAMPLE_ID":"G1","TRUE_HUGO_SYMBOL":"KRAS","VARIANT_CATEGORY":"CNV","CNV_CALL":"High level amplification"}
{"SAMPLE_ID":"G1","VARIANT_CATEGORY":"ALIEN"}`,
			accepted: 2, rejected: 1, badLoc: "record 2 VARIANT_CATEGORY", create: true,
			check: func(t *testing.T, s *Service) {
				p, _ := s.Patient(bg, "G1")
				if p == nil || len(p.Variants) != 1 || len(p.CNVs) != 1 {
					t.Fatalf("G1 = %+v", p)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _, _ := newService(t, "2026-01-15")
			opt := StreamOptions{Table: c.table, CreatePatients: c.create}
			chk, err := s.CheckPatients(bg, c.format, strings.NewReader(c.data), opt)
			if err != nil {
				t.Fatal(err)
			}
			if chk.Accepted != c.accepted || chk.Rejected != c.rejected || chk.Committed || s.PatientCount() != 0 {
				t.Fatalf("check: %+v, %d patients stored", chk, s.PatientCount())
			}
			if c.badLoc != "" && !hasLoc(chk, c.badLoc) {
				t.Fatalf("check errors %+v do not name %q", chk.Errors, c.badLoc)
			}
			res, err := s.ImportPatientStream(bg, c.format, strings.NewReader(c.data), opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Accepted != c.accepted || res.Rejected != c.rejected || !res.Committed {
				t.Fatalf("import: %+v", res)
			}
			if c.check != nil {
				c.check(t, s)
			}
		})
	}
}

func hasLoc(r ImportResult, loc string) bool {
	for _, e := range r.Errors {
		if e.Location == loc {
			return true
		}
	}
	return false
}

// TestStreamRefusesHostileInput checks the limits of a stream: a line
// over MaxStreamLine, a broken JSON record stream, an unknown format.
func TestStreamRefusesHostileInput(t *testing.T) {
	long := `{"resourceType":"Patient","id":"` + strings.Repeat("x", MaxStreamLine) + `"}`
	cases := []struct {
		name, format, data, want string
	}{
		{"ndjson line too long", FormatFHIRNDJSON, "{}\n" + long, "line 2: longer than"},
		{"csv line too long", FormatMatchMinerClinical, "SAMPLE_ID,BIRTH_DATE\n" + strings.Repeat("y", MaxStreamLine+10), "line 2: longer than"},
		{"json record broken", FormatMatchMinerGenomic, `{"SAMPLE_ID":"A"} {"SAMPLE_ID":`, "record 1"},
		{"unknown format", "xml", "<a/>", "unknown streaming import format"},
		{"unknown synthea table", FormatSyntheaCSV, "A,B\n1,2\n", "not a Synthea"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, db, _ := newService(t, "2026-01-15")
			for _, run := range []func() (ImportResult, error){
				func() (ImportResult, error) {
					return s.CheckPatients(bg, c.format, strings.NewReader(c.data), StreamOptions{})
				},
				func() (ImportResult, error) {
					return s.ImportPatientStream(bg, c.format, strings.NewReader(c.data), StreamOptions{})
				},
			} {
				res, err := run()
				if err == nil || !strings.Contains(err.Error(), c.want) || res.Committed {
					t.Fatalf("err = %v, committed %v; want an error with %q", err, res.Committed, c.want)
				}
			}
			if n := countKeys(t, db, "pat/") + stageKeysLeft(t, db); n != 0 {
				t.Fatalf("%d keys stored by a refused stream", n)
			}
		})
	}
}

// ndjsonPatients streams n synthetic patients (Patient, Condition and
// Observation lines) without holding the file.
func ndjsonPatients(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		bw := bufioWriter(pw)
		for i := range n {
			id := fmt.Sprintf("N%07d", i)
			fmt.Fprintf(bw, `{"resourceType":"Patient","id":"%s","gender":"%s","birthDate":"%d-%02d-01"}`+"\n", id, []string{"male", "female"}[i%2], 1930+i%80, 1+i%12)
			fmt.Fprintf(bw, `{"resourceType":"Condition","subject":{"reference":"Patient/%s"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"%d"}]},"onsetDateTime":"2015-01-01"}`+"\n", id, 254637007+i%5)
			fmt.Fprintf(bw, `{"resourceType":"Observation","subject":{"reference":"Patient/%s"},"code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"valueQuantity":{"value":%d.1,"unit":"mg/dL"},"effectiveDateTime":"2020-01-01"}`+"\n", id, i%3)
		}
		bw.Flush()
		pw.Close()
	}()
	return pr
}

func streamImport(t *testing.T, n int) {
	s, db, _ := newService(t, "2026-01-15")
	ctx := store.WithAudit(bg, store.AuditInfo{Actor: "t", Operation: "import patients"})
	start := time.Now()
	chk, err := s.CheckPatients(ctx, FormatFHIRNDJSON, ndjsonPatients(n), StreamOptions{})
	if err != nil || chk.Rejected != 0 || chk.Accepted != 3*n {
		t.Fatalf("check: %+v %v", chk, err)
	}
	checked := time.Since(start)
	res, err := s.ImportPatientStream(ctx, FormatFHIRNDJSON, ndjsonPatients(n), StreamOptions{})
	if err != nil || !res.Committed || res.Accepted != 3*n {
		t.Fatalf("import: %+v %v", res, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d patients (%d NDJSON lines): check %v, check+store %v; Go heap in use %d MB, sys %d MB",
		n, 3*n, checked.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), ms.HeapInuse>>20, ms.Sys>>20)
	if s.PatientCount() != n {
		t.Fatalf("PatientCount %d, want %d", s.PatientCount(), n)
	}
	c, err := s.Count(bg, Criteria{Sex: []string{"FEMALE"}}, true)
	if err != nil || *c.Count != n/2 {
		t.Fatalf("female count %v %v", c.Count, err)
	}
	if _, err := db.VerifyAudit(bg); err != nil {
		t.Fatal(err)
	}
}

// TestStreamImport5000 streams 5,000 patients (15,000 lines) through the
// check pass and one staged write.
func TestStreamImport5000(t *testing.T) { streamImport(t, 5000) }

// TestStreamImportMillion is the 1,000,000-patient file. It takes
// minutes on a shared machine, so it runs only when RXLAB_IMPORT_1M is set
// (and never with -short):
//
//	RXLAB_IMPORT_1M=1 go test ./cohorts -run TestStreamImportMillion -v -timeout 30m
func TestStreamImportMillion(t *testing.T) {
	if testing.Short() || os.Getenv("RXLAB_IMPORT_1M") == "" {
		t.Skip("set RXLAB_IMPORT_1M=1 (and drop -short) to import 1,000,000 patients")
	}
	streamImport(t, 1_000_000)
}

func bufioWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }

// FuzzStreamPatients feeds arbitrary bytes to every streaming reader: it
// must answer with a result or an error, never panic, and the check pass
// and the stored import must agree on what they accept.
func FuzzStreamPatients(f *testing.F) {
	f.Add(0, `{"resourceType":"Patient","id":"A","birthDate":"1970-01-01"}`+"\n"+`{"resourceType":"Condition","subject":{"reference":"Patient/A"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"1"}]}}`)
	f.Add(1, "Id,BIRTHDATE,GENDER\nA,1970-01-01,F\n\"unterminated,1,2\n")
	f.Add(2, `[{"SAMPLE_ID":"A","BIRTH_DATE":"1970-01-01"},{"SAMPLE_ID":{"$oid":"x"}}]`)
	f.Add(3, `{"SAMPLE_ID":"A","TRUE_HUGO_SYMBOL":"EGFR","VARIANT_CATEGORY":"MUTATION"}{`)
	formats := []string{FormatFHIRNDJSON, FormatSyntheaCSV, FormatMatchMinerClinical, FormatMatchMinerGenomic}
	s, _, _ := newService(f, "2026-01-15")
	f.Fuzz(func(t *testing.T, fi int, data string) {
		format := formats[(fi%len(formats)+len(formats))%len(formats)]
		chk, cerr := s.CheckPatients(bg, format, strings.NewReader(data), StreamOptions{})
		if cerr != nil {
			return
		}
		res, err := s.ImportPatientStream(bg, format, strings.NewReader(data), StreamOptions{})
		if err != nil {
			t.Fatalf("check passed (%+v) but the import failed: %v", chk, err)
		}
		if !res.Committed || res.Accepted+res.Rejected < chk.Accepted {
			t.Fatalf("import %+v after check %+v", res, chk)
		}
	})
}

// TestStreamHoldsUnlinkedSamples: a genomic stream keeps the records of
// stored patients and holds those of unknown sample ids as unlinked
// samples (merged per sample, reported, never counted as patients) unless
// CreatePatients; a later clinical stream links them.
func TestStreamHoldsUnlinkedSamples(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if _, err := s.ImportPatientStream(bg, FormatMatchMinerClinical, strings.NewReader(`{"SAMPLE_ID":"K1","BIRTH_DATE":"1950-01-01","GENDER":"Male"}`), StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	gen := `{"SAMPLE_ID":"K1","TRUE_HUGO_SYMBOL":"EGFR","VARIANT_CATEGORY":"MUTATION","TRUE_PROTEIN_CHANGE":"p.L858R"}
{"SAMPLE_ID":"U1","TRUE_HUGO_SYMBOL":"KRAS","VARIANT_CATEGORY":"MUTATION","TRUE_PROTEIN_CHANGE":"p.G12C"}
{"SAMPLE_ID":"U1","TRUE_HUGO_SYMBOL":"BRAF","VARIANT_CATEGORY":"MUTATION","TRUE_PROTEIN_CHANGE":"p.V600E"}`
	res, err := s.ImportPatientStream(bg, FormatMatchMinerGenomic, strings.NewReader(gen), StreamOptions{})
	if err != nil || !res.Committed {
		t.Fatalf("%+v %v", res, err)
	}
	if res.Accepted != 1 || res.UnlinkedSamples != 1 || s.PatientCount() != 1 || len(res.Warnings) != 1 {
		t.Fatalf("genomic stream: %+v, %d patients; want K1's record accepted and U1 held", res, s.PatientCount())
	}
	var held []UnlinkedSample
	err = s.db.View(bg, func(tx *store.Txn) error {
		return tx.Scan([]byte("pat/unlinked/"), nil, func(r store.Record) error {
			var u UnlinkedSample
			if err := r.Decode(&u); err != nil {
				return err
			}
			held = append(held, u)
			return nil
		})
	})
	if err != nil || len(held) != 1 || held[0].ID != "U1" || held[0].Records != 2 || len(held[0].Genomic.Variants) != 2 {
		t.Fatalf("held = %+v, %v; want U1 with both variants", held, err)
	}
	if cc, _ := s.Count(bg, Criteria{Variant: &VariantCrit{Gene: "KRAS"}}, true); *cc.Count != 0 {
		t.Errorf("a held sample is counted")
	}
	cres, err := s.ImportPatientStream(bg, FormatMatchMinerClinical, strings.NewReader(`{"SAMPLE_ID":"U1","BIRTH_DATE":"1960-01-01","GENDER":"Female"}`), StreamOptions{})
	if err != nil || !cres.Committed {
		t.Fatalf("%+v %v", cres, err)
	}
	if n, _ := s.UnlinkedSamples(bg); n != 0 {
		t.Fatalf("%d samples still held after their patient arrived (warnings %q)", n, cres.Warnings)
	}
	if cc, _ := s.Count(bg, Criteria{Variant: &VariantCrit{Gene: "KRAS"}}, true); *cc.Count != 1 {
		t.Errorf("the linked sample's variants are not counted")
	}
	s2, _, _ := newService(t, "2026-01-15")
	res, err = s2.ImportPatientStream(bg, FormatMatchMinerGenomic, strings.NewReader(gen), StreamOptions{CreatePatients: true})
	if err != nil || res.UnlinkedSamples != 0 || s2.PatientCount() != 2 {
		t.Fatalf("createPatients: %+v %v, %d patients", res, err, s2.PatientCount())
	}
}

// TestStreamMergesSampleRuns: a genomic stream's consecutive records of one
// sample land as one write, with every record kept and counted, whether
// the sample is a stored patient, held, or created; a sample that comes
// back after another keeps its earlier records.
func TestStreamMergesSampleRuns(t *testing.T) {
	var b strings.Builder
	row := func(id string, i int) {
		fmt.Fprintf(&b, `{"SAMPLE_ID":%q,"TRUE_HUGO_SYMBOL":"G%d","VARIANT_CATEGORY":"MUTATION","TRUE_PROTEIN_CHANGE":"p.A%dV"}`+"\n", id, i, i+1)
	}
	for i := range 5000 {
		row("K1", i)
	}
	for i := range 3 {
		row("U1", i)
	}
	row("K1", 5000)
	gen := b.String()

	s, _, _ := newService(t, "2026-01-15")
	if _, err := s.ImportPatientStream(bg, FormatMatchMinerClinical, strings.NewReader(`{"SAMPLE_ID":"K1","BIRTH_DATE":"1950-01-01","GENDER":"Male"}`), StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportPatientStream(bg, FormatMatchMinerGenomic, strings.NewReader(gen), StreamOptions{})
	if err != nil || !res.Committed || res.Accepted != 5001 || res.UnlinkedSamples != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if p, _ := s.Patient(bg, "K1"); p == nil || len(p.Variants) != 5001 {
		t.Fatalf("K1 has %d variants, want 5,001", len(p.Variants))
	}
	s2, _, _ := newService(t, "2026-01-15")
	res, err = s2.ImportPatientStream(bg, FormatMatchMinerGenomic, strings.NewReader(gen), StreamOptions{CreatePatients: true})
	if err != nil || res.Accepted != 5004 || s2.PatientCount() != 2 {
		t.Fatalf("createPatients: %+v %v, %d patients", res, err, s2.PatientCount())
	}
	if p, _ := s2.Patient(bg, "U1"); p == nil || len(p.Variants) != 3 {
		t.Fatalf("U1 = %+v, want 3 variants", p)
	}
}
