package vcf

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Record is one VCF data line. Byte-level fields (INFO, FORMAT, samples)
// alias the Reader's buffer and are valid until the next call to Next;
// Clone makes a record that stays valid.
type Record struct {
	Line   int      // 1-based line number
	Chrom  string   // CHROM
	Pos    int64    // 1-based POS
	ID     string   // ID column ("." when missing)
	Ref    string   // REF
	Alt    []string // ALT alleles; empty when ALT is "."
	Qual   float64  // QUAL; NaN when "."
	Filter string   // FILTER column as written ("PASS", "." or ";"-joined)

	info    []byte
	format  []byte
	samples []byte // all sample columns, tab-separated
	nSample int    // number of samples in the header
	hasCols bool   // whether the line carried FORMAT and sample columns
	gtIdx   int    // index of GT among FORMAT keys, -1 when absent
	offs    []int  // start offset of each sample column in samples, plus len+1
	offsOK  bool
	hdr     *Header
}

func (rec *Record) parse(r *Reader, b []byte) error {
	ln := r.lineNo
	rec.Line = ln
	rec.hdr = r.hdr
	rec.nSample = len(r.hdr.Samples)
	rec.offsOK = false
	var cols [9][]byte
	rest := b
	n := 0
	for n < 8 {
		i := bytes.IndexByte(rest, '\t')
		if i < 0 {
			cols[n] = rest
			rest = nil
			n++
			break
		}
		cols[n] = rest[:i]
		rest = rest[i+1:]
		n++
	}
	if n < 8 {
		return perr(ln, "", "expected at least 8 tab-separated columns, found %d", n)
	}
	// CHROM
	if len(cols[0]) == 0 {
		return perr(ln, "CHROM", "empty")
	}
	if string(cols[0]) != r.chrom {
		r.chrom = string(cols[0])
	}
	rec.Chrom = r.chrom
	// POS
	pos, ok := parseUint(cols[1])
	if !ok {
		return perr(ln, "POS", "not a non-negative integer")
	}
	rec.Pos = pos
	rec.ID = bytesToString(cols[2], ".")
	// REF
	if len(cols[3]) == 0 {
		return perr(ln, "REF", "empty")
	}
	for _, c := range cols[3] {
		if c <= ' ' || c == ',' {
			return perr(ln, "REF", "invalid character")
		}
	}
	rec.Ref = string(cols[3])
	// ALT
	rec.Alt = rec.Alt[:0]
	alt := cols[4]
	if len(alt) == 0 {
		return perr(ln, "ALT", "empty")
	}
	if !(len(alt) == 1 && alt[0] == '.') {
		for len(alt) > 0 {
			i := bytes.IndexByte(alt, ',')
			var a []byte
			if i < 0 {
				a, alt = alt, nil
			} else {
				a, alt = alt[:i], alt[i+1:]
				if len(alt) == 0 {
					return perr(ln, "ALT", "empty allele after ','")
				}
			}
			if len(a) == 0 {
				return perr(ln, "ALT", "empty allele")
			}
			for _, c := range a {
				if c <= ' ' {
					return perr(ln, "ALT", "invalid character")
				}
			}
			rec.Alt = append(rec.Alt, string(a))
		}
	}
	// QUAL
	if len(cols[5]) == 1 && cols[5][0] == '.' || len(cols[5]) == 0 {
		rec.Qual = math.NaN()
	} else {
		q, err := strconv.ParseFloat(string(cols[5]), 64)
		if err != nil {
			return perr(ln, "QUAL", "not a number")
		}
		rec.Qual = q
	}
	rec.Filter = bytesToString(cols[6], ".")
	rec.info = cols[7]
	rec.format = nil
	rec.samples = nil
	rec.hasCols = false
	rec.gtIdx = -1
	if rest == nil {
		// No FORMAT column: every sample is missing.
		return nil
	}
	i := bytes.IndexByte(rest, '\t')
	if i < 0 {
		rec.format = rest
		rest = nil
	} else {
		rec.format, rest = rest[:i], rest[i+1:]
	}
	if rest == nil {
		if rec.nSample > 0 {
			return perr(ln, "", "FORMAT present but no sample columns (header declares %d)", rec.nSample)
		}
		return nil
	}
	if rec.nSample == 0 {
		return perr(ln, "", "sample columns present but the header declares no samples")
	}
	if got := bytes.Count(rest, tabSep) + 1; got != rec.nSample {
		return perr(ln, "", "found %d sample columns, header declares %d", got, rec.nSample)
	}
	rec.samples = rest
	rec.hasCols = true
	if len(rec.format) == 0 {
		return perr(ln, "FORMAT", "empty")
	}
	// Locate GT among the FORMAT keys.
	f := rec.format
	for k := 0; len(f) > 0; k++ {
		j := bytes.IndexByte(f, ':')
		var key []byte
		if j < 0 {
			key, f = f, nil
		} else {
			key, f = f[:j], f[j+1:]
		}
		if len(key) == 2 && key[0] == 'G' && key[1] == 'T' {
			rec.gtIdx = k
			break
		}
	}
	return nil
}

