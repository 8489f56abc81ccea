package federate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHostileSite: a site's answer that is too large, of the wrong shape or
// out of range is that site's UNREACHABLE, never the federation's error,
// and the total and its noise stay representable.
func TestHostileSite(t *testing.T) {
	answers := map[string]string{
		"ok":       `{"data":{"cohortCount":{"count":12,"display":"12","disclosure":{"exact":false,"noiseSigma":2}}}}`,
		"huge":     `{"data":{"cohortCount":{"count":9000000000000000000,"display":"x"}}}`,
		"big":      `{"data":{"cohortCount":{"count":2147483647,"display":"x"}}}`,
		"sigma":    `{"data":{"cohortCount":{"count":1,"disclosure":{"exact":false,"noiseSigma":1e300}}}}`,
		"negsigma": `{"data":{"cohortCount":{"count":1,"disclosure":{"exact":false,"noiseSigma":-1}}}}`,
		"shape":    `{"data":{"cohortCount":[1,2,3]}}`,
		"large":    `{"data":"` + strings.Repeat("a", maxAnswerBytes) + `"}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(answers[r.Header.Get("Authorization")[len("Bearer "):]]))
	}))
	defer srv.Close()
	var cfg Config
	for name := range answers {
		cfg.Sites = append(cfg.Sites, Site{Name: name, URL: srv.URL, Token: name})
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := f.Count(context.Background(), json.RawMessage(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ans.Sites {
		want := Unreachable
		if s.Site == "ok" {
			want = Released
		}
		if s.Status != want {
			t.Errorf("site %s: %s %q, want %s", s.Site, s.Status, s.Error, want)
		}
	}
	if ans.Total != 12 || ans.Released != 1 || ans.NoiseSigma != 2 {
		t.Errorf("total %d released %d sigma %g, want 12 1 2", ans.Total, ans.Released, ans.NoiseSigma)
	}
	if _, err := json.Marshal(ans); err != nil {
		t.Errorf("answer does not encode: %v", err)
	}
}
