package vcf

import (
	"strings"
)

// Annotation is one transcript-level consequence from SnpEff ANN or VEP CSQ.
type Annotation struct {
	Allele       string   // the ALT allele as the annotator wrote it
	AlleleIndex  int      // 1-based ALT index this annotation belongs to; 0 when unmatched
	Consequences []string // SO terms, e.g. "missense_variant"
	Impact       string   // HIGH, MODERATE, LOW, MODIFIER
	Gene         string   // gene symbol
	GeneID       string
	Transcript   string
	HGVSc        string // e.g. "ENST...:c.1799T>A" or "c.1799T>A"
	HGVSp        string // e.g. "ENSP...:p.Val600Glu" or "p.V600E"
	Canonical    bool   // VEP CANONICAL=YES
	Picked       bool   // VEP PICK=1
	Source       string // "ANN" or "CSQ"
}

// Annotations decodes the record's ANN and CSQ INFO fields into dst.
// CSQ sub-fields are located by the header's "Format:" list; without a CSQ
// header line the field is skipped. It never fails: malformed entries yield
// annotations with empty fields.
func (rec *Record) Annotations(dst []Annotation) []Annotation {
	h := rec.hdr
	if h == nil {
		return dst
	}
	if v, ok := rec.infoBytes("ANN"); ok && len(v) > 0 {
		fields := h.ANNFields
		if fields == nil {
			fields = defaultANN
		}
		idx := h.annIndex(fields)
		for _, entry := range strings.Split(string(v), ",") {
			parts := strings.Split(entry, "|")
			a := Annotation{Source: "ANN"}
			a.Allele = at(parts, idx["allele"])
			a.Consequences = splitNonEmpty(at(parts, idx["cons"]), '&')
			a.Impact = at(parts, idx["impact"])
			a.Gene = at(parts, idx["gene"])
			a.GeneID = at(parts, idx["geneid"])
			a.Transcript = at(parts, idx["tx"])
			a.HGVSc = at(parts, idx["c"])
			a.HGVSp = at(parts, idx["p"])
			a.AlleleIndex = rec.matchAllele(a.Allele, false)
			dst = append(dst, a)
		}
	}
	if v, ok := rec.infoBytes("CSQ"); ok && len(v) > 0 && h.CSQFields != nil {
		idx := h.csqIndex()
		for _, entry := range strings.Split(string(v), ",") {
			parts := strings.Split(entry, "|")
			a := Annotation{Source: "CSQ"}
			a.Allele = at(parts, idx["allele"])
			a.Consequences = splitNonEmpty(at(parts, idx["cons"]), '&')
			a.Impact = at(parts, idx["impact"])
			a.Gene = at(parts, idx["gene"])
			a.GeneID = at(parts, idx["geneid"])
			a.Transcript = at(parts, idx["tx"])
			a.HGVSc = unescapeVEP(at(parts, idx["c"]))
			a.HGVSp = unescapeVEP(at(parts, idx["p"]))
			a.Canonical = at(parts, idx["canon"]) == "YES"
			a.Picked = at(parts, idx["pick"]) == "1"
			if n := at(parts, idx["num"]); n != "" {
				if k, ok := parseUint([]byte(n)); ok && int(k) >= 1 && int(k) <= len(rec.Alt) {
					a.AlleleIndex = int(k)
				}
			}
			if a.AlleleIndex == 0 {
				a.AlleleIndex = rec.matchAllele(a.Allele, true)
			}
			dst = append(dst, a)
		}
	}
	return dst
}

// unescapeVEP undoes VEP's %3D escaping of '=' in HGVS (p.Leu802%3D).
func unescapeVEP(s string) string {
	if strings.Contains(s, "%3D") {
		return strings.ReplaceAll(s, "%3D", "=")
	}
	return s
}

// matchAllele finds the ALT index an annotation allele refers to. VEP strips
// the shared first base of indels (and writes "-" for deletions).
func (rec *Record) matchAllele(allele string, vep bool) int {
	for i, alt := range rec.Alt {
		if alt == allele {
			return i + 1
		}
	}
	if vep {
		for i, alt := range rec.Alt {
			if len(alt) > 0 && len(rec.Ref) > 0 && alt[0] == rec.Ref[0] && len(alt) != len(rec.Ref) {
				trimmed := alt[1:]
				if trimmed == "" {
					trimmed = "-"
				}
				if trimmed == allele {
					return i + 1
				}
			}
		}
	}
	if len(rec.Alt) == 1 {
		return 1
	}
	return 0
}

var annWant = map[string][]string{
	"allele": {"Allele"}, "cons": {"Annotation"}, "impact": {"Annotation_Impact"},
	"gene": {"Gene_Name"}, "geneid": {"Gene_ID"}, "tx": {"Feature_ID"},
	"c": {"HGVS.c"}, "p": {"HGVS.p"},
}

var csqWant = map[string][]string{
	"allele": {"Allele"}, "cons": {"Consequence"}, "impact": {"IMPACT"},
	"gene": {"SYMBOL", "Gene_Name"}, "geneid": {"Gene"}, "tx": {"Feature"},
	"c": {"HGVSc"}, "p": {"HGVSp"}, "canon": {"CANONICAL"}, "pick": {"PICK"},
	"num": {"ALLELE_NUM"},
}

// annIndex returns (and caches) the ANN sub-field positions.
func (h *Header) annIndex(fields []string) map[string]int {
	if h.annIdx == nil {
		h.annIdx = indexFields(fields, annWant)
	}
	return h.annIdx
}

// csqIndex returns (and caches) the CSQ sub-field positions.
func (h *Header) csqIndex() map[string]int {
	if h.csqIdx == nil {
		h.csqIdx = indexFields(h.CSQFields, csqWant)
	}
	return h.csqIdx
}

func indexFields(fields []string, want map[string][]string) map[string]int {
	out := make(map[string]int, len(want))
	for k, names := range want {
		out[k] = -1
		for _, n := range names {
			for i, f := range fields {
				if strings.EqualFold(f, n) {
					out[k] = i
					break
				}
			}
			if out[k] >= 0 {
				break
			}
		}
	}
	return out
}

func at(parts []string, i int) string {
	if i < 0 || i >= len(parts) {
		return ""
	}
	return strings.TrimSpace(parts[i])
}

func splitNonEmpty(s string, sep byte) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, string(sep))
}

// BestAnnotation picks the annotation to report for ALT index alt: the VEP
// PICK entry, else the canonical transcript, else the first entry with a
// protein change, else the first entry for that allele. ok is false when
// none belongs to alt.
func BestAnnotation(anns []Annotation, alt int) (Annotation, bool) {
	best := -1
	score := -1
	for i, a := range anns {
		if a.AlleleIndex != alt {
			continue
		}
		s := 0
		if a.Picked {
			s += 8
		}
		if a.Canonical {
			s += 4
		}
		if a.HGVSp != "" {
			s += 2
		}
		if a.Gene != "" {
			s++
		}
		if s > score {
			best, score = i, s
		}
	}
	if best < 0 {
		return Annotation{}, false
	}
	return anns[best], true
}
