package graphql

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/graphql-go/graphql/language/parser"
)

// FuzzRequest sends arbitrary bodies through the whole request path —
// decoding, parsing, limits, validation and execution — as an authenticated
// admin: whatever arrives, the server answers JSON with a known status and
// keeps serving.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"query":"{ health { ok } }"}`,
		`{"query":"query($n: Int) { jobs(first: $n) { id } }","variables":{"n":5}}`,
		`{"query":"{ a: health { ok } b: health { ok } }"}`,
		`{"query":"fragment F on Query { ...F } { ...F }"}`,
		`{"query":"{ jobs(first: 1e309) { id } }"}`,
		`{"query":"mutation { cancelJob(id: \"J1\") { id } }"}`,
		`{"query":"{ health { ok } }","variables":{"x":[[[[[[[]]]]]]]}}`,
		`{"query":"{ health { ok } }","operationName":"nope"}`,
		`{"query":"{ __schema { types { name fields { name type { ofType { ofType { name } } } } } } }"}`,
		`{"query":1}`, `[]`, `{`, `{"query":"{ health { ok `, `null`,
	} {
		f.Add(s)
	}
	ts := newTestServer(f)
	client := ts.srv.Client()
	f.Fuzz(func(t *testing.T, body string) {
		req, _ := http.NewRequest("POST", ts.srv.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ts.admin)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case 200, 400, 405, 413:
		default:
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, b)
		}
		if !json.Valid(b) {
			t.Fatalf("non-JSON answer %q for %q", b, body)
		}
	})
}

// FuzzLimits runs the limit walker on arbitrary documents: it must never
// panic and must end on recursive fragments.
func FuzzLimits(f *testing.F) {
	for _, s := range []string{
		"{ health { ok } }",
		"fragment A on Query { ...B } fragment B on Query { ...A } { ...A }",
		"query($v: [Int]) { jobs(first: $v) { id } }",
		"{ a: jobs(first: -1) { id } }",
		strings.Repeat("{ health ", 40) + strings.Repeat("}", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		doc, err := parser.Parse(parser.ParseParams{Source: q})
		if err != nil {
			return
		}
		_ = checkLimits(doc, "", map[string]any{"v": []any{1, 2}}, DefaultLimits())
		_ = operationOf(doc, "")
	})
}
