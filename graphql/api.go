package graphql

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	gql "github.com/graphql-go/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// schemaSDL is the served schema: the public contract plus rxlab's additions.
// TestSchemaFile keeps it equal to what the server prints at /schema.graphql.
//
//go:embed schema.graphql
var schemaSDL string

// Config wires the API to the rest of rxlab.
type Config struct {
	DB     *store.DB
	Jobs   *jobs.Runner
	Tokens *auth.Tokens
	Logger *slog.Logger
	// Version is reported by health.
	Version string
	// RequestTimeout is the deadline of one GraphQL request; default 30 s.
	RequestTimeout time.Duration
	// Limits bound request size and shape; zero means DefaultLimits.
	Limits Limits
	// Web serves the browser pages (GraphiQL) at "/"; nil serves none.
	Web http.Handler
	// Domains are the capabilities that have landed; each adds resolvers.
	Domains []Domain
	// SpoolDir holds uploads while they are imported; spool files left
	// there by an earlier process are removed at start. Empty: the system's
	// temporary directory, cleaned of nothing (others may spool there).
	SpoolDir string
	// TrustForwardedFor counts failed authentications under the last
	// X-Forwarded-For address instead of the peer's (behind a proxy only).
	TrustForwardedFor bool
}

// Domain is one capability's contribution to the API: it registers the
// resolvers of the operations it owns. Operations nobody registers answer
// NOT_IMPLEMENTED.
type Domain interface {
	Register(r *Registry) error
}

// API is rxlab's GraphQL-over-HTTP endpoint and its companions (/schema.graphql,
// /healthz, /metrics, the import endpoints, the web pages).
type API struct {
	cfg     Config
	log     *slog.Logger
	schema  gql.Schema
	sdl     string
	reg     *Registry
	metrics *metrics
	mux     *http.ServeMux
	guard   *guard
	docs    *docCache
}

// Resolver is one registered field resolver.
type Resolver struct {
	// Perm is the permission the caller needs; empty means any authenticated caller.
	Perm auth.Permission
	// PatientRead marks fields that return patient-level data: every call is
	// audited with the patients it touched (see AddTarget).
	PatientRead bool
	// Fn computes the field.
	Fn func(ctx context.Context, p gql.ResolveParams) (any, error)
}

// Registry collects resolvers by "Type.field" and extra HTTP endpoints.
type Registry struct {
	mu        sync.Mutex
	resolvers map[string]Resolver
	handlers  map[string]http.Handler
	api       *API
	// collectors are domains' Prometheus series (e.g. cache sizes), served
	// at /metrics with the API's own.
	collectors []prometheus.Collector
}

// Collect adds a domain's Prometheus collectors to /metrics.
func (r *Registry) Collect(cs ...prometheus.Collector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, cs...)
}

// Field registers the resolver of typeName.field; registering one twice is an error.
func (r *Registry) Field(typeName, field string, res Resolver) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := typeName + "." + field
	if _, dup := r.resolvers[key]; dup {
		return fmt.Errorf("graphql: resolver %s registered twice", key)
	}
	r.resolvers[key] = res
	return nil
}

// Handle registers an extra HTTP endpoint (e.g. the streaming VCF import).
// It runs behind authentication like /graphql; the handler reads the caller
// with auth.FromContext.
func (r *Registry) Handle(pattern string, h http.Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[pattern] = h
}

// DB returns the store, for domains that need it.
func (r *Registry) DB() *store.DB { return r.api.cfg.DB }

// Jobs returns the job runner.
func (r *Registry) Jobs() *jobs.Runner { return r.api.cfg.Jobs }

// Logger returns the API's logger.
func (r *Registry) Logger() *slog.Logger { return r.api.log }

