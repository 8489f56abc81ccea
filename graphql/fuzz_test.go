package graphql

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/graphql-go/graphql/language/ast"
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
		// Deeper than MaxNesting, of every bracket kind and in variables.
		mustJSON(map[string]any{"query": nest("{ health ", "ok", "}", 200)}),
		mustJSON(map[string]any{"query": "{ jobs(first: " + nest("[", "1", "]", 200) + ") { id } }"}),
		mustJSON(map[string]any{"query": "{ cohortCount(criteria: " + nest("{not: ", "{}", "}", 200) + ") { count } }"}),
		mustJSON(map[string]any{"query": "{ health" + strings.Repeat("(", 200) + " }"}),
		mustJSON(map[string]any{"query": "query($v: " + nest("[", "Int", "]", 200) + ") { health { ok } }"}),
		mustJSON(map[string]any{"query": "fragment F on Query " + nest("{ ... on Query ", "{ health { ok } }", "}", 200) + " { ...F }"}),
		`{"query":"{ health { ok } }","variables":{"x":` + nest("[", "", "]", 200) + `}}`,
		mustJSON(map[string]any{"query": `{ health { ok } } # {{{{{{{{ "` + "\n" + `"""{{{{"""`}),
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

// fuzzLimits are small limits, so the fuzzer reaches them quickly.
func fuzzLimits() Limits {
	l := DefaultLimits()
	l.MaxNesting, l.MaxTokens, l.MaxStringBytes = 12, 400, 64
	l.MaxVariableNesting, l.MaxVariableElements = 6, 200
	return l
}

// FuzzPrescan runs the pre-scan on arbitrary query text: it never panics,
// and whatever it accepts graphql-go parses into a document whose bracket
// nesting (selection sets, argument and variable lists, list and object
// values, list types) is within MaxNesting — so the pre-scan cannot be
// fooled into reading code as a string or a comment, and the recursive
// parser cannot overflow on what it lets through.
func FuzzPrescan(f *testing.F) {
	for _, s := range []string{
		"{ health { ok } }",
		strings.Repeat("{a", 20),
		strings.Repeat("[", 20),
		strings.Repeat("(", 20),
		"{ cohortCount(criteria: " + nest("{not: ", "{sex: [FEMALE]}", "}", 20) + ") { count } }",
		"query($v: " + nest("[", "Int", "]", 20) + ") { health { ok } }",
		"fragment F on Query " + nest("{ ... on Query ", "{ health { ok } }", "}", 20) + " { ...F }",
		`{ a(s: "{{{{{{{{{{{{{{{{") }`,
		`{ a(s: "\"{{{{{{{{{{{{{{{") }`,
		`{ a(s: """ {{{{{{{{{{{{{{{{ \""" {{{{{{{{ """) }`,
		"{ a # {{{{{{{{{{{{{{{{{{{{\n }",
		"{ a # {{{{\r{{{{{{{{{{{{{{{{ }",
		"\ufeff{ a(s: \"é{{{{{{{{{{{{{{{{{\") }",
		`{ a(s: "unterminated {{{{{{{{{{{{{{{{{{{{{{` + "\n" + `{{{{{{{{{{{{{{{{{ }`,
		`{ a(s: """unterminated {{{{{{{{{{{{{{{{{{{{{{`,
		"{ a(f: -1.5e10, e: ENUM, l: [1 2 3], o: {x: $v}) @skip(if: false) }",
		"{ ...F } fragment F on Query { health { ok } }",
	} {
		f.Add(s)
	}
	l := fuzzLimits()
	f.Fuzz(func(t *testing.T, q string) {
		if err := prescanQuery(q, l); err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Fatalf("error %q does not say where", err)
			}
			return
		}
		doc, err := parser.Parse(parser.ParseParams{Source: q})
		if err != nil {
			return
		}
		if d := astNesting(doc); d > l.MaxNesting {
			t.Fatalf("accepted %q nests %d > %d", q, d, l.MaxNesting)
		}
	})
}

