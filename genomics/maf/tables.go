package maf

import (
	"io"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/vcf"
)

// Segment is one allele-specific copy-number segment.
type Segment struct {
	Chrom  string
	Start  int64
	End    int64
	NMajor int
	NMinor int
}

// Total is the total copy number nMajor+nMinor.
func (s Segment) Total() int { return s.NMajor + s.NMinor }

// Type classifies the segment against a baseline ploidy (2 for diploid):
// total 0 is a deep Deletion; total >= 2*ploidy+1 (5 on a diploid genome,
// cBioPortal's "high-level gain" convention) is an Amplification. Other
// states (single-copy loss, low gain, LOH) return ok=false.
func (s Segment) Type(ploidy int) (genomics.CNVType, bool) {
	switch {
	case s.Total() == 0:
		return genomics.Deletion, true
	case s.Total() >= 2*ploidy+1:
		return genomics.Amplification, true
	}
	return "", false
}

// GeneInterval locates a gene so that segments can be turned into gene calls.
type GeneInterval struct {
	Gene       string
	Chrom      string
	Start, End int64
}

// GeneCNVs returns the CNV calls of genes that overlap an amplified or
// deleted segment. Chromosome names are compared without a "chr" prefix.
func GeneCNVs(segs []Segment, genes []GeneInterval, ploidy int) []genomics.CNV {
	var out []genomics.CNV
	seen := map[genomics.CNV]bool{}
	for _, g := range genes {
		for _, s := range segs {
			if trimChr(s.Chrom) != trimChr(g.Chrom) || s.End < g.Start || s.Start > g.End {
				continue
			}
			if t, ok := s.Type(ploidy); ok {
				c := genomics.CNV{Gene: g.Gene, Type: t}
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
	}
	return out
}

func trimChr(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "chr") {
		return s[3:]
	}
	return s
}

// tsv reads a header-named tab-separated table.
type tsv struct {
	ls   *lineScanner
	src  io.ReadCloser
	cols map[string]int
}

func newTSV(r io.Reader, required ...string) (*tsv, error) {
	src, _, err := vcf.Decompress(r)
	if err != nil {
		return nil, err
	}
	t := &tsv{ls: newLineScanner(src), src: src, cols: map[string]int{}}
	ok := false
	defer func() {
		if !ok {
			_ = src.Close()
		}
	}()
	for {
		b, err := t.ls.next()
		if err == io.EOF {
			return nil, &ParseError{Line: t.ls.line, Reason: "no header row"}
		}
		if err != nil {
			return nil, err
		}
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		for i, c := range strings.Split(string(b), "\t") {
			t.cols[strings.ToLower(strings.TrimSpace(c))] = i
		}
		break
	}
	for _, c := range required {
		if _, ok := t.cols[strings.ToLower(c)]; !ok {
			return nil, &ParseError{Line: t.ls.line, Column: c, Reason: "required column missing from header"}
		}
	}
	ok = true
	return t, nil
}

func (t *tsv) each(fn func(line int, get func(string) string) error) error {
	defer t.src.Close()
	for {
		b, err := t.ls.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(strings.TrimSpace(string(b))) == 0 || b[0] == '#' {
			continue
		}
		cells := strings.Split(string(b), "\t")
		get := func(c string) string {
			i, ok := t.cols[strings.ToLower(c)]
			if !ok || i >= len(cells) {
				return ""
			}
			return strings.TrimSpace(cells[i])
		}
		if err := fn(t.ls.line, get); err != nil {
			return err
		}
	}
}

// ReadSegments reads a copy-number segment table (Chromosome, Start, End,
// nMajor, nMinor) and calls fn for every segment.
func ReadSegments(r io.Reader, fn func(Segment) error) error {
	t, err := newTSV(r, "Chromosome", "Start", "End", "nMajor", "nMinor")
	if err != nil {
		return err
	}
	return t.each(func(line int, get func(string) string) error {
		var s Segment
		s.Chrom = get("Chromosome")
		if s.Chrom == "" {
			return &ParseError{Line: line, Column: "Chromosome", Reason: "empty"}
		}
		var err error
		if s.Start, err = strconv.ParseInt(get("Start"), 10, 64); err != nil || s.Start < 0 {
			return &ParseError{Line: line, Column: "Start", Reason: "not a non-negative integer"}
		}
		if s.End, err = strconv.ParseInt(get("End"), 10, 64); err != nil || s.End < s.Start {
			return &ParseError{Line: line, Column: "End", Reason: "not an integer at or after Start"}
		}
		if s.NMajor, err = strconv.Atoi(get("nMajor")); err != nil || s.NMajor < 0 {
			return &ParseError{Line: line, Column: "nMajor", Reason: "not a non-negative integer"}
		}
		if s.NMinor, err = strconv.Atoi(get("nMinor")); err != nil || s.NMinor < 0 {
			return &ParseError{Line: line, Column: "nMinor", Reason: "not a non-negative integer"}
		}
		return fn(s)
	})
}

// FusionRecord is one row of a fusion table.
type FusionRecord struct {
	genomics.Fusion
	LeftBreakpoint  string // "chrom:pos" as written
	RightBreakpoint string
	SplitReads      int // -1 when absent
}

// ReadFusions reads a fusion table (FusionGene "A--B", LeftBreakpoint,
// RightBreakpoint, SplitReads) and calls fn for every fusion.
func ReadFusions(r io.Reader, fn func(FusionRecord) error) error {
	t, err := newTSV(r, "FusionGene")
	if err != nil {
		return err
	}
	return t.each(func(line int, get func(string) string) error {
		name := get("FusionGene")
		a, b, ok := strings.Cut(name, "--")
		if !ok {
			a, b, ok = strings.Cut(name, "::") // HGNC fusion notation
		}
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if a == "" {
			return &ParseError{Line: line, Column: "FusionGene", Reason: "expected GENE--PARTNER"}
		}
		fr := FusionRecord{Fusion: genomics.Fusion{Gene: a, Partner: b},
			LeftBreakpoint: get("LeftBreakpoint"), RightBreakpoint: get("RightBreakpoint"), SplitReads: -1}
		if s := get("SplitReads"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return &ParseError{Line: line, Column: "SplitReads", Reason: "not a non-negative integer"}
			}
			fr.SplitReads = n
		}
		return fn(fr)
	})
}
