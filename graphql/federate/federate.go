package federate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rxlab/rxlab/store/errs"
)

// Defaults and limits of a federated count.
const (
	// DefaultTimeout is the per-site timeout when the config names none.
	DefaultTimeout = 5 * time.Second
	// DefaultConcurrency is how many sites are asked at once by default.
	DefaultConcurrency = 8
	// MaxCriteriaBytes bounds the criteria sent to every site.
	MaxCriteriaBytes = 64 << 10
	// maxAnswerBytes bounds what is read of one site's answer.
	maxAnswerBytes = 64 << 10
	// maxSiteMessage bounds a site's error message passed on.
	maxSiteMessage = 300
	// MaxSiteCount bounds one site's count (and its noise sigma): the sum
	// over MaxSites sites stays a GraphQL Int, so one hostile or broken
	// site cannot turn the whole answer into an error.
	MaxSiteCount = math.MaxInt32 / MaxSites
)

// The statuses of one site's answer.
const (
	// Released: the site released a count (exact or noisy); it is in the total.
	Released = "RELEASED"
	// Suppressed: the site's disclosure rules withheld the count (below its
	// threshold); not in the total.
	Suppressed = "SUPPRESSED"
	// Refused: the site answered with an error (bad input for it, no
	// permission, budget spent, ...); Code carries its code.
	Refused = "REFUSED"
	// Timeout: the site did not answer within the per-site timeout.
	Timeout = "TIMEOUT"
	// Unreachable: the site could not be reached or gave no usable answer.
	Unreachable = "UNREACHABLE"
)

// Config configures a Federation.
type Config struct {
	Sites []Site
	// Timeout bounds each site's answer; default DefaultTimeout.
	Timeout time.Duration
	// Concurrency bounds how many sites are asked at once; default
	// DefaultConcurrency.
	Concurrency int
	// Client makes the requests; default a client with keep-alive
	// connections to every site.
	Client *http.Client
}

// Federation asks its sites for cohort counts.
type Federation struct {
	sites   []Site
	timeout time.Duration
	conc    int
	client  *http.Client
}

// New checks cfg and returns a Federation.
func New(cfg Config) (*Federation, error) {
	if err := cfg.validate(false); err != nil {
		return nil, fmt.Errorf("federate: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.Concurrency
		tr.ResponseHeaderTimeout = cfg.Timeout
		cfg.Client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a token is never sent on to another host
		}}
	}
	sites := make([]Site, len(cfg.Sites))
	copy(sites, cfg.Sites)
	for i := range sites {
		sites[i].URL = strings.TrimRight(sites[i].URL, "/")
	}
	return &Federation{sites: sites, timeout: cfg.Timeout, conc: cfg.Concurrency, client: cfg.Client}, nil
}

// Sites returns the names of the sites, in the order of the config.
func (f *Federation) Sites() []string {
	out := make([]string, len(f.sites))
	for i, s := range f.sites {
		out[i] = s.Name
	}
	return out
}

// SiteAnswer is one site's part of a federated count.
type SiteAnswer struct {
	Site   string `json:"site"`
	Status string `json:"status"`
	// Count is the released count (Status Released), else nil.
	Count *int `json:"count"`
	// Display is the site's display of its count ("<11" when suppressed).
	Display string `json:"display,omitempty"`
	// Exact is true when the site released an exact count; NoiseSigma is
	// the standard deviation of its noise otherwise.
	Exact      bool     `json:"exact"`
	NoiseSigma *float64 `json:"noiseSigma"`
	// Code and Error say why a site has no count (Refused, Timeout,
	// Unreachable); Code is the site's GraphQL error code when it sent one.
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	// Millis is how long the site took to answer (or to fail).
	Millis int `json:"millis"`
}

// Answer is a federated count.
type Answer struct {
	// Sites holds every site's answer, in the order of the config.
	Sites []SiteAnswer `json:"sites"`
	// Total is the sum of the released counts.
	Total int `json:"total"`
	// Released counts the sites whose count is in Total.
	Released int `json:"released"`
	// Complete is true when every site released a count.
	Complete bool `json:"complete"`
	// NoiseSigma is the standard deviation of Total's noise (the root of
	// the sum of the sites' variances); 0 when every count was exact.
	NoiseSigma float64 `json:"noiseSigma"`
}

// countQuery is what the coordinator asks each site.
const countQuery = `query federatedCount($c: CriteriaInput!, $a: String) {
  cohortCount(criteria: $c, asOf: $a) { count suppressed display disclosure { exact noiseSigma } }
}`