// astNesting is the deepest bracket nesting of a parsed document.
func astNesting(doc *ast.Document) int {
	deepest := 0
	var value func(v ast.Value, d int)
	var typ func(t ast.Type, d int)
	var args func(as []*ast.Argument, d int)
	var dirs func(ds []*ast.Directive, d int)
	var set func(ss *ast.SelectionSet, d int)
	note := func(d int) { deepest = max(deepest, d) }
	value = func(v ast.Value, d int) {
		switch v := v.(type) {
		case *ast.ListValue:
			note(d + 1)
			for _, e := range v.Values {
				value(e, d+1)
			}
		case *ast.ObjectValue:
			note(d + 1)
			for _, f := range v.Fields {
				value(f.Value, d+1)
			}
		}
	}
	typ = func(t ast.Type, d int) {
		switch t := t.(type) {
		case *ast.List:
			note(d + 1)
			typ(t.Type, d+1)
		case *ast.NonNull:
			typ(t.Type, d)
		}
	}
	args = func(as []*ast.Argument, d int) {
		if len(as) > 0 {
			note(d + 1)
		}
		for _, a := range as {
			value(a.Value, d+1)
		}
	}
	dirs = func(ds []*ast.Directive, d int) {
		for _, x := range ds {
			args(x.Arguments, d)
		}
	}
	set = func(ss *ast.SelectionSet, d int) {
		if ss == nil {
			return
		}
		note(d + 1)
		for _, s := range ss.Selections {
			switch s := s.(type) {
			case *ast.Field:
				args(s.Arguments, d+1)
				dirs(s.Directives, d+1)
				set(s.SelectionSet, d+1)
			case *ast.InlineFragment:
				dirs(s.Directives, d+1)
				set(s.SelectionSet, d+1)
			case *ast.FragmentSpread:
				dirs(s.Directives, d+1)
			}
		}
	}
	for _, def := range doc.Definitions {
		switch def := def.(type) {
		case *ast.OperationDefinition:
			if len(def.VariableDefinitions) > 0 {
				note(1)
			}
			for _, v := range def.VariableDefinitions {
				typ(v.Type, 1)
				value(v.DefaultValue, 1)
			}
			dirs(def.Directives, 0)
			set(def.SelectionSet, 0)
		case *ast.FragmentDefinition:
			dirs(def.Directives, 0)
			set(def.SelectionSet, 0)
		}
	}
	return deepest
}

// FuzzPrescanJSON runs the JSON pre-scan on arbitrary bytes: it never
// panics, and whatever it accepts and encoding/json decodes is within
// MaxVariableNesting and MaxVariableElements.
func FuzzPrescanJSON(f *testing.F) {
	for _, s := range []string{
		`{"query":"{ health { ok } }","variables":{"x":[[[[[[[]]]]]]]}}`,
		`{"variables":{"c":{"not":{"not":{"not":{"not":{"not":{"not":{}}}}}}}}}`,
		`{"v":"[[[[[[[[[[[[[[[[[[[[[["}`,
		`{"v":"\"[[[[[[[[[[[[[[[[[[[[[["}`,
		`[` + strings.Repeat("0,", 300) + `0]`,
		`{"a":1,"b":[1,2,{"c":null}],"d":"\u005b"}`,
	} {
		f.Add([]byte(s))
	}
	l := fuzzLimits()
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := prescanJSON(b, "request body", 1, l); err != nil {
			return
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		depth, elems := jsonShape(v)
		if depth > l.MaxVariableNesting+1 || elems > l.MaxVariableElements+1 {
			t.Fatalf("accepted %q: depth %d, %d elements", b, depth, elems)
		}
	})
}

// jsonShape is the container nesting and the number of values of v.
func jsonShape(v any) (depth, elems int) {
	switch v := v.(type) {
	case []any:
		d := 0
		n := 1
		for _, e := range v {
			ed, en := jsonShape(e)
			d, n = max(d, ed), n+en
		}
		return d + 1, n
	case map[string]any:
		d := 0
		n := 1
		for _, e := range v {
			ed, en := jsonShape(e)
			d, n = max(d, ed), n+en
		}
		return d + 1, n
	}
	return 0, 1
}
