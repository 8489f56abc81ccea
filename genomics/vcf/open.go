package vcf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	kgzip "github.com/klauspost/compress/gzip"
)

// Compression is the container a VCF stream was found in.
type Compression int

// The containers Decompress recognises by their magic bytes.
const (
	Plain Compression = iota // uncompressed text
	Gzip                     // ordinary gzip (possibly multi-member)
	BGZF                     // blocked gzip as written by bgzip/htslib
)

// String names the compression.
func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case BGZF:
		return "bgzf"
	default:
		return "plain"
	}
}

// Decompress sniffs the first bytes of r and returns a reader of the
// decompressed text together with the container it found. bgzip files are
// inflated block-parallel on two goroutines; call Close on the returned
// reader to release them when stopping early. Compressed input is held to
// the default MaxDecompressionRatio (DecompressLimit).
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	return DecompressLimit(r, DefaultLimits().MaxDecompressionRatio)
}

// DecompressLimit is Decompress with a cap on the decompression ratio:
// once the output passes its first MiB, reading more than maxRatio bytes
// per compressed byte fails with a *genomics.LimitError
// (MaxDecompressionRatio), so a small bomb cannot expand without end.
// maxRatio ≤ 0 takes the default.
func DecompressLimit(r io.Reader, maxRatio int64) (io.ReadCloser, Compression, error) {
	if maxRatio <= 0 {
		maxRatio = DefaultLimits().MaxDecompressionRatio
	}
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 1<<16)
	magic, err := br.Peek(18)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, Plain, fmt.Errorf("vcf: read: %w", err)
	}
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if isBGZFHeader(magic) {
			return &ratioReader{rc: newBGZFReader(br, 2), in: cr, max: maxRatio}, BGZF, nil
		}
		zr, err := kgzip.NewReader(br)
		if err != nil {
			return nil, Gzip, &ParseError{Line: 0, Reason: "bad gzip header: " + err.Error()}
		}
		return &ratioReader{rc: zr, in: cr, max: maxRatio}, Gzip, nil
	}
	return io.NopCloser(br), Plain, nil
}

// isBGZFHeader reports whether b starts with a gzip member carrying the BGZF
// "BC" extra subfield.
func isBGZFHeader(b []byte) bool {
	return len(b) >= 18 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && b[3]&4 != 0 &&
		b[10] == 6 && b[11] == 0 && bytes.Equal(b[12:14], []byte("BC")) && b[14] == 2 && b[15] == 0
}
