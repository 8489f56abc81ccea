package federate

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rxlab/rxlab/store/errs"
)

// Limits of a sites file.
const (
	// MaxSitesFileBytes bounds the sites file.
	MaxSitesFileBytes = 1 << 20
	// MaxSites bounds the sites of one federation.
	MaxSites = 256
	// maxNameLen bounds a site's name.
	maxNameLen = 64
	// maxTokenBytes bounds a site token (inline or in its file).
	maxTokenBytes = 4096
	// MaxTimeout bounds the per-site timeout.
	MaxTimeout = 5 * time.Minute
)

// Site is one rxlab server of the federation.
type Site struct {
	// Name names the site in answers (letters, digits, '-', '_', '.').
	Name string `yaml:"name"`
	// URL is the site's base URL (http or https); the coordinator posts to
	// URL/graphql.
	URL string `yaml:"url"`
	// Token is the bearer token the site issued for the coordinator.
	Token string `yaml:"token"`
	// TokenFile names a file holding the token instead (relative paths are
	// relative to the sites file).
	TokenFile string `yaml:"tokenFile"`
}

// sitesFile is the YAML document of a sites file.
type sitesFile struct {
	Timeout     string `yaml:"timeout"`
	Concurrency int    `yaml:"concurrency"`
	Sites       []Site `yaml:"sites"`
}

// LoadSites reads a sites file (YAML) into a Config; token files are read
// relative to the sites file's directory.
func LoadSites(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("sites file: %w", err)
	}
	defer f.Close()
	buf := make([]byte, MaxSitesFileBytes+1)
	n, _ := readFull(f, buf)
	if n > MaxSitesFileBytes {
		return Config{}, fmt.Errorf("sites file %s: %w: larger than %d bytes", path, errs.Invalid, MaxSitesFileBytes)
	}
	cfg, err := ParseSites(buf[:n])
	if err != nil {
		return Config{}, fmt.Errorf("sites file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for i := range cfg.Sites {
		s := &cfg.Sites[i]
		if s.TokenFile == "" {
			continue
		}
		p := s.TokenFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		tok, err := readToken(p)
		if err != nil {
			return Config{}, fmt.Errorf("sites file %s: site %q: tokenFile: %w", path, s.Name, err)
		}
		s.Token, s.TokenFile = tok, ""
	}
	return cfg, nil
}

func readFull(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, maxTokenBytes+1)
	n, _ := readFull(f, buf)
	if n > maxTokenBytes {
		return "", fmt.Errorf("%w: longer than %d bytes", errs.Invalid, maxTokenBytes)
	}
	tok := strings.TrimSpace(string(buf[:n]))
	if tok == "" {
		return "", fmt.Errorf("%w: empty", errs.Invalid)
	}
	return tok, nil
}

// ParseSites parses the YAML of a sites file:
//
//	timeout: 2s          # per site (default 5s, at most 5m)
//	concurrency: 8       # sites asked at once (default 8)
//	sites:
//	  - name: north
//	    url: http://10.0.0.5:8080
//	    tokenFile: north.token   # or token: <token>
//
// Errors name the site by position and the field; they never echo a token.
func ParseSites(b []byte) (Config, error) {
	if len(b) > MaxSitesFileBytes {
		return Config{}, fmt.Errorf("%w: larger than %d bytes", errs.Invalid, MaxSitesFileBytes)
	}
	var doc sitesFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return Config{}, fmt.Errorf("%w: yaml: %s", errs.Invalid, firstLine(err.Error()))
	}
	cfg := Config{Concurrency: doc.Concurrency, Sites: doc.Sites}
	if doc.Timeout != "" {
		d, err := time.ParseDuration(doc.Timeout)
		if err != nil || d <= 0 || d > MaxTimeout {
			return Config{}, fmt.Errorf("%w: timeout %q: want a duration in (0, %s]", errs.Invalid, clip(doc.Timeout, 32), MaxTimeout)
		}
		cfg.Timeout = d
	}
	if err := cfg.validate(true); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// validate checks the sites; tokens may be missing when a tokenFile is
// still to be read.
func (c *Config) validate(fileOK bool) error {
	if len(c.Sites) == 0 {
		return fmt.Errorf("%w: sites: none", errs.Invalid)
	}
	if len(c.Sites) > MaxSites {
		return fmt.Errorf("%w: sites: %d, at most %d", errs.Invalid, len(c.Sites), MaxSites)
	}
	if c.Concurrency < 0 || c.Concurrency > MaxSites {
		return fmt.Errorf("%w: concurrency %d out of range 0..%d", errs.Invalid, c.Concurrency, MaxSites)
	}
	if c.Timeout < 0 || c.Timeout > MaxTimeout {
		return fmt.Errorf("%w: timeout %s out of range (0, %s]", errs.Invalid, c.Timeout, MaxTimeout)
	}
	seen := map[string]bool{}
	for i, s := range c.Sites {
		where := fmt.Sprintf("sites[%d]", i)
		if !validName(s.Name) {
			return fmt.Errorf("%w: %s.name: want 1..%d letters, digits, '-', '_' or '.'", errs.Invalid, where, maxNameLen)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w: %s.name %q: named twice", errs.Invalid, where, s.Name)
		}
		seen[s.Name] = true
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%w: %s.url: want http(s)://host[:port][/path] without credentials or query", errs.Invalid, where)
		}
		hasTok, hasFile := s.Token != "", s.TokenFile != ""
		switch {
		case hasTok && hasFile:
			return fmt.Errorf("%w: %s: token and tokenFile both set; give one", errs.Invalid, where)
		case !hasTok && !(fileOK && hasFile):
			return fmt.Errorf("%w: %s: needs a token or tokenFile", errs.Invalid, where)
		case len(s.Token) > maxTokenBytes || strings.ContainsAny(s.Token, "\r\n"):
			return fmt.Errorf("%w: %s.token: longer than %d bytes or spans lines", errs.Invalid, where, maxTokenBytes)
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		ok := r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return clip(s, 200)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
