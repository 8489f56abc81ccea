package graphql

import (
	"context"
	"errors"
	"log/slog"
	"regexp"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store"
)

// The error codes the API puts in extensions.code. Domain packages may add
// their own through the store.Coder interface (e.g. BAD_SMILES).
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeBadInput        = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeNotImplemented  = "NOT_IMPLEMENTED"
	CodeTimeout         = "TIMEOUT"
	CodeInternal        = "INTERNAL"
)

// apiError is an error as a client sees it: a safe message and a code.
type apiError struct {
	msg  string
	code string
	// ext holds extra extensions, e.g. the character position of a SMILES error.
	ext map[string]any
}

func (e *apiError) Error() string { return e.msg }

// Extensions implements graphql-go's ExtendedError.
func (e *apiError) Extensions() map[string]any {
	m := map[string]any{"code": e.code}
	for k, v := range e.ext {
		m[k] = v
	}
	return m
}

// errorCode is the one mapping from an error's kind to its extensions.code.
func errorCode(err error) string {
	var c store.Coder
	switch {
	case errors.As(err, &c):
		return c.Code()
	case errors.Is(err, auth.ErrUnauthenticated):
		return CodeUnauthenticated
	case errors.Is(err, store.ErrPermission):
		return CodeForbidden
	case errors.Is(err, store.ErrInvalid):
		return CodeBadInput
	case errors.Is(err, store.ErrNotFound):
		return CodeNotFound
	case errors.Is(err, store.ErrConflict):
		return CodeConflict
	case errors.Is(err, store.ErrNotImplemented):
		return CodeNotImplemented
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	}
	return CodeInternal
}

// quoted matches the quoted values (keys, ids, input) that error messages
// carry; they may name a patient, so they never reach the log.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redact replaces quoted values in an error message with "…".
func redact(msg string) string { return quoted.ReplaceAllString(msg, `"…"`) }

// publicError converts any error into what the client may see. Internal
// errors are logged (by kind and operation only) and replaced by a generic
// message, so stack traces and stored data never leave the server.
func publicError(ctx context.Context, log *slog.Logger, op string, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	code := errorCode(err)
	switch code {
	case CodeInternal:
		log.ErrorContext(ctx, "internal error", "op", op, "err", redact(err.Error()))
		return &apiError{msg: "internal error; the server log has the details", code: code}
	case CodeTimeout:
		return &apiError{msg: "the request ran past its deadline", code: code}
	}
	out := &apiError{msg: err.Error(), code: code}
	var se *molecules.SMILESError
	if errors.As(err, &se) && se.Position >= 0 {
		out.ext = map[string]any{"position": se.Position}
	}
	return out
}
