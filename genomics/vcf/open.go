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
// reader to release them when stopping early.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(18)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, Plain, fmt.Errorf("vcf: read: %w", err)
	}
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if isBGZFHeader(magic) {
			return newBGZFReader(br, 2), BGZF, nil
		}
		zr, err := kgzip.NewReader(br)
		if err != nil {
			return nil, Gzip, &ParseError{Line: 0, Reason: "bad gzip header: " + err.Error()}
		}
		return zr, Gzip, nil
	}
	return io.NopCloser(br), Plain, nil
}

// isBGZFHeader reports whether b starts with a gzip member carrying the BGZF
// "BC" extra subfield.
func isBGZFHeader(b []byte) bool {
	return len(b) >= 18 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && b[3]&4 != 0 &&
		b[10] == 6 && b[11] == 0 && bytes.Equal(b[12:14], []byte("BC")) && b[14] == 2 && b[15] == 0
}
