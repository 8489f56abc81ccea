package maf

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/hgvs"
	"github.com/rxlab/rxlab/genomics/vcf"
)

// Record is one MAF row with the standard columns decoded. Raw cells are
// available through Get.
type Record struct {
	Line           int
	Gene           string // Hugo_Symbol
	Chrom          string // Chromosome
	Start, End     int64  // Start_Position, End_Position; 0 when absent or "NA"
	Ref            string // Reference_Allele
	Alt            string // Tumor_Seq_Allele2, or Tumor_Seq_Allele1 when Allele2 equals REF; "" when "NA"
	Classification string // Variant_Classification
	VariantType    string // Variant_Type (SNP, DNP, INS, DEL, ...)
	Sample         string // Tumor_Sample_Barcode
	// ProteinRaw is the protein change as written (HGVSp_Short, Protein_Change,
	// amino_acid_change or HGVSp); ProteinChange its canonical one-letter form,
	// empty when it does not parse.
	ProteinRaw    string
	ProteinChange string
	// VAF is the tumour allele fraction in [0,1] from t_alt_count/t_depth
	// (or t_ref_count+t_alt_count, or i_TumorVAF_WU in percent); -1 when unknown.
	VAF   float64
	cells []string
	cols  map[string]int
}

// Get returns the cell of a column by header name (case-insensitive).
func (r *Record) Get(column string) string {
	i, ok := r.cols[strings.ToLower(column)]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

// Class maps Variant_Classification (or the protein change) to a VariantClass.
func (r *Record) Class() genomics.VariantClass {
	return hgvs.ClassOf(r.Classification, r.ProteinRaw)
}

// Variant converts the row to a genomics.Variant of the given origin.
// Zygosity is left empty: MAF rows do not carry a genotype.
func (r *Record) Variant(origin genomics.Origin) genomics.Variant {
	return genomics.Variant{
		Gene:          r.Gene,
		Chrom:         r.Chrom,
		Pos:           r.Start,
		Ref:           r.Ref,
		Alt:           r.Alt,
		ProteinChange: r.ProteinChange,
		Class:         r.Class(),
		Origin:        origin,
	}
}

// Reader streams MAF rows.
type Reader struct {
	src     io.ReadCloser
	ls      *lineScanner
	columns []string
	cols    map[string]int
	idx     struct {
		gene, chrom, start, end, ref, alt1, alt2, class, vtype, sample, prot, tAlt, tRef, tDepth, vafPct int
	}
	err error
}

// Required columns of a MAF.
var required = []string{"Hugo_Symbol", "Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2", "Tumor_Sample_Barcode"}

// NewReader reads comment lines and the header row.
func NewReader(r io.Reader) (*Reader, error) {
	src, _, err := vcf.Decompress(r)
	if err != nil {
		return nil, err
	}
	mr := &Reader{src: src, ls: newLineScanner(src)}
	for {
		b, err := mr.ls.next()
		if err == io.EOF {
			_ = src.Close()
			return nil, &ParseError{Line: mr.ls.line, Reason: "no header row"}
		}
		if err != nil {
			_ = src.Close()
			return nil, err
		}
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		mr.columns = strings.Split(string(b), "\t")
		break
	}
	mr.cols = make(map[string]int, len(mr.columns))
	for i, c := range mr.columns {
		k := strings.ToLower(strings.TrimSpace(c))
		if _, dup := mr.cols[k]; !dup {
			mr.cols[k] = i
		}
	}
	for _, c := range required {
		if _, ok := mr.cols[strings.ToLower(c)]; !ok {
			_ = src.Close()
			return nil, &ParseError{Line: mr.ls.line, Column: c, Reason: "required column missing from header"}
		}
	}
	col := func(names ...string) int {
		for _, n := range names {
			if i, ok := mr.cols[strings.ToLower(n)]; ok {
				return i
			}
		}
		return -1
	}
	x := &mr.idx
	x.gene, x.chrom, x.start = col("Hugo_Symbol"), col("Chromosome"), col("Start_Position")
	x.end = col("End_Position")
	x.ref, x.alt1, x.alt2 = col("Reference_Allele"), col("Tumor_Seq_Allele1"), col("Tumor_Seq_Allele2")
	x.class, x.vtype, x.sample = col("Variant_Classification"), col("Variant_Type"), col("Tumor_Sample_Barcode")
	x.prot = col("HGVSp_Short", "Protein_Change", "amino_acid_change", "HGVSp")
	x.tAlt, x.tRef, x.tDepth = col("t_alt_count"), col("t_ref_count"), col("t_depth")
	x.vafPct = col("i_TumorVAF_WU")
	return mr, nil
}

// Columns returns the header names in file order.
func (r *Reader) Columns() []string { return r.columns }

// Close releases decompression resources.
func (r *Reader) Close() error { return r.src.Close() }

// Next returns the next row (a fresh Record each call) or io.EOF.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		b, err := r.ls.next()
		if err != nil {
			r.err = err
			return nil, err
		}
		if len(bytes.TrimSpace(b)) == 0 || b[0] == '#' {
			continue
		}
		rec, err := r.parse(b)
		if err != nil {
			r.err = err
			return nil, err
		}
		return rec, nil
	}
}

