package pgx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

const miniHeader = "##fileformat=VCFv4.2\n##contig=<ID=chr16>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n"

func TestMissingPositionIsNotCalled(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	// Only VKORC1's rs9923231 is present: every other gene must be "not
	// called" with its positions listed, never reference.
	vcfText := miniHeader + "chr16\t31096368\trs9923231\tC\tT\t.\tPASS\t.\tGT\t0/1\t./.\n"
	res, err := c.CallDetailed(context.Background(), strings.NewReader(vcfText), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2*len(supportedGenes) {
		t.Fatalf("got %d results, want %d", len(res), 2*len(supportedGenes))
	}
	for _, r := range res {
		switch {
		case r.Gene == "VKORC1" && r.Sample == "S1":
			if r.Phenotype != "G/A" || len(r.MissingPositions) != 0 {
				t.Errorf("S1 VKORC1 = %+v", r)
			}
		case r.Gene == "VKORC1" && r.Sample == "S2":
			// ./. is not a call either.
			if r.Diplotype != "" || len(r.MissingPositions) != 1 {
				t.Errorf("S2 VKORC1 = %+v", r)
			}
		default:
			if r.Diplotype != "" || r.Phenotype != "" || len(r.MissingPositions) == 0 {
				t.Errorf("%s %s should be not called with missing positions: %+v", r.Sample, r.Gene, r)
			}
		}
	}
}

func TestCallTable(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, sample, gene, diplotype, phenotype string
	}{
		{"phased hom alt", "chr16\t31096368\t.\tC\tT\t.\t.\t.\tGT\t1|1\t0|0\n", "S1", "VKORC1", "rs9923231 variant (T)/rs9923231 variant (T)", "A/A"},
		{"no-chr prefix", "16\t31096368\t.\tC\tT\t.\t.\t.\tGT\t1|1\t0|0\n", "S2", "VKORC1", "rs9923231 reference (C)/rs9923231 reference (C)", "G/G"},
		{"partial missing", "chr16\t31096368\t.\tC\tT\t.\t.\t.\tGT\t0/.\t0|0\n", "S1", "VKORC1", "", ""},
		{"undocumented alt", "chr16\t31096368\t.\tC\tG\t.\t.\t.\tGT\t0/1\t0|0\n", "S1", "VKORC1", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.CallDetailed(context.Background(), strings.NewReader(miniHeader+tc.body), tc.sample)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Gene == tc.gene {
					if r.Diplotype != tc.diplotype || r.Phenotype != tc.phenotype {
						t.Errorf("got %q %q (%s), want %q %q", r.Diplotype, r.Phenotype, r.Note, tc.diplotype, tc.phenotype)
					}
				}
			}
		})
	}
}

func TestUnknownSample(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(context.Background(), strings.NewReader(miniHeader), "nobody")
	if !errors.Is(err, errs.Invalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestMultisample(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/examples/multisample.vcf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := c.Call(context.Background(), f, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2*len(supportedGenes) {
		t.Fatalf("got %d results", len(res))
	}
	for _, r := range res {
		if r.Diplotype == "" || len(r.MissingPositions) != 0 {
			t.Errorf("%s %s: %+v", r.Sample, r.Gene, r)
		}
	}
}

func ExampleCaller_Call() {
	c, err := New()
	if err != nil {
		panic(err)
	}
	vcfText := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n" +
		"chr16\t31096368\trs9923231\tC\tT\t.\tPASS\t.\tGT\t0/1\n"
	res, err := c.Call(context.Background(), strings.NewReader(vcfText), "P1")
	if err != nil {
		panic(err)
	}
	for _, r := range res {
		if r.Gene == "VKORC1" || r.Gene == "CYP2C9" {
			fmt.Printf("%s %q %q missing=%d\n", r.Gene, r.Diplotype, r.Phenotype, len(r.MissingPositions))
		}
	}
	// Output:
	// CYP2C9 "" "" missing=83
	// VKORC1 "rs9923231 reference (C)/rs9923231 variant (T)" "G/A" missing=0
}
