package genomics

import (
	"fmt"

	"github.com/rxlab/rxlab/store/errs"
)

// CodeTooLarge is the API error code of a LimitError: the input is over a
// documented limit (the HTTP import layer answers 413 with it).
const CodeTooLarge = "PAYLOAD_TOO_LARGE"

// LimitError says that an input passed one of the genomics limits (a field
// of vcf.Limits or pgx.Config): which one, its value, what was over it and
// where. It wraps errs.Invalid and carries the code CodeTooLarge. It
// never quotes the input.
type LimitError struct {
	// Source names the parser or caller, e.g. "vcf" or "pgx".
	Source string
	// Line is the 1-based line where the limit was passed; 0 when the
	// limit is not about one line (decompression, samples of a call).
	Line int
	// Limit names the configuration field, e.g. "MaxHeaderLines".
	Limit string
	// Max is the limit's value.
	Max int64
	// What says what was over the limit, e.g. "header lines".
	What string
}

// Error implements error.
func (e *LimitError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: more than %d %s (limit %s)", e.Source, e.Line, e.Max, e.What, e.Limit)
	}
	return fmt.Sprintf("%s: more than %d %s (limit %s)", e.Source, e.Max, e.What, e.Limit)
}

// Code implements errs.Coder.
func (e *LimitError) Code() string { return CodeTooLarge }

// Unwrap returns errs.Invalid so callers can test with errors.Is.
func (e *LimitError) Unwrap() error { return errs.Invalid }
