package cohorts

import (
	"strings"

	"github.com/rxlab/rxlab/cohorts/vocab"
)

// oncoNode is one OncoTree tumour type.
type oncoNode struct {
	code, name, parent string
	liquid             bool
}

// oncotree is the read-only OncoTree (the full tree vendored in package
// vocab, see cohorts/vocab/data/SOURCE.md), with the derivation tables
// from ICD-10-CM and SNOMED CT to OncoTree codes.
type oncotree struct {
	byCode map[string]*oncoNode
	byName map[string]*oncoNode
	icd10  map[string]string // ICD-10-CM category or code (no dot) → OncoTree code
	snomed map[string]string // SNOMED CT concept → OncoTree code
}

// liquidTissues are the OncoTree tissues whose tumours MatchMiner's
// _LIQUID_ meta-type covers (HEMATOPOIETIC; LYMPH and MYELOID were tissues
// in older trees); every other tissue is _SOLID_.
var liquidTissues = map[string]bool{"HEMATOPOIETIC": true, "LYMPH": true, "MYELOID": true}

// The meta-types of CTML's oncotree_primary_diagnosis.
const (
	oncoSolid  = "_SOLID_"
	oncoLiquid = "_LIQUID_"
)

var onco = loadOncotree(vocabulary.OncoTree())

func loadOncotree(nodes []vocab.OncoNode) *oncotree {
	t := &oncotree{byCode: map[string]*oncoNode{}, byName: map[string]*oncoNode{}, icd10: map[string]string{}, snomed: map[string]string{}}
	for _, v := range nodes {
		n := &oncoNode{code: v.Code, name: v.Name, parent: v.Parent,
			liquid: liquidTissues[v.Tissue] || liquidTissues[v.Code]}
		t.byCode[n.code] = n
		for _, name := range append([]string{n.name}, v.Aliases...) {
			if _, dup := t.byName[strings.ToLower(name)]; !dup {
				t.byName[strings.ToLower(name)] = n
			}
		}
		for _, c := range v.ICD10 {
			t.icd10[c] = n.code
		}
		for _, c := range v.SNOMED {
			t.snomed[c] = n.code
		}
	}
	return t
}

// lookup finds a node by code or name (case-insensitive).
func (t *oncotree) lookup(s string) (*oncoNode, bool) {
	s = strings.TrimSpace(s)
	if n, ok := t.byCode[strings.ToUpper(s)]; ok {
		return n, true
	}
	n, ok := t.byName[strings.ToLower(s)]
	return n, ok
}

// ancestors returns code, its ancestors up to the tissue, and the meta-type
// (_SOLID_ or _LIQUID_). An unknown code returns only itself.
func (t *oncotree) ancestors(code string) []string {
	n, ok := t.byCode[code]
	if !ok {
		return []string{code}
	}
	out := []string{}
	liquid := n.liquid
	for n != nil {
		out = append(out, n.code)
		n = t.byCode[n.parent]
	}
	if liquid {
		out = append(out, oncoLiquid)
	} else {
		out = append(out, oncoSolid)
	}
	return out
}

// isDescendant reports whether code is anc or below it.
func (t *oncotree) isDescendant(code, anc string) bool {
	for _, a := range t.ancestors(code) {
		if a == anc {
			return true
		}
	}
	return false
}

// oncoCode returns the OncoTree code for a diagnosis given as a code or a
// name; an unknown diagnosis becomes its upper-cased name.
func (t *oncotree) oncoCode(s string) string {
	if n, ok := t.lookup(s); ok {
		return n.code
	}
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == oncoSolid || u == oncoLiquid {
		return u
	}
	return u
}

// derive returns the OncoTree code implied by an ICD-10-CM or SNOMED CT
// diagnosis, if the mapping knows one.
func (t *oncotree) derive(system, code string) (string, bool) {
	switch system {
	case SysSNOMED:
		c, ok := t.snomed[code]
		return c, ok
	case SysICD10:
		for l := len(code); l >= 3; l-- {
			if c, ok := t.icd10[code[:l]]; ok {
				return c, true
			}
		}
	}
	return "", false
}
