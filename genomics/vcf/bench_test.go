package vcf

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var kgpFile = filepath.Join(sharedDir, "vcf-samples", "1000genomes", "chr1_11697036-11836540.2504samples.vcf.gz")

// parseGT reads every record of path and decodes all genotypes, as
// `bcftools query -f '[%GT\t]\n'` does; it returns records and genotypes.
func parseAllGT(tb testing.TB, path string) (int, int) {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	buf := make([]Genotype, 0, len(r.Header().Samples))
	recs, gts := 0, 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, gts
		}
		if err != nil {
			tb.Fatal(err)
		}
		if buf, err = rec.Genotypes(buf); err != nil {
			tb.Fatal(err)
		}
		recs++
		gts += len(buf)
	}
}

// runBcftools runs the peer command and drains its output.
func runBcftools(tb testing.TB, bin, path string) {
	cmd := exec.Command(bin, "query", "-f", `[%GT\t]\n`, path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, bufio.NewReaderSize(out, 1<<20)); err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkGenotypesVsBcftools decodes the GT of all 2,504 samples of the
// 1000 Genomes slice with this package and with
// `bcftools query -f '[%GT\t]\n'`, side by side in each iteration, for the
// bgzipped file and a decompressed copy. Metrics: records/s and
// genotypes/s of both, and speedup = bcftools time / our time.
//
//	go test -run '^$' -bench GenotypesVsBcftools -benchtime 3x ./genomics/vcf/
func BenchmarkGenotypesVsBcftools(b *testing.B) {
	if _, err := os.Stat(kgpFile); err != nil {
		b.Skip("1000 Genomes slice not present")
	}
	bin, _ := exec.LookPath("bcftools")
	plain := filepath.Join(b.TempDir(), "kgp.vcf")
	{
		in, err := os.Open(kgpFile)
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(in)
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(plain)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, zr); err != nil {
			b.Fatal(err)
		}
		out.Close()
		in.Close()
	}
	for _, tc := range []struct{ name, path string }{{"bgzip", kgpFile}, {"plain", plain}} {
		b.Run(tc.name, func(b *testing.B) {
			var ours, theirs time.Duration
			recs, gts := 0, 0
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				recs, gts = parseAllGT(b, tc.path)
				ours += time.Since(t0)
				if bin != "" {
					t1 := time.Now()
					runBcftools(b, bin, tc.path)
					theirs += time.Since(t1)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(recs)*n/ours.Seconds(), "records/s")
			b.ReportMetric(float64(gts)*n/ours.Seconds(), "genotypes/s")
			if bin == "" {
				b.Log("bcftools not installed: peer numbers skipped")
				return
			}
			b.ReportMetric(float64(recs)*n/theirs.Seconds(), "bcftools-records/s")
			b.ReportMetric(float64(gts)*n/theirs.Seconds(), "bcftools-genotypes/s")
			b.ReportMetric(theirs.Seconds()/ours.Seconds(), "speedup")
		})
	}
}
