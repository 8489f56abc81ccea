package cohorts

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store"
)

// abstractToCTML rewrites the engine tests' abstract leaves ({"g1": {...}},
// {"c1": {...}}) into real CTML clauses whose labels we can recover.
func abstractToCTML(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = abstractToCTML(x[i])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			switch {
			case k == "and" || k == "or":
				out[k] = abstractToCTML(val)
			case strings.HasPrefix(k, "g"):
				out["genomic"+k] = map[string]any{"hugo_symbol": "GENE" + k[1:]}
			case strings.HasPrefix(k, "c"):
				out["clinical"+k] = map[string]any{"oncotree_primary_diagnosis": "DX" + k[1:]}
			}
		}
		return out
	}
	return v
}

// fixKeys turns "genomicg1" back into "genomic" keys: one map per clause,
// ANDed, the way MatchMiner reads a multi-key node.
func fixKeys(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = fixKeys(x[i])
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for k, val := range x {
				if k == "and" || k == "or" {
					return map[string]any{k: fixKeys(val)}
				}
				if strings.HasPrefix(k, "genomic") {
					return map[string]any{"genomic": val}
				}
				return map[string]any{"clinical": val}
			}
		}
		var parts []any
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fixKeys(map[string]any{k: x[k]}))
		}
		return map[string]any{"and": parts}
	}
	return v
}

func leafLabel(c *Criteria) string {
	switch {
	case c.Variant != nil:
		return "g" + strings.TrimPrefix(c.Variant.Gene, "GENE")
	case c.Condition != nil:
		return "c" + strings.TrimPrefix(c.Condition.Code, "DX")
	}
	return "?"
}

// dnf expands a criteria tree into its match paths (conjunctions of leaves).
func dnf(c *Criteria) [][]string {
	switch {
	case c.All != nil:
		out := [][]string{{}}
		for i := range c.All {
			var next [][]string
			for _, a := range out {
				for _, b := range dnf(&c.All[i]) {
					next = append(next, append(append([]string{}, a...), b...))
				}
			}
			out = next
		}
		return out
	case c.Any != nil:
		var out [][]string
		for i := range c.Any {
			out = append(out, dnf(&c.Any[i])...)
		}
		return out
	}
	return [][]string{{leafLabel(c)}}
}

func pathSet(paths [][]string) []string {
	seen := map[string]bool{}
	for _, p := range paths {
		q := append([]string{}, p...)
		sort.Strings(q)
		seen[strings.Join(q, ",")] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type expectedTree struct {
	Nodes map[string]struct {
		CriteriaList []map[string]any `json:"criteria_list"`
	} `json:"nodes"`
	Edges [][2]int `json:"edges"`
}

// paths enumerates root-to-leaf paths of MatchMiner's match tree.
func (e expectedTree) paths() [][]string {
	kids := map[int][]int{}
	for _, ed := range e.Edges {
		kids[ed[0]] = append(kids[ed[0]], ed[1])
	}
	var out [][]string
	var walk func(n int, acc []string)
	walk = func(n int, acc []string) {
		node := e.Nodes[itoa(n)]
		for _, c := range node.CriteriaList {
			for k := range c {
				acc = append(acc, k)
			}
		}
		if len(kids[n]) == 0 {
			out = append(out, append([]string{}, acc...))
			return
		}
		for _, k := range kids[n] {
			walk(k, append([]string{}, acc...))
		}
	}
	walk(0, nil)
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestCTMLBooleanCases checks that the and/or nestings of the Princess
// Margaret engine tests (Apache-2.0, read from shared data) give the same
// match paths as the expected match trees the engine builds.
func TestCTMLBooleanCases(t *testing.T) {
	base := "trial-eligibility/matchminer-ctml-tests/"
	var expected map[string]expectedTree
	if err := json.Unmarshal(sharedFile(t, base+"create_match_tree_expected.json"), &expected); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(expected))
	for n := range expected {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var raw any
			if err := json.Unmarshal(sharedFile(t, base+"ctml_boolean_cases/"+name), &raw); err != nil {
				t.Fatal(err)
			}
			c, err := convertMatch("match", fixKeys(abstractToCTML(raw)))
			if err != nil {
				t.Fatal(err)
			}
			got := pathSet(dnf(c))
			want := pathSet(expected[name].paths())
			if name == "all_cases.json" {
				// Known difference: in MatchMiner's expected tree the
				// or-group (g12|c12) nested in "and(g10,c10,and(g11,c11),
				// or(g12,c12))" is treated as an alternative to the three
				// or-groups of the first and-block instead of a conjunct
				// (paths with g12/c12 lack c2/c4/c7-group members and the
				// others lack g12/c12), which is not what the boolean
				// expression says. We check ours against a direct
				// expansion of the raw expression instead.
				direct := pathSet(rawDNF(raw))
				if strings.Join(got, " | ") != strings.Join(direct, " | ") {
					t.Errorf("paths differ from the direct expansion")
				}
				t.Logf("all_cases: %d paths; MatchMiner's tree has %d (documented engine quirk)", len(got), len(want))
				return
			}
			if strings.Join(got, " | ") != strings.Join(want, " | ") {
				t.Errorf("match paths differ:\n got  %v\n want %v", got, want)
			}
		})
	}
}

