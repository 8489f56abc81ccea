package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/hgvs"
	"github.com/rxlab/rxlab/genomics/maf"
	"github.com/rxlab/rxlab/genomics/pgx"
	"github.com/rxlab/rxlab/genomics/vcf"
	"github.com/rxlab/rxlab/store/errs"
)

// Config configures an Extractor.
type Config struct {
	// DisablePGx skips pharmacogenomic calling.
	DisablePGx bool
	// PGx is the caller to use; nil means pgx.New().
	PGx *pgx.Caller
	// VCF bounds the VCF files read (header lines and bytes, line length,
	// samples, records, decompression ratio); zero fields take
	// vcf.DefaultLimits.
	VCF vcf.Limits
}

// Extractor streams VCF and MAF files into variants. It is safe for
// concurrent use once built.
type Extractor struct {
	pgx *pgx.Caller
	vcf vcf.Limits
}

// New builds an Extractor.
func New(cfg Config) (*Extractor, error) {
	e := &Extractor{pgx: cfg.PGx, vcf: cfg.VCF}
	if !cfg.DisablePGx && e.pgx == nil {
		c, err := pgx.New()
		if err != nil {
			return nil, err
		}
		e.pgx = c
	}
	if cfg.DisablePGx {
		e.pgx = nil
	}
	return e, nil
}

// VCFOptions selects the sample and origin of a VCF import.
type VCFOptions struct {
	// Sample is the sample column to import; "" means the only sample, or
	// the first when there are several (VCFSummary.Sample says which).
	Sample string
	Origin genomics.Origin
}

// VCFSummary describes a finished VCF extraction.
type VCFSummary struct {
	Sample      string
	Compression vcf.Compression
	Records     int // data lines read
	Variants    int // variants passed to the callback
	// TestedGenes are the genes the file covers for this sample (sorted):
	// every gene named by an ANN/CSQ annotation on a record where the sample
	// has a called genotype, and every PGx gene with at least one called
	// allele-defining position.
	TestedGenes []string
	// PGx holds one result per supported gene (nil when PGx is disabled or
	// skipped).
	PGx []pgx.Result
	// PGxSkipped says why PGx calling was skipped for this file (e.g. the
	// header declares GRCh37); empty otherwise.
	PGxSkipped string
}

