package graphql

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql/auth"
)

// pgxVCF is a VCF of n samples and the given extra header lines, over two
// CYP2C19 positions, every sample heterozygous.
func pgxVCF(n, extraMeta int) string {
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n")
	b.WriteString(strings.Repeat("##a=b\n", extraMeta))
	b.WriteString("##contig=<ID=chr10,assembly=GRCh38>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\tS%05d", i)
	}
	b.WriteString("\n")
	gts := strings.Repeat("\t0/1", n)
	for _, pos := range []string{"94781859\t.\tG\tA", "94842866\t.\tA\tG"} {
		for k := 0; k < 3; k++ {
			b.WriteString("chr10\t" + pos + "\t.\tPASS\t.\tGT" + gts + "\n")
		}
	}
	return b.String()
}

// TestPgxCallLimits sends pgxCall the file (60,000 samples in
// about 1.7 MB: more than 4 GB, still growing after its TIMEOUT) and a
// header of 25,000 lines: each is refused at once with PAYLOAD_TOO_LARGE
// naming the limit, allocating little; a file at the limits is called.
func TestPgxCallLimits(t *testing.T) {
	ts := domainServer(t)
	tok := ts.token(auth.Pharmacologist)
	cases := []struct {
		name    string
		vcf     string
		sample  string
		limit   string // "" = answers
		results int
	}{
		{"60,000 samples", pgxVCF(60_000, 0), "", "MaxSamples", 0},
		{"60,000 samples, one named", pgxVCF(60_000, 0), "S00042", "", 7},
		{"1,000 samples", pgxVCF(1000, 0), "", "", 7000},
		{"25,000 header lines", pgxVCF(1, 25_000), "", "MaxHeaderLines", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			r := ts.query(tok, `query($v: String!, $s: String) { pgxCall(vcf: $v, sample: $s) { gene sample } }`,
				map[string]any{"v": tc.vcf, "s": tc.sample})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%d bytes: %v, %d bytes allocated in the process", len(tc.vcf), took, after.TotalAlloc-before.TotalAlloc)
			if tc.limit == "" {
				if r.code() != "" || len(r.Data["pgxCall"].([]any)) != tc.results {
					t.Fatalf("errors %+v", r.Errors)
				}
				return
			}
			if r.code() != "PAYLOAD_TOO_LARGE" || !strings.Contains(r.Errors[0].Message, tc.limit) {
				t.Fatalf("errors %+v, want PAYLOAD_TOO_LARGE naming %s", r.Errors, tc.limit)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 256<<20 {
				t.Errorf("refused after %d bytes allocated", a)
			}
		})
	}
	if r := ts.query(tok, `{ health { ok } }`, nil); r.code() != "" {
		t.Fatalf("health after the refusals: %+v", r.Errors)
	}
}
