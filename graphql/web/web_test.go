package web

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

// get issues one request against a real HTTP server running the default site.
func get(t *testing.T, srv *httptest.Server, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// A non-default transport so Go's client does not add Accept-Encoding and
	// decompress transparently: the tests look at the bytes on the wire.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

var assetRef = regexp.MustCompile(`(?:src|href)="/?(assets/[^"]+)"`)

// indexAssets returns the asset paths index.html references.
func indexAssets(t *testing.T, index []byte) []string {
	t.Helper()
	var out []string
	for _, m := range assetRef.FindAllSubmatch(index, -1) {
		out = append(out, "/"+string(m[1]))
	}
	if len(out) != 2 {
		t.Fatalf("index.html references %d assets %v, want one script and one stylesheet", len(out), out)
	}
	return out
}

func TestIndex(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, path := range []string{"/", "/index.html", "/cohorts", "/dosing", "/molecules", "/jobs", "/admin", "/graphiql"} {
		res, body := get(t, srv, http.MethodGet, path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, got)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, got)
		}
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: no same-origin Content-Security-Policy", path)
		}
		for _, want := range []string{`<div id="root">`, `type="module"`, "/schema.graphql"} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("GET %s: body lacks %q", path, want)
			}
		}
		// No CDN: the page loads nothing from another origin.
		if bytes.Contains(body, []byte("//cdn")) || bytes.Contains(body, []byte(`src="http`)) || bytes.Contains(body, []byte(`href="http`)) {
			t.Errorf("GET %s: page references another origin:\n%s", path, body)
		}
		indexAssets(t, body)

		// Revalidation with the ETag answers 304 without a body.
		res2, body2 := get(t, srv, http.MethodGet, path, map[string]string{"If-None-Match": res.Header.Get("ETag")})
		if res2.StatusCode != http.StatusNotModified || len(body2) != 0 {
			t.Errorf("GET %s with If-None-Match: status %d, %d body bytes; want 304, none", path, res2.StatusCode, len(body2))
		}
	}
}

func TestAssets(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	_, index := get(t, srv, http.MethodGet, "/", nil)
	refs := indexAssets(t, index)

	tests := []struct {
		name, path, acceptEncoding string
		status                     int
		contentType                string
		gzipped                    bool
	}{
		{"script", refs[1], "", 200, "text/javascript; charset=utf-8", false},
		{"stylesheet", refs[0], "", 200, "text/css; charset=utf-8", false},
		{"script gzip", refs[1], "gzip, deflate, br", 200, "text/javascript; charset=utf-8", true},
		{"script gzip refused", refs[1], "gzip;q=0, br", 200, "text/javascript; charset=utf-8", false},
		{"missing asset", "/assets/main-AAAAAAAA.js", "", 404, "", false},
		{"gz copy not served", refs[1] + ".gz", "", 404, "", false},
		{"unknown type", "/assets/x.exe", "", 404, "", false},
		{"traversal", "/assets/../index.html", "", 404, "", false},
		{"dist path", "/dist/index.html", "", 404, "", false},
		{"unknown page", "/nothing-here", "", 404, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.acceptEncoding != "" {
				hdr["Accept-Encoding"] = tc.acceptEncoding
			}
			res, body := get(t, srv, http.MethodGet, tc.path, hdr)
			if res.StatusCode != tc.status {
				// Go's client cleans "/assets/../index.html" to "/index.html"
				// only when asked to; a 200 there would mean traversal.
				t.Fatalf("GET %s: status %d, want %d", tc.path, res.StatusCode, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control %q, want a year, immutable", got)
			}
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzip encoded %v, want %v", got, tc.gzipped)
			}
			if tc.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if len(body) < 1000 {
				t.Errorf("asset is %d bytes; expected a bundle", len(body))
			}
		})
	}
}

