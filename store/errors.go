package store

import "github.com/rxlab/rxlab/store/errs"

// The error kinds of rxlab, re-exported from the leaf package errs so that
// code which already imports store can keep naming them here. Each is the
// same value as its errs counterpart: errors.Is(err, store.ErrInvalid) and
// errors.Is(err, errs.Invalid) agree.
var (
	// ErrInvalid marks bad input from the caller (BAD_USER_INPUT).
	ErrInvalid = errs.Invalid
	// ErrNotFound marks a missing record (NOT_FOUND).
	ErrNotFound = errs.NotFound
	// ErrPermission marks a caller who may not do what was asked (FORBIDDEN).
	ErrPermission = errs.Permission
	// ErrConflict marks a write that lost a race or breaks a uniqueness rule (CONFLICT).
	ErrConflict = errs.Conflict
	// ErrNotImplemented marks an operation whose capability has not landed yet (NOT_IMPLEMENTED).
	ErrNotImplemented = errs.NotImplemented
)

// Coder is implemented by errors that carry a domain-specific GraphQL error
// code, such as molecules' BAD_SMILES. The API layer prefers Code over the kind.
type Coder = errs.Coder
