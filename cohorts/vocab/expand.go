package vocab

import (
	"sort"
	"strings"
)

// Target is one code a query code expands to: stored records under System
// and Code (and, when Desc, every code below it: an ICD-10-CM or ATC
// prefix, an OncoTree subtree) meet the query. Via says which mapping led
// there ("" for the query code itself), for explanations.
type Target struct {
	System string
	Code   string
	Desc   bool
	Via    string
}

// maxTargets bounds one expansion: the widest ICD-10-CM range, A00-Z99,
// is 26 letters × 360 possible categories (9,360), so no real query is cut.
const maxTargets = 10000

// Expand returns the codes a condition or medication query (system, code)
// matches. Without descendants it is the code alone. With them it adds:
// the code's descendants in its own table (SNOMED is-a links, ICD-10-CM
// sections and chapters as their categories); for each of those, the
// codes of other systems mapped to it (SNOMED → ICD-10-CM and back,
// ICD-10-CM → OncoTree), an RxNorm ingredient's products and ATC code, and
// an ATC class's ingredients and their products. Codes are normalized as
// the cohorts index stores them (ICD-10-CM without dots, upper case). The
// result is sorted and deduplicated by (system, code, desc).
func (v *Vocab) Expand(system, code string, desc bool) []Target {
	e := &expansion{v: v, seen: map[string]bool{}}
	if system == ICD10CM && strings.Contains(code, "-") {
		e.icdRange(code, "")
	} else {
		e.add(Target{System: system, Code: code, Desc: desc})
	}
	if !desc {
		return e.out
	}
	switch system {
	case SNOMED:
		for _, s := range v.descendants(SNOMED, code) {
			via := ""
			if s != code {
				via = v.name(SNOMED, s) + " is a " + v.name(SNOMED, code)
				e.add(Target{System: SNOMED, Code: s, Via: via})
			}
			for _, icd := range v.snoICD[s] {
				e.icd(icd, joinVia(via, v.name(SNOMED, s)+" maps to "+v.name(ICD10CM, icd)))
			}
		}
	case ICD10CM:
		e.fromICD(code)
	case RXNORM:
		e.ingredient(code, "")
	case ATC:
		for _, in := range v.sortedKeys(v.atcOf) {
			if atc := v.atcOf[in]; strings.HasPrefix(atc, code) {
				via := v.name(RXNORM, in) + " is classified ATC " + atc
				e.add(Target{System: RXNORM, Code: in, Via: via})
				e.ingredient(in, via)
			}
		}
	}
	sort.Slice(e.out, func(i, j int) bool {
		a, b := e.out[i], e.out[j]
		if a.System != b.System {
			return a.System < b.System
		}
		return a.Code < b.Code
	})
	return e.out
}

type expansion struct {
	v    *Vocab
	seen map[string]bool
	out  []Target
}

func (e *expansion) add(t Target) {
	k := t.System + "|" + t.Code
	if t.Desc {
		k += "|d"
	}
	if e.seen[k] || len(e.out) >= maxTargets {
		return
	}
	e.seen[k] = true
	e.out = append(e.out, t)
}

func joinVia(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// name is "SYSTEM code display" (display when known).
func (v *Vocab) name(system, code string) string {
	s := system + " " + code
	if c, ok := v.concepts[key(system, code)]; ok {
		s += " " + c.Display
	}
	return s
}

func (v *Vocab) sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// descendants returns code and every code below it in its system's table
// (breadth first, each once).
func (v *Vocab) descendants(system, code string) []string {
	out := []string{code}
	seen := map[string]bool{code: true}
	for i := 0; i < len(out) && len(out) < maxTargets; i++ {
		for _, c := range v.children[key(system, out[i])] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// icd adds an ICD-10-CM target: a range becomes its categories.
func (e *expansion) icd(code, via string) {
	if strings.Contains(code, "-") {
		e.icdRange(code, via)
		return
	}
	e.add(Target{System: ICD10CM, Code: code, Desc: true, Via: via})
}

// icdRange adds every possible category (letter, digit, digit or letter)
// between the range's ends, inclusive; ICD-10-CM orders C49 < C4A < C50
// as ASCII does.
func (e *expansion) icdRange(r, via string) {
	lo, hi, ok := strings.Cut(r, "-")
	if !ok || len(lo) != 3 || len(hi) != 3 {
		e.add(Target{System: ICD10CM, Code: r, Desc: true, Via: via})
		return
	}
	const second = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for l := lo[0]; l <= hi[0]; l++ {
		for d := byte('0'); d <= '9'; d++ {
			for i := 0; i < len(second); i++ {
				c := string([]byte{l, d, second[i]})
				if c >= lo && c <= hi {
					e.add(Target{System: ICD10CM, Code: c, Desc: true, Via: via})
				}
			}
		}
	}
}

// inICD reports whether ICD-10-CM code t lies under query q (a prefix, or
// a range holding t's category).
func inICD(t, q string) bool {
	if lo, hi, ok := strings.Cut(q, "-"); ok {
		if strings.Contains(t, "-") {
			tlo, thi, _ := strings.Cut(t, "-")
			return tlo >= lo && thi <= hi
		}
		return len(t) >= 3 && t[:3] >= lo && t[:3] <= hi
	}
	return !strings.Contains(t, "-") && strings.HasPrefix(t, q)
}

// fromICD adds the SNOMED concepts (and their SNOMED descendants) mapped
// to a code under q, and the OncoTree nodes mapped to a category under q.
func (e *expansion) fromICD(q string) {
	v := e.v
	for _, c := range v.sorted {
		switch c.System {
		case SNOMED:
			for _, t := range v.snoICD[c.Code] {
				if inICD(t, q) {
					via := v.name(SNOMED, c.Code) + " maps to " + v.name(ICD10CM, t)
					for _, d := range v.descendants(SNOMED, c.Code) {
						dv := via
						if d != c.Code {
							dv = v.name(SNOMED, d) + " is a " + v.name(SNOMED, c.Code) + "; " + via
						}
						e.add(Target{System: SNOMED, Code: d, Via: dv})
					}
				}
			}
		case ONCOTREE:
			for _, t := range v.oncoICD[c.Code] {
				if inICD(t, q) {
					e.add(Target{System: ONCOTREE, Code: c.Code, Desc: true, Via: v.name(ONCOTREE, c.Code) + " maps to " + v.name(ICD10CM, t)})
				}
			}
		}
	}
}

// ingredient adds an RxNorm ingredient's products and ATC code.
func (e *expansion) ingredient(in, via string) {
	v := e.v
	for _, p := range v.products[in] {
		e.add(Target{System: RXNORM, Code: p, Via: joinVia(via, v.name(RXNORM, p)+" contains ingredient "+v.name(RXNORM, in))})
	}
	if atc, ok := v.atcOf[in]; ok {
		e.add(Target{System: ATC, Code: atc, Via: joinVia(via, v.name(RXNORM, in)+" is classified ATC "+atc)})
	}
}

// LabGroup returns the LOINC codes that measure the same test as code
// (code included, sorted) and the group's name; a code in no group is
// alone.
func (v *Vocab) LabGroup(code string) (codes []string, group string) {
	g, ok := v.labGroup[code]
	if !ok {
		return []string{code}, ""
	}
	return v.groups[g], g
}