// Count asks every site for the count of criteria (a CriteriaInput as
// JSON) at the index date asOf (empty: each site's today). A site's
// failure is part of the answer, never the error; the error is for bad
// criteria or a done ctx.
func (f *Federation) Count(ctx context.Context, criteria json.RawMessage, asOf string) (Answer, error) {
	if len(criteria) > MaxCriteriaBytes {
		return Answer{}, fmt.Errorf("federatedCount: %w: criteria: %d bytes, at most %d", errs.Invalid, len(criteria), MaxCriteriaBytes)
	}
	if !json.Valid(criteria) {
		return Answer{}, fmt.Errorf("federatedCount: %w: criteria: not JSON", errs.Invalid)
	}
	vars := map[string]any{"c": criteria}
	if asOf != "" {
		vars["a"] = asOf
	}
	body, err := json.Marshal(map[string]any{"query": countQuery, "variables": vars})
	if err != nil {
		return Answer{}, fmt.Errorf("federatedCount: %w", err)
	}
	out := Answer{Sites: make([]SiteAnswer, len(f.sites))}
	sem := make(chan struct{}, f.conc)
	var wg sync.WaitGroup
	for i := range f.sites {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out.Sites[i] = failed(f.sites[i].Name, Timeout, "", "the request ended before this site was asked", 0)
				return
			}
			defer func() { <-sem }()
			out.Sites[i] = f.ask(ctx, f.sites[i], body)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Answer{}, fmt.Errorf("federatedCount: %w", err)
	}
	var variance float64
	for _, s := range out.Sites {
		if s.Status == Released && s.Count != nil {
			out.Total += *s.Count
			out.Released++
			if s.NoiseSigma != nil {
				variance += *s.NoiseSigma * *s.NoiseSigma
			}
		}
	}
	out.Complete = out.Released == len(out.Sites)
	out.NoiseSigma = math.Sqrt(variance)
	return out, nil
}

func failed(site, status, code, msg string, d time.Duration) SiteAnswer {
	return SiteAnswer{Site: site, Status: status, Code: code, Error: msg, Millis: int(d / time.Millisecond)}
}

// siteReply is the part of a site's GraphQL answer the coordinator reads.
type siteReply struct {
	Data *struct {
		CohortCount *struct {
			Count      *int   `json:"count"`
			Suppressed bool   `json:"suppressed"`
			Display    string `json:"display"`
			Disclosure *struct {
				Exact      bool     `json:"exact"`
				NoiseSigma *float64 `json:"noiseSigma"`
			} `json:"disclosure"`
		} `json:"cohortCount"`
	} `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

// ask asks one site within the per-site timeout.
func (f *Federation) ask(ctx context.Context, s Site, body []byte) SiteAnswer {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return failed(s.Name, Unreachable, "", "bad site URL", time.Since(start))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := f.client.Do(req)
	if err != nil {
		return transportFailure(ctx, s.Name, err, time.Since(start), f.timeout)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return transportFailure(ctx, s.Name, err, time.Since(start), f.timeout)
	}
	d := time.Since(start)
	if len(raw) > maxAnswerBytes {
		return failed(s.Name, Unreachable, "", fmt.Sprintf("answer larger than %d bytes", maxAnswerBytes), d)
	}
	var rep siteReply
	if err := json.Unmarshal(raw, &rep); err != nil {
		return failed(s.Name, Unreachable, "", fmt.Sprintf("HTTP %d without a GraphQL answer", resp.StatusCode), d)
	}
	if len(rep.Errors) > 0 {
		e := rep.Errors[0]
		return failed(s.Name, Refused, clip(e.Extensions.Code, 40), clip(e.Message, maxSiteMessage), d)
	}
	if rep.Data == nil || rep.Data.CohortCount == nil {
		return failed(s.Name, Unreachable, "", fmt.Sprintf("HTTP %d without a count", resp.StatusCode), d)
	}
	c := rep.Data.CohortCount
	a := SiteAnswer{Site: s.Name, Display: clip(c.Display, 40), Millis: int(d / time.Millisecond)}
	if c.Disclosure != nil {
		a.Exact, a.NoiseSigma = c.Disclosure.Exact, c.Disclosure.NoiseSigma
		if ns := a.NoiseSigma; ns != nil && !(*ns >= 0 && *ns <= MaxSiteCount) {
			return failed(s.Name, Unreachable, "", fmt.Sprintf("noise sigma out of range 0..%d", MaxSiteCount), d)
		}
	} else {
		a.Exact = true
	}
	switch {
	case c.Suppressed || c.Count == nil:
		a.Status = Suppressed
	case *c.Count < 0:
		return failed(s.Name, Unreachable, "", "negative count", d)
	case *c.Count > MaxSiteCount:
		return failed(s.Name, Unreachable, "", fmt.Sprintf("count above %d", MaxSiteCount), d)
	default:
		a.Status, a.Count = Released, c.Count
	}
	return a
}

// transportFailure tells a timeout from an unreachable site.
func transportFailure(ctx context.Context, site string, err error, d, timeout time.Duration) SiteAnswer {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return failed(site, Timeout, "", fmt.Sprintf("no answer within %s", timeout), d)
	}
	return failed(site, Unreachable, "", "could not reach the site", d)
}
