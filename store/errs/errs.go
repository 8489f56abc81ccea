// Package errs holds rxlab's error kinds. It is a leaf: it imports only the
// standard library, so parsers, simulators and the neural-network core can
// name an error kind without linking the store (and Badger). Package store
// re-exports every kind under its historical name (store.ErrInvalid is
// errs.Invalid), so errors.Is works across both spellings.
//
// Every package wraps one of these with %w so that the API layer can map an
// error to a GraphQL extensions.code in one place (graphql/errors.go) without
// looking at message text. Messages say what and where (field, line,
// position) but never carry patient data.
package errs

import "errors"

var (
	// Invalid marks bad input from the caller (BAD_USER_INPUT).
	Invalid = errors.New("invalid input")
	// NotFound marks a missing record (NOT_FOUND).
	NotFound = errors.New("not found")
	// Permission marks a caller who may not do what was asked (FORBIDDEN).
	Permission = errors.New("permission denied")
	// Conflict marks a write that lost a race or breaks a uniqueness rule (CONFLICT).
	Conflict = errors.New("conflict")
	// NotImplemented marks an operation whose capability has not landed yet (NOT_IMPLEMENTED).
	NotImplemented = errors.New("not implemented")
)

// Coder is implemented by errors that carry a domain-specific GraphQL error
// code, such as molecules' BAD_SMILES. The API layer prefers Code over the kind.
type Coder interface {
	Code() string
}
