package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/vcf"
)

// TestVCFLimits imports files over each VCF limit through the Extractor
// that the import paths use: each is refused with a LimitError naming the
// limit before a single variant reaches the callback, and the same file
// within the limit imports.
func TestVCFLimits(t *testing.T) {
	gzipped := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	manyMeta := "##fileformat=VCFv4.2\n" + strings.Repeat("##a=b\n", 25_000) + csqVCF[len("##fileformat=VCFv4.2\n"):]
	cases := []struct {
		name   string
		lim    vcf.Limits
		input  string
		limit  string
		within vcf.Limits
	}{
		{"header lines (defaults)", vcf.Limits{}, manyMeta, "MaxHeaderLines", vcf.Limits{MaxHeaderLines: 30_000}},
		{"gzip of header lines (defaults)", vcf.Limits{}, gzipped(manyMeta), "MaxHeaderLines", vcf.Limits{MaxHeaderLines: 30_000}},
		{"header bytes", vcf.Limits{MaxHeaderBytes: 100}, csqVCF, "MaxHeaderBytes", vcf.Limits{MaxHeaderBytes: 1000}},
		{"line length", vcf.Limits{MaxLineBytes: 120}, csqVCF, "MaxLineBytes", vcf.Limits{MaxLineBytes: 400}},
		{"samples", vcf.Limits{MaxSamples: 1}, csqVCF, "MaxSamples", vcf.Limits{MaxSamples: 2}},
		{"records", vcf.Limits{MaxRecords: 4}, csqVCF, "MaxRecords", vcf.Limits{MaxRecords: 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := func(lim vcf.Limits) (int, error) {
				e, err := New(Config{VCF: lim})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				_, err = e.VCF(context.Background(), strings.NewReader(tc.input), VCFOptions{Sample: "TUMOR", Origin: genomics.Somatic},
					func(genomics.Variant) error { n++; return nil })
				return n, err
			}
			n, err := run(tc.lim)
			var le *genomics.LimitError
			if !errors.As(err, &le) || le.Limit != tc.limit {
				t.Fatalf("err = %v, want a %s LimitError", err, tc.limit)
			}
			if tc.limit != "MaxRecords" && n > 0 {
				t.Errorf("%d variants passed before the refusal", n)
			}
			if n, err := run(tc.within); err != nil || n != 4 {
				t.Errorf("within the limit: %d variants, %v", n, err)
			}
		})
	}
}
