package datasets

import (
	"fmt"
	"io"

	"github.com/rxlab/rxlab/store"
)

// LimitError is an upload over one of its Limits. It names the limit,
// answers with the code LIMIT_EXCEEDED and wraps store.ErrInvalid.
type LimitError struct {
	// Limit names the field of Limits, e.g. "MaxRows".
	Limit string
	// Max is the value in force.
	Max int64
	// Unit says what Max counts.
	Unit string
	// Line is the line of the file where the limit was passed, 0 when the
	// limit concerns the input rather than a place in the file.
	Line int
}

// Error implements error.
func (e *LimitError) Error() string {
	at := ""
	if e.Line > 0 {
		at = fmt.Sprintf(" at line %d", e.Line)
	}
	return fmt.Sprintf("dataset: more than %d %s%s (limit %s): %v; nothing was stored", e.Max, e.Unit, at, e.Limit, store.ErrInvalid)
}

// Code implements store.Coder.
func (e *LimitError) Code() string { return "LIMIT_EXCEEDED" }

// Unwrap makes the error an input error.
func (e *LimitError) Unwrap() error { return store.ErrInvalid }

// boundedReader enforces MaxBytes and MaxLineBytes on the raw file as it
// is read, so neither a huge file nor one endless line is buffered before
// it is refused.
type boundedReader struct {
	r        io.Reader
	maxBytes int64
	maxLine  int
	n        int64 // bytes read
	line     int   // current line, from 1
	lineLen  int   // bytes of the current line so far
}

// Read reads from the file and refuses it once a limit is passed.
func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.maxBytes {
		return 0, &LimitError{Limit: "MaxBytes", Max: b.maxBytes, Unit: "bytes"}
	}
	for _, c := range p[:n] {
		if c == '\n' {
			b.line++
			b.lineLen = 0
			continue
		}
		b.lineLen++
		if b.lineLen > b.maxLine {
			return 0, &LimitError{Limit: "MaxLineBytes", Max: int64(b.maxLine), Unit: "bytes in one line", Line: b.line + 1}
		}
	}
	return n, err
}
