package cohorts

import (
	"testing"

	"github.com/rxlab/rxlab/genomics"
)

// TestMAFClassShared: the MatchMiner and CTML import reads MAF classes
// through hgvs.MAFClass, so the values the two former maps disagreed on
// import as the shared map says (ITD and Frame_Shift were OTHER here).
func TestMAFClassShared(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want genomics.VariantClass
	}{
		{"ITD", genomics.InframeIndel},
		{"Frame_Shift", genomics.Frameshift},
		{"Start_Codon_SNP", genomics.StartLost},
		{"missense", genomics.Missense},
		{"Missense_Mutation", genomics.Missense},
		{"", ""},
		{"Intron", genomics.OtherClass},
	} {
		if got := mafClass(tc.in); got != tc.want {
			t.Errorf("mafClass(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