func TestParseCTMLFiles(t *testing.T) {
	cases := []struct {
		file    string
		wantErr bool
		arms    int
	}{
		{"matchminer-dfci-demo/trial.example.yml", false, 1},
		{"matchminer-dfci-demo/trial.example.json", false, 1},
		{"matchminer-dfci-demo/yaml/00-000.yml", true, 0},
		{"matchminer-ctml-tests/yaml/11-111.yaml", false, -1},
		{"matchminer-ctml-tests/yaml/11-112.yaml", false, -1},
		{"matchminer-ctml-tests/trials/11-111.json", false, -1},
		{"matchminer-ctml-tests/trials/two_trials_one_doc.json", true, 0},
		{"matchminer-ctml-tests/trials/trials_json_array.json", true, 0},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			tr, err := ParseCTML(string(sharedFile(t, "trial-eligibility/"+c.file)))
			if c.wantErr {
				if err == nil || !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("want an invalid-input error, got %v", err)
				}
				t.Logf("rejected as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.arms >= 0 && len(tr.Arms) != c.arms {
				t.Errorf("arms = %d, want %d", len(tr.Arms), c.arms)
			}
		})
	}
	// The integration trials all parse.
	files, _ := filepath.Glob(filepath.Join(sharedData, "trial-eligibility/matchminer-ctml-tests/integration_trials/*.json"))
	vend, _ := filepath.Glob("testdata/matchminer-ctml-tests/integration_trials/*.json")
	files = append(files, vend...)
	for _, f := range files {
		p, _ := os.ReadFile(f)
		if _, err := ParseCTML(string(p)); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}

// rawDNF expands the abstract boolean JSON directly: a multi-key node is
// the AND of its keys, and/or lists combine their items.
func rawDNF(v any) [][]string {
	cross := func(a, b [][]string) [][]string {
		var out [][]string
		for _, x := range a {
			for _, y := range b {
				out = append(out, append(append([]string{}, x...), y...))
			}
		}
		return out
	}
	switch x := v.(type) {
	case []any:
		out := [][]string{{}}
		for _, it := range x {
			out = cross(out, rawDNF(it))
		}
		return out
	case map[string]any:
		out := [][]string{{}}
		for k, val := range x {
			switch k {
			case "and":
				out = cross(out, rawDNF(val))
			case "or":
				var alt [][]string
				for _, it := range val.([]any) {
					alt = append(alt, rawDNF(it)...)
				}
				out = cross(out, alt)
			default:
				out = cross(out, [][]string{{k}})
			}
		}
		return out
	}
	return nil
}
