package hgvs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store/errs"
)

// Kind is the type of a protein change.
type Kind int

// The kinds of protein change Parse recognises.
const (
	Substitution Kind = iota + 1 // V600E, Q61* (nonsense)
	Synonymous                   // L802=
	PositionOnly                 // V600 (any change at a residue)
	Deletion                     // E746_A750del
	Duplication                  // E746dup
	Insertion                    // A763_Y764insFQEA
	DelIns                       // L747_T751delinsP
	Frameshift                   // R882Hfs*13, R882fs
	StartLoss                    // M1?
	Extension                    // *757Qext*? (stop loss)
)

// Protein is a parsed protein change. Amino acids are one-letter codes with
// '*' for a stop.
type Protein struct {
	Kind     Kind
	Ref      byte   // reference amino acid at Start
	Start    int    // 1-based residue
	EndRef   byte   // reference amino acid at End (ranges); 0 when no range
	End      int    // last residue of a range; 0 when no range
	Alt      string // substituted / inserted / delins residues; frameshift's first new residue
	FSLength string // frameshift or extension length after '*' ("13", "?"), "" when absent
}

var threeToOne = map[string]byte{
	"ala": 'A', "arg": 'R', "asn": 'N', "asp": 'D', "cys": 'C', "gln": 'Q', "glu": 'E',
	"gly": 'G', "his": 'H', "ile": 'I', "leu": 'L', "lys": 'K', "met": 'M', "phe": 'F',
	"pro": 'P', "ser": 'S', "thr": 'T', "trp": 'W', "tyr": 'Y', "val": 'V', "ter": '*',
	"sec": 'U', "pyl": 'O', "xaa": 'X',
}

const oneLetter = "ACDEFGHIKLMNPQRSTVWYUO"

// parser is a cursor over the notation.
type parser struct {
	s   string
	i   int
	src string
}

