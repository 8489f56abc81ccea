package graphql

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/genomics/ingest"
)

// TestImportVCFLimits posts VCFs over the parser's default limits that an
// upload can reach to POST /import/vcf: each is refused with 413
// PAYLOAD_TOO_LARGE naming the limit, and the server still answers.
func TestImportVCFLimits(t *testing.T) {
	ts := newTestServerWith(t, func(ts *testServer) []Domain {
		svc, err := cohorts.New(cohorts.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		ex, err := ingest.New(ingest.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return []Domain{&Cohorts{Service: svc, Ingest: ex}}
	})
	head := "##fileformat=VCFv4.2\n"
	chrom := "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
	var samples strings.Builder
	samples.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := 0; i <= 100_000; i++ {
		fmt.Fprintf(&samples, "\tS%d", i)
	}
	samples.WriteString("\n")
	cases := []struct {
		name  string
		body  string
		limit string
	}{
		{"25,000 header lines", head + strings.Repeat("##a=b\n", 25_000) + chrom, "MaxHeaderLines"},
		{"9 MiB of header", head + strings.Repeat("##x="+strings.Repeat("y", 1<<20)+"\n", 9) + chrom, "MaxHeaderBytes"},
		{"100,001 samples", head + samples.String(), "MaxSamples"},
		{"a 17 MiB line", head + chrom + "1\t1\t.\tA\tG\t.\tPASS\t" + strings.Repeat("X", 17<<20) + "\tGT\t0/1\n", "MaxLineBytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/import/vcf?patient=P1&origin=GERMLINE", bytes.NewReader([]byte(tc.body)))
			req.Header.Set("Authorization", "Bearer "+ts.admin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "PAYLOAD_TOO_LARGE") ||
				!strings.Contains(string(b), tc.limit) {
				t.Fatalf("%d bytes: %d %.300s, want 413 PAYLOAD_TOO_LARGE naming %s", len(tc.body), resp.StatusCode, b, tc.limit)
			}
		})
	}
	if r := ts.query(ts.admin, `{ health { ok } }`, nil); r.code() != "" {
		t.Fatalf("health: %+v", r.Errors)
	}
}
