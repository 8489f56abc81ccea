package graphql

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"

	gql "github.com/graphql-go/graphql"

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
	// CodeCanceled: the client went away before the answer (nobody reads
	// it; it is what the audit log records).
	CodeCanceled = "CANCELED"
	// CodeRateLimited: too many failed authentications from one address (429).
	CodeRateLimited = "RATE_LIMITED"
	// CodeTooLarge: a body, upload or inflated upload over its limit (413).
	CodeTooLarge = "PAYLOAD_TOO_LARGE"
	// CodeSpoolQuota: uploads in progress hold the whole spool quota (503).
	CodeSpoolQuota = "SPOOL_QUOTA_EXCEEDED"
)

// The messages of the context's two ends.
const (
	msgTimeout  = "the request ran past its deadline"
	msgCanceled = "the client went away before the answer"
)

// statusOfCode is the HTTP status of an error answered outside GraphQL
// execution (authentication, imports).
func statusOfCode(code string) int {
	switch code {
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeConflict:
		return http.StatusConflict
	case CodeNotImplemented:
		return http.StatusNotImplemented
	case CodeTimeout:
		return http.StatusGatewayTimeout
	case CodeCanceled:
		return 499 // nginx's "client closed request"; nobody reads it
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeSpoolQuota:
		return http.StatusServiceUnavailable
	case CodeInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

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
// The context's end comes first: a parser or a store that wraps it in its
// own invalid-input error still timed out.
func errorCode(err error) string {
	var c store.Coder
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
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
// message, so stack traces and stored data never leave the server. When
// ctx has ended, the error is that end, whatever the code below reported
// (a deadline is TIMEOUT, never BAD_USER_INPUT; a client that left is
// CANCELED, logged at info, never INTERNAL) — unless the error is the
// cause of that end: net/http cancels the context of a request whose body
// read failed, e.g. on a client that sent too slowly.
func publicError(ctx context.Context, log *slog.Logger, op string, err error) *apiError {
	var own interface{ ownCause() }
	if ctx != nil && ctx.Err() != nil && !errors.As(err, &own) {
		err = ctx.Err()
	}
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
		if errors.As(err, &own) {
			return &apiError{msg: err.Error(), code: code} // names the limit
		}
		return &apiError{msg: msgTimeout, code: code}
	case CodeCanceled:
		log.InfoContext(ctx, "client went away", "op", op)
		return &apiError{msg: msgCanceled, code: code}
	}
	out := &apiError{msg: err.Error(), code: code}
	var se *molecules.SMILESError
	if errors.As(err, &se) && se.Position >= 0 {
		out.ext = map[string]any{"position": se.Position}
	}
	return out
}

// call runs a resolver, turning a panic into an INTERNAL error: the stack
// (function names and offsets, no values) goes to the log, the panic's own
// text — which may hold stored data — goes nowhere.
func (a *API) call(ctx context.Context, op string, fn func(context.Context, gql.ResolveParams) (any, error), p gql.ResolveParams) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			a.log.ErrorContext(ctx, "resolver panicked", "op", op, "stack", string(debug.Stack()))
			out, err = nil, &apiError{msg: "internal error; the server log has the details", code: CodeInternal}
		}
	}()
	return fn(ctx, p)
}