// TestAssetsComplete checks that dist/ is one consistent build: every file the
// bundles refer to (chunks, workers, fonts) is embedded, and every embedded
// asset is referred to by something, so a partial rebuild cannot be committed.
func TestAssetsComplete(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	err = fs.WalkDir(s.assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(p, ".gz") {
			names[p] = false
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`\./((?:[A-Za-z0-9_.]+-)?[A-Z2-7]{8}\.(?:js|css|ttf|woff2?))|"\./([a-z.]+-[A-Z2-7]{8}\.js)"`)
	for _, m := range append(indexAssets(t, s.index), indexAssets(t, s.graphiql)...) {
		names[strings.TrimPrefix(m, "/assets/")] = true
	}
	for name := range names {
		b, err := fs.ReadFile(s.assets, name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".css") {
			continue
		}
		for _, m := range ref.FindAllSubmatch(b, -1) {
			target := string(m[1]) + string(m[2])
			if _, ok := names[target]; !ok {
				t.Errorf("%s refers to %s, which is not embedded", name, target)
			}
			names[target] = true
		}
		// CSS url(name-HASH.ttf) references without ./
		for _, m := range regexp.MustCompile(`url\(([A-Za-z0-9_.]+-[A-Z2-7]{8}\.[a-z0-9]+)\)`).FindAllSubmatch(b, -1) {
			target := string(m[1])
			if _, ok := names[target]; !ok {
				t.Errorf("%s refers to %s, which is not embedded", name, target)
			}
			names[target] = true
		}
	}
	for name, used := range names {
		if !used {
			t.Errorf("assets/%s is embedded but nothing refers to it", name)
		}
		if !hashedName.MatchString(name) {
			t.Errorf("assets/%s has no content hash in its name", name)
		}
	}
	for _, worker := range []string{"editor.worker-", "json.worker-", "graphql.worker-"} {
		found := false
		for name := range names {
			found = found || strings.HasPrefix(name, worker)
		}
		if !found {
			t.Errorf("no %s*.js among the assets", worker)
		}
	}
}

func TestWorkbenchLinks(t *testing.T) {
	s, err := New(Config{Links: []Link{
		{Title: "Cohorts", Path: "/cohorts", Description: "Cohort builder", Available: true},
		{Title: "Dosing", Path: "/dosing", Description: "Dose simulator"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	res, body := get(t, srv, http.MethodGet, "/workbench.json", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	want := `[{"title":"Cohorts","path":"/cohorts","description":"Cohort builder","available":true},` +
		`{"title":"Dosing","path":"/dosing","description":"Dose simulator","available":false}]`
	if string(body) != want {
		t.Errorf("workbench.json:\n got %s\nwant %s", body, want)
	}

	srv2 := httptest.NewServer(Handler())
	defer srv2.Close()
	_, body = get(t, srv2, http.MethodGet, "/workbench.json", nil)
	if !bytes.Contains(body, []byte(`"path":"/cohorts"`)) || bytes.Contains(body, []byte(`"available":true`)) {
		t.Errorf("default links: %s", body)
	}
}

func TestNewRejectsBadLinks(t *testing.T) {
	tests := []struct {
		name string
		link Link
		want string
	}{
		{"empty title", Link{Title: " ", Path: "/x"}, "title is empty"},
		{"long title", Link{Title: strings.Repeat("a", 41), Path: "/x"}, "at most 40"},
		{"relative path", Link{Title: "X", Path: "x"}, "absolute path"},
		{"other origin", Link{Title: "X", Path: "//evil.example/x"}, "absolute path"},
		{"scheme", Link{Title: "X", Path: "javascript:alert(1)"}, "absolute path"},
		{"space", Link{Title: "X", Path: "/a b"}, "byte 2"},
		{"control in title", Link{Title: "X\x00", Path: "/x"}, "control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Links: []Link{tc.link}})
			if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
	_, err := New(Config{Links: []Link{{Title: "A", Path: "/a"}, {Title: "B", Path: "/a"}}})
	if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "already used by link 0") {
		t.Fatalf("duplicate path: err = %v", err)
	}
	if _, err := New(Config{Links: []Link{}}); err != nil {
		t.Fatalf("no links: %v", err)
	}
}

func TestMethods(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	res, body := get(t, srv, http.MethodHead, "/", nil)
	if res.StatusCode != 200 || len(body) != 0 || res.Header.Get("Content-Type") == "" {
		t.Errorf("HEAD /: status %d, %d body bytes", res.StatusCode, len(body))
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		res, _ := get(t, srv, m, "/", nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: status %d, Allow %q", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		in   []string
		want bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"br, gzip;q=0.5"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"*, gzip;q=0"}, false},
		{[]string{"identity"}, false},
		{[]string{"br", "gzip"}, true},
		{[]string{"gzip;q=abc"}, false},
		{[]string{"gzip;q=2"}, false},
		{[]string{";;,,;q=;"}, false},
	}
	for _, tc := range tests {
		if got := acceptsGzip(tc.in); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzServe feeds arbitrary paths and Accept-Encoding values to the site: it
// must never panic, answer only 200, 304 or 404 to GET, and never serve a body
// whose Content-Type it did not choose.
func FuzzServe(f *testing.F) {
	for _, seed := range []struct{ path, ae string }{
		{"/", "gzip"},
		{"/index.html", ""},
		{"/workbench.json", "br"},
		{"/assets/", "gzip;q=0"},
		{"/assets/main-AAAAAAAA.js", "*"},
		{"/assets/../../web.go", "gzip"},
		{"/assets/.hidden.js", ""},
		{"/assets/a/b.js", ""},
		{"/assets/x.js.gz", "gzip"},
	} {
		f.Add(seed.path, seed.ae)
	}
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, ae string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = path
		req.Header.Set("Accept-Encoding", ae)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			ct := rec.Header().Get("Content-Type")
			known := false
			for _, v := range contentTypes {
				known = known || v == ct
			}
			if !known {
				t.Fatalf("path %q: 200 with Content-Type %q", path, ct)
			}
		case http.StatusNotFound, http.StatusNotModified:
		default:
			t.Fatalf("path %q: status %d", path, rec.Code)
		}
	})
}