// VCF streams r, calling fn for every non-reference allele the sample
// carries. A malformed line stops the extraction with a *vcf.ParseError
// naming the line; variants already passed to fn stay passed. fn may
// return an error to stop.
func (e *Extractor) VCF(ctx context.Context, r io.Reader, opt VCFOptions, fn func(genomics.Variant) error) (*VCFSummary, error) {
	if opt.Origin != genomics.Germline && opt.Origin != genomics.Somatic {
		return nil, fmt.Errorf("ingest: origin must be GERMLINE or SOMATIC: %w", errs.Invalid)
	}
	vr, err := vcf.NewReaderContext(ctx, r, e.vcf)
	if err != nil {
		return nil, err
	}
	defer vr.Close()
	h := vr.Header()
	if len(h.Samples) == 0 {
		return nil, fmt.Errorf("ingest: the VCF has no sample columns: %w", errs.Invalid)
	}
	col := 0
	if opt.Sample != "" {
		if col = h.SampleIndex(opt.Sample); col < 0 {
			return nil, fmt.Errorf("ingest: sample not found in the VCF header: %w", errs.Invalid)
		}
	}
	sum := &VCFSummary{Sample: h.Samples[col], Compression: vr.Compression()}
	var coll *pgx.Collector
	caller := e.pgx
	if caller != nil {
		if err := caller.CheckHeader(h); err != nil {
			sum.PGxSkipped = err.Error()
			caller = nil
		}
	}
	if caller != nil {
		if coll, err = caller.NewCollector([]string{sum.Sample}, []int{col}); err != nil {
			return nil, err
		}
	}
	tested := map[string]bool{}
	var anns []vcf.Annotation
	for {
		if sum.Records&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
		}
		rec, err := vr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, err
		}
		sum.Records++
		gt, err := rec.Genotype(col)
		if err != nil {
			return sum, err
		}
		if coll != nil && caller.Wants(rec.Chrom, rec.Pos) {
			if err := coll.Add(rec, nil); err != nil {
				return sum, err
			}
			if !gt.IsMissing() {
				tested[caller.GeneAt(rec.Chrom, rec.Pos)] = true
			}
		}
		if gt.IsMissing() {
			continue
		}
		anns = rec.Annotations(anns[:0])
		for i := range anns {
			if anns[i].Gene != "" {
				tested[anns[i].Gene] = true
			}
		}
		for a := 1; a <= len(rec.Alt); a++ {
			n := gt.Count(a)
			if n == 0 || vcf.IsSymbolic(rec.Alt[a-1]) {
				continue
			}
			pos, ref, alt := vcf.Trim(rec.Pos, rec.Ref, rec.Alt[a-1])
			v := genomics.Variant{Chrom: rec.Chrom, Pos: pos, Ref: ref, Alt: alt, Origin: opt.Origin,
				Zygosity: zygosity(gt, n)}
			if an, ok := vcf.BestAnnotation(anns, a); ok {
				v.Gene = an.Gene
				if an.HGVSp != "" {
					if p, err := hgvs.Normalize(an.HGVSp); err == nil {
						v.ProteinChange = p
					}
				}
				v.Class = hgvs.ClassOf(strings.Join(an.Consequences, "&"), an.HGVSp)
			} else if caller != nil {
				v.Gene = caller.GeneAt(rec.Chrom, rec.Pos)
			}
			if err := fn(v); err != nil {
				return sum, err
			}
			sum.Variants++
		}
	}
	delete(tested, "")
	for g := range tested {
		sum.TestedGenes = append(sum.TestedGenes, g)
	}
	sort.Strings(sum.TestedGenes)
	if coll != nil {
		sum.PGx = coll.Results()
	}
	return sum, nil
}

// zygosity names the genotype state of an allele carried n times.
func zygosity(gt vcf.Genotype, n int) string {
	switch {
	case gt.Ploidy() == 1:
		return "hemizygous"
	case n == gt.Ploidy():
		return "homozygous"
	default:
		return "heterozygous"
	}
}

// MAFSummary describes a finished MAF extraction.
type MAFSummary struct {
	Rows int
	// Genes maps each Tumor_Sample_Barcode to the genes it has rows for
	// (sorted). A MAF lists mutations only, so it cannot tell which other
	// genes were sequenced: callers need the assay's panel for that.
	Genes map[string][]string
}

// MAF streams a MAF, calling fn with the tumour sample barcode and the
// variant of every row. A malformed row stops with a *maf.ParseError naming
// the line.
func (e *Extractor) MAF(ctx context.Context, r io.Reader, origin genomics.Origin, fn func(sample string, v genomics.Variant) error) (*MAFSummary, error) {
	if origin != genomics.Germline && origin != genomics.Somatic {
		return nil, fmt.Errorf("ingest: origin must be GERMLINE or SOMATIC: %w", errs.Invalid)
	}
	mr, err := maf.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer mr.Close()
	sum := &MAFSummary{Genes: map[string][]string{}}
	genes := map[string]map[string]bool{}
	for {
		if sum.Rows&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
		}
		rec, err := mr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, err
		}
		sum.Rows++
		if genes[rec.Sample] == nil {
			genes[rec.Sample] = map[string]bool{}
		}
		if rec.Gene != "" && rec.Gene != "Unknown" {
			genes[rec.Sample][rec.Gene] = true
		}
		if err := fn(rec.Sample, rec.Variant(origin)); err != nil {
			return sum, err
		}
	}
	for s, set := range genes {
		list := make([]string, 0, len(set))
		for g := range set {
			list = append(list, g)
		}
		sort.Strings(list)
		sum.Genes[s] = list
	}
	return sum, nil
}
