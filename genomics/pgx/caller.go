package pgx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/vcf"
	"github.com/rxlab/rxlab/store/errs"
)

// Result is a PgxResult with the details behind it.
type Result struct {
	genomics.PgxResult
	// Diplotypes lists every top-scoring diplotype; more than one means the
	// call is ambiguous (e.g. unphased data or missing positions).
	Diplotypes []string `json:"diplotypes,omitempty"`
	// Note explains a no-call or an ambiguity in plain words.
	Note string `json:"note,omitempty"`
	// CalledPositions is how many allele-defining positions had a genotype.
	CalledPositions int `json:"calledPositions"`
	// DefinitionVersion is the ClinPGx allele-definition version used.
	DefinitionVersion string `json:"definitionVersion"`
}

// Caller calls the supported pharmacogenes. It is read-only after New and
// safe for concurrent use.
type Caller struct {
	cfg   Config
	genes []*geneDef
	index map[siteKey][]locusRef
}

type siteKey struct {
	chrom string // without "chr" prefix
	pos   int64
}

type locusRef struct {
	gene, locus int
}

// Config tunes a Caller. The zero value is PharmCAT's default behaviour
// with the default limits.
type Config struct {
	// AllCandidates reports every diplotype that explains the genotypes,
	// best score first, instead of only the top-scoring ones (PharmCAT's
	// "-ma"/all-matches mode; its unit tests run this way).
	AllCandidates bool
	// MaxSamples bounds the samples one Call calls (every sample of the
	// file when no sample is named); 0 means DefaultMaxSamples. A file
	// with more is refused after its header, before any record is read,
	// with a *genomics.LimitError naming MaxSamples.
	MaxSamples int
	// VCF bounds the files Call reads (zero fields: vcf.DefaultLimits).
	VCF vcf.Limits
}

// DefaultMaxSamples is the default of Config.MaxSamples: a call's memory
// and work grow with samples × allele-defining positions (about 60,000
// samples took more than 4 GB).
const DefaultMaxSamples = 1000

// New loads the embedded allele definitions and phenotype tables with the
// default Config.
func New() (*Caller, error) { return NewWithConfig(Config{}) }

// NewWithConfig is New with explicit configuration.
func NewWithConfig(cfg Config) (*Caller, error) {
	if cfg.MaxSamples < 0 {
		return nil, fmt.Errorf("pgx: MaxSamples must not be negative: %w", errs.Invalid)
	}
	if cfg.MaxSamples == 0 {
		cfg.MaxSamples = DefaultMaxSamples
	}
	c := &Caller{cfg: cfg, index: map[siteKey][]locusRef{}}
	for gi, name := range supportedGenes {
		g, err := loadGene(name)
		if err != nil {
			return nil, err
		}
		c.genes = append(c.genes, g)
		for li, l := range g.loci {
			k := siteKey{normChrom(l.chrom), l.pos}
			c.index[k] = append(c.index[k], locusRef{gi, li})
		}
	}
	return c, nil
}

func normChrom(s string) string {
	if len(s) > 3 && (s[:3] == "chr" || s[:3] == "CHR" || s[:3] == "Chr") {
		return s[3:]
	}
	return s
}

// CheckHeader rejects VCFs whose header declares a genome build other than
// GRCh38: the allele definitions use GRCh38 coordinates, so positions of
// another build would be matched by coincidence. Headers that do not say
// their build are accepted.
func (c *Caller) CheckHeader(h *vcf.Header) error {
	if a := h.Assembly(); a != "" && a != "GRCh38" {
		return fmt.Errorf("pgx: the VCF is %s; pharmacogene calling needs GRCh38 coordinates: %w", a, errs.Invalid)
	}
	return nil
}

// Wants reports whether chrom:pos is an allele-defining position of a
// supported gene (so a streaming caller can skip other records cheaply).
func (c *Caller) Wants(chrom string, pos int64) bool {
	_, ok := c.index[siteKey{normChrom(chrom), pos}]
	return ok
}

// GeneAt returns the gene whose allele-defining position chrom:pos is, or "".
func (c *Caller) GeneAt(chrom string, pos int64) string {
	refs := c.index[siteKey{normChrom(chrom), pos}]
	if len(refs) == 0 {
		return ""
	}
	return c.genes[refs[0].gene].gene
}

// Collector accumulates the genotypes of selected samples at PGx positions
// while a VCF streams by; memory is proportional to samples × positions.
type Collector struct {
	c       *Caller
	samples []string // names of collected samples
	cols    []int    // their column indexes in the VCF
	obs     [][]obs  // gene -> locus*len(samples)+s
	covered []bool   // gene has at least one position in the file
}

