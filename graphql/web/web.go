package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rxlab/rxlab/store/errs"
)

//go:embed dist
var dist embed.FS

// Cache-Control values: the page and the link list are revalidated on every
// load so that a new build is picked up at once; assets have content hashes in
// their names, so a name never changes meaning and may be cached for good.
const (
	cacheNoCache   = "no-cache"
	cacheImmutable = "public, max-age=31536000, immutable"
)

// contentSecurityPolicy allows only this origin. Monaco and GraphiQL set inline
// styles, and the bundled fonts are data: URLs; workers are same-origin files.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; worker-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// contentTypes maps the extensions found in dist/ to their media types. It does
// not consult the operating system's MIME tables, which differ between machines.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".ttf":   "font/ttf",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".txt":   "text/plain; charset=utf-8",
}

// hashedName matches the names build.mjs gives bundles: name-HASH.ext, with
// esbuild's 8-character base32 content hash.
var hashedName = regexp.MustCompile(`-[A-Z2-7]{8}\.[a-z0-9]+$`)

// Link is one entry in the page header: a workbench page of the server.
type Link struct {
	// Title is the link text, e.g. "Cohorts".
	Title string `json:"title"`
	// Path is an absolute path on this server, e.g. "/cohorts".
	Path string `json:"path"`
	// Description is shown as the link's tooltip.
	Description string `json:"description"`
	// Available is false for a page that is planned but not served yet; the
	// header shows it greyed out, without a link.
	Available bool `json:"available"`
}

// DefaultLinks returns the workbench pages the header lists when Config.Links
// is nil. None is served yet; the server passes its own list, with Available
// set, as each page lands. The result is a fresh copy the caller may modify.
func DefaultLinks() []Link {
	return []Link{
		{Title: "Cohorts", Path: "/cohorts", Description: "Build eligibility criteria and count matching patients"},
		{Title: "Trials", Path: "/trials", Description: "Registered trials and which patients match their arms"},
		{Title: "Molecules", Path: "/molecules", Description: "Parse SMILES, descriptors, similarity search and response models"},
		{Title: "Dosing", Path: "/dosing", Description: "Simulate regimens on virtual patients and train dosing policies"},
		{Title: "Jobs", Path: "/jobs", Description: "Long-running work: training, evaluation and imports"},
	}
}

// Config configures a Site.
type Config struct {
	// Links are the workbench pages listed in the header, in order; nil means
	// DefaultLinks. An empty non-nil slice lists none.
	Links []Link
}

// Site serves the GraphiQL page and its assets. It is safe for concurrent use.
type Site struct {
	assets       fs.FS
	index        []byte
	indexETag    string
	graphiql     []byte
	graphiqlETag string
	links        []byte
	linksETag    string
}

// Handler returns a Site with the default configuration, ready to mount at "/".
func Handler() http.Handler {
	s, err := New(Config{})
	if err != nil {
		// The default configuration and the embedded files are fixed at build
		// time and covered by tests, so this cannot fail at run time.
		panic("web: default site: " + err.Error())
	}
	return s
}

// New returns a Site serving the embedded assets with the configured links.
// It fails with errs.Invalid when a link is malformed.
func New(cfg Config) (*Site, error) {
	links := cfg.Links
	if links == nil {
		links = DefaultLinks()
	}
	seen := make(map[string]int, len(links))
	for i, l := range links {
		if err := checkLink(l); err != nil {
			return nil, fmt.Errorf("web: link %d (%q): %w", i, l.Title, err)
		}
		if j, dup := seen[l.Path]; dup {
			return nil, fmt.Errorf("web: link %d: path %q already used by link %d: %w", i, l.Path, j, errs.Invalid)
		}
		seen[l.Path] = i
	}
	linksJSON, err := json.Marshal(append([]Link{}, links...))
	if err != nil {
		return nil, fmt.Errorf("web: encoding links: %w", err)
	}
	index, err := dist.ReadFile("dist/index.html")
	if err != nil {
		return nil, fmt.Errorf("web: embedded index.html: %w", err)
	}
	giql, err := dist.ReadFile("dist/graphiql.html")
	if err != nil {
		return nil, fmt.Errorf("web: embedded graphiql.html: %w", err)
	}
	assets, err := fs.Sub(dist, "dist/assets")
	if err != nil {
		return nil, fmt.Errorf("web: embedded assets: %w", err)
	}
	return &Site{
		assets:       assets,
		index:        index,
		indexETag:    etag(index),
		graphiql:     giql,
		graphiqlETag: etag(giql),
		links:        linksJSON,
		linksETag:    etag(linksJSON),
	}, nil
}

