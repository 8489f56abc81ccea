package graphql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	gql "github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rxlab/rxlab/graphql/auth"
)

func (a *API) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"version":%q}`+"\n", a.cfg.Version)
	})
	mux.Handle("/graphql", a.authenticated(http.HandlerFunc(a.serveGraphQL)))
	mux.Handle("/schema.graphql", a.authenticated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
		io.WriteString(w, a.sdl)
	})))
	mux.Handle("/metrics", a.authenticated(a.requirePerm(auth.AuditRead,
		promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{}))))
	for pattern, h := range a.reg.handlers {
		mux.Handle(pattern, a.authenticated(h))
	}
	if a.cfg.Web != nil {
		mux.Handle("/", a.cfg.Web)
	}
	a.mux = mux
}

// authenticated checks the bearer token and puts the caller in the request's
// context. Every token that fails — malformed, unknown or revoked — gets the
// same answer (status, message, headers), and failures are counted per
// client address: past AuthFreeFailures the client waits, doubling each
// time, and meanwhile gets 429 with Retry-After without its token being
// looked at. A failure is logged with the client and the reason, never the token.
func (a *API) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			closeUnread(w, r)
			a.metrics.rejected.WithLabelValues("unauthenticated").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="rxlab"`)
			writeErrors(w, http.StatusUnauthorized, &apiError{msg: "missing bearer token: send Authorization: Bearer <token>", code: CodeUnauthenticated})
			return
		}
		client := a.guard.clientAddr(r)
		if wait := a.guard.fails.Wait(client); wait > 0 {
			closeUnread(w, r)
			a.guard.authFailures.WithLabelValues("throttled").Inc()
			a.metrics.rejected.WithLabelValues("auth-throttled").Inc()
			w.Header().Set("Retry-After", retryAfter(wait))
			writeErrors(w, http.StatusTooManyRequests, &apiError{
				msg:  fmt.Sprintf("too many failed authentications from this address; retry in %s s", retryAfter(wait)),
				code: CodeRateLimited,
			})
			return
		}
		p, err := a.cfg.Tokens.Verify(r.Context(), tok)
		switch {
		case errors.Is(err, auth.ErrUnauthenticated):
			closeUnread(w, r)
			n, wait := a.guard.fails.Fail(client)
			a.guard.authFailures.WithLabelValues("invalid").Inc()
			a.metrics.rejected.WithLabelValues("unauthenticated").Inc()
			a.log.WarnContext(r.Context(), "authentication failed", "client", client, "reason", redact(err.Error()),
				"failures", n, "wait", wait.String(), "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="rxlab", error="invalid_token"`)
			writeErrors(w, http.StatusUnauthorized, &apiError{msg: "the bearer token is not valid", code: CodeUnauthenticated})
			return
		case err != nil:
			perr := publicError(r.Context(), a.log, "authenticate", err)
			writeErrors(w, statusOfCode(perr.code), perr)
			return
		}
		// A success does not clear the address's failures: clients behind
		// one NAT share an address, and a colleague's valid requests must
		// not refill an attacker's free attempts. Failures are forgotten
		// after a quiet period instead.
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func (a *API) requirePerm(perm auth.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if !p.Can(perm) {
			closeUnread(w, r)
			writeErrors(w, http.StatusForbidden, &apiError{msg: fmt.Sprintf("role %s lacks %s", p.Role, perm), code: CodeForbidden})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// request is the GraphQL-over-HTTP request body.
type request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

type httpResponse struct {
	Data   any   `json:"data,omitempty"`
	Errors []any `json:"errors,omitempty"`
}

func writeErrors(w http.ResponseWriter, status int, errs ...*apiError) {
	var out []any
	for _, e := range errs {
		out = append(out, map[string]any{"message": e.msg, "extensions": e.Extensions()})
	}
	writeJSON(w, status, httpResponse{Errors: out})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (a *API) reject(w http.ResponseWriter, status int, reason, msg, code string) {
	a.metrics.rejected.WithLabelValues(reason).Inc()
	writeErrors(w, status, &apiError{msg: msg, code: code})
}

// readRequest decodes a GraphQL-over-HTTP request from a POST body or a
// GET's parameters. The body's size and arrival rate are bounded while it is
// read, and its JSON nesting and element count before it is decoded.
func (a *API) readRequest(w http.ResponseWriter, r *http.Request) (request, *rejection) {
	l := a.cfg.Limits
	var req request
	switch r.Method {
	case http.MethodPost:
		body, err := readLimited(w, r, l.MaxBodyBytes, "MaxBodyBytes", l)
		if err != nil {
			perr := publicError(r.Context(), a.log, "read request", err)
			return req, &rejection{statusOf(err), "body", perr}
		}
		if err := prescanJSON(body, "request body", 1, l); err != nil {
			return req, &rejection{http.StatusBadRequest, "limits", &apiError{msg: err.Error(), code: CodeBadInput}}
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			return req, &rejection{http.StatusBadRequest, "bad-json", &apiError{msg: "request body is not a GraphQL JSON request: " + err.Error(), code: CodeBadInput}}
		}
		req.Variables = normalizeNumbers(req.Variables).(map[string]any)
	case http.MethodGet:
		if int64(len(r.URL.RawQuery)) > l.MaxBodyBytes {
			return req, &rejection{http.StatusRequestEntityTooLarge, "body-size", &apiError{
				msg: (&tooLarge{size: int64(len(r.URL.RawQuery)), limit: l.MaxBodyBytes, field: "MaxBodyBytes"}).Error(), code: CodeTooLarge}}
		}
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := prescanJSON([]byte(v), "variables parameter", 0, l); err != nil {
				return req, &rejection{http.StatusBadRequest, "limits", &apiError{msg: err.Error(), code: CodeBadInput}}
			}
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(&req.Variables); err != nil {
				return req, &rejection{http.StatusBadRequest, "bad-json", &apiError{msg: "variables parameter is not a JSON object", code: CodeBadInput}}
			}
			req.Variables = normalizeNumbers(req.Variables).(map[string]any)
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		return req, &rejection{http.StatusMethodNotAllowed, "method", &apiError{msg: "use POST (or GET for queries)", code: CodeBadInput}}
	}
	return req, nil
}

// rejection is a request refused before execution.
type rejection struct {
	status int
	reason string // the rxlab_http_rejected_total label
	err    *apiError
}

// parsed is a request's document and whether it is known to be valid.
type parsed struct {
	doc       *ast.Document
	key       [sha256.Size]byte
	validated bool // taken from the validated-document cache
}

// parseRequest pre-scans, parses and checks the limits of the query, so
// only a bounded document reaches graphql-go's recursive parser. A query
// text seen before and valid then comes from the document cache; the
// limits that depend on the variables are checked either way.
func (a *API) parseRequest(req request) (parsed, *rejection) {
	bad := func(reason, msg string) *rejection {
		return &rejection{http.StatusBadRequest, reason, &apiError{msg: msg, code: CodeBadInput}}
	}
	if strings.TrimSpace(req.Query) == "" {
		return parsed{}, bad("empty", "no query in the request")
	}
	p := parsed{key: sha256.Sum256([]byte(req.Query))}
	p.doc, p.validated = a.docs.get(p.key)
	if !p.validated {
		if err := prescanQuery(req.Query, a.cfg.Limits); err != nil {
			return parsed{}, bad("limits", err.Error())
		}
		doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(req.Query), Name: "request"})})
		if err != nil {
			return parsed{}, bad("syntax", err.Error())
		}
		p.doc = doc
	}
	if err := checkLimits(p.doc, req.OperationName, req.Variables, a.cfg.Limits); err != nil {
		return parsed{}, bad("limits", err.Error())
	}
	return p, nil
}

