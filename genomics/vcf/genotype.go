package vcf

import (
	"bytes"
	"strconv"
	"strings"
)

// MaxPloidy is the largest ploidy a Genotype holds; larger GTs are rejected.
const MaxPloidy = 8

// Genotype is one sample's GT: up to MaxPloidy allele indexes (-1 = missing
// ".") with the phasing of each separator. The zero value is "no GT".
type Genotype struct {
	alleles [MaxPloidy]int16
	n       uint8 // ploidy
	// phase bit i (i>=1) is set when the separator before allele i is '|';
	// bit 0 is set when a VCF 4.4 phasing prefix '|' precedes allele 0.
	phase uint8
	// prefix is 0, '/' or '|' when GT starts with an explicit phasing prefix.
	prefix byte
}

// Ploidy returns the number of alleles; 0 when the sample has no GT.
func (g Genotype) Ploidy() int { return int(g.n) }

// Allele returns allele index i (0 = REF, 1.. = ALT), or -1 when missing.
func (g Genotype) Allele(i int) int {
	if i < 0 || i >= int(g.n) {
		return -1
	}
	return int(g.alleles[i])
}

// Phased reports whether every separator is '|' (haploid calls count as
// phased only when written with a '|' prefix).
func (g Genotype) Phased() bool {
	if g.n <= 1 {
		return g.prefix == '|'
	}
	want := uint8(1<<g.n-1) &^ 1
	return g.phase&want == want
}

// IsMissing reports whether the sample has no called allele.
func (g Genotype) IsMissing() bool {
	for i := 0; i < int(g.n); i++ {
		if g.alleles[i] >= 0 {
			return false
		}
	}
	return true
}

// HasMissing reports whether any allele is missing (e.g. "0/.").
func (g Genotype) HasMissing() bool {
	if g.n == 0 {
		return true
	}
	for i := 0; i < int(g.n); i++ {
		if g.alleles[i] < 0 {
			return true
		}
	}
	return false
}

// Count returns how many copies of allele a the genotype carries.
func (g Genotype) Count(a int) int {
	c := 0
	for i := 0; i < int(g.n); i++ {
		if int(g.alleles[i]) == a {
			c++
		}
	}
	return c
}

// IsHomRef reports whether all alleles are called and REF.
func (g Genotype) IsHomRef() bool {
	if g.n == 0 {
		return false
	}
	for i := 0; i < int(g.n); i++ {
		if g.alleles[i] != 0 {
			return false
		}
	}
	return true
}

// IsHet reports whether at least two different called alleles are present.
func (g Genotype) IsHet() bool {
	first := int16(-1)
	for i := 0; i < int(g.n); i++ {
		a := g.alleles[i]
		if a < 0 {
			continue
		}
		if first < 0 {
			first = a
		} else if a != first {
			return true
		}
	}
	return false
}

// String formats the genotype as bcftools query's %GT does ("0|1", "1/.", "0").
func (g Genotype) String() string {
	if g.n == 0 {
		return "."
	}
	var b strings.Builder
	for i := 0; i < int(g.n); i++ {
		if i > 0 {
			if g.phase&(1<<i) != 0 {
				b.WriteByte('|')
			} else {
				b.WriteByte('/')
			}
		}
		if g.alleles[i] < 0 {
			b.WriteByte('.')
		} else {
			b.WriteString(strconv.Itoa(int(g.alleles[i])))
		}
	}
	return b.String()
}

// parseGT decodes GT text (up to ':' or the end of s).
// Allele indexes above the number of ALTs are kept (htslib accepts them);
// callers must check them against len(Record.Alt).
func parseGT(s []byte) (Genotype, bool) {
	var g Genotype
	i := 0
	if len(s) > 0 && (s[0] == '|' || s[0] == '/') {
		g.prefix = s[0]
		if s[0] == '|' {
			g.phase |= 1
		}
		i = 1
	}
	for {
		if i >= len(s) || g.n >= MaxPloidy {
			return g, false
		}
		c := s[i]
		if c == '.' {
			g.alleles[g.n] = -1
			i++
		} else if c >= '0' && c <= '9' {
			v := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				v = v*10 + int(s[i]-'0')
				if v > 32767 {
					return g, false
				}
				i++
			}
			g.alleles[g.n] = int16(v)
		} else {
			return g, false
		}
		g.n++
		if i >= len(s) || s[i] == ':' {
			return g, true
		}
		switch s[i] {
		case '|':
			g.phase |= 1 << g.n
		case '/':
		default:
			return g, false
		}
		i++
	}
}

