package hgvs

import (
	"testing"

	"github.com/rxlab/rxlab/genomics"
)

// TestMAFClass covers the values on which cohorts' former MAF map and this
// package's disagreed, and the MAF specification's other values. The old
// answers are noted: cohorts read ITD and Frame_Shift as OTHER and did not
// know the older Start_Codon_*/Stop_Codon_* values; hgvs read the contract's
// class names (missense, frameshift, ...) and "" as OTHER.
func TestMAFClass(t *testing.T) {
	tests := []struct {
		in   string
		want genomics.VariantClass
	}{
		{"ITD", genomics.InframeIndel},          // cohorts: OTHER
		{"Frame_Shift", genomics.Frameshift},    // cohorts: OTHER
		{"Start_Codon_SNP", genomics.StartLost}, // both: OTHER
		{"Start_Codon_Del", genomics.StartLost},
		{"Stop_Codon_Ins", genomics.StopLost},
		{"missense", genomics.Missense},     // hgvs: OTHER
		{"FRAMESHIFT", genomics.Frameshift}, // hgvs: OTHER
		{"inframe_indel", genomics.InframeIndel},
		{"Synonymous", genomics.Synonymous},
		{"start_lost", genomics.StartLost},
		{"STOP_LOST", genomics.StopLost},
		{"", ""}, // hgvs: OTHER; no classification given
		{"  ", ""},
		{"OTHER", genomics.OtherClass},
		{" Missense_Mutation ", genomics.Missense},
		{"NONSENSE_MUTATION", genomics.Nonsense},
		{"Frame_Shift_Del", genomics.Frameshift},
		{"Frame_Shift_Ins", genomics.Frameshift},
		{"In_Frame_Del", genomics.InframeIndel},
		{"In_Frame_Ins", genomics.InframeIndel},
		{"Splice_Site", genomics.Splice},
		{"Splice_Region", genomics.Splice},
		{"Silent", genomics.Synonymous},
		{"Translation_Start_Site", genomics.StartLost},
		{"Nonstop_Mutation", genomics.StopLost},
		{"3'UTR", genomics.OtherClass},
		{"Intron", genomics.OtherClass},
		{"IGR", genomics.OtherClass},
		{"RNA", genomics.OtherClass},
		{"Targeted_Region", genomics.OtherClass},
		{"De_novo_Start_OutOfFrame", genomics.OtherClass},
		{"missense_variant", genomics.OtherClass}, // an SO term, not a MAF value
	}
	for _, tc := range tests {
		if got := MAFClass(tc.in); got != tc.want {
			t.Errorf("MAFClass(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMAFValuesAgreeWithClass: every MAF value gets the same class from
// MAFClass as from Class (the consequence path), so the two cannot drift.
func TestMAFValuesAgreeWithClass(t *testing.T) {
	for v, tc := range mafClasses {
		if MAFClass(v) != tc.class || Class(v) != tc.class {
			t.Errorf("%s: MAFClass %s, Class %s, map %s", v, MAFClass(v), Class(v), tc.class)
		}
	}
}

// FuzzMAFClass: any input gives "" or one of the contract's classes.
func FuzzMAFClass(f *testing.F) {
	for _, s := range []string{"Missense_Mutation", "", "ITD", "3'UTR", "inframe_indel"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := MAFClass(s)
		if c == "" {
			return
		}
		for _, k := range classNames {
			if c == k {
				return
			}
		}
		t.Fatalf("MAFClass(%q) = %q, not a class", s, c)
	})
}