// serveGraphQL parses, checks limits, validates and executes one request.
// Every check runs before execution, so a hostile request costs parsing only.
func (a *API) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The answer must be written within the request's deadline and a margin.
	_ = http.NewResponseController(w).SetWriteDeadline(start.Add(a.cfg.RequestTimeout + writeMargin))
	req, rej := a.readRequest(w, r)
	var p parsed
	if rej == nil {
		p, rej = a.parseRequest(req)
	}
	doc := p.doc
	if rej != nil {
		a.metrics.rejected.WithLabelValues(rej.reason).Inc()
		writeErrors(w, rej.status, rej.err)
		return
	}
	op := operationOf(doc, req.OperationName)
	if op == "mutation" && r.Method == http.MethodGet {
		w.Header().Set("Allow", "POST")
		a.reject(w, http.StatusMethodNotAllowed, "get-mutation", errNotAllowed.Error(), CodeBadInput)
		return
	}
	if !p.validated {
		if vr := gql.ValidateDocument(&a.schema, doc, nil); !vr.IsValid {
			var errs []*apiError
			for _, e := range vr.Errors {
				errs = append(errs, &apiError{msg: e.Message, code: CodeBadInput})
			}
			a.metrics.rejected.WithLabelValues("validation").Inc()
			writeErrors(w, http.StatusBadRequest, errs...)
			return
		}
		a.docs.put(p.key, doc, len(req.Query))
	}
	if op == "" {
		op = "query"
	}
	// The body is read: lift the server's ReadTimeout, which would
	// otherwise fire during a long execution and cancel the request as if
	// the client had gone.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	out := a.execute(r.Context(), doc, req, op)
	outcome := "ok"
	if len(out.Errors) > 0 {
		outcome = "error"
	}
	a.metrics.requests.WithLabelValues(op, outcome).Inc()
	a.metrics.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	writeJSON(w, http.StatusOK, out)
}

