package hgvs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store/errs"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		class    genomics.VariantClass
	}{
		{"p.V600E", "V600E", genomics.Missense},
		{"p.Val600Glu", "V600E", genomics.Missense},
		{"V600E", "V600E", genomics.Missense},
		{"ENSP00000288602.6:p.Val600Glu", "V600E", genomics.Missense},
		{"p.(Gly12Cys)", "G12C", genomics.Missense},
		{"p.G12C", "G12C", genomics.Missense},
		{"p.V600", "V600", genomics.OtherClass},
		{"V600", "V600", genomics.OtherClass},
		{"p.E746_A750del", "E746_A750del", genomics.InframeIndel},
		{"p.Glu746_Ala750del", "E746_A750del", genomics.InframeIndel},
		{"p.E746del", "E746del", genomics.InframeIndel},
		{"p.L747_T751delinsP", "L747_T751delinsP", genomics.InframeIndel},
		{"p.Leu747_Thr751delinsPro", "L747_T751delinsP", genomics.InframeIndel},
		{"p.A763_Y764insFQEA", "A763_Y764insFQEA", genomics.InframeIndel},
		{"p.Ala763_Tyr764insPheGlnGluAla", "A763_Y764insFQEA", genomics.InframeIndel},
		{"p.E709dup", "E709dup", genomics.InframeIndel},
		{"p.Glu709_Thr710dup", "E709_T710dup", genomics.InframeIndel},
		{"p.R882Hfs*13", "R882Hfs*13", genomics.Frameshift},
		{"p.Arg882HisfsTer13", "R882Hfs*13", genomics.Frameshift},
		{"p.W288fs*12", "W288fs*12", genomics.Frameshift},
		{"p.W288fs", "W288fs", genomics.Frameshift},
		{"p.P72fsX", "P72fs", genomics.Frameshift},
		{"p.Q61*", "Q61*", genomics.Nonsense},
		{"p.Gln61Ter", "Q61*", genomics.Nonsense},
		{"p.R213X", "R213*", genomics.Nonsense},
		{"p.M1?", "M1?", genomics.StartLost},
		{"p.Met1?", "M1?", genomics.StartLost},
		{"p.M1I", "M1I", genomics.StartLost},
		{"p.L802=", "L802=", genomics.Synonymous},
		{"p.(Leu802=)", "L802=", genomics.Synonymous},
		{"p.*757Qext*?", "*757Qext*?", genomics.StopLost},
		{"p.Ter757GlnextTer?", "*757Qext*?", genomics.StopLost},
		{"p.*757Q", "*757Q", genomics.StopLost},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			pr, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := pr.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if pr.Kind != PositionOnly && pr.Class() != tc.class {
				t.Errorf("Class() = %s, want %s", pr.Class(), tc.class)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "p.", "p.?", "p.0", "p.V", "p.600E", "p.V600E_", "p.V600_K601", "p.V600E?",
		"p.X125_splice", "p.V600Zzz", "p.K601_V600del", "p.V600ins", "p.V600delins", "p.A2?"} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", in)
			continue
		}
		if !errors.Is(err, errs.Invalid) {
			t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", in, err)
		}
	}
}

func TestClass(t *testing.T) {
	tests := []struct {
		in   string
		want genomics.VariantClass
	}{
		{"missense_variant", genomics.Missense},
		{"stop_gained&splice_region_variant", genomics.Nonsense},
		{"missense_variant&splice_region_variant", genomics.Missense},
		{"splice_acceptor_variant&intron_variant", genomics.Splice},
		{"frameshift_variant", genomics.Frameshift},
		{"disruptive_inframe_deletion", genomics.InframeIndel},
		{"synonymous_variant", genomics.Synonymous},
		{"start_lost", genomics.StartLost},
		{"stop_lost", genomics.StopLost},
		{"intron_variant", genomics.OtherClass},
		{"Missense_Mutation", genomics.Missense},
		{"Nonsense_Mutation", genomics.Nonsense},
		{"Frame_Shift_Del", genomics.Frameshift},
		{"Frame_Shift_Ins", genomics.Frameshift},
		{"In_Frame_Del", genomics.InframeIndel},
		{"In_Frame_Ins", genomics.InframeIndel},
		{"Splice_Site", genomics.Splice},
		{"Silent", genomics.Synonymous},
		{"Nonstop_Mutation", genomics.StopLost},
		{"Translation_Start_Site", genomics.StartLost},
		{"ITD", genomics.InframeIndel},
		{"IGR", genomics.OtherClass},
		{"3'UTR", genomics.OtherClass},
		{"", genomics.OtherClass},
	}
	for _, tc := range tests {
		if got := Class(tc.in); got != tc.want {
			t.Errorf("Class(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := ClassOf("", "p.Q61*"); got != genomics.Nonsense {
		t.Errorf("ClassOf from protein = %s", got)
	}
}

func ExampleNormalize() {
	for _, s := range []string{"p.Val600Glu", "p.E746_A750del", "p.Gly12Cys", "p.Arg882HisfsTer13"} {
		n, err := Normalize(s)
		if err != nil {
			panic(err)
		}
		fmt.Println(n)
	}
	// Output:
	// V600E
	// E746_A750del
	// G12C
	// R882Hfs*13
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"p.V600E", "p.Val600Glu", "p.E746_A750del", "p.L747_T751delinsP", "p.A763_Y764insFQEA",
		"p.R882Hfs*13", "p.Arg882HisfsTer13", "p.Q61*", "p.M1?", "p.L802=", "p.*757Qext*?", "V600", "p.X125_splice",
		"ENSP00000288602.6:p.(Val600Glu)", "p.E709dup"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pr, err := Parse(s)
		if err != nil {
			return
		}
		// The canonical form must parse back to itself.
		out := pr.String()
		pr2, err := Parse(out)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", out, s, err)
		}
		if pr2.String() != out {
			t.Fatalf("canonical form not stable: %q -> %q -> %q", s, out, pr2.String())
		}
	})
}