func (r *Reader) parse(b []byte) (*Record, error) {
	ln := r.ls.line
	cells := strings.Split(string(b), "\t")
	if len(cells) > len(r.columns) {
		return nil, &ParseError{Line: ln, Reason: "more cells than header columns (" + strconv.Itoa(len(cells)) + " > " + strconv.Itoa(len(r.columns)) + ")"}
	}
	rec := &Record{Line: ln, cells: cells, cols: r.cols, VAF: -1}
	get := func(i int) string {
		if i < 0 || i >= len(cells) {
			return ""
		}
		return strings.TrimSpace(cells[i])
	}
	x := &r.idx
	rec.Gene = get(x.gene)
	rec.Chrom = get(x.chrom)
	rec.Sample = get(x.sample)
	if rec.Chrom == "" {
		return nil, &ParseError{Line: ln, Column: "Chromosome", Reason: "empty"}
	}
	if rec.Sample == "" {
		return nil, &ParseError{Line: ln, Column: "Tumor_Sample_Barcode", Reason: "empty"}
	}
	var err error
	if rec.Start, err = position(get(x.start)); err != nil {
		return nil, &ParseError{Line: ln, Column: "Start_Position", Reason: err.Error()}
	}
	if rec.End, err = position(get(x.end)); err != nil {
		return nil, &ParseError{Line: ln, Column: "End_Position", Reason: err.Error()}
	}
	rec.Ref = get(x.ref)
	if rec.Ref == "" {
		return nil, &ParseError{Line: ln, Column: "Reference_Allele", Reason: "empty"}
	}
	rec.Alt = get(x.alt2)
	if a1 := get(x.alt1); (rec.Alt == "" || rec.Alt == rec.Ref) && a1 != "" && a1 != rec.Ref {
		rec.Alt = a1
	}
	if isNA(rec.Alt) {
		rec.Alt = "" // unknown allele (e.g. FLT3 ITD rows without sequence)
	}
	rec.Classification = get(x.class)
	rec.VariantType = get(x.vtype)
	rec.ProteinRaw = get(x.prot)
	if rec.ProteinRaw != "" && rec.ProteinRaw != "." && rec.ProteinRaw != "NA" {
		if n, err := hgvs.Normalize(rec.ProteinRaw); err == nil {
			rec.ProteinChange = n
		}
	}
	alt, aok := atoiOK(get(x.tAlt))
	ref, rok := atoiOK(get(x.tRef))
	depth, dok := atoiOK(get(x.tDepth))
	switch {
	case aok && dok && depth > 0:
		rec.VAF = float64(alt) / float64(depth)
	case aok && rok && alt+ref > 0:
		rec.VAF = float64(alt) / float64(alt+ref)
	default:
		if s := get(x.vafPct); s != "" {
			if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f <= 100 {
				rec.VAF = f / 100
			}
		}
	}
	return rec, nil
}

func isNA(s string) bool { return s == "" || s == "NA" || s == "." }

var errPosition = errors.New("not a non-negative integer")

// position parses a 1-based coordinate; "", "NA" and "." mean unknown (0).
func position(s string) (int64, error) {
	if isNA(s) {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errPosition
	}
	return n, nil
}

func atoiOK(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// ErrStop may be returned by an Each callback to end iteration early without error.
var ErrStop = errors.New("maf: stop")
