package maf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/rxlab/rxlab/store/errs"
)

// MaxLineBytes bounds one line so that a malformed file cannot exhaust memory.
const MaxLineBytes = 16 << 20

// ParseError is malformed tabular input: line, column and reason. It wraps
// errs.Invalid and never quotes cell values.
type ParseError struct {
	Line   int
	Column string
	Reason string
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("maf: line %d: column %s: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("maf: line %d: %s", e.Line, e.Reason)
}

// Unwrap returns errs.Invalid.
func (e *ParseError) Unwrap() error { return errs.Invalid }

// splitLines is a bufio.SplitFunc accepting LF, CRLF and lone CR.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	i := bytes.IndexAny(data, "\r\n")
	if i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		// '\r': need the next byte to tell CR from CRLF.
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// lineScanner wraps bufio.Scanner with line counting.
type lineScanner struct {
	sc   *bufio.Scanner
	line int
}

func newLineScanner(r io.Reader) *lineScanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), MaxLineBytes)
	sc.Split(splitLines)
	return &lineScanner{sc: sc}
}

// next returns the next line, io.EOF at the end.
func (l *lineScanner) next() ([]byte, error) {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			if err == bufio.ErrTooLong {
				return nil, &ParseError{Line: l.line + 1, Reason: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
			}
			// Decompression failures are corrupt input.
			return nil, &ParseError{Line: l.line + 1, Reason: "read: " + err.Error()}
		}
		return nil, io.EOF
	}
	l.line++
	return l.sc.Bytes(), nil
}
