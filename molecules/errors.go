package molecules

import (
	"fmt"

	"github.com/rxlab/rxlab/store/errs"
)

// SMILESError reports SMILES input that cannot be parsed or that RDKit would
// reject during sanitization (bad valence, impossible kekulization). It wraps
// errs.Invalid and reports the API code BAD_SMILES.
type SMILESError struct {
	// Position is the 0-based character offset the problem was found at,
	// or -1 when the problem concerns the molecule as a whole.
	Position int
	// Msg says what was wrong or what was expected.
	Msg string
}

// Error implements error.
func (e *SMILESError) Error() string {
	if e.Position >= 0 {
		return fmt.Sprintf("bad SMILES at position %d: %s", e.Position, e.Msg)
	}
	return "bad SMILES: " + e.Msg
}

// Code returns the GraphQL error code BAD_SMILES (errs.Coder).
func (e *SMILESError) Code() string { return "BAD_SMILES" }

// Unwrap makes errors.Is(err, errs.Invalid) true.
func (e *SMILESError) Unwrap() error { return errs.Invalid }

func errAt(pos int, format string, args ...any) error {
	return &SMILESError{Position: pos, Msg: fmt.Sprintf(format, args...)}
}

func errMol(format string, args ...any) error {
	return &SMILESError{Position: -1, Msg: fmt.Sprintf(format, args...)}
}
