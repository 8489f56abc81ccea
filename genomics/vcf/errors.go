package vcf

import (
	"fmt"

	"github.com/rxlab/rxlab/store/errs"
)

// ParseError describes malformed VCF input: the 1-based line, the column or
// field where the problem was found, and the reason. It wraps errs.Invalid.
// It never quotes sample data.
type ParseError struct {
	Line   int    // 1-based line number in the decompressed text; 0 when unknown
	Field  string // column or field name such as "POS" or "GT"; may be empty
	Reason string // what is wrong
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("vcf: line %d: %s: %s", e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("vcf: line %d: %s", e.Line, e.Reason)
}

// Unwrap returns errs.Invalid so callers can test with errors.Is.
func (e *ParseError) Unwrap() error { return errs.Invalid }

func perr(line int, field, format string, args ...any) error {
	return &ParseError{Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
}
