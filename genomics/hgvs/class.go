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
	// MAF Variant_Classification values (lower-cased).
	"frame_shift_del":        {genomics.Frameshift, 90},
	"frame_shift_ins":        {genomics.Frameshift, 90},
	"frame_shift":            {genomics.Frameshift, 90},
	"nonsense_mutation":      {genomics.Nonsense, 90},
	"splice_site":            {genomics.Splice, 85},
	"translation_start_site": {genomics.StartLost, 80},
	"nonstop_mutation":       {genomics.StopLost, 75},
	"in_frame_del":           {genomics.InframeIndel, 70},
	"in_frame_ins":           {genomics.InframeIndel, 70},
	"itd":                    {genomics.InframeIndel, 70}, // FLT3 internal tandem duplication
	"missense_mutation":      {genomics.Missense, 60},
	"splice_region":          {genomics.Splice, 40},
	"silent":                 {genomics.Synonymous, 30},
}

// Class maps consequence words to a VariantClass. s may hold several terms
// joined by '&', ',' or whitespace (VEP "stop_gained&splice_region_variant");
// the most severe recognised term wins. Unknown or non-coding terms (intron,
// UTR, IGR, ...) give genomics.OtherClass.
func Class(s string) genomics.VariantClass {
	best := termClass{genomics.OtherClass, 0}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == '&' || r == ',' || r == ' ' || r == '|' }) {
		if tc, ok := terms[strings.ToLower(t)]; ok && tc.rank > best.rank {
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
