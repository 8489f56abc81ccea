package federate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store/errs"
)

func TestParseSites(t *testing.T) {
	many := "sites:\n"
	for i := 0; i <= MaxSites; i++ {
		many += "  - {name: s" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + itoa(i) + ", url: 'http://h', token: t}\n"
	}
	cases := []struct {
		name, in string
		wantErr  string // "" means valid
	}{
		{"valid", "timeout: 2s\nconcurrency: 4\nsites:\n  - {name: a, url: 'http://127.0.0.1:1', token: x}\n  - {name: b.2, url: 'https://b.example/rx', tokenFile: b.tok}\n", ""},
		{"no sites", "timeout: 2s\n", "sites: none"},
		{"unknown field", "sites:\n  - {name: a, url: 'http://h', token: x, pasword: y}\n", "yaml"},
		{"bad timeout", "timeout: forever\nsites:\n  - {name: a, url: 'http://h', token: x}\n", "timeout"},
		{"timeout too long", "timeout: 1h\nsites:\n  - {name: a, url: 'http://h', token: x}\n", "timeout"},
		{"bad name", "sites:\n  - {name: 'a b', url: 'http://h', token: x}\n", "sites[0].name"},
		{"duplicate name", "sites:\n  - {name: a, url: 'http://h', token: x}\n  - {name: a, url: 'http://g', token: y}\n", "sites[1].name"},
		{"ftp url", "sites:\n  - {name: a, url: 'ftp://h', token: x}\n", "sites[0].url"},
		{"credentials in url", "sites:\n  - {name: a, url: 'http://u:p@h', token: x}\n", "sites[0].url"},
		{"no token", "sites:\n  - {name: a, url: 'http://h'}\n", "needs a token"},
		{"both tokens", "sites:\n  - {name: a, url: 'http://h', token: x, tokenFile: f}\n", "both set"},
		{"token spans lines", "sites:\n  - {name: a, url: 'http://h', token: \"x\\ny\"}\n", "sites[0].token"},
		{"negative concurrency", "concurrency: -1\nsites:\n  - {name: a, url: 'http://h', token: x}\n", "concurrency"},
		{"too many sites", many, "at most"},
		{"not yaml", "sites: [", "yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseSites([]byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(cfg.Sites) != 2 || cfg.Timeout != 2*time.Second || cfg.Concurrency != 4 {
					t.Errorf("parsed %+v", cfg)
				}
				return
			}
			if err == nil || !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q wrapping errs.Invalid", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "pasword: y") {
				t.Errorf("error echoes a value: %v", err)
			}
		})
	}
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}

func TestLoadSitesTokenFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.tok"), []byte("  secret-a\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "empty.tok"), nil, 0o600)
	write := func(body string) string {
		p := filepath.Join(dir, "sites.yaml")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	cfg, err := LoadSites(write("sites:\n  - {name: a, url: 'http://h', tokenFile: a.tok}\n"))
	if err != nil || cfg.Sites[0].Token != "secret-a" || cfg.Sites[0].TokenFile != "" {
		t.Fatalf("%+v %v", cfg, err)
	}
	if _, err := New(cfg); err != nil {
		t.Errorf("New after LoadSites: %v", err)
	}
	for _, body := range []string{
		"sites:\n  - {name: a, url: 'http://h', tokenFile: empty.tok}\n",
		"sites:\n  - {name: a, url: 'http://h', tokenFile: missing.tok}\n",
	} {
		if _, err := LoadSites(write(body)); err == nil || !strings.Contains(err.Error(), `site "a": tokenFile`) {
			t.Errorf("%q: %v", body, err)
		}
	}
	if _, err := LoadSites(write(strings.Repeat("#", MaxSitesFileBytes+1))); !errors.Is(err, errs.Invalid) {
		t.Errorf("oversized file: %v", err)
	}
}

// FuzzParseSites: any input gives a config that New accepts or an error
// wrapping errs.Invalid, never a panic.
func FuzzParseSites(f *testing.F) {
	f.Add([]byte("timeout: 2s\nsites:\n  - {name: a, url: 'http://127.0.0.1:1', token: x}\n"))
	f.Add([]byte("sites: [{name: a, url: 'https://h/x', tokenFile: t}]"))
	f.Add([]byte("concurrency: 999999999999\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseSites(b)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error without errs.Invalid: %v", err)
			}
			return
		}
		for i := range cfg.Sites {
			if cfg.Sites[i].Token == "" {
				cfg.Sites[i].Token = "from-file"
			}
			cfg.Sites[i].TokenFile = ""
		}
		if _, err := New(cfg); err != nil {
			t.Fatalf("parsed config refused by New: %v", err)
		}
	})
}