func (p *parser) fail(format string, args ...any) error {
	return fmt.Errorf("hgvs: %q at position %d: %s: %w", p.src, p.i+1, fmt.Sprintf(format, args...), errs.Invalid)
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

func (p *parser) hasPrefix(t string) bool {
	return len(p.s)-p.i >= len(t) && strings.EqualFold(p.s[p.i:p.i+len(t)], t)
}

// aa reads one amino acid (three-letter, one-letter, '*', 'X' = stop).
func (p *parser) aa() (byte, bool) {
	if p.eof() {
		return 0, false
	}
	if len(p.s)-p.i >= 3 {
		w := strings.ToLower(p.s[p.i : p.i+3])
		if c, ok := threeToOne[w]; ok && p.s[p.i] >= 'A' && p.s[p.i] <= 'Z' && isLower(p.s[p.i+1]) && isLower(p.s[p.i+2]) {
			// Avoid reading "Del"/"Ins" etc.: threeToOne has none of them.
			p.i += 3
			if c == 'X' {
				return 0, false
			}
			return c, true
		}
	}
	c := p.s[p.i]
	switch {
	case c == '*' || c == 'X':
		p.i++
		return '*', true
	case strings.IndexByte(oneLetter, c) >= 0:
		p.i++
		return c, true
	}
	return 0, false
}

// aas reads a run of amino acids (for ins/delins).
func (p *parser) aas() string {
	var b strings.Builder
	for !p.eof() {
		save := p.i
		c, ok := p.aa()
		if !ok {
			p.i = save
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (p *parser) num() (int, bool) {
	st := p.i
	for !p.eof() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == st || p.i-st > 7 {
		return 0, false
	}
	n, err := strconv.Atoi(p.s[st:p.i])
	return n, err == nil && n > 0
}

// Parse reads an HGVS protein change such as "p.Val600Glu", "V600E",
// "ENSP00000288602.6:p.(Val600Glu)" or "p.E746_A750del".
func Parse(s string) (Protein, error) {
	src := s
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) >= 2 && (s[:2] == "p." || s[:2] == "P.") {
		s = s[2:]
	}
	if len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		s = s[1 : len(s)-1]
	}
	p := &parser{s: s, src: src}
	var pr Protein
	if s == "" || s == "?" || s == "0" || s == "=" {
		return pr, p.fail("no specific protein change")
	}
	ref, ok := p.aa()
	if !ok {
		return pr, p.fail("expected an amino acid")
	}
	pr.Ref = ref
	if pr.Start, ok = p.num(); !ok {
		return pr, p.fail("expected a residue number")
	}
	if !p.eof() && p.s[p.i] == '_' {
		p.i++
		if pr.EndRef, ok = p.aa(); !ok {
			return pr, p.fail("expected the amino acid ending the range")
		}
		if pr.End, ok = p.num(); !ok {
			return pr, p.fail("expected the residue number ending the range")
		}
		if pr.End <= pr.Start {
			return pr, p.fail("range end must follow its start")
		}
	}
	ranged := pr.End != 0
	switch {
	case p.eof():
		if ranged {
			return pr, p.fail("a range needs del, dup, ins or delins")
		}
		pr.Kind = PositionOnly
	case p.hasPrefix("delins"):
		p.i += 6
		pr.Kind = DelIns
		if pr.Alt = p.aas(); pr.Alt == "" {
			return pr, p.fail("delins needs inserted residues")
		}
	case p.hasPrefix("del"):
		p.i += 3
		pr.Kind = Deletion
		p.aas() // optional deleted residues (p.V600delV)
		for !p.eof() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++ // optional count (p.E746_A750del5)
		}
	case p.hasPrefix("dup"):
		p.i += 3
		pr.Kind = Duplication
		p.aas()
	case p.hasPrefix("ins"):
		p.i += 3
		pr.Kind = Insertion
		if !ranged {
			return pr, p.fail("an insertion needs the two flanking residues")
		}
		if pr.Alt = p.aas(); pr.Alt == "" {
			return pr, p.fail("ins needs inserted residues")
		}
	case p.hasPrefix("fs"):
		pr.Kind = Frameshift
		p.i += 2
		if err := p.fsTail(&pr); err != nil {
			return pr, err
		}
	case p.s[p.i] == '=':
		p.i++
		pr.Kind = Synonymous
	case p.s[p.i] == '?':
		p.i++
		if pr.Start != 1 || ranged {
			return pr, p.fail("'?' is only meaningful for the start codon (M1?)")
		}
		pr.Kind = StartLoss
	default:
		if ranged {
			return pr, p.fail("expected del, dup, ins or delins after a range")
		}
		alt, ok := p.aa()
		if !ok {
			return pr, p.fail("expected the new amino acid")
		}
		pr.Alt = string(alt)
		pr.Kind = Substitution
		switch {
		case p.hasPrefix("fs"):
			p.i += 2
			pr.Kind = Frameshift
			if err := p.fsTail(&pr); err != nil {
				return pr, err
			}
		case p.hasPrefix("ext"):
			p.i += 3
			pr.Kind = Extension
			if pr.Ref != '*' {
				return pr, p.fail("ext follows a stop codon")
			}
			if !p.eof() {
				if c, ok := p.aa(); !ok || c != '*' {
					return pr, p.fail("expected * after ext")
				}
				pr.FSLength = p.rest()
			}
		}
	}
	if !p.eof() {
		return pr, p.fail("unexpected trailing text")
	}
	if pr.Start == 1 && pr.Ref == 'M' && pr.Kind == Substitution {
		pr.Kind = StartLoss
	}
	return pr, nil
}

// fsTail reads what may follow "fs": "*13", "Ter13", "X13", "*?".
func (p *parser) fsTail(pr *Protein) error {
	if p.eof() {
		return nil
	}
	c, ok := p.aa()
	if !ok || c != '*' {
		return p.fail("expected *, Ter or X after fs")
	}
	pr.FSLength = p.rest()
	return nil
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// rest consumes a length ("13" or "?").
func (p *parser) rest() string {
	if !p.eof() && p.s[p.i] == '?' {
		p.i++
		return "?"
	}
	st := p.i
	for !p.eof() && p.s[p.i] >= '0' && p.s[p.i] <= '9' && p.i-st < 7 {
		p.i++
	}
	return p.s[st:p.i]
}

// String returns the canonical one-letter form without "p.".
func (pr Protein) String() string {
	var b strings.Builder
	b.WriteByte(pr.Ref)
	b.WriteString(strconv.Itoa(pr.Start))
	if pr.End != 0 {
		b.WriteByte('_')
		b.WriteByte(pr.EndRef)
		b.WriteString(strconv.Itoa(pr.End))
	}
	switch pr.Kind {
	case Substitution:
		b.WriteString(pr.Alt)
	case Synonymous:
		b.WriteByte('=')
	case Deletion:
		b.WriteString("del")
	case Duplication:
		b.WriteString("dup")
	case Insertion:
		b.WriteString("ins" + pr.Alt)
	case DelIns:
		b.WriteString("delins" + pr.Alt)
	case Frameshift:
		b.WriteString(pr.Alt + "fs")
		if pr.FSLength != "" {
			b.WriteString("*" + pr.FSLength)
		}
	case StartLoss:
		if pr.Alt != "" {
			b.WriteString(pr.Alt)
		} else {
			b.WriteByte('?')
		}
	case Extension:
		b.WriteString(pr.Alt + "ext")
		if pr.FSLength != "" {
			b.WriteString("*" + pr.FSLength)
		}
	}
	return b.String()
}

// Class returns the VariantClass the protein change implies.
func (pr Protein) Class() genomics.VariantClass {
	switch pr.Kind {
	case Substitution:
		if pr.Alt == "*" {
			if pr.Ref == '*' {
				return genomics.Synonymous
			}
			return genomics.Nonsense
		}
		if pr.Ref == '*' {
			return genomics.StopLost
		}
		return genomics.Missense
	case Synonymous:
		return genomics.Synonymous
	case Deletion, Duplication, Insertion, DelIns:
		if strings.HasSuffix(pr.Alt, "*") || strings.Contains(pr.Alt, "*") {
			return genomics.Nonsense
		}
		return genomics.InframeIndel
	case Frameshift:
		return genomics.Frameshift
	case StartLoss:
		return genomics.StartLost
	case Extension:
		return genomics.StopLost
	}
	return genomics.OtherClass
}

// Normalize parses s and returns its canonical one-letter form ("V600E").
func Normalize(s string) (string, error) {
	pr, err := Parse(s)
	if err != nil {
		return "", err
	}
	return pr.String(), nil
}
