package hgvs

import (
	"strings"

	"github.com/rxlab/rxlab/genomics"
)

// termClass maps a consequence term (lower case) to a class and a severity
// rank used to pick the worst of several terms.
type termClass struct {
	class genomics.VariantClass
	rank  int
}

var terms = map[string]termClass{
	// Sequence Ontology terms as written by VEP and SnpEff.
	"frameshift_variant":                  {genomics.Frameshift, 90},
	"frameshift_elongation":               {genomics.Frameshift, 90},
	"frameshift_truncation":               {genomics.Frameshift, 90},
	"stop_gained":                         {genomics.Nonsense, 90},
	"splice_acceptor_variant":             {genomics.Splice, 85},
	"splice_donor_variant":                {genomics.Splice, 85},
	"start_lost":                          {genomics.StartLost, 80},
	"initiator_codon_variant":             {genomics.StartLost, 80},
	"stop_lost":                           {genomics.StopLost, 75},
	"inframe_insertion":                   {genomics.InframeIndel, 70},
	"inframe_deletion":                    {genomics.InframeIndel, 70},
	"disruptive_inframe_insertion":        {genomics.InframeIndel, 70},
	"disruptive_inframe_deletion":         {genomics.InframeIndel, 70},
	"conservative_inframe_insertion":      {genomics.InframeIndel, 70},
	"conservative_inframe_deletion":       {genomics.InframeIndel, 70},
	"inframe_variant":                     {genomics.InframeIndel, 70},
	"protein_altering_variant":            {genomics.InframeIndel, 65},
	"missense_variant":                    {genomics.Missense, 60},
	"non_synonymous_codon":                {genomics.Missense, 60},
	"splice_donor_5th_base_variant":       {genomics.Splice, 50},
	"splice_region_variant":               {genomics.Splice, 40},
	"splice_donor_region_variant":         {genomics.Splice, 40},
	"splice_polypyrimidine_tract_variant": {genomics.Splice, 35},
	"synonymous_variant":                  {genomics.Synonymous, 30},
	"stop_retained_variant":               {genomics.Synonymous, 30},
	"start_retained_variant":              {genomics.Synonymous, 30},
	"start_retained":                      {genomics.Synonymous, 30},
	"stop_retained":                       {genomics.Synonymous, 30},
}

// mafClasses maps MAF Variant_Classification values (lower-cased) to a
// class and a rank on the scale of terms: the coding values of the GDC MAF
// specification, the older Start_Codon_*/Stop_Codon_* ones, and the
// Frame_Shift and ITD (FLT3 internal tandem duplication) that some
// MatchMiner and CTML files write. Values it lacks (3'UTR, Intron, IGR,
// RNA, Targeted_Region, De_novo_Start_*, ...) are non-coding: OtherClass.
// It is rxlab's one MAF map: Class reads it for MAF words in consequence
// strings, MAFClass for a MAF column (cohorts' MatchMiner and CTML import).
var mafClasses = map[string]termClass{
	"frame_shift_del":        {genomics.Frameshift, 90},
	"frame_shift_ins":        {genomics.Frameshift, 90},
	"frame_shift":            {genomics.Frameshift, 90},
	"nonsense_mutation":      {genomics.Nonsense, 90},
	"splice_site":            {genomics.Splice, 85},
	"translation_start_site": {genomics.StartLost, 80},
	"start_codon_snp":        {genomics.StartLost, 80},
	"start_codon_del":        {genomics.StartLost, 80},
	"start_codon_ins":        {genomics.StartLost, 80},
	"nonstop_mutation":       {genomics.StopLost, 75},
	"stop_codon_del":         {genomics.StopLost, 75},
	"stop_codon_ins":         {genomics.StopLost, 75},
	"in_frame_del":           {genomics.InframeIndel, 70},
	"in_frame_ins":           {genomics.InframeIndel, 70},
	"itd":                    {genomics.InframeIndel, 70},
	"missense_mutation":      {genomics.Missense, 60},
	"splice_region":          {genomics.Splice, 40},
	"silent":                 {genomics.Synonymous, 30},
}

// classNames are the contract's own class names, which MAFClass also
// accepts (a CTML variant_classification may name the class directly).
var classNames = []genomics.VariantClass{genomics.Missense, genomics.Nonsense, genomics.Frameshift, genomics.Splice,
	genomics.InframeIndel, genomics.Synonymous, genomics.StartLost, genomics.StopLost, genomics.OtherClass}

// MAFClass maps one MAF Variant_Classification value (case and surrounding
// spaces ignored) to a VariantClass: "" for an empty value (no
// classification given), the class of a MAF value or of one of the
// contract's class names (MISSENSE, INFRAME_INDEL, ...), and OtherClass
// for anything else, non-coding values included.
func MAFClass(s string) genomics.VariantClass {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return ""
	}
	if tc, ok := mafClasses[t]; ok {
		return tc.class
	}
	for _, c := range classNames {
		if strings.EqualFold(t, string(c)) {
			return c
		}
	}
	return genomics.OtherClass
}

// Class maps consequence words (Sequence Ontology terms as VEP and SnpEff
// write them, or MAF values as MAFClass reads them) to a VariantClass. s may
// hold several terms joined by '&', ',' or whitespace (VEP
// "stop_gained&splice_region_variant");
// the most severe recognised term wins. Unknown or non-coding terms (intron,
// UTR, IGR, ...) give genomics.OtherClass.
func Class(s string) genomics.VariantClass {
	best := termClass{genomics.OtherClass, 0}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == '&' || r == ',' || r == ' ' || r == '|' }) {
		l := strings.ToLower(t)
		tc, ok := terms[l]
		if !ok {
			tc, ok = mafClasses[l]
		}
		if ok && tc.rank > best.rank {
			best = tc
		}
	}
	return best.class
}

// ClassOf combines a consequence and a protein change: the consequence
// words decide when they are recognised, else the protein change does.
func ClassOf(consequence, proteinChange string) genomics.VariantClass {
	if c := Class(consequence); c != genomics.OtherClass {
		return c
	}
	if proteinChange != "" {
		if pr, err := Parse(proteinChange); err == nil {
			return pr.Class()
		}
	}
	return genomics.OtherClass
}
