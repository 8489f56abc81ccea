package vocab

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/rxlab/rxlab/store/errs"
)

// The coding systems the vocabulary knows (the cohorts criteria spell them
// the same way).
const (
	ICD10CM  = "ICD10CM"
	SNOMED   = "SNOMED"
	RXNORM   = "RXNORM"
	ATC      = "ATC"
	LOINC    = "LOINC"
	ONCOTREE = "ONCOTREE"
)

//go:embed data/*.tsv
var dataFS embed.FS

// Concept is one code of one system with its display name and its parents
// in the same system (an RxNorm product's parents are its ingredients).
type Concept struct {
	System  string
	Code    string
	Display string
	Kind    string // ICD-10-CM chapter/section/category/code; RxNorm TTY (IN, SCD…); LOINC group
	Parents []string
	// Synonyms are other names search matches (brand names, spellings).
	Synonyms []string

	text string // lower-case display and synonyms, what search matches (set once by link)
}

// Config configures a Vocab.
type Config struct {
	// Data holds the tables (icd10cm.tsv, snomed.tsv, loinc.tsv,
	// rxnorm.tsv, oncotree.tsv) at its root; nil means the vendored copy
	// under data/ (see data/SOURCE.md).
	Data fs.FS
}

// Vocab is a read-only vocabulary: concepts, their hierarchy and the
// mappings between systems. It is safe for concurrent use.
type Vocab struct {
	concepts map[string]*Concept // key(system, code)
	children map[string][]string // key(system, code) → child codes, same system
	sorted   []*Concept          // every concept, by system then code (search order)

	products  map[string][]string // RxNorm ingredient → products containing it
	atcOf     map[string]string   // RxNorm ingredient → ATC code
	snoICD    map[string][]string // SNOMED → ICD-10-CM targets (no dots; may be ranges)
	oncoICD   map[string][]string // OncoTree → ICD-10-CM categories
	oncoSNO   map[string][]string // OncoTree → SNOMED
	labGroup  map[string]string   // LOINC → group name
	groups    map[string][]string // group → LOINC codes, sorted
	oncoTis   map[string]string   // OncoTree code → tissue (top node below TISSUE)
	oncoOrder []string            // OncoTree codes in file order
}

func key(system, code string) string { return system + "|" + code }

