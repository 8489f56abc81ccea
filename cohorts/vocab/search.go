package vocab

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/rxlab/rxlab/store/errs"
)

// Limits of a concept search.
const (
	MaxQueryChars = 200 // characters in a query
	MaxQueryTerms = 8   // words in a query
	MaxFirst      = 200 // concepts in one answer
)

// Query is a parsed concept search: words that must all occur in a
// concept's code, display or synonyms (case-insensitive), optionally in
// one system.
type Query struct {
	Terms  []string
	System string
}

// ParseQuery reads a search string and an optional system. Errors wrap
// errs.Invalid and name the limit or the field.
func ParseQuery(q, system string) (Query, error) {
	if len([]rune(q)) > MaxQueryChars {
		return Query{}, fmt.Errorf("query: longer than %d characters: %w", MaxQueryChars, errs.Invalid)
	}
	out := Query{}
	if system != "" {
		s := strings.ToUpper(strings.TrimSpace(system))
		switch s {
		case ICD10CM, SNOMED, RXNORM, LOINC, ONCOTREE:
		default:
			return Query{}, fmt.Errorf("system: unknown coding system (want ICD10CM, SNOMED, RXNORM, LOINC or ONCOTREE): %w", errs.Invalid)
		}
		out.System = s
	}
	for _, w := range strings.FieldsFunc(q, func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == ';' || r == '(' || r == ')' || r == '"'
	}) {
		w = strings.ToLower(w)
		if !utf8Printable(w) {
			return Query{}, fmt.Errorf("query: control characters are not allowed: %w", errs.Invalid)
		}
		out.Terms = append(out.Terms, w)
	}
	if len(out.Terms) == 0 {
		return Query{}, fmt.Errorf("query: empty (give a code or words of a name): %w", errs.Invalid)
	}
	if len(out.Terms) > MaxQueryTerms {
		return Query{}, fmt.Errorf("query: more than %d words: %w", MaxQueryTerms, errs.Invalid)
	}
	return out, nil
}

func utf8Printable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// normCode is how a term compares with codes: no dots, upper case.
func normCode(s string) string { return strings.ToUpper(strings.ReplaceAll(s, ".", "")) }

// rank scores a concept for a query: 0 no match; higher is better (an
// exact code first, then a code prefix, then names).
func rank(c *Concept, q Query) int {
	if q.System != "" && c.System != q.System {
		return 0
	}
	if len(q.Terms) == 1 {
		t := normCode(q.Terms[0])
		switch {
		case c.Code == t:
			return 4
		case strings.HasPrefix(c.Code, t) && len(t) >= 2:
			return 3
		}
	}
	for _, t := range q.Terms {
		if !strings.Contains(c.text, t) {
			return 0
		}
	}
	// c.text starts with the display and a term holds no space: a prefix
	// of c.text is a prefix of the display.
	if strings.HasPrefix(c.text, q.Terms[0]) {
		return 2
	}
	return 1
}

// Search returns at most first concepts matching q, best first (ties by
// system, then shorter display, then code). It checks ctx every 1,024
// concepts.
func (v *Vocab) Search(ctx context.Context, q Query, first int) ([]*Concept, error) {
	if first < 0 || first > MaxFirst {
		return nil, fmt.Errorf("first: must be between 0 and %d: %w", MaxFirst, errs.Invalid)
	}
	type hit struct {
		c *Concept
		r int
	}
	var hits []hit
	for i, c := range v.sorted {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("vocab: search stopped: %w", err)
			}
		}
		if r := rank(c, q); r > 0 {
			hits = append(hits, hit{c, r})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.r != b.r {
			return a.r > b.r
		}
		if a.c.System != b.c.System {
			return a.c.System < b.c.System
		}
		if len(a.c.Display) != len(b.c.Display) {
			return len(a.c.Display) < len(b.c.Display)
		}
		return a.c.Code < b.c.Code
	})
	out := make([]*Concept, 0, min(first, len(hits)))
	for _, h := range hits {
		if len(out) == first {
			break
		}
		out = append(out, h.c)
	}
	return out, nil
}
