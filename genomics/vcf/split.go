package vcf

import "math"

func nanValue() float64 { return math.NaN() }

// Allele is one biallelic REF/ALT pair at a position, as produced by
// SplitAlleles. Index is the ALT's 1-based index in the original record.
type Allele struct {
	Pos   int64
	Ref   string
	Alt   string
	Index int
}

// IsSymbolic reports whether ALT is a symbolic allele (<DEL>, <*>), a
// breakend, the spanning deletion "*" or missing ".".
func IsSymbolic(alt string) bool {
	if alt == "" || alt == "*" || alt == "." {
		return true
	}
	for i := 0; i < len(alt); i++ {
		switch alt[i] {
		case '<', '>', '[', ']':
			return true
		}
	}
	return false
}

// Trim reduces a REF/ALT pair to its minimal representation: shared trailing
// bases are removed first, then shared leading bases (POS advances), always
// keeping at least one base in each allele (VCF's anchor base for indels).
// Symbolic alleles are returned unchanged. Left-alignment in repeats needs
// the reference sequence and is not done.
func Trim(pos int64, ref, alt string) (int64, string, string) {
	if IsSymbolic(alt) {
		return pos, ref, alt
	}
	for len(ref) > 1 && len(alt) > 1 && ref[len(ref)-1] == alt[len(alt)-1] {
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	for len(ref) > 1 && len(alt) > 1 && ref[0] == alt[0] {
		ref, alt = ref[1:], alt[1:]
		pos++
	}
	return pos, ref, alt
}

// SplitAlleles appends one trimmed biallelic Allele per ALT of rec to dst.
func (rec *Record) SplitAlleles(dst []Allele) []Allele {
	for i, a := range rec.Alt {
		p, r, al := Trim(rec.Pos, rec.Ref, a)
		dst = append(dst, Allele{Pos: p, Ref: r, Alt: al, Index: i + 1})
	}
	return dst
}