// New builds the API: the schema from schema.graphql, the resolvers of the
// core and of every domain, and the HTTP routes.
func New(cfg Config) (*API, error) {
	if cfg.DB == nil || cfg.Jobs == nil || cfg.Tokens == nil {
		return nil, fmt.Errorf("graphql: %w: DB, Jobs and Tokens are required", store.ErrInvalid)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	cfg.Limits = cfg.Limits.withDefaults()
	a := &API{cfg: cfg, log: cfg.Logger}
	a.reg = &Registry{resolvers: map[string]Resolver{}, handlers: map[string]http.Handler{}, api: a}
	if err := registerCore(a, a.reg); err != nil {
		return nil, err
	}
	for _, d := range cfg.Domains {
		if err := d.Register(a.reg); err != nil {
			return nil, err
		}
	}
	s, err := buildSchema(schemaSDL, newScalars(), a.resolverFor)
	if err != nil {
		return nil, err
	}
	a.schema = s
	a.sdl = printSchema(s)
	a.metrics = newMetrics(cfg.Version)
	a.docs = newDocCache(docCacheBytes)
	a.reg.collectors = append(a.reg.collectors, newCacheCollector("graphql_documents", a.docs.stats))
	for _, c := range a.reg.collectors {
		if err := a.metrics.reg.Register(c); err != nil {
			return nil, fmt.Errorf("graphql: domain metrics: %w", err)
		}
	}
	if a.guard, err = newGuard(cfg, a.metrics.reg); err != nil {
		return nil, err
	}
	a.routes()
	return a, nil
}

// SDL returns the served schema as SDL.
func (a *API) SDL() string { return a.sdl }

// ServeHTTP serves every route of the API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

type trailKey struct{}

// trail collects what a patient-level read touched.
type trail struct {
	mu      sync.Mutex
	targets []string
}

// AddTarget records that the current operation read target (e.g.
// "patient:P1"); patient-level reads are audited with their targets.
func AddTarget(ctx context.Context, target string) {
	if t, ok := ctx.Value(trailKey{}).(*trail); ok {
		t.mu.Lock()
		t.targets = append(t.targets, target)
		t.mu.Unlock()
	}
}

// resolverFor returns the graphql-go resolver of typeName.field: registered
// ones wrapped with permission checks, audit and error mapping; unregistered
// root operations answer NOT_IMPLEMENTED; other fields use the default.
func (a *API) resolverFor(typeName, field string) gql.FieldResolveFn {
	res, ok := a.reg.resolvers[typeName+"."+field]
	root := typeName == "Query" || typeName == "Mutation"
	if !ok {
		if !root {
			return nil
		}
		return func(p gql.ResolveParams) (any, error) {
			return nil, &apiError{msg: fmt.Sprintf("%s is not implemented yet", field), code: CodeNotImplemented}
		}
	}
	opName := "query " + field
	if typeName == "Mutation" {
		opName = "mutation " + field
	} else if !root {
		opName = typeName + "." + field
	}
	return func(p gql.ResolveParams) (any, error) {
		ctx := requestContext(p.Context)
		pr, _ := auth.FromContext(ctx)
		info := store.AuditInfo{Actor: pr.TokenID, Role: string(pr.Role), Operation: opName, Recorded: new(atomic.Int32)}
		if res.Perm != "" && !pr.Can(res.Perm) {
			err := &apiError{msg: fmt.Sprintf("role %s may not use %s (it needs %s)", pr.Role, field, res.Perm), code: CodeForbidden}
			if typeName == "Mutation" || res.PatientRead {
				a.audit(ctx, info, "denied: "+CodeForbidden)
			}
			return nil, err
		}
		var tr *trail
		if typeName == "Mutation" {
			ctx = store.WithAudit(ctx, info)
		}
		if res.PatientRead {
			tr = &trail{}
			ctx = context.WithValue(ctx, trailKey{}, tr)
		}
		p.Context = ctx
		out, err := a.call(ctx, opName, res.Fn, p)
		var perr *apiError
		if err != nil {
			perr = publicError(ctx, a.log, opName, err)
		}
		outcome := "ok"
		if perr != nil {
			outcome = "error: " + perr.code
		}
		switch {
		case typeName == "Mutation" && (perr != nil || info.Recorded.Load() == 0):
			a.audit(ctx, info, outcome)
		case res.PatientRead:
			tr.mu.Lock()
			info.Targets = tr.targets
			tr.mu.Unlock()
			a.audit(ctx, info, outcome)
		}
		if perr != nil {
			return nil, perr
		}
		return out, nil
	}
}

func (a *API) audit(ctx context.Context, info store.AuditInfo, outcome string) {
	if err := a.cfg.DB.Audit(ctx, info, outcome); err != nil {
		a.log.Error("audit write failed", "op", info.Operation, "err", err)
	}
}

// metrics are the Prometheus series of one API, on its own registry.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	rejected *prometheus.CounterVec
}

func newMetrics(version string) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rxlab_graphql_requests_total", Help: "GraphQL requests by operation type and outcome.",
	}, []string{"type", "outcome"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rxlab_graphql_request_seconds", Help: "GraphQL request latency.", Buckets: prometheus.DefBuckets,
	}, []string{"type"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rxlab_http_rejected_total", Help: "Requests rejected before execution, by reason.",
	}, []string{"reason"})
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "rxlab_build_info", Help: "Build information.", ConstLabels: prometheus.Labels{"version": version}})
	build.Set(1)
	m.reg.MustRegister(m.requests, m.duration, m.rejected, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// errNotAllowed is returned for a mutation over GET.
var errNotAllowed = errors.New("mutations must use POST")