// Genotypes decodes the GT of every sample into dst (reusing its capacity)
// and returns it; it does not allocate once dst has room for all samples.
// Samples without a GT value get the zero Genotype (Ploidy 0).
func (rec *Record) Genotypes(dst []Genotype) ([]Genotype, error) {
	n := rec.nSample
	if cap(dst) < n {
		dst = make([]Genotype, n)
	}
	dst = dst[:n]
	if !rec.hasCols || rec.gtIdx < 0 {
		clear(dst)
		return dst, nil
	}
	s := rec.samples
	gt := rec.gtIdx
	pos := 0
	for k := 0; k < n; k++ {
		// Fast path: a diploid single-digit GT ("0|1", "1/1") as the first
		// FORMAT field, which is nearly every genotype of a large cohort.
		if gt == 0 && pos+3 <= len(s) {
			c0, sep, c2 := s[pos]-'0', s[pos+1], s[pos+2]-'0'
			if c0 < 10 && c2 < 10 && (sep == '|' || sep == '/') && (pos+3 == len(s) || s[pos+3] == '\t' || s[pos+3] == ':') {
				g := &dst[k]
				*g = Genotype{n: 2}
				g.alleles[0], g.alleles[1] = int16(c0), int16(c2)
				if sep == '|' {
					g.phase = 2
				}
				pos += 3
				if pos < len(s) && s[pos] == ':' {
					if j := bytes.IndexByte(s[pos:], '\t'); j >= 0 {
						pos += j
					} else {
						pos = len(s)
					}
				}
				pos++
				continue
			}
		}
		// s[pos:] starts sample k. Skip to field gt.
		p := pos
		f := 0
		for f < gt {
			for p < len(s) && s[p] != ':' && s[p] != '\t' {
				p++
			}
			if p >= len(s) || s[p] == '\t' {
				break
			}
			p++
			f++
		}
		var g Genotype
		end := p
		if f == gt {
			for end < len(s) && s[end] != ':' && s[end] != '\t' {
				end++
			}
			field := s[p:end]
			if !(len(field) == 1 && field[0] == '.') && len(field) > 0 {
				var ok bool
				g, ok = parseGT(field)
				if !ok {
					return dst, perr(rec.Line, "GT", "invalid genotype for sample %d", k+1)
				}
			} else if len(field) == 1 {
				// "." alone: one missing allele (htslib reads it as haploid missing).
				g.n = 1
				g.alleles[0] = -1
			}
		}
		// advance to the next sample column
		for end < len(s) && s[end] != '\t' {
			end++
		}
		pos = end + 1
		dst[k] = g
	}
	return dst, nil
}

// Genotype decodes the GT of one sample.
func (rec *Record) Genotype(i int) (Genotype, error) {
	col, ok := rec.sampleColumn(i)
	if !ok || rec.gtIdx < 0 {
		return Genotype{}, nil
	}
	field, ok := nthField(col, rec.gtIdx, ':')
	if !ok || len(field) == 0 {
		return Genotype{}, nil
	}
	if len(field) == 1 && field[0] == '.' {
		return Genotype{n: 1, alleles: [MaxPloidy]int16{-1}}, nil
	}
	g, ok := parseGT(field)
	if !ok {
		return Genotype{}, perr(rec.Line, "GT", "invalid genotype for sample %d", i+1)
	}
	return g, nil
}

// Call is one sample's genotype and common per-sample values.
type Call struct {
	GT Genotype
	AD []int     // allelic depths (REF first); nil when absent; -1 for "."
	DP int       // read depth; -1 when absent
	AF []float64 // allele fractions per ALT; nil when absent; NaN for "."
}

// Call decodes GT, AD, DP and AF of sample i.
func (rec *Record) Call(i int) (Call, error) {
	c := Call{DP: -1}
	var err error
	if c.GT, err = rec.Genotype(i); err != nil {
		return c, err
	}
	if v, ok := rec.sampleValue(i, "AD"); ok && !(len(v) == 1 && v[0] == '.') && len(v) > 0 {
		for _, p := range strings.Split(string(v), ",") {
			if p == "." {
				c.AD = append(c.AD, -1)
				continue
			}
			x, e := strconv.Atoi(p)
			if e != nil || x < 0 {
				return c, perr(rec.Line, "AD", "not a list of non-negative integers (sample %d)", i+1)
			}
			c.AD = append(c.AD, x)
		}
	}
	if v, ok := rec.sampleValue(i, "DP"); ok && len(v) > 0 && !(len(v) == 1 && v[0] == '.') {
		x, e := strconv.Atoi(string(v))
		if e != nil || x < 0 {
			return c, perr(rec.Line, "DP", "not a non-negative integer (sample %d)", i+1)
		}
		c.DP = x
	}
	if v, ok := rec.sampleValue(i, "AF"); ok && len(v) > 0 && !(len(v) == 1 && v[0] == '.') {
		for _, p := range strings.Split(string(v), ",") {
			if p == "." {
				c.AF = append(c.AF, nanValue())
				continue
			}
			x, e := strconv.ParseFloat(p, 64)
			if e != nil {
				return c, perr(rec.Line, "AF", "not a list of numbers (sample %d)", i+1)
			}
			c.AF = append(c.AF, x)
		}
	}
	return c, nil
}
