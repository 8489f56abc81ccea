package pgx

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestGolden100Samples calls PharmCAT's 100-sample test VCF (multi-allelic
// records, semicolon-joined IDs) and compares every call with a golden file,
// so that matcher changes show up as diffs. Run with -update to rewrite it.
func TestGolden100Samples(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "data", "pharmcat-pgx-vcf", "examples", "100samples.vcf")
	f, err := os.Open(p)
	if err != nil {
		t.Skip("shared data not present")
	}
	defer f.Close()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.CallDetailed(context.Background(), f, "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("sample\tgene\tdiplotype\tphenotype\tactivity\tmissing\tnote\n")
	for _, r := range res {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Sample, r.Gene, r.Diplotype, r.Phenotype, r.ActivityScore, len(r.MissingPositions), r.Note)
	}
	golden := filepath.Join("testdata", "100samples.golden.tsv")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		got := strings.Split(b.String(), "\n")
		w := strings.Split(string(want), "\n")
		for i := 0; i < len(got) && i < len(w); i++ {
			if got[i] != w[i] {
				t.Fatalf("line %d differs:\n got  %s\n want %s", i+1, got[i], w[i])
			}
		}
		t.Fatalf("length differs: %d vs %d lines", len(got), len(w))
	}
}
