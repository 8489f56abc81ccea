package graphql

import (
	"context"
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

// authenticated checks the bearer token and puts the caller in the request's context.
func (a *API) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			a.metrics.rejected.WithLabelValues("unauthenticated").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="rxlab"`)
			writeErrors(w, http.StatusUnauthorized, &apiError{msg: "missing bearer token: send Authorization: Bearer <token>", code: CodeUnauthenticated})
			return
		}
		p, err := a.cfg.Tokens.Verify(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			a.metrics.rejected.WithLabelValues("unauthenticated").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="rxlab", error="invalid_token"`)
			code := http.StatusUnauthorized
			perr := publicError(r.Context(), a.log, "authenticate", err)
			if perr.code != CodeUnauthenticated {
				code = http.StatusInternalServerError
			}
			writeErrors(w, code, perr)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func (a *API) requirePerm(perm auth.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if !p.Can(perm) {
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

// serveGraphQL parses, checks limits, validates and executes one request.
// Every check runs before execution, so a hostile request costs parsing only.
func (a *API) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req request
	switch r.Method {
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, a.cfg.Limits.MaxBodyBytes)
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				a.reject(w, http.StatusRequestEntityTooLarge, "body-size",
					fmt.Sprintf("request body exceeds %d bytes; send large imports to the streaming endpoints", a.cfg.Limits.MaxBodyBytes), CodeBadInput)
				return
			}
			a.reject(w, http.StatusBadRequest, "bad-json", "request body is not a GraphQL JSON request: "+err.Error(), CodeBadInput)
			return
		}
		req.Variables = normalizeNumbers(req.Variables).(map[string]any)
	case http.MethodGet:
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Variables); err != nil {
				a.reject(w, http.StatusBadRequest, "bad-json", "variables parameter is not a JSON object", CodeBadInput)
				return
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		a.reject(w, http.StatusMethodNotAllowed, "method", "use POST (or GET for queries)", CodeBadInput)
		return
	}
	if strings.TrimSpace(req.Query) == "" {
		a.reject(w, http.StatusBadRequest, "empty", "no query in the request", CodeBadInput)
		return
	}
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(req.Query), Name: "request"})})
	if err != nil {
		a.reject(w, http.StatusBadRequest, "syntax", err.Error(), CodeBadInput)
		return
	}
	if err := checkLimits(doc, req.OperationName, req.Variables, a.cfg.Limits); err != nil {
		a.reject(w, http.StatusBadRequest, "limits", err.Error(), CodeBadInput)
		return
	}
	op := operationOf(doc, req.OperationName)
	if op == "mutation" && r.Method == http.MethodGet {
		w.Header().Set("Allow", "POST")
		a.reject(w, http.StatusMethodNotAllowed, "get-mutation", errNotAllowed.Error(), CodeBadInput)
		return
	}
	if vr := gql.ValidateDocument(&a.schema, doc, nil); !vr.IsValid {
		var errs []*apiError
		for _, e := range vr.Errors {
			errs = append(errs, &apiError{msg: e.Message, code: CodeBadInput})
		}
		a.metrics.rejected.WithLabelValues("validation").Inc()
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.RequestTimeout)
	defer cancel()
	res := gql.Execute(gql.ExecuteParams{
		Schema:        a.schema,
		AST:           doc,
		OperationName: req.OperationName,
		Args:          req.Variables,
		Context:       ctx,
	})
	outcome := "ok"
	if len(res.Errors) > 0 {
		outcome = "error"
	}
	if op == "" {
		op = "query"
	}
	a.metrics.requests.WithLabelValues(op, outcome).Inc()
	a.metrics.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	out := httpResponse{Data: res.Data}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, formatError(e))
	}
	if ctx.Err() != nil && res.Data == nil {
		out.Errors = append(out.Errors, map[string]any{"message": "the request ran past its deadline", "extensions": map[string]any{"code": CodeTimeout}})
	}
	writeJSON(w, http.StatusOK, out)
}

// formatError keeps graphql-go's message, locations and path, and makes
// sure every error has a code: errors raised by graphql-go itself (bad
// variable values, for one) are the caller's input errors.
func formatError(e gqlerrors.FormattedError) map[string]any {
	m := map[string]any{"message": e.Message}
	if len(e.Locations) > 0 {
		m["locations"] = e.Locations
	}
	if len(e.Path) > 0 {
		m["path"] = e.Path
	}
	ext := e.Extensions
	if ext == nil {
		ext = map[string]any{"code": CodeBadInput}
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