var tabSep = []byte{'\t'}

func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func bytesToString(b []byte, missing string) string {
	if len(b) == 1 && b[0] == '.' {
		return missing
	}
	return string(b)
}

// NumSamples returns the number of samples declared in the header.
func (rec *Record) NumSamples() int { return rec.nSample }

// InfoRaw returns the INFO column as written (valid until the next Next).
func (rec *Record) InfoRaw() []byte { return rec.info }

// FormatKeys returns the FORMAT keys of this record.
func (rec *Record) FormatKeys() []string {
	if len(rec.format) == 0 || (len(rec.format) == 1 && rec.format[0] == '.') {
		return nil
	}
	return strings.Split(string(rec.format), ":")
}

// Info returns the value of INFO key and whether the key is present. Flags
// are present with an empty value.
func (rec *Record) Info(key string) (string, bool) {
	v, ok := rec.infoBytes(key)
	return string(v), ok
}

func (rec *Record) infoBytes(key string) ([]byte, bool) {
	s := rec.info
	if len(s) == 1 && s[0] == '.' {
		return nil, false
	}
	for len(s) > 0 {
		i := bytes.IndexByte(s, ';')
		var kv []byte
		if i < 0 {
			kv, s = s, nil
		} else {
			kv, s = s[:i], s[i+1:]
		}
		if len(kv) < len(key) || string(kv[:len(key)]) != key {
			continue
		}
		if len(kv) == len(key) {
			return nil, true
		}
		if kv[len(key)] == '=' {
			return kv[len(key)+1:], true
		}
	}
	return nil, false
}

// InfoFlag reports whether the INFO flag (or any key) is present.
func (rec *Record) InfoFlag(key string) bool {
	_, ok := rec.infoBytes(key)
	return ok
}

// EachInfo calls fn for every INFO entry in order; value is empty for flags.
func (rec *Record) EachInfo(fn func(key, value string)) {
	s := rec.info
	if len(s) == 1 && s[0] == '.' {
		return
	}
	for _, kv := range strings.Split(string(s), ";") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		fn(k, v)
	}
}

// computeOffsets indexes the start of every sample column.
func (rec *Record) computeOffsets() {
	if rec.offsOK {
		return
	}
	rec.offs = rec.offs[:0]
	if rec.hasCols {
		rec.offs = append(rec.offs, 0)
		for i, c := range rec.samples {
			if c == '\t' {
				rec.offs = append(rec.offs, i+1)
			}
		}
		rec.offs = append(rec.offs, len(rec.samples)+1)
	}
	rec.offsOK = true
}

// sampleColumn returns the raw text of sample i's column.
func (rec *Record) sampleColumn(i int) ([]byte, bool) {
	if !rec.hasCols || i < 0 || i >= rec.nSample {
		return nil, false
	}
	rec.computeOffsets()
	return rec.samples[rec.offs[i] : rec.offs[i+1]-1], true
}

// SampleValue returns the FORMAT value of key for sample i, and whether the
// sample has that key (trailing fields may be dropped, VCF 4.x §1.6.2).
func (rec *Record) SampleValue(i int, key string) (string, bool) {
	v, ok := rec.sampleValue(i, key)
	return string(v), ok
}

func (rec *Record) sampleValue(i int, key string) ([]byte, bool) {
	col, ok := rec.sampleColumn(i)
	if !ok {
		return nil, false
	}
	k := formatIndex(rec.format, key)
	if k < 0 {
		return nil, false
	}
	return nthField(col, k, ':')
}

func formatIndex(format []byte, key string) int {
	f := format
	for k := 0; len(f) > 0; k++ {
		j := bytes.IndexByte(f, ':')
		var fk []byte
		if j < 0 {
			fk, f = f, nil
		} else {
			fk, f = f[:j], f[j+1:]
		}
		if string(fk) == key {
			return k
		}
	}
	return -1
}

func nthField(s []byte, n int, sep byte) ([]byte, bool) {
	for k := 0; ; k++ {
		j := bytes.IndexByte(s, sep)
		if k == n {
			if j < 0 {
				return s, true
			}
			return s[:j], true
		}
		if j < 0 {
			return nil, false
		}
		s = s[j+1:]
	}
}

// Clone returns a deep copy that stays valid after the Reader moves on.
func (rec *Record) Clone() *Record {
	c := *rec
	c.Alt = append([]string(nil), rec.Alt...)
	c.info = append([]byte(nil), rec.info...)
	c.format = append([]byte(nil), rec.format...)
	c.samples = append([]byte(nil), rec.samples...)
	c.offs = nil
	c.offsOK = false
	return &c
}
