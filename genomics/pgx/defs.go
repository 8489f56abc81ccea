package pgx

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

//go:embed data/*.json
var dataFS embed.FS

// supportedGenes lists the genes this package calls, in report order.
var supportedGenes = []string{"CYP2C9", "CYP2C19", "VKORC1", "DPYD", "TPMT", "NUDT15", "SLCO1B1"}

// treatUndocumentedAsRef are the genes whose unexpected ALT alleles are read
// as reference (PharmCAT's list, restricted to our genes).
var treatUndocumentedAsRef = map[string]bool{"DPYD": true, "TPMT": true, "NUDT15": true}

// lowestFunction are the genes called with the lowest-function rule.
var lowestFunction = map[string]bool{"DPYD": true}

type jsonTranslation struct {
	Gene       string `json:"gene"`
	Chromosome string `json:"chromosome"`
	Version    string `json:"version"`
	Variants   []struct {
		Chromosome string   `json:"chromosome"`
		Position   int64    `json:"position"`
		RSID       *string  `json:"rsid"`
		Ref        string   `json:"ref"`
		Alts       []string `json:"alts"`
	} `json:"variants"`
	NamedAlleles []struct {
		Name      string    `json:"name"`
		Alleles   []*string `json:"alleles"`
		Reference bool      `json:"reference"`
	} `json:"namedAlleles"`
}

type jsonPhenotype struct {
	Gene         string `json:"gene"`
	Version      string `json:"version"`
	NamedAlleles []struct {
		Name          string  `json:"name"`
		ActivityValue *string `json:"activityValue"`
		FunctionValue *string `json:"functionValue"`
	} `json:"namedAlleles"`
	Diplotypes []struct {
		GeneResult    *string        `json:"generesult"`
		Diplotype     string         `json:"diplotype"`
		DiplotypeKey  map[string]int `json:"diplotypekey"`
		ActivityScore *string        `json:"activityScore"`
		Phenotype     *string        `json:"phenotype"`
	} `json:"diplotypes"`
}

// locus is one allele-defining position.
type locus struct {
	chrom string // as in the definition ("chr10")
	pos   int64
	rsid  string
	ref   string
	alts  []string
}

// label formats a locus for MissingPositions.
func (l locus) label() string {
	if l.rsid != "" {
		return fmt.Sprintf("%s:%d (%s)", l.chrom, l.pos, l.rsid)
	}
	return fmt.Sprintf("%s:%d", l.chrom, l.pos)
}

// namedAllele is one haplotype definition; alleles[i] == "" means unspecified.
type namedAllele struct {
	name      string
	alleles   []string
	reference bool
}

type phenoEntry struct {
	phenotype string
	activity  string
}

// geneDef is everything needed to call one gene.
type geneDef struct {
	gene     string
	version  string
	loci     []locus
	alleles  []namedAllele
	refIdx   int
	function map[string]string  // haplotype -> function words
	activity map[string]float64 // haplotype -> activity value, when defined
	hasAct   map[string]bool
	pheno    map[string]phenoEntry // diplotype key -> phenotype
	byScore  map[string]string     // activity score -> phenotype (DPYD fallback)
}

func loadGene(gene string) (*geneDef, error) {
	tb, err := dataFS.ReadFile("data/" + gene + "_translation.json")
	if err != nil {
		return nil, fmt.Errorf("pgx: %s: %w", gene, err)
	}
	var t jsonTranslation
	if err := json.Unmarshal(tb, &t); err != nil {
		return nil, fmt.Errorf("pgx: %s definitions: %w", gene, err)
	}
	pb, err := dataFS.ReadFile("data/" + gene + ".json")
	if err != nil {
		return nil, fmt.Errorf("pgx: %s: %w", gene, err)
	}
	var p jsonPhenotype
	if err := json.Unmarshal(pb, &p); err != nil {
		return nil, fmt.Errorf("pgx: %s phenotypes: %w", gene, err)
	}
	g := &geneDef{gene: gene, version: t.Version, refIdx: -1,
		function: map[string]string{}, activity: map[string]float64{}, hasAct: map[string]bool{},
		pheno: map[string]phenoEntry{}, byScore: map[string]string{}}
	for _, v := range t.Variants {
		l := locus{chrom: v.Chromosome, pos: v.Position, ref: v.Ref, alts: v.Alts}
		if v.RSID != nil {
			l.rsid = *v.RSID
		}
		g.loci = append(g.loci, l)
	}
	for _, na := range t.NamedAlleles {
		if len(na.Alleles) != len(g.loci) {
			return nil, fmt.Errorf("pgx: %s allele %s has %d positions, want %d", gene, na.Name, len(na.Alleles), len(g.loci))
		}
		a := namedAllele{name: na.Name, reference: na.Reference, alleles: make([]string, len(na.Alleles))}
		for i, s := range na.Alleles {
			if s != nil {
				a.alleles[i] = *s
			}
		}
		if a.reference {
			g.refIdx = len(g.alleles)
		}
		g.alleles = append(g.alleles, a)
	}
	if g.refIdx < 0 {
		return nil, fmt.Errorf("pgx: %s has no reference allele", gene)
	}
	for _, na := range p.NamedAlleles {
		if na.FunctionValue != nil {
			g.function[na.Name] = *na.FunctionValue
		}
		if na.ActivityValue != nil {
			if f, err := strconv.ParseFloat(*na.ActivityValue, 64); err == nil {
				g.activity[na.Name] = f
				g.hasAct[na.Name] = true
			}
		}
	}
	for _, d := range p.Diplotypes {
		e := phenoEntry{}
		if d.Phenotype != nil {
			e.phenotype = *d.Phenotype
		} else if d.GeneResult != nil {
			e.phenotype = *d.GeneResult
		}
		if d.ActivityScore != nil {
			e.activity = *d.ActivityScore
			if e.phenotype != "" {
				g.byScore[e.activity] = e.phenotype
			}
		}
		g.pheno[diplotypeKey(d.DiplotypeKey)] = e
	}
	return g, nil
}

// diplotypeKey is an order-free key for a diplotype's haplotype counts.
func diplotypeKey(m map[string]int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s\x00%d\x00", n, m[n])
	}
	return b.String()
}

func pairKey(a, b string) string {
	if a == b {
		return diplotypeKey(map[string]int{a: 2})
	}
	return diplotypeKey(map[string]int{a: 1, b: 1})
}

// lookup returns phenotype and activity score of the diplotype a/b.
func (g *geneDef) lookup(a, b string) (phenoEntry, bool) {
	e, ok := g.pheno[pairKey(a, b)]
	return e, ok
}

// compareHaplotypeNames orders star alleles numerically (*2 < *10 < *10A),
// the reference first and other names alphabetically.
func compareHaplotypeNames(a, b string) int {
	na, ra := starNumber(a)
	nb, rb := starNumber(b)
	switch {
	case na >= 0 && nb >= 0:
		if na != nb {
			return na - nb
		}
		return strings.Compare(ra, rb)
	case na >= 0:
		return -1
	case nb >= 0:
		return 1
	}
	if a == "Reference" {
		return -1
	}
	if b == "Reference" {
		return 1
	}
	return strings.Compare(a, b)
}

func starNumber(s string) (int, string) {
	if !strings.HasPrefix(s, "*") {
		return -1, s
	}
	i := 1
	n := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 1 {
		return -1, s
	}
	return n, s[i:]
}

// SupportedGenes returns the genes this package calls, in report order.
func SupportedGenes() []string { return append([]string(nil), supportedGenes...) }
