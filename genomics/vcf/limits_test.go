package vcf

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store/errs"
)

// gz compresses b with ordinary gzip.
func gz(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// bgzf compresses b as bgzip does: independent gzip members of at most
// 64 KiB of input, each with the BC extra field giving its size.
func bgzf(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		part := b[:min(len(b), 0xff00)]
		b = b[len(part):]
		var def bytes.Buffer
		fw, _ := flate.NewWriter(&def, flate.BestCompression)
		fw.Write(part)
		fw.Close()
		size := 18 + def.Len() + 8
		hdr := []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0, 0, 0}
		binary.LittleEndian.PutUint16(hdr[16:], uint16(size-1))
		out.Write(hdr)
		out.Write(def.Bytes())
		binary.Write(&out, binary.LittleEndian, crc32.ChecksumIEEE(part))
		binary.Write(&out, binary.LittleEndian, uint32(len(part)))
	}
	return out.Bytes()
}

// readAll reads a VCF to its end and returns the first error (nil at EOF)
// and the records read.
func readAll(ctx context.Context, r io.Reader, lim Limits) (int, error) {
	vr, err := NewReaderContext(ctx, r, lim)
	if err != nil {
		return 0, err
	}
	defer vr.Close()
	n := 0
	for {
		_, err := vr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

const cols = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"

func records(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "chr1\t%d\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n", 100+i)
	}
	return b.String()
}

// TestLimits passes each limit of Limits by one and stays at it: the
// reader refuses the first with a LimitError naming the limit and the line,
// coded PAYLOAD_TOO_LARGE and wrapping ErrInvalid, and reads the second.
func TestLimits(t *testing.T) {
	metaLines := func(n int) string { return strings.Repeat("##a=b\n", n) }
	samples := func(n int) string {
		var b strings.Builder
		b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "\tS%d", i)
		}
		return b.String() + "\n"
	}
	long := "##x=" + strings.Repeat("y", 3<<20) + "\n"
	cases := []struct {
		name  string
		lim   Limits
		input string
		limit string // "" = reads
		line  int
	}{
		{"header lines over", Limits{MaxHeaderLines: 10}, "##fileformat=VCFv4.2\n" + metaLines(9) + cols, "MaxHeaderLines", 11},
		{"header lines at", Limits{MaxHeaderLines: 11}, "##fileformat=VCFv4.2\n" + metaLines(9) + cols, "", 0},
		{"header bytes over", Limits{MaxHeaderBytes: 100}, "##fileformat=VCFv4.2\n##b=" + strings.Repeat("c", 80) + "\n" + cols, "MaxHeaderBytes", 2},
		{"header bytes at", Limits{MaxHeaderBytes: 200}, "##fileformat=VCFv4.2\n##b=" + strings.Repeat("c", 80) + "\n" + cols, "", 0},
		{"line over, short path", Limits{MaxLineBytes: 50}, "##fileformat=VCFv4.2\n" + cols + "chr1\t1\t.\tA\tG\t.\tPASS\t" + strings.Repeat("X", 40) + "\tGT\t0/1\n", "MaxLineBytes", 3},
		{"line over, long path", Limits{MaxLineBytes: 2 << 20}, "##fileformat=VCFv4.2\n" + long + cols, "MaxLineBytes", 2},
		{"line at, long path", Limits{MaxLineBytes: 4 << 20}, "##fileformat=VCFv4.2\n" + long + cols, "", 0},
		{"samples over", Limits{MaxSamples: 3}, "##fileformat=VCFv4.2\n" + samples(4), "MaxSamples", 2},
		{"samples at", Limits{MaxSamples: 4}, "##fileformat=VCFv4.2\n" + samples(4), "", 0},
		{"records over", Limits{MaxRecords: 5}, "##fileformat=VCFv4.2\n" + cols + records(6), "MaxRecords", 8},
		{"records at", Limits{MaxRecords: 6}, "##fileformat=VCFv4.2\n" + cols + records(6), "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(context.Background(), strings.NewReader(tc.input), tc.lim)
			checkLimit(t, err, tc.limit, tc.line)
		})
	}
}

func checkLimit(t *testing.T, err error, limit string, line int) {
	t.Helper()
	if limit == "" {
		if err != nil {
			t.Fatalf("within the limit: %v", err)
		}
		return
	}
	var le *genomics.LimitError
	if !errors.As(err, &le) || le.Limit != limit || le.Line != line {
		t.Fatalf("err = %v, want a LimitError %s at line %d", err, limit, line)
	}
	var c errs.Coder
	if !errors.Is(err, errs.Invalid) || !errors.As(err, &c) || c.Code() != "PAYLOAD_TOO_LARGE" ||
		!strings.Contains(err.Error(), limit) {
		t.Fatalf("err = %v: want ErrInvalid, code PAYLOAD_TOO_LARGE and the limit's name", err)
	}
}