// New loads a vocabulary from cfg.Data (or the vendored tables). Errors
// name the table and line.
func New(cfg Config) (*Vocab, error) {
	src := cfg.Data
	if src == nil {
		sub, err := fs.Sub(dataFS, "data")
		if err != nil {
			return nil, err
		}
		src = sub
	}
	v := &Vocab{concepts: map[string]*Concept{}, children: map[string][]string{},
		products: map[string][]string{}, atcOf: map[string]string{}, snoICD: map[string][]string{},
		oncoICD: map[string][]string{}, oncoSNO: map[string][]string{}, labGroup: map[string]string{},
		groups: map[string][]string{}, oncoTis: map[string]string{}}
	loaders := []struct {
		file string
		cols int
		fn   func(f []string) error
	}{
		{"icd10cm.tsv", 3, v.addICD},
		{"snomed.tsv", 4, v.addSNOMED},
		{"loinc.tsv", 4, v.addLOINC},
		{"rxnorm.tsv", 6, v.addRxNorm},
		{"oncotree.tsv", 7, v.addOnco},
	}
	for _, l := range loaders {
		b, err := fs.ReadFile(src, l.file)
		if err != nil {
			return nil, fmt.Errorf("vocab: %s: %w", l.file, err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Split(line, "\t")
			if len(f) != l.cols {
				return nil, fmt.Errorf("vocab: %s line %d: %d columns, want %d: %w", l.file, i+1, len(f), l.cols, errs.Invalid)
			}
			if err := l.fn(f); err != nil {
				return nil, fmt.Errorf("vocab: %s line %d: %v: %w", l.file, i+1, err, errs.Invalid)
			}
		}
	}
	if err := v.link(); err != nil {
		return nil, err
	}
	return v, nil
}

func splitList(s, sep string) []string {
	var out []string
	for _, x := range strings.Split(s, sep) {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (v *Vocab) put(c *Concept) error {
	if c.Code == "" || c.Display == "" {
		return fmt.Errorf("empty code or display")
	}
	k := key(c.System, c.Code)
	if _, dup := v.concepts[k]; dup {
		return fmt.Errorf("duplicate %s %s", c.System, c.Code)
	}
	v.concepts[k] = c
	return nil
}

func icdKind(code, parent string) string {
	switch {
	case parent == "-":
		return "chapter"
	case strings.Contains(code, "-"):
		return "section"
	case len(code) == 3:
		return "category"
	}
	return "code"
}

func (v *Vocab) addICD(f []string) error {
	c := &Concept{System: ICD10CM, Code: f[0], Display: f[1], Kind: icdKind(f[0], f[2])}
	if f[2] != "-" {
		c.Parents = []string{f[2]}
	}
	return v.put(c)
}

func (v *Vocab) addSNOMED(f []string) error {
	c := &Concept{System: SNOMED, Code: f[0], Display: f[1], Parents: splitList(f[2], ",")}
	v.snoICD[f[0]] = splitList(f[3], ",")
	return v.put(c)
}

func (v *Vocab) addLOINC(f []string) error {
	c := &Concept{System: LOINC, Code: f[0], Display: f[1], Kind: f[2]}
	if f[2] != "" {
		v.labGroup[f[0]] = f[2]
		v.groups[f[2]] = append(v.groups[f[2]], f[0])
	}
	return v.put(c)
}

func (v *Vocab) addRxNorm(f []string) error {
	c := &Concept{System: RXNORM, Code: f[0], Display: f[1], Kind: f[2], Parents: splitList(f[3], ","),
		Synonyms: splitList(f[5], "|")}
	if f[4] != "" {
		v.atcOf[f[0]] = f[4]
	}
	for _, in := range c.Parents {
		v.products[in] = append(v.products[in], f[0])
	}
	return v.put(c)
}

func (v *Vocab) addOnco(f []string) error {
	c := &Concept{System: ONCOTREE, Code: f[0], Display: f[1], Kind: "tumor type", Synonyms: splitList(f[6], "|")}
	if f[2] != "" {
		c.Parents = []string{f[2]}
	}
	v.oncoTis[f[0]] = f[3]
	v.oncoICD[f[0]] = splitList(f[4], ",")
	v.oncoSNO[f[0]] = splitList(f[5], ",")
	v.oncoOrder = append(v.oncoOrder, f[0])
	return v.put(c)
}

// link checks every parent exists and builds the child lists and the
// search order.
func (v *Vocab) link() error {
	for _, c := range v.concepts {
		for _, p := range c.Parents {
			if _, ok := v.concepts[key(c.System, p)]; !ok {
				return fmt.Errorf("vocab: %s %s: parent %s is not in the table: %w", c.System, c.Code, p, errs.Invalid)
			}
			v.children[key(c.System, p)] = append(v.children[key(c.System, p)], c.Code)
		}
		c.text = strings.ToLower(c.Display + " " + strings.Join(c.Synonyms, " "))
		v.sorted = append(v.sorted, c)
	}
	for _, l := range v.children {
		sort.Strings(l)
	}
	for _, l := range v.products {
		sort.Strings(l)
	}
	for _, l := range v.groups {
		sort.Strings(l)
	}
	sort.Slice(v.sorted, func(i, j int) bool {
		a, b := v.sorted[i], v.sorted[j]
		if a.System != b.System {
			return a.System < b.System
		}
		return a.Code < b.Code
	})
	return nil
}

// Lookup returns the concept of a system and code (ICD-10-CM without dots).
func (v *Vocab) Lookup(system, code string) (*Concept, bool) {
	c, ok := v.concepts[key(system, code)]
	return c, ok
}

// Parents returns the parent concepts of a code in its system.
func (v *Vocab) Parents(system, code string) []*Concept {
	c, ok := v.concepts[key(system, code)]
	if !ok {
		return nil
	}
	sys := system
	out := make([]*Concept, 0, len(c.Parents))
	for _, p := range c.Parents {
		if pc, ok := v.concepts[key(sys, p)]; ok {
			out = append(out, pc)
		}
	}
	return out
}

// Children returns the codes directly below a code in its system's table.
func (v *Vocab) Children(system, code string) []string { return v.children[key(system, code)] }

// Size returns how many concepts each system holds.
func (v *Vocab) Size() map[string]int {
	out := map[string]int{}
	for _, c := range v.concepts {
		out[c.System]++
	}
	return out
}
