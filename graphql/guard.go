package graphql

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rxlab/rxlab/graphql/auth"
)

// guard holds the API's defences that keep state across requests: the
// failed-authentication counter, the spool and their metrics.
type guard struct {
	fails        *auth.FailureLimiter
	spool        *spooler
	trustForward bool
	authFailures *prometheus.CounterVec
	// staleRemoved counts spool files a previous process left, removed at start.
	staleRemoved int
}

// newGuard builds the guard from the API's configuration and registers its
// metrics on reg.
func newGuard(cfg Config, reg *prometheus.Registry) (*guard, error) {
	l := cfg.Limits
	fails, err := auth.NewFailureLimiter(auth.LimiterConfig{
		Free: l.AuthFreeFailures, Base: l.AuthBackoff, Max: l.AuthMaxBackoff, Capacity: l.AuthTrackedClients,
	})
	if err != nil {
		return nil, err
	}
	sp, removed, err := newSpooler(cfg.SpoolDir, l.MaxSpoolBytes)
	if err != nil {
		return nil, err
	}
	g := &guard{fails: fails, spool: sp, trustForward: cfg.TrustForwardedFor, staleRemoved: removed}
	g.authFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rxlab_auth_failures_total",
		Help: "Requests with a bearer token that did not authenticate, by outcome (invalid: answered 401; throttled: answered 429 without checking the token).",
	}, []string{"outcome"})
	spoolBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rxlab_spool_bytes", Help: "Bytes of uploads spooled to disk now (bounded by MaxSpoolBytes).",
	}, func() float64 { return float64(sp.inUse()) })
	tracked := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rxlab_auth_tracked_clients", Help: "Client addresses the failed-authentication counter remembers.",
	}, func() float64 { return float64(fails.Len()) })
	if err := registerMetrics(reg, g.authFailures, spoolBytes, tracked); err != nil {
		return nil, err
	}
	return g, nil
}

func registerMetrics(reg *prometheus.Registry, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("graphql: metrics: %w", err)
		}
	}
	return nil
}

// clientAddr is the address failed authentications are counted under:
// the connection's peer, or — only when TrustForwardedFor is set, behind a
// proxy that appends it — the last X-Forwarded-For entry.
func (g *guard) clientAddr(r *http.Request) string {
	if g.trustForward {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				return auth.ClientKey(last)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return auth.ClientKey(host)
}

// retryAfter formats a wait as whole seconds for Retry-After (at least 1).
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Max(1, math.Ceil(d.Seconds()))))
}

// bearerToken reads "Authorization: Bearer <token>"; the scheme is
// case-insensitive (RFC 6750 §2.1, RFC 7235 §2.1).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Spool returns the directory uploads are spooled to and how many stale
// spool files were removed from it when the API started.
func (a *API) Spool() (dir string, staleRemoved int) {
	return a.guard.spool.dir, a.guard.staleRemoved
}