// NewCollector prepares collection for the given samples; cols are the
// samples' column indexes in the VCF (Header.SampleIndex).
func (c *Caller) NewCollector(samples []string, cols []int) (*Collector, error) {
	if len(samples) != len(cols) {
		return nil, fmt.Errorf("pgx: %d sample names for %d columns: %w", len(samples), len(cols), errs.Invalid)
	}
	k := &Collector{c: c, samples: samples, cols: cols, covered: make([]bool, len(c.genes))}
	k.obs = make([][]obs, len(c.genes))
	for gi, g := range c.genes {
		k.obs[gi] = make([]obs, len(g.loci)*len(samples))
	}
	return k, nil
}

// Add records one VCF record. gts, when non-nil, must be the decoded
// genotypes of all samples of rec (Record.Genotypes); otherwise Add decodes
// the collected samples itself. Records at other positions are ignored.
func (k *Collector) Add(rec *vcf.Record, gts []vcf.Genotype) error {
	refs := k.c.index[siteKey{normChrom(rec.Chrom), rec.Pos}]
	if len(refs) == 0 {
		return nil
	}
	for _, lr := range refs {
		g := k.c.genes[lr.gene]
		l := &g.loci[lr.locus]
		k.covered[lr.gene] = true
		amap := mapAlleles(l, rec)
		for s, col := range k.cols {
			var gt vcf.Genotype
			if gts != nil {
				if col >= len(gts) {
					return fmt.Errorf("pgx: genotype slice too short: %w", errs.Invalid)
				}
				gt = gts[col]
			} else {
				var err error
				if gt, err = rec.Genotype(col); err != nil {
					return err
				}
			}
			slot := &k.obs[lr.gene][lr.locus*len(k.samples)+s]
			o := toObs(gt, amap)
			if slot.set {
				// A second record for the same position (split multi-allelic):
				// keep the first one that carries an ALT call.
				if hasAlt(*slot) || !hasAlt(o) {
					continue
				}
			}
			*slot = o
		}
	}
	return nil
}

func hasAlt(o obs) bool {
	for i := 0; i < int(o.ploidy) && i < 2; i++ {
		if o.a[i] != 0 && o.a[i] != obsMissing {
			return true
		}
	}
	return false
}

// mapAlleles maps the record's allele indexes to the locus's (0 = ref,
// 1.. = locus alts, obsUndocumented otherwise), comparing trimmed alleles so
// that different anchor-base representations agree.
func mapAlleles(l *locus, rec *vcf.Record) []int8 {
	m := make([]int8, len(rec.Alt)+1)
	for j, alt := range rec.Alt {
		m[j+1] = obsUndocumented
		p, r, a := vcf.Trim(rec.Pos, rec.Ref, alt)
		for i, la := range l.alts {
			lp, lr, laa := vcf.Trim(l.pos, l.ref, la)
			if p == lp && strings.EqualFold(r, lr) && strings.EqualFold(a, laa) {
				m[j+1] = int8(i + 1)
				break
			}
		}
	}
	return m
}

func toObs(gt vcf.Genotype, amap []int8) obs {
	o := obs{set: true, ploidy: uint8(min(gt.Ploidy(), 2)), phased: gt.Phased()}
	for i := 0; i < int(o.ploidy); i++ {
		a := gt.Allele(i)
		switch {
		case a < 0:
			o.a[i] = obsMissing
		case a < len(amap):
			o.a[i] = amap[a]
		default:
			o.a[i] = obsUndocumented
		}
	}
	return o
}

// Covered reports whether the file had at least one allele-defining position
// of gene.
func (k *Collector) Covered(gene string) bool {
	for gi, g := range k.c.genes {
		if g.gene == gene {
			return k.covered[gi]
		}
	}
	return false
}

// Results calls every supported gene for every collected sample, samples in
// collection order and genes in SupportedGenes order.
func (k *Collector) Results() []Result {
	out, _ := k.ResultsContext(context.Background())
	return out
}

// ResultsContext is Results stopping with ctx's error once ctx is done
// (checked before each sample).
func (k *Collector) ResultsContext(ctx context.Context) ([]Result, error) {
	out := make([]Result, 0, len(k.samples)*len(k.c.genes))
	for s, name := range k.samples {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for gi, g := range k.c.genes {
			o := make([]obs, len(g.loci))
			for li := range g.loci {
				o[li] = k.obs[gi][li*len(k.samples)+s]
			}
			out = append(out, g.call(name, o, k.c.cfg.AllCandidates))
		}
	}
	return out, nil
}

