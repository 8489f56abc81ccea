package store

import "errors"

// The error kinds of rxlab. Every package wraps one of these with %w so that
// the API layer can map an error to a GraphQL extensions.code in one place
// (graphql/errors.go) without looking at message text. Messages say what and
// where (field, line, position) but never carry patient data.
var (
	// ErrInvalid marks bad input from the caller (BAD_USER_INPUT).
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound marks a missing record (NOT_FOUND).
	ErrNotFound = errors.New("not found")
	// ErrPermission marks a caller who may not do what was asked (FORBIDDEN).
	ErrPermission = errors.New("permission denied")
	// ErrConflict marks a write that lost a race or breaks a uniqueness rule (CONFLICT).
	ErrConflict = errors.New("conflict")
	// ErrNotImplemented marks an operation whose capability has not landed yet (NOT_IMPLEMENTED).
	ErrNotImplemented = errors.New("not implemented")
)

// Coder is implemented by errors that carry a domain-specific GraphQL error
// code, such as molecules' BAD_SMILES. The API layer prefers Code over the kind.
type Coder interface {
	Code() string
}
