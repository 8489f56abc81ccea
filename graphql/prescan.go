package graphql

import (
	"fmt"
	"unicode/utf8"
)

// graphql-go's parser is recursive descent: every bracket ({ [ () it meets
// costs a stack frame or more, and a deep enough document ("{a" × 10⁶, or
// "[" × 700,000 inside an argument) overflows the stack, which kills the
// process (Go's stack overflow is fatal, not a panic). The pre-scan below is
// a flat lexer that runs on the query text before the parser sees it and
// bounds what the parser's recursion and allocations depend on: bracket
// nesting of every kind, the number of tokens and the length of each string.
// It mirrors graphql-go's lexer for strings, block strings and comments, so
// that no bracket the parser would read as code is skipped as text; where
// the two could differ (an unterminated string) the pre-scan reads more as
// code, never less.

// limitError is a limit broken at a place in the query text or the request
// body: BAD_USER_INPUT, with the limit's name and value and the line and column.
type limitError struct {
	what  string // e.g. "brackets nest deeper than 128 levels"
	limit string // the Limits field, e.g. "MaxNesting"
	in    string // "query" or "request body"
	line  int
	col   int
}

func (e *limitError) Error() string {
	return fmt.Sprintf("%s at line %d, column %d of the %s (limit %s)", e.what, e.line, e.col, e.in, e.limit)
}

// Code implements store.Coder.
func (e *limitError) Code() string { return CodeBadInput }

// position tracks the line of a byte offset and where that line starts.
type position struct {
	line      int
	lineStart int
}

func (p *position) newline(next int) {
	p.line++
	p.lineStart = next
}

// limitAt builds the limitError at byte offset at of text.
func limitAt[T string | []byte](p *position, text T, at int, in, what, limit string) error {
	at = min(at, len(text))
	col := utf8.RuneCount([]byte(text[p.lineStart:at])) + 1
	return &limitError{what: what, limit: limit, in: in, line: p.line, col: col}
}

// prescanQuery checks the query text against MaxNesting, MaxTokens and
// MaxStringBytes before it is parsed.
func prescanQuery(q string, l Limits) error {
	pos := &position{line: 1}
	depth, tokens := 0, 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\n':
			i++
			pos.newline(i)
			continue
		case c == '\r':
			i++
			if i < len(q) && q[i] == '\n' {
				i++
			}
			pos.newline(i)
			continue
		case c == ' ' || c == '\t' || c == ',':
			i++
			continue
		case c == 0xEF && i+2 < len(q) && q[i+1] == 0xBB && q[i+2] == 0xBF: // BOM
			i += 3
			continue
		case c == '#':
			i = skipComment(q, i+1)
			continue
		}
		tokens++
		if tokens > l.MaxTokens {
			return limitAt(pos, q, i, "query", fmt.Sprintf("the query has more than %d tokens", l.MaxTokens), "MaxTokens")
		}
		switch {
		case c == '{' || c == '[' || c == '(':
			depth++
			if depth > l.MaxNesting {
				return limitAt(pos, q, i, "query", fmt.Sprintf("brackets nest deeper than %d levels", l.MaxNesting), "MaxNesting")
			}
			i++
		case c == '}' || c == ']' || c == ')':
			if depth > 0 {
				depth--
			}
			i++
		case c == '"':
			start, at := i, *pos
			var end int
			if i+2 < len(q) && q[i+1] == '"' && q[i+2] == '"' {
				end = skipBlockString(q, i+3, pos)
			} else {
				end = skipString(q, i+1)
			}
			if end-start > l.MaxStringBytes {
				return limitAt(&at, q, start, "query", fmt.Sprintf("a string is longer than %d bytes", l.MaxStringBytes), "MaxStringBytes")
			}
			i = end
		case c == '.' && i+2 < len(q) && q[i+1] == '.' && q[i+2] == '.':
			i += 3
		case isWordByte(c):
			for i < len(q) && isWordByte(q[i]) {
				i++
			}
		default:
			i++ // punctuation, or a character the parser will report
		}
	}
	return nil
}

// isWordByte reports bytes of names and numbers; none of them is a bracket,
// quote or line break, so a run of them never hides one.
func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '+' || c == '.' ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// skipComment returns the offset where a comment starting at i ends: at a
// line break or any other control character except tab, as graphql-go's lexer.
func skipComment(q string, i int) int {
	for i < len(q) && (q[i] >= 0x20 || q[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the offset after a quoted string whose body starts at i.
// It ends at the closing quote, or (unterminated, which the parser rejects)
// at a line break, so that the rest is scanned as code.
func skipString(q string, i int) int {
	for i < len(q) {
		switch q[i] {
		case '"':
			return i + 1
		case '\n', '\r':
			return i
		case '\\':
			if i+1 < len(q) && q[i+1] != '\n' && q[i+1] != '\r' {
				i++
			}
		}
		i++
	}
	return i
}

// skipBlockString returns the offset after a block string whose body starts
// at i, counting its lines. \""" is an escaped triple quote, as in graphql-go.
func skipBlockString(q string, i int, pos *position) int {
	for i < len(q) {
		switch {
		case q[i] == '"' && i+2 < len(q) && q[i+1] == '"' && q[i+2] == '"':
			return i + 3
		case q[i] == '\\' && i+3 < len(q) && q[i+1] == '"' && q[i+2] == '"' && q[i+3] == '"':
			i += 4
			continue
		case q[i] == '\n':
			pos.newline(i + 1)
		case q[i] == '\r':
			if i+1 < len(q) && q[i+1] == '\n' {
				i++
			}
			pos.newline(i + 1)
		}
		i++
	}
	return i
}

// prescanJSON checks a JSON text (the request body, or the variables of a
// GET) against MaxVariableNesting and MaxVariableElements before it is
// decoded: encoding/json would otherwise build every value first. extra is
// the nesting the envelope adds (1 for the request object around variables).
// Invalid JSON is left to the decoder.
func prescanJSON(b []byte, in string, extra int, l Limits) error {
	pos := &position{line: 1}
	depth, elems := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\n':
			pos.newline(i + 1)
		case '"':
			elems++ // a string value or a member's key: both cost memory
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
		case '{', '[':
			depth++
			elems++
			if depth > l.MaxVariableNesting+extra {
				return limitAt(pos, b, i, in, fmt.Sprintf("JSON nests deeper than %d levels", l.MaxVariableNesting), "MaxVariableNesting")
			}
		case '}', ']':
			depth--
		default:
			if isWordByte(b[i]) { // a number, true, false or null
				elems++
				for i+1 < len(b) && isWordByte(b[i+1]) {
					i++
				}
			}
		}
		if elems > l.MaxVariableElements {
			return limitAt(pos, b, i, in, fmt.Sprintf("JSON has more than %d elements", l.MaxVariableElements), "MaxVariableElements")
		}
	}
	return nil
}
