package vcf

import (
	"strings"
)

// MetaLine is one "##" header line. Structured lines (##INFO=<ID=DP,...>)
// have their key=value pairs in Fields, in file order; others keep the text
// after "=" in Value.
type MetaLine struct {
	Key    string     // e.g. "INFO", "FORMAT", "contig", "fileformat"
	Value  string     // the raw text after "=" (without the angle brackets for structured lines)
	Fields []KeyValue // parsed <...> pairs; nil for unstructured lines
}

// KeyValue is one key=value pair of a structured meta-line.
type KeyValue struct {
	Key, Value string
}

// Get returns the value of a structured field and whether it was present.
func (m *MetaLine) Get(key string) (string, bool) {
	for _, kv := range m.Fields {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// FieldDef is an ##INFO or ##FORMAT declaration.
type FieldDef struct {
	ID          string
	Number      string // "1", "A", "R", "G", "." ...
	Type        string // Integer, Float, Flag, Character, String
	Description string
}

// Header is the parsed VCF header.
type Header struct {
	FileFormat string     // e.g. "VCFv4.2"
	Meta       []MetaLine // every ## line in order, fileformat included
	Samples    []string   // sample column names in order
	Info       map[string]FieldDef
	Format     map[string]FieldDef
	// CSQFields is the VEP CSQ sub-field order from the CSQ description's
	// "Format:" list; nil when the file has no CSQ declaration.
	CSQFields []string
	// ANNFields is the SnpEff ANN sub-field order; nil without ANN.
	ANNFields []string
	sampleIdx map[string]int
	hasFormat bool
	annIdx    map[string]int // cached ANN sub-field positions
	csqIdx    map[string]int // cached CSQ sub-field positions
}

// SampleIndex returns the column index of a sample name, or -1.
func (h *Header) SampleIndex(name string) int {
	if i, ok := h.sampleIdx[name]; ok {
		return i
	}
	return -1
}

// Contigs lists the ##contig IDs in order.
func (h *Header) Contigs() []string {
	var out []string
	for i := range h.Meta {
		if h.Meta[i].Key == "contig" {
			if id, ok := h.Meta[i].Get("ID"); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

var fixedColumns = [...]string{"#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"}

// parseMeta parses one "##..." line (without the leading "##").
func parseMeta(lineNo int, s string) (MetaLine, error) {
	eq := strings.IndexByte(s, '=')
	if eq <= 0 {
		// htslib tolerates meta lines without '='; keep them as key only.
		return MetaLine{Key: s}, nil
	}
	m := MetaLine{Key: s[:eq], Value: s[eq+1:]}
	v := m.Value
	if len(v) >= 2 && v[0] == '<' && v[len(v)-1] == '>' {
		fields, err := parseStructured(lineNo, v[1:len(v)-1])
		if err != nil {
			return m, err
		}
		m.Value = v[1 : len(v)-1]
		m.Fields = fields
	}
	return m, nil
}

// parseStructured splits ID=x,Number=1,Description="a, b",Values=[x, y].
func parseStructured(lineNo int, s string) ([]KeyValue, error) {
	var out []KeyValue
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		k := i
		for i < len(s) && s[i] != '=' && s[i] != ',' {
			i++
		}
		key := s[k:i]
		if key == "" {
			return nil, perr(lineNo, "header", "empty key in structured meta-line")
		}
		if i >= len(s) || s[i] == ',' {
			out = append(out, KeyValue{Key: key})
			i++
			continue
		}
		i++ // '='
		var val strings.Builder
		switch {
		case i < len(s) && s[i] == '"':
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				val.WriteByte(c)
				i++
			}
			if !closed {
				return nil, perr(lineNo, "header", "unterminated quote in structured meta-line")
			}
		case i < len(s) && s[i] == '[':
			depth := 0
			st := i
			for i < len(s) {
				if s[i] == '[' {
					depth++
				} else if s[i] == ']' {
					depth--
					if depth == 0 {
						i++
						break
					}
				}
				i++
			}
			if depth != 0 {
				return nil, perr(lineNo, "header", "unterminated [ in structured meta-line")
			}
			val.WriteString(s[st:i])
		default:
			st := i
			for i < len(s) && s[i] != ',' {
				i++
			}
			val.WriteString(s[st:i])
		}
		out = append(out, KeyValue{Key: key, Value: val.String()})
		// skip to the next comma
		for i < len(s) && s[i] != ',' {
			i++
		}
		i++
	}
	return out, nil
}

// addMeta registers a meta-line in the header indexes.
func (h *Header) addMeta(m MetaLine) {
	h.Meta = append(h.Meta, m)
	switch m.Key {
	case "fileformat":
		h.FileFormat = m.Value
	case "INFO", "FORMAT":
		var d FieldDef
		d.ID, _ = m.Get("ID")
		d.Number, _ = m.Get("Number")
		d.Type, _ = m.Get("Type")
		d.Description, _ = m.Get("Description")
		if d.ID == "" {
			return
		}
		if m.Key == "INFO" {
			h.Info[d.ID] = d
			switch d.ID {
			case "CSQ":
				h.CSQFields = csqFieldsFromDescription(d.Description)
			case "ANN":
				h.ANNFields = annFieldsFromDescription(d.Description)
			}
		} else {
			h.Format[d.ID] = d
		}
	}
}

// csqFieldsFromDescription reads VEP's "... Format: Allele|Consequence|..." list.
func csqFieldsFromDescription(desc string) []string {
	i := strings.Index(desc, "Format:")
	if i < 0 {
		return nil
	}
	list := strings.TrimSpace(desc[i+len("Format:"):])
	list = strings.Trim(list, "'\" ")
	parts := strings.Split(list, "|")
	for j := range parts {
		parts[j] = strings.TrimSpace(parts[j])
	}
	return parts
}

// defaultANN is the SnpEff ANN field order of the ANN specification.
var defaultANN = []string{"Allele", "Annotation", "Annotation_Impact", "Gene_Name", "Gene_ID",
	"Feature_Type", "Feature_ID", "Transcript_BioType", "Rank", "HGVS.c", "HGVS.p",
	"cDNA.pos / cDNA.length", "CDS.pos / CDS.length", "AA.pos / AA.length", "Distance", "ERRORS / WARNINGS / INFO"}

// annFieldsFromDescription reads SnpEff's "Functional annotations: 'Allele | Annotation | ...'".
func annFieldsFromDescription(desc string) []string {
	i := strings.IndexByte(desc, '\'')
	j := strings.LastIndexByte(desc, '\'')
	if i < 0 || j <= i {
		return defaultANN
	}
	parts := strings.Split(desc[i+1:j], "|")
	for k := range parts {
		parts[k] = strings.TrimSpace(parts[k])
	}
	if len(parts) < 11 {
		return defaultANN
	}
	return parts
}

// Assembly guesses the reference genome from the header: "GRCh38",
// "GRCh37" or "" when the header does not say. It reads ##reference,
// ##assembly and the ##contig assembly= and length= of chromosome 1.
func (h *Header) Assembly() string {
	classify := func(s string) string {
		l := strings.ToLower(s)
		switch {
		case strings.Contains(l, "grch38") || strings.Contains(l, "hg38") || strings.Contains(l, "hs38"):
			return "GRCh38"
		case strings.Contains(l, "grch37") || strings.Contains(l, "hg19") || strings.Contains(l, "b37") ||
			strings.Contains(l, "hs37") || strings.Contains(l, "human_g1k_v37"):
			return "GRCh37"
		}
		return ""
	}
	for i := range h.Meta {
		m := &h.Meta[i]
		switch m.Key {
		case "reference", "assembly":
			if a := classify(m.Value); a != "" {
				return a
			}
		case "contig":
			if a, ok := m.Get("assembly"); ok {
				if c := classify(a); c != "" {
					return c
				}
			}
			id, _ := m.Get("ID")
			if id == "1" || id == "chr1" {
				switch n, _ := m.Get("length"); n {
				case "248956422":
					return "GRCh38"
				case "249250621":
					return "GRCh37"
				}
			}
		}
	}
	return ""
}
