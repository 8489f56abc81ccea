package maf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store/errs"
)

const sharedDir = "../../../shared/data"

func readAll(t testing.TB, r io.Reader) ([]*Record, error) {
	t.Helper()
	mr, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	defer mr.Close()
	var out []*Record
	for {
		rec, err := mr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

const small = "#version 2.4\nHugo_Symbol\tChromosome\tStart_Position\tEnd_Position\tReference_Allele\tTumor_Seq_Allele1\tTumor_Seq_Allele2\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tt_ref_count\tt_alt_count\n" +
	"BRAF\t7\t140453136\t140453136\tA\tA\tT\tMissense_Mutation\tTCGA-01\tp.V600E\t60\t40\n" +
	"# a comment in the middle\n" +
	"EGFR\t7\t55242465\t55242479\tGGAATTAAGAGAAGC\tGGAATTAAGAGAAGC\t-\tIn_Frame_Del\tTCGA-02\tp.E746_A750del\t.\t.\n"

func TestLineEndings(t *testing.T) {
	for name, text := range map[string]string{
		"LF":   small,
		"CRLF": strings.ReplaceAll(small, "\n", "\r\n"),
		"CR":   strings.ReplaceAll(small, "\n", "\r"),
	} {
		t.Run(name, func(t *testing.T) {
			recs, err := readAll(t, strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 {
				t.Fatalf("got %d records", len(recs))
			}
			v := recs[0].Variant(genomics.Somatic)
			want := genomics.Variant{Gene: "BRAF", Chrom: "7", Pos: 140453136, Ref: "A", Alt: "T", ProteinChange: "V600E",
				Class: genomics.Missense, Origin: genomics.Somatic}
			if v != want {
				t.Errorf("variant = %+v, want %+v", v, want)
			}
			if recs[0].VAF != 0.4 {
				t.Errorf("VAF = %v", recs[0].VAF)
			}
			if recs[1].ProteinChange != "E746_A750del" || recs[1].Class() != genomics.InframeIndel || recs[1].Alt != "-" {
				t.Errorf("second = %+v", recs[1])
			}
			if recs[1].Line != 5 {
				t.Errorf("line = %d, want 5", recs[1].Line)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	hdr := "Hugo_Symbol\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\tTumor_Sample_Barcode\n"
	tests := []struct {
		name, text string
		line       int
		column     string
	}{
		{"missing column", "Hugo_Symbol\tChromosome\n", 1, "Start_Position"},
		{"empty", "", 0, ""},
		{"bad position", hdr + "TP53\t17\tx12\tC\tT\tS1\n", 2, "Start_Position"},
		{"negative position", hdr + "TP53\t17\t-5\tC\tT\tS1\n", 2, "Start_Position"},
		{"no sample", hdr + "TP53\t17\t5\tC\tT\t\n", 2, "Tumor_Sample_Barcode"},
		{"too many cells", hdr + "TP53\t17\t5\tC\tT\tS1\textra\n", 2, ""},
		{"third line", hdr + "TP53\t17\t5\tC\tT\tS1\nTP53\t17\t5\t\tT\tS1\n", 3, "Reference_Allele"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, strings.NewReader(tc.text))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if !errors.Is(err, errs.Invalid) {
				t.Errorf("does not wrap ErrInvalid")
			}
			if pe.Line != tc.line || pe.Column != tc.column {
				t.Errorf("got line %d column %q, want %d %q (%v)", pe.Line, pe.Column, tc.line, tc.column, err)
			}
		})
	}
}

func TestVendoredFiles(t *testing.T) {
	tests := []struct {
		file    string
		rows    int
		samples int
	}{
		{"APL_primary.maf", 269, 124},
		{"brca.maf", 1913, 1},
		{"tcga_laml.head.maf", 59, 48},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, err := readAll(t, f)
			if err != nil {
				t.Fatal(err)
			}
			s := map[string]bool{}
			for _, r := range recs {
				s[r.Sample] = true
			}
			if len(recs) != tc.rows || len(s) != tc.samples {
				t.Errorf("rows %d samples %d, want %d %d", len(recs), len(s), tc.rows, tc.samples)
			}
		})
	}
}

func TestSharedMAFs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedDir, "tcga-maf", "*.maf"))
	if len(files) == 0 {
		t.Skip("shared data not present")
	}
	want := map[string]int{"tcga_laml.maf": 2207, "brca.maf": 1913, "APL_primary.maf": 269}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := readAll(t, f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if n, ok := want[filepath.Base(p)]; ok && n != len(recs) {
			t.Errorf("%s: %d rows, want %d", p, len(recs), n)
		}
	}
}

func TestTables(t *testing.T) {
	f, err := os.Open("testdata/T001-BRCA.grch38.cna.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var segs []Segment
	if err := ReadSegments(f, func(s Segment) error { segs = append(segs, s); return nil }); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if len(segs) == 0 || segs[0] != (Segment{"1", 809641, 37651942, 1, 0}) {
		t.Fatalf("segments: %d, first %+v", len(segs), segs[0])
	}
	cnvs := GeneCNVs([]Segment{{"17", 100, 200, 5, 1}, {"9", 100, 200, 0, 0}, {"1", 1, 5, 1, 1}},
		[]GeneInterval{{"ERBB2", "chr17", 150, 160}, {"CDKN2A", "9", 50, 120}, {"X", "1", 1, 2}}, 2)
	if fmt.Sprint(cnvs) != "[{ERBB2 AMPLIFICATION} {CDKN2A DELETION}]" {
		t.Errorf("cnvs = %v", cnvs)
	}
	f, err = os.Open("testdata/T001-BRCA.grch38.fusions.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fus []FusionRecord
	if err := ReadFusions(f, func(r FusionRecord) error { fus = append(fus, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(fus) != 9 || fus[1].Gene != "EML4" || fus[1].Partner != "ALK" || fus[1].SplitReads != 100 {
		t.Errorf("fusions = %+v", fus)
	}
	err = ReadSegments(strings.NewReader("Chromosome\tStart\tEnd\tnMajor\tnMinor\n1\t5\t2\t1\t1\n"), func(Segment) error { return nil })
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Column != "End" {
		t.Errorf("err = %v", err)
	}
}

func ExampleReader() {
	text := "Hugo_Symbol\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\tTumor_Sample_Barcode\tHGVSp_Short\tVariant_Classification\n" +
		"KRAS\t12\t25398284\tC\tA\tTCGA-AA-0001\tp.Gly12Val\tMissense_Mutation\n"
	r, err := NewReader(strings.NewReader(text))
	if err != nil {
		panic(err)
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		v := rec.Variant(genomics.Somatic)
		fmt.Println(rec.Sample, v.Gene, v.ProteinChange, v.Class)
	}
	// Output: TCGA-AA-0001 KRAS G12V MISSENSE
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(strings.ReplaceAll(small, "\n", "\r")))
	if b, err := os.ReadFile("testdata/tcga_laml.head.maf"); err == nil {
		f.Add(b[:min(len(b), 4000)])
	}
	if b, err := os.ReadFile("testdata/APL_primary.maf"); err == nil {
		f.Add(b[:min(len(b), 3000)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := readAll(t, bytes.NewReader(b))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) && !errors.Is(err, errs.Invalid) {
				t.Fatalf("error of unexpected type: %v", err)
			}
			return
		}
		for _, r := range recs {
			_ = r.Variant(genomics.Somatic)
			if r.Start < 0 || r.Line <= 0 {
				t.Fatalf("bad record %+v", r)
			}
		}
	})
}
