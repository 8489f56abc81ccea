package vcf

import (
	"errors"
	"io"

	"github.com/rxlab/rxlab/genomics"
)

// Limits bounds what one VCF may make a Reader spend. Each field is
// checked while reading, before the memory it guards is taken; passing one
// stops the reader with a *genomics.LimitError naming the field (code
// PAYLOAD_TOO_LARGE). Zero fields take the value of DefaultLimits.
type Limits struct {
	// MaxHeaderLines bounds the ## meta-lines and the #CHROM line. Real
	// headers have tens to a few thousand (GRCh38 with its alternate
	// contigs: about 3,400 ##contig lines).
	MaxHeaderLines int
	// MaxHeaderBytes bounds the bytes of all header lines together.
	MaxHeaderBytes int64
	// MaxLineBytes bounds one line, header or record.
	MaxLineBytes int
	// MaxSamples bounds the sample columns of the #CHROM line.
	MaxSamples int
	// MaxRecords bounds the data lines of one file.
	MaxRecords int64
	// MaxDecompressionRatio bounds decompressed/compressed bytes of a gzip
	// or bgzip input, counted past its first MiB of output.
	MaxDecompressionRatio int64
}

// DefaultLimits returns the limits of a zero Limits: 20,000 header lines,
// 8 MiB of header, 16 MiB a line, 100,000 samples, 50 million records and
// a decompression ratio of 200 (VCF text compresses 5–60 times; 2 GiB of
// zeros compress about 1,000 times).
func DefaultLimits() Limits {
	return Limits{
		MaxHeaderLines:        20_000,
		MaxHeaderBytes:        8 << 20,
		MaxLineBytes:          16 << 20,
		MaxSamples:            100_000,
		MaxRecords:            50_000_000,
		MaxDecompressionRatio: 200,
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxHeaderLines <= 0 {
		l.MaxHeaderLines = d.MaxHeaderLines
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	if l.MaxSamples <= 0 {
		l.MaxSamples = d.MaxSamples
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = d.MaxRecords
	}
	if l.MaxDecompressionRatio <= 0 {
		l.MaxDecompressionRatio = d.MaxDecompressionRatio
	}
	return l
}

// checkEvery is how many lines the reader reads between checks of its
// context.
const checkEvery = 1024

// ratioFree is the output a compressed input may produce before the
// decompression ratio counts.
const ratioFree = 1 << 20

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioReader stops a decompressor whose output outgrows its input by more
// than max times.
type ratioReader struct {
	rc  io.ReadCloser
	in  *countingReader
	out int64
	max int64
	err error
}

func (z *ratioReader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.rc.Read(p)
	z.out += int64(n)
	if z.out > ratioFree && z.out > z.max*z.in.n {
		z.err = &genomics.LimitError{Source: "vcf", Limit: "MaxDecompressionRatio", Max: z.max, What: "bytes decompressed per compressed byte"}
		return 0, z.err
	}
	return n, err
}

func (z *ratioReader) Close() error { return z.rc.Close() }

// asLimit returns err's *genomics.LimitError, if it is one.
func asLimit(err error) (*genomics.LimitError, bool) {
	var le *genomics.LimitError
	ok := errors.As(err, &le)
	return le, ok
}

// limitErr is a LimitError of this package.
func limitErr(line int, limit string, max int64, what string) error {
	return &genomics.LimitError{Source: "vcf", Line: line, Limit: limit, Max: max, What: what}
}
