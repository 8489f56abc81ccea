package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/vcf"
)

func newExtractor(t testing.TB) *Extractor {
	t.Helper()
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const csqVCF = "##fileformat=VCFv4.2\n" +
	"##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|HGVSc|HGVSp|CANONICAL\">\n" +
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR\n" +
	"chr7\t140753336\t.\tA\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|BRAF|ENSG1|Transcript|ENST1|c.1799T>A|ENSP1:p.Val600Glu|YES\tGT\t0/0\t0/1\n" +
	"chr12\t25245350\t.\tC\tA,T\t.\tPASS\tCSQ=A|missense_variant|MODERATE|KRAS|ENSG2|Transcript|ENST2|c.35G>T|p.Gly12Val|YES,T|stop_gained|HIGH|KRAS|ENSG2|Transcript|ENST2|c.35G>A|p.Gly12Ter|YES\tGT\t0/0\t1/2\n" +
	"chr17\t7673802\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|TP53|ENSG3|Transcript|ENST3|c.818G>A|p.Arg273His|YES\tGT\t0/0\t0/0\n" +
	"chrX\t100\t.\tCAG\tC\t.\tPASS\tCSQ=-|frameshift_variant|HIGH|ATRX|ENSG4|Transcript|ENST4|c.1del|p.Leu5fs|YES\tGT\t1\t1\n" +
	"chr1\t100\t.\tA\t<*>\t.\tPASS\t.\tGT\t0/1\t0/1\n"

func TestVCFVariants(t *testing.T) {
	e := newExtractor(t)
	var got []string
	sum, err := e.VCF(context.Background(), strings.NewReader(csqVCF), VCFOptions{Sample: "TUMOR", Origin: genomics.Somatic},
		func(v genomics.Variant) error {
			got = append(got, fmt.Sprintf("%s %s:%d %s>%s %s %s %s %s", v.Gene, v.Chrom, v.Pos, v.Ref, v.Alt, v.ProteinChange, v.Class, v.Zygosity, v.Origin))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BRAF chr7:140753336 A>T V600E MISSENSE heterozygous SOMATIC",
		"KRAS chr12:25245350 C>A G12V MISSENSE heterozygous SOMATIC",
		"KRAS chr12:25245350 C>T G12* NONSENSE heterozygous SOMATIC",
		"ATRX chrX:100 CAG>C L5fs FRAMESHIFT hemizygous SOMATIC",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(sum.TestedGenes, ",") != "ATRX,BRAF,KRAS,TP53" || sum.Sample != "TUMOR" || sum.Records != 5 || sum.Variants != 4 {
		t.Errorf("summary %+v", sum)
	}
	// First sample by default; the normal carries only the hemizygous ATRX call.
	n := 0
	sum, err = e.VCF(context.Background(), strings.NewReader(csqVCF), VCFOptions{Origin: genomics.Germline},
		func(v genomics.Variant) error { n++; return nil })
	if err != nil || sum.Sample != "NORMAL" || n != 1 {
		t.Errorf("default sample: %v %+v %d", err, sum, n)
	}
}

func TestVCFMalformedLine(t *testing.T) {
	e := newExtractor(t)
	lines := strings.Split(csqVCF, "\n")
	lines[4] = "chr12\tnotanumber\t.\tC\tA\t.\tPASS\t.\tGT\t0/0\t0/1"
	n := 0
	_, err := e.VCF(context.Background(), strings.NewReader(strings.Join(lines, "\n")), VCFOptions{Sample: "TUMOR", Origin: genomics.Somatic},
		func(genomics.Variant) error { n++; return nil })
	var pe *vcf.ParseError
	if !errors.As(err, &pe) || pe.Line != 5 || pe.Field != "POS" {
		t.Fatalf("err = %v", err)
	}
	if n != 1 {
		t.Errorf("%d variants before the bad line, want 1", n)
	}
	if _, err := e.VCF(context.Background(), strings.NewReader(csqVCF), VCFOptions{Sample: "X", Origin: genomics.Somatic}, func(genomics.Variant) error { return nil }); err == nil {
		t.Error("unknown sample accepted")
	}
	if _, err := e.VCF(context.Background(), strings.NewReader(csqVCF), VCFOptions{Origin: "BOTH"}, func(genomics.Variant) error { return nil }); err == nil {
		t.Error("bad origin accepted")
	}
}

func TestVCFPGx(t *testing.T) {
	f, err := os.Open("../pgx/testdata/examples/pharmcat.example2.vcf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := newExtractor(t)
	var vs []genomics.Variant
	sum, err := e.VCF(context.Background(), f, VCFOptions{Origin: genomics.Germline}, func(v genomics.Variant) error {
		vs = append(vs, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"CYP2C19", "CYP2C9", "DPYD", "VKORC1"} {
		found := false
		for _, tg := range sum.TestedGenes {
			found = found || tg == g
		}
		if !found {
			t.Errorf("%s not in tested genes %v", g, sum.TestedGenes)
		}
	}
	for _, r := range sum.PGx {
		if r.Gene == "CYP2C19" && (r.Diplotype != "*2/*2" || r.Phenotype != "Poor Metabolizer") {
			t.Errorf("CYP2C19 = %+v", r)
		}
	}
	cyp2c19 := 0
	for _, v := range vs {
		if v.Gene == "CYP2C19" {
			cyp2c19++
		}
	}
	if cyp2c19 == 0 {
		t.Error("no CYP2C19 variants reported")
	}
}

func TestMAF(t *testing.T) {
	f, err := os.Open("../maf/testdata/APL_primary.maf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := New(Config{DisablePGx: true})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	sum, err := e.MAF(context.Background(), f, genomics.Somatic, func(s string, v genomics.Variant) error {
		per[s]++
		if v.Origin != genomics.Somatic {
			t.Fatalf("origin %s", v.Origin)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 269 || len(per) != 124 || len(sum.Genes) != 124 {
		t.Errorf("rows %d samples %d", sum.Rows, len(per))
	}
}

func TestSharedVEP(t *testing.T) {
	p := filepath.Join("../../../shared/data/vcf-samples/tcga-somatic-pcgr/candig_vep_csq_tumor_normal.vcf.gz")
	f, err := os.Open(p)
	if err != nil {
		t.Skip("shared data not present")
	}
	defer f.Close()
	e := newExtractor(t)
	genes := 0
	sum, err := e.VCF(context.Background(), f, VCFOptions{Sample: "sample_tumour", Origin: genomics.Somatic}, func(v genomics.Variant) error {
		if v.Gene != "" {
			genes++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Variants == 0 || genes == 0 || len(sum.TestedGenes) == 0 {
		t.Errorf("summary %+v, %d variants with genes", sum, genes)
	}
}

// genVCF writes about size bytes of single-sample annotated VCF to w.
func genVCF(w io.Writer, size int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprint(bw, "##fileformat=VCFv4.2\n##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|HGVSc|HGVSp\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	written := 0
	gts := []string{"0/0", "0/1", "1/1", "0|1"}
	for i := 0; written < size; i++ {
		n, err := fmt.Fprintf(bw, "chr%d\t%d\trs%d\tC\tT\t50\tPASS\tDP=%d;CSQ=T|missense_variant|MODERATE|GENE%d|ENSG%d|Transcript|ENST%d|c.%dC>T|p.Ala%dVal,T|upstream_gene_variant|MODIFIER|OTHER%d|ENSG|Transcript|ENST||\tGT:AD:DP\t%s:10,12:22\n",
			i%22+1, 1000+i*7, i, i%90, i%5000, i, i, i%900+1, i%900+1, i%300, gts[i%4])
		if err != nil {
			return err
		}
		written += n
	}
	return bw.Flush()
}

// TestStreamingMemory pushes ~100 MB of VCF through VCF() and checks that
// the heap stays far below 200 MB.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MB stream skipped in -short mode")
	}
	const size = 100 << 20
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(genVCF(pw, size)) }()
	e := newExtractor(t)
	var peak uint64
	var ms runtime.MemStats
	n := 0
	start := time.Now()
	sum, err := e.VCF(context.Background(), pr, VCFOptions{Origin: genomics.Germline}, func(v genomics.Variant) error {
		n++
		if n%20000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	t.Logf("%d records, %d variants, %d tested genes, peak HeapInuse %.1f MB, %.1fs", sum.Records, sum.Variants, len(sum.TestedGenes), float64(peak)/(1<<20), time.Since(start).Seconds())
	if peak > 64<<20 {
		t.Errorf("peak HeapInuse %d MB, want well under 200 MB", peak>>20)
	}
	if sum.Records < 200000 {
		t.Errorf("only %d records", sum.Records)
	}
}

func ExampleExtractor_VCF() {
	e, err := New(Config{DisablePGx: true})
	if err != nil {
		panic(err)
	}
	text := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n" +
		"chr3\t179234297\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n"
	_, err = e.VCF(context.Background(), strings.NewReader(text), VCFOptions{Origin: genomics.Somatic},
		func(v genomics.Variant) error {
			fmt.Println(v.Chrom, v.Pos, v.Ref, v.Alt, v.Zygosity)
			return nil
		})
	if err != nil {
		panic(err)
	}
	// Output: chr3 179234297 A G heterozygous
}

func TestPGxSkippedForGRCh37(t *testing.T) {
	text := "##fileformat=VCFv4.1\n##contig=<ID=16,assembly=b37,length=90354753>\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n16\t31096368\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n"
	sum, err := newExtractor(t).VCF(context.Background(), strings.NewReader(text), VCFOptions{Origin: genomics.Germline},
		func(genomics.Variant) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.PGx != nil || !strings.Contains(sum.PGxSkipped, "GRCh37") || len(sum.TestedGenes) != 0 || sum.Variants != 1 {
		t.Errorf("summary %+v", sum)
	}
}