// checkLink reports what is wrong with a link, if anything.
func checkLink(l Link) error {
	switch {
	case strings.TrimSpace(l.Title) == "":
		return fmt.Errorf("title is empty: %w", errs.Invalid)
	case len(l.Title) > 40:
		return fmt.Errorf("title is %d bytes, at most 40: %w", len(l.Title), errs.Invalid)
	case !strings.HasPrefix(l.Path, "/") || strings.HasPrefix(l.Path, "//"):
		return fmt.Errorf("path %q must be an absolute path on this server (start with one /): %w", l.Path, errs.Invalid)
	case len(l.Path) > 200:
		return fmt.Errorf("path is %d bytes, at most 200: %w", len(l.Path), errs.Invalid)
	}
	for i, r := range l.Path {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\\' {
			return fmt.Errorf("path has a space, control character or backslash at byte %d: %w", i, errs.Invalid)
		}
	}
	for i, r := range l.Title + l.Description {
		if unicode.IsControl(r) {
			return fmt.Errorf("title or description has a control character at byte %d: %w", i, errs.Invalid)
		}
	}
	return nil
}

// etag is a strong validator for a fixed body.
func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// ServeHTTP serves the page, the link list and the assets; see the package doc.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	switch p := r.URL.Path; {
	case p == "/" || p == "/index.html" || appPages[p]:
		servePage(w, r, s.index, s.indexETag)
	case p == "/graphiql" || p == "/graphiql/":
		servePage(w, r, s.graphiql, s.graphiqlETag)
	case p == "/workbench.json":
		h.Set("Content-Type", contentTypes[".json"])
		h.Set("Cache-Control", cacheNoCache)
		h.Set("ETag", s.linksETag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.links))
	case strings.HasPrefix(p, "/assets/"):
		s.serveAsset(w, r, strings.TrimPrefix(p, "/assets/"))
	default:
		http.NotFound(w, r)
	}
}

// appPages are the workbench's own paths: each answers the workbench page,
// whose script draws the page the path names.
var appPages = map[string]bool{
	"/cohorts": true, "/dosing": true, "/molecules": true, "/jobs": true, "/admin": true,
}

// servePage sends an HTML page with the same-origin policy headers.
func servePage(w http.ResponseWriter, r *http.Request, body []byte, tag string) {
	h := w.Header()
	h.Set("Content-Type", contentTypes[".html"])
	h.Set("Cache-Control", cacheNoCache)
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("ETag", tag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// serveAsset serves one file of dist/assets, preferring its precompressed
// name.gz copy when the client accepts gzip.
func (s *Site) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	ext := path.Ext(name)
	ctype, known := contentTypes[ext]
	// Only plain file names of known types: no subdirectories, no dot files,
	// and not the .gz copies themselves.
	if !known || name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	body, err := fs.ReadFile(s.assets, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	if hashedName.MatchString(name) {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheNoCache)
	}
	tag := etag(body)
	if gz, err := fs.ReadFile(s.assets, name+".gz"); err == nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			body = gz
			tag = strings.TrimSuffix(tag, `"`) + `-gz"`
		}
	}
	h.Set("ETag", tag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether Accept-Encoding header values (RFC 9110 §12.5.3)
// accept gzip: gzip, x-gzip or * listed with a non-zero quality. Malformed
// parts are ignored.
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			for _, param := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(param, "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0
					}
					q = f
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}