// writeMargin is how long past the request's deadline its answer may take to write.
const writeMargin = 30 * time.Second

// reqCtxKey carries the request's own context through graphql-go to the resolvers.
type reqCtxKey struct{}

// requestContext returns the request's context (with its deadline) inside
// a resolver: a mutation runs under a context graphql-go cannot see end.
func requestContext(ctx context.Context) context.Context {
	if rc, ok := ctx.Value(reqCtxKey{}).(context.Context); ok {
		return rc
	}
	return ctx
}

// execute runs the operation under the request's deadline.
//
// graphql-go returns as soon as the context it is given ends, while the
// resolvers go on in the background. For a query that is harmless; for a
// mutation it would answer TIMEOUT while the write may still commit. So a
// mutation's resolvers get the request's context (through requestContext)
// and graphql-go one it cannot see end: the answer waits for the resolvers,
// the store refuses to commit past the deadline, and a TIMEOUT answer
// therefore means nothing was committed.
func (a *API) execute(rctx context.Context, doc *ast.Document, req request, op string) httpResponse {
	ctx, cancel := context.WithTimeout(rctx, a.cfg.RequestTimeout)
	defer cancel()
	execCtx := ctx
	if op == "mutation" {
		execCtx = context.WithValue(context.WithoutCancel(ctx), reqCtxKey{}, ctx)
	}
	res := gql.Execute(gql.ExecuteParams{
		Schema:        a.schema,
		AST:           doc,
		OperationName: req.OperationName,
		Args:          req.Variables,
		Context:       execCtx,
	})
	out := httpResponse{Data: sortIntrospection(res.Data)}
	timedOut := false
	for _, e := range res.Errors {
		m := a.formatError(ctx, op, e)
		if ext, _ := m["extensions"].(map[string]any); ext != nil && ext["code"] == CodeTimeout {
			timedOut = true
		}
		out.Errors = append(out.Errors, m)
	}
	if err := ctx.Err(); err != nil && res.Data == nil && !timedOut {
		pe := publicError(ctx, a.log, op, err)
		out.Errors = append(out.Errors, map[string]any{"message": pe.msg, "extensions": pe.Extensions()})
	}
	if errors.Is(rctx.Err(), context.Canceled) {
		a.log.InfoContext(rctx, "client went away before the answer", "op", op, "operationName", req.OperationName)
	}
	return out
}

// formatError keeps graphql-go's message, locations and path, and makes
// sure every error has a code. Errors from registered resolvers carry
// theirs; graphql-go's own are its deadline (TIMEOUT), a client gone
// (CANCELED), an error at a field's path — a recovered panic or a value the
// schema cannot return, a server bug whose text may hold stored data, so
// it is logged (redacted) and answered INTERNAL — or else the caller's input
// (bad variable values).
func (a *API) formatError(ctx context.Context, op string, e gqlerrors.FormattedError) map[string]any {
	m := map[string]any{"message": e.Message}
	if len(e.Locations) > 0 {
		m["locations"] = e.Locations
	}
	if len(e.Path) > 0 {
		m["path"] = e.Path
	}
	ext := e.Extensions
	if ext == nil {
		switch orig := e.OriginalError(); {
		case errors.Is(orig, context.DeadlineExceeded):
			m["message"] = msgTimeout
			ext = map[string]any{"code": CodeTimeout}
		case errors.Is(orig, context.Canceled):
			m["message"] = msgCanceled
			ext = map[string]any{"code": CodeCanceled}
		case len(e.Path) > 0:
			// The message may hold stored data: only where it happened is logged.
			a.log.ErrorContext(ctx, "internal error at a field", "op", op, "path", fmt.Sprint(e.Path))
			m["message"] = "internal error; the server log has the details"
			ext = map[string]any{"code": CodeInternal}
		default:
			ext = map[string]any{"code": CodeBadInput}
		}
	}
	m["extensions"] = ext
	return m
}

// operationOf returns "query", "mutation" or "subscription" for the
// operation the request runs, or "" when it cannot tell (validation reports it).
func operationOf(doc *ast.Document, name string) string {
	for _, d := range doc.Definitions {
		if op, ok := d.(*ast.OperationDefinition); ok {
			if name == "" || (op.Name != nil && op.Name.Value == name) {
				return op.Operation
			}
		}
	}
	return ""
}

// normalizeNumbers turns json.Number into int when integral and float64
// otherwise, as graphql-go's coercion expects.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case nil:
		return map[string]any{}
	case json.Number:
		if i, err := v.Int64(); err == nil && i >= -1<<53 && i <= 1<<53 {
			return int(i)
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			if e == nil {
				continue
			}
			v[k] = normalizeNumbers(e)
		}
		return v
	case []any:
		for i, e := range v {
			if e == nil {
				continue
			}
			v[i] = normalizeNumbers(e)
		}
		return v
	}
	return v
}
