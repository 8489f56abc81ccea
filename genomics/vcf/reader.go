package vcf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Reader streams records from a VCF. It holds one line at a time, within
// the bounds of its Limits, and checks its context every checkEvery lines.
type Reader struct {
	ctx     context.Context
	lim     Limits
	src     io.ReadCloser
	br      *bufio.Reader
	line    []byte // current line (may alias br's buffer or long)
	long    []byte // accumulation buffer for lines longer than br's buffer
	lineNo  int
	records int64
	hdr     *Header
	rec     Record
	comp    Compression
	err     error
	chrom   string // last CHROM string, reused to avoid allocations
}

// NewReader is NewReaderContext with context.Background() and the default
// Limits.
func NewReader(r io.Reader) (*Reader, error) {
	return NewReaderContext(context.Background(), r, Limits{})
}

// NewReaderContext detects the compression of r, reads the header and
// returns a Reader positioned at the first record. The reader stops with
// ctx's error once ctx is done (checked every 1,024 lines, header lines
// included) and with a *genomics.LimitError when the input passes one of
// lim's fields (zero fields take DefaultLimits).
func NewReaderContext(ctx context.Context, r io.Reader, lim Limits) (*Reader, error) {
	lim = lim.withDefaults()
	src, comp, err := DecompressLimit(r, lim.MaxDecompressionRatio)
	if err != nil {
		return nil, err
	}
	vr := &Reader{ctx: ctx, lim: lim, src: src, br: bufio.NewReaderSize(src, 1<<20), comp: comp}
	if err := vr.readHeader(); err != nil {
		_ = src.Close()
		return nil, err
	}
	return vr, nil
}

// Header returns the parsed header.
func (r *Reader) Header() *Header { return r.hdr }

// Compression reports the container the input was found in.
func (r *Reader) Compression() Compression { return r.comp }

// Line returns the 1-based number of the line last read.
func (r *Reader) Line() int { return r.lineNo }

// Close releases decompression goroutines. It does not close the underlying reader.
func (r *Reader) Close() error { return r.src.Close() }

// readLine returns the next line without its line terminator ("\n", "\r\n").
func (r *Reader) readLine() ([]byte, error) {
	if r.lineNo%checkEvery == 0 {
		if err := r.ctx.Err(); err != nil {
			return nil, err
		}
	}
	max := r.lim.MaxLineBytes
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > max {
				break
			}
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	if len(bytes.TrimRight(b, "\r\n")) > max {
		return nil, limitErr(r.lineNo+1, "MaxLineBytes", int64(max), "bytes in one line")
	}
	if err != nil && err != io.EOF {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Line = r.lineNo + 1
			return nil, pe
		}
		if le, ok := asLimit(err); ok {
			return nil, le
		}
		if r.comp != Plain && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			// A truncated or corrupt gzip stream is bad input.
			return nil, perr(r.lineNo+1, "", "%s input is truncated or corrupt: %v", r.comp, err)
		}
		return nil, fmt.Errorf("vcf: line %d: read: %w", r.lineNo+1, err)
	}
	if len(b) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	r.lineNo++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

func (r *Reader) readHeader() error {
	h := &Header{Info: map[string]FieldDef{}, Format: map[string]FieldDef{}, sampleIdx: map[string]int{}}
	r.hdr = h
	first := true
	var bytesSoFar int64
	for {
		b, err := r.readLine()
		if err == io.EOF {
			return perr(r.lineNo, "header", "missing #CHROM header line")
		}
		if err != nil {
			return err
		}
		if r.lineNo > r.lim.MaxHeaderLines {
			return limitErr(r.lineNo, "MaxHeaderLines", int64(r.lim.MaxHeaderLines), "header lines")
		}
		if bytesSoFar += int64(len(b)) + 1; bytesSoFar > r.lim.MaxHeaderBytes {
			return limitErr(r.lineNo, "MaxHeaderBytes", r.lim.MaxHeaderBytes, "bytes of header")
		}
		if first {
			first = false
			if !bytes.HasPrefix(b, []byte("##fileformat=")) {
				if len(b) > 0 && b[0] != '#' || len(b) == 0 {
					return perr(r.lineNo, "header", "not a VCF: first line must be ##fileformat=VCFv4.x")
				}
				if !bytes.HasPrefix(b, []byte("#CHROM")) {
					return perr(r.lineNo, "header", "first line must be ##fileformat=VCFv4.x")
				}
			}
		}
		if bytes.HasPrefix(b, []byte("##")) {
			m, err := parseMeta(r.lineNo, string(b[2:]))
			if err != nil {
				return err
			}
			h.addMeta(m)
			continue
		}
		if bytes.HasPrefix(b, []byte("#CHROM")) {
			return r.parseColumns(string(b))
		}
		if len(b) == 0 {
			continue
		}
		return perr(r.lineNo, "header", "expected a ## meta-line or the #CHROM line")
	}
}

func (r *Reader) parseColumns(s string) error {
	h := r.hdr
	if n := strings.Count(s, "\t") - 8; n > r.lim.MaxSamples {
		return limitErr(r.lineNo, "MaxSamples", int64(r.lim.MaxSamples), "sample columns")
	}
	cols := strings.Split(s, "\t")
	if len(cols) < 8 {
		// Some writers use spaces in the #CHROM line; accept whitespace.
		cols = strings.Fields(s)
	}
	if len(cols) < 8 {
		return perr(r.lineNo, "#CHROM", "expected at least 8 tab-separated columns, found %d", len(cols))
	}
	for i, want := range fixedColumns {
		if cols[i] != want {
			return perr(r.lineNo, "#CHROM", "column %d is %q, want %q", i+1, cols[i], want)
		}
	}
	if len(cols) > 8 {
		if cols[8] != "FORMAT" {
			return perr(r.lineNo, "#CHROM", "column 9 is %q, want FORMAT", cols[8])
		}
		h.hasFormat = true
		for _, name := range cols[9:] {
			if name == "" {
				return perr(r.lineNo, "#CHROM", "empty sample name")
			}
			if _, dup := h.sampleIdx[name]; dup {
				return perr(r.lineNo, "#CHROM", "duplicate sample name")
			}
			h.sampleIdx[name] = len(h.Samples)
			h.Samples = append(h.Samples, name)
		}
	}
	return nil
}

// Next reads the next data line. The returned Record is owned by the Reader
// and overwritten by the next call; copy what you keep (Record.Clone).
// At the end of input Next returns io.EOF.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		b, err := r.readLine()
		if err != nil {
			r.err = err
			return nil, err
		}
		if len(b) == 0 {
			continue // tolerate blank lines, as htslib does
		}
		if b[0] == '#' {
			r.err = perr(r.lineNo, "", "header line after the #CHROM line")
			return nil, r.err
		}
		if r.records++; r.records > r.lim.MaxRecords {
			r.err = limitErr(r.lineNo, "MaxRecords", r.lim.MaxRecords, "records")
			return nil, r.err
		}
		if err := r.rec.parse(r, b); err != nil {
			r.err = err
			return nil, err
		}
		return &r.rec, nil
	}
}
