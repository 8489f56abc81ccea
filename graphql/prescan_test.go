package graphql

import (
	"strings"
	"testing"
)

// TestPrescanPositions: errors name the limit and the line and column
// where it broke, counting lines inside block strings and comments.
func TestPrescanPositions(t *testing.T) {
	l := DefaultLimits()
	l.MaxNesting, l.MaxTokens, l.MaxStringBytes = 3, 50, 10
	cases := []struct {
		q, want string
	}{
		{"{ a {\n  b { c { d } } } }", "brackets nest deeper than 3 levels at line 2, column 9 of the query (limit MaxNesting)"},
		{"# {{{{\n\"\"\"\n{{\n\"\"\"\n{ a { b { c { d } } } }", "at line 5, column 13"},
		{"{ a(s: \"0123456789ab\") }", "a string is longer than 10 bytes at line 1, column 8 of the query (limit MaxStringBytes)"},
		{"{ x(s: \"\"\"\nline\nlonger than ten\n\"\"\") }", "longer than 10 bytes at line 1, column 8"},
		{"{ é(s: \"0123456789ab\") }", "line 1, column 8"},
		{"{ " + strings.Repeat("a ", 60) + "}", "more than 50 tokens at line 1, column 101 of the query (limit MaxTokens)"},
	}
	for _, c := range cases {
		err := prescanQuery(c.q, l)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.q, err, c.want)
		}
	}
	jl := DefaultLimits()
	jl.MaxVariableNesting, jl.MaxVariableElements = 2, 10
	for _, c := range []struct{ b, want string }{
		{`{"variables":{"a":[[1]]}}`, "JSON nests deeper than 2 levels at line 1, column 20 of the request body (limit MaxVariableNesting)"},
		{"{\n\"v\":[1,2,3,4,5,6,7,8,9,10]}", "JSON has more than 10 elements at line 2"},
		{`{"v":"[[[[[[[[[[[[\"[[[["}`, ""},
	} {
		err := prescanJSON([]byte(c.b), "request body", 1, jl)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.b, err, c.want)
		}
	}
}

// BenchmarkPrescanQuery measures the pre-scan on GraphiQL's introspection
// query (what every browser session sends first).
func BenchmarkPrescanQuery(b *testing.B) {
	l := DefaultLimits()
	b.SetBytes(int64(len(introspection)))
	for i := 0; i < b.N; i++ {
		if err := prescanQuery(introspection, l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrescanJSON measures the JSON pre-scan on a 4 MB body of
// numbers and strings (MaxBodyBytes at default limits).
func BenchmarkPrescanJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"query":"{ health { ok } }","variables":{"v":[`)
	for sb.Len() < 4<<20 {
		sb.WriteString(`"a string of some length", 12345.678, `)
	}
	sb.WriteString(`0]}}`)
	body := []byte(sb.String())
	l := DefaultLimits()
	l.MaxVariableElements = 1 << 30
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if err := prescanJSON(body, "request body", 1, l); err != nil {
			b.Fatal(err)
		}
	}
}