// TestDecompressionBombs sends the inputs: a gzip of "##a=b"
// header lines (it grew to 4 GB in 27 s) and gzip and bgzip of zeros.
// Each is refused under the default limits, quickly, having allocated at
// most 128 MB in all (the reader's buffers, a long line up to the point of
// refusal, the inflaters).
func TestDecompressionBombs(t *testing.T) {
	zeros := make([]byte, 64<<20)
	meta := []byte("##fileformat=VCFv4.2\n" + strings.Repeat("##a=b\n", 4<<20))
	cases := []struct {
		name  string
		input []byte
		limit string
	}{
		{"gzip of header lines", gz(meta), "MaxHeaderLines"},
		{"bgzip of header lines", bgzf(meta), "MaxHeaderLines"},
		{"gzip of zeros", gz(zeros), "MaxDecompressionRatio"},
		{"bgzip of zeros", bgzf(zeros), "MaxDecompressionRatio"},
		{"plain header lines", meta, "MaxHeaderLines"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := readAll(context.Background(), bytes.NewReader(tc.input), Limits{})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var le *genomics.LimitError
			if !errors.As(err, &le) || le.Limit != tc.limit {
				t.Fatalf("%d compressed bytes: err = %v, want %s", len(tc.input), err, tc.limit)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes in: refused after %v, %d bytes allocated: %v", len(tc.input), took, alloc, err)
			if alloc > 128<<20 {
				t.Errorf("allocated %d bytes before refusing", alloc)
			}
		})
	}
}

// endless is a VCF that never ends: a header, then records forever.
type endless struct {
	head []byte
	pos  int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(e.head) > 0 {
			c := copy(p[n:], e.head)
			e.head, n = e.head[c:], n+c
			continue
		}
		line := fmt.Sprintf("chr1\t%d\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n", e.pos+1)
		if n+len(line) > len(p) {
			break
		}
		e.pos++
		n += copy(p[n:], line)
	}
	return n, nil
}

// TestContextStopsReader cancels the context of readers over inputs that
// never end (header lines, records): each stops with the context's error.
func TestContextStopsReader(t *testing.T) {
	cases := []struct {
		name string
		src  func() io.Reader
		lim  Limits
	}{
		{"records", func() io.Reader {
			return &endless{head: []byte("##fileformat=VCFv4.2\n" + cols)}
		}, Limits{MaxRecords: 1 << 40}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			n, err := readAll(ctx, tc.src(), tc.lim)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v after %d records", err, n)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("stopped %v after the deadline", d)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewReaderContext(ctx, strings.NewReader(hdr), Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled before the header: %v", err)
	}
}

// FuzzReaderLimits reads arbitrary input under small limits: every error
// wraps ErrInvalid (a LimitError names a limit of Limits), and what the
// reader returns stays within the limits.
func FuzzReaderLimits(f *testing.F) {
	f.Add([]byte("##fileformat=VCFv4.2\n" + strings.Repeat("##a=b\n", 10) + cols + records(3)))
	f.Add([]byte("##fileformat=VCFv4.2\n##x=" + strings.Repeat("y", 300) + "\n" + cols))
	f.Add([]byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD\tE\n"))
	f.Add([]byte("##fileformat=VCFv4.2\n" + cols + records(10)))
	f.Add(gz([]byte("##fileformat=VCFv4.2\n" + strings.Repeat("##a=b\n", 100) + cols)))
	f.Add(bgzf([]byte(hdr + "chr1\t10\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\t0/0\t1/1\n")))
	lim := Limits{MaxHeaderLines: 8, MaxHeaderBytes: 400, MaxLineBytes: 200, MaxSamples: 3, MaxRecords: 5, MaxDecompressionRatio: 50}
	f.Fuzz(func(t *testing.T, b []byte) {
		vr, err := NewReaderContext(context.Background(), bytes.NewReader(b), lim)
		check := func(err error) {
			var le *genomics.LimitError
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			if errors.As(err, &le) && !strings.HasPrefix(le.Limit, "Max") {
				t.Fatalf("limit error names %q", le.Limit)
			}
		}
		if err != nil {
			check(err)
			return
		}
		defer vr.Close()
		h := vr.Header()
		if len(h.Meta)+1 > lim.MaxHeaderLines || len(h.Samples) > lim.MaxSamples {
			t.Fatalf("header of %d meta-lines and %d samples passed", len(h.Meta), len(h.Samples))
		}
		for n := 0; ; n++ {
			rec, err := vr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				check(err)
				return
			}
			if n >= int(lim.MaxRecords) || len(rec.InfoRaw()) > lim.MaxLineBytes {
				t.Fatalf("record %d (INFO %d bytes) passed", n+1, len(rec.InfoRaw()))
			}
		}
	})
}
