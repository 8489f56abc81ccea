package pgx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/vcf"
	"github.com/rxlab/rxlab/store/errs"
)

// manySamples builds a VCF of n samples over the first records of
// PharmCAT's example file, every sample heterozygous at every position:
// 60,000 samples over 5 records is the 1.7 MB file.
func manySamples(t testing.TB, n, recs int) string {
	t.Helper()
	f, err := os.Open("testdata/examples/pharmcat.example.vcf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	gts := strings.Repeat("\t0/1", n)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && recs > 0 {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "##"):
			b.WriteString(line + "\n")
		case strings.HasPrefix(line, "#CHROM"):
			b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "\tS%05d", i)
			}
			b.WriteString("\n")
		default:
			cols := strings.SplitN(line, "\t", 10)
			b.WriteString(strings.Join(cols[:8], "\t") + "\tGT" + gts + "\n")
			recs--
		}
	}
	return b.String()
}

// TestCallLimits calls files of many samples: more than MaxSamples with no
// sample named is refused after the header, at once and in little memory,
// with a LimitError naming MaxSamples; naming one sample, or staying at the
// limit, calls.
func TestCallLimits(t *testing.T) {
	big := manySamples(t, 60_000, 5)
	atCap := manySamples(t, DefaultMaxSamples, 5)
	cases := []struct {
		name    string
		cfg     Config
		vcf     string
		sample  string
		limit   string // "" = calls
		results int
	}{
		{"60,000 samples, none named", Config{}, big, "", "MaxSamples", 0},
		{"60,000 samples, one named", Config{}, big, "S12345", "", len(supportedGenes)},
		{"at the default limit", Config{}, atCap, "", "", DefaultMaxSamples * len(supportedGenes)},
		{"over a configured limit", Config{MaxSamples: 10}, manySamples(t, 11, 5), "", "MaxSamples", 0},
		{"header lines over the VCF limit", Config{VCF: vcfLimits(5)}, atCap, "", "MaxHeaderLines", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewWithConfig(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			res, err := c.Call(context.Background(), strings.NewReader(tc.vcf), tc.sample)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%d bytes of VCF: %v, %d bytes allocated, %d results, err %v", len(tc.vcf), took, after.TotalAlloc-before.TotalAlloc, len(res), err)
			if tc.limit == "" {
				if err != nil || len(res) != tc.results {
					t.Fatalf("%d results, err %v; want %d", len(res), err, tc.results)
				}
				return
			}
			var le *genomics.LimitError
			var cd errs.Coder
			if !errors.As(err, &le) || le.Limit != tc.limit || !errors.Is(err, errs.Invalid) ||
				!errors.As(err, &cd) || cd.Code() != genomics.CodeTooLarge || !strings.Contains(err.Error(), tc.limit) {
				t.Fatalf("err = %v, want a %s LimitError", err, tc.limit)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 32<<20 {
				t.Errorf("refused after allocating %d bytes", a)
			}
		})
	}
}

// TestCallStopsWithContext gives a call of 500 samples over the whole
// example file a deadline far shorter than the call: the call stops with
// the deadline's error instead of finishing (before, a 60,000-sample call
// went on growing after its request had answered TIMEOUT).
func TestCallStopsWithContext(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	vcf := manySamples(t, 500, 1<<20)
	start := time.Now()
	if _, err := c.Call(context.Background(), strings.NewReader(vcf), ""); err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)
	for _, frac := range []time.Duration{50, 2} {
		ctx, cancel := context.WithTimeout(context.Background(), full/frac)
		start := time.Now()
		_, err := c.Call(ctx, strings.NewReader(vcf), "")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("deadline of 1/%d of the call (%v): err = %v", frac, full, err)
		}
		if over := time.Since(start) - full/frac; over > full/4+50*time.Millisecond {
			t.Errorf("stopped %v after the deadline (the whole call takes %v)", over, full)
		}
	}
}

func vcfLimits(headerLines int) vcf.Limits { return vcf.Limits{MaxHeaderLines: headerLines} }