// call produces the result for one gene and sample.
func (g *geneDef) call(sample string, o []obs, allCandidates bool) Result {
	r := Result{PgxResult: genomics.PgxResult{Gene: g.gene, Sample: sample, MissingPositions: []string{}},
		DefinitionVersion: g.version}
	called, missing, note := g.prepare(o)
	if missing != nil {
		r.MissingPositions = missing
	}
	r.CalledPositions = len(called)
	if note != "" {
		r.Note = "not called: " + note
		return r
	}
	if len(called) == 0 {
		r.Note = "not called: no allele-defining position in the VCF"
		return r
	}
	if lowestFunction[g.gene] {
		lc := g.callLowest(called)
		if !lc.ok {
			r.Note = "not called: a variant allele matches no named allele"
			return r
		}
		g.finishLowest(&r, lc)
		return r
	}
	hs := g.haps(called, len(missing) > 0)
	top := g.callDiplotypes(called, hs, allCandidates)
	if len(top) == 0 {
		r.Note = "not called: no combination of named alleles explains the genotypes"
		return r
	}
	phenos := map[string]bool{}
	scores := map[string]bool{}
	for _, p := range top {
		r.Diplotypes = append(r.Diplotypes, joinPair(p))
		e, ok := g.lookup(p[0], p[1])
		if !ok {
			e = phenoEntry{phenotype: "Indeterminate"}
		}
		phenos[g.displayPhenotype(e.phenotype)] = true
		scores[e.activity] = true
	}
	r.Diplotype = strings.Join(r.Diplotypes, " or ")
	if len(top) > 1 {
		if allCandidates {
			r.Note = fmt.Sprintf("%d candidate diplotypes, best first", len(top))
		} else {
			r.Note = fmt.Sprintf("ambiguous: %d diplotypes fit equally well", len(top))
		}
	}
	if len(phenos) == 1 {
		for p := range phenos {
			r.Phenotype = p
		}
	}
	if len(scores) == 1 {
		for s := range scores {
			r.ActivityScore = s
		}
	}
	return r
}

// displayPhenotype turns VKORC1's "-1639 AG" into the genotype form "G/A".
func (g *geneDef) displayPhenotype(p string) string {
	if g.gene == "VKORC1" && strings.HasPrefix(p, "-1639 ") && len(p) == 8 {
		a, b := p[6], p[7]
		// Reference base G first, as in "G/A".
		if a == 'A' && b == 'G' {
			a, b = 'G', 'A'
		}
		return string([]byte{a, '/', b})
	}
	return p
}

func (g *geneDef) finishLowest(r *Result, lc *lowestCall) {
	r.Diplotype = lc.h1 + "/" + lc.h2
	r.Diplotypes = []string{r.Diplotype}
	n1, n2 := g.lowestName(lc.h1), g.lowestName(lc.h2)
	if e, ok := g.lookup(n1, n2); ok {
		r.Phenotype, r.ActivityScore = e.phenotype, e.activity
		return
	}
	score := fmtScore(lc.a1 + lc.a2)
	r.ActivityScore = score
	r.Phenotype = g.byScore[score]
}

// Call reads a VCF (plain, gzip or bgzip) and returns one result per
// supported gene for the named sample, or for every sample when sample is "".
func (c *Caller) Call(ctx context.Context, r io.Reader, sample string) ([]genomics.PgxResult, error) {
	res, err := c.CallDetailed(ctx, r, sample)
	if err != nil {
		return nil, err
	}
	out := make([]genomics.PgxResult, len(res))
	for i := range res {
		out[i] = res[i].PgxResult
	}
	return out, nil
}

// CallDetailed is Call returning the ambiguity details as well. The VCF is
// read within Config.VCF's limits, at most Config.MaxSamples samples are
// called, and the work stops with ctx's error once ctx is done (the client
// left, or the deadline passed).
func (c *Caller) CallDetailed(ctx context.Context, r io.Reader, sample string) ([]Result, error) {
	vr, err := vcf.NewReaderContext(ctx, r, c.cfg.VCF)
	if err != nil {
		return nil, err
	}
	defer vr.Close()
	h := vr.Header()
	if err := c.CheckHeader(h); err != nil {
		return nil, err
	}
	var names []string
	var cols []int
	if sample == "" {
		if len(h.Samples) > c.cfg.MaxSamples {
			return nil, &genomics.LimitError{Source: "pgx", Limit: "MaxSamples", Max: int64(c.cfg.MaxSamples),
				What: "samples in one call; name one with sample, or split the file"}
		}
		names = h.Samples
		for i := range names {
			cols = append(cols, i)
		}
	} else {
		i := h.SampleIndex(sample)
		if i < 0 {
			return nil, fmt.Errorf("pgx: sample not found in the VCF header: %w", errs.Invalid)
		}
		names, cols = []string{sample}, []int{i}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("pgx: the VCF has no sample columns: %w", errs.Invalid)
	}
	k, err := c.NewCollector(names, cols)
	if err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := vr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := k.Add(rec, nil); err != nil {
			return nil, err
		}
	}
	return k.ResultsContext(ctx)
}
