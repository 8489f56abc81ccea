package dosing

import (
	"strings"
	"testing"

	"github.com/rxlab/rxlab/rl/pkpd"
)

func TestWarfarinGuardrail(t *testing.T) {
	cases := []struct {
		name      string
		cyp       pkpd.CYP2C9
		vk        pkpd.VKORC1
		genotyped bool
		age       float64
		day       int
		want      float64
		why       string
	}{
		{"*3/*3 A/A first week", pkpd.CYP2C9_33, pkpd.VKORC1_AA, true, 71, 0, 2, "no loading dose"},
		{"*3/*3 A/A maintenance", pkpd.CYP2C9_33, pkpd.VKORC1_AA, true, 71, 7, 4, "twice the upper end"},
		{"*1/*1 G/G young first week", pkpd.CYP2C9_11, pkpd.VKORC1_GG, true, 40, 0, 10, "no loading dose above 10"},
		{"*1/*1 G/G elderly first week", pkpd.CYP2C9_11, pkpd.VKORC1_GG, true, 70, 3, 5, "age ≥ 65"},
		{"*1/*1 G/G maintenance", pkpd.CYP2C9_11, pkpd.VKORC1_GG, true, 70, 30, 14, "5–7"},
		{"*1/*3 G/A maintenance", pkpd.CYP2C9_13, pkpd.VKORC1_GA, true, 50, 30, 8, "3–4"},
		{"no genotype", pkpd.CYP2C9_33, pkpd.VKORC1_AA, false, 50, 30, 15, "label maximum"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := WarfarinGuardrail(c.cyp, c.vk, c.genotyped, c.age, c.day)
			if got != c.want || !strings.Contains(why, c.why) {
				t.Errorf("bound %g (%s), want %g (%s)", got, why, c.want, c.why)
			}
			if WarfarinGuardrailMax(c.cyp, c.vk, c.genotyped, c.age, c.day) != got {
				t.Error("WarfarinGuardrailMax disagrees")
			}
		})
	}
	// The bound never falls from one day to the next (a dose kept between
	// visits stays within it), for every genotype and age band.
	for _, c := range pkpd.AllCYP2C9() {
		for _, v := range pkpd.AllVKORC1() {
			for _, age := range []float64{30, 64, 65, 90} {
				prev := 0.0
				for day := range 40 {
					b := WarfarinGuardrailMax(c, v, true, age, day)
					if b < prev {
						t.Errorf("%s %s age %g: bound falls on day %d", c, v, age, day)
					}
					prev = b
				}
			}
		}
	}
}

// FuzzParseMonitoring checks that the schedule parser accepts exactly the
// three names (and "" as PROTOCOL) and names the field otherwise.
func FuzzParseMonitoring(f *testing.F) {
	for _, s := range []string{"", "DAILY", "OUTPATIENT", "PROTOCOL", "daily", "WEEKLY", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonitoring("input.monitoring", s)
		switch s {
		case "", "DAILY", "OUTPATIENT", "PROTOCOL":
			if err != nil || (s != "" && string(m) != s) || (s == "" && m != MonitoringProtocol) {
				t.Fatalf("%q: %v %v", s, m, err)
			}
		default:
			if err == nil || !strings.Contains(err.Error(), "input.monitoring") {
				t.Fatalf("%q accepted or unnamed: %v", s, err)
			}
		}
	})
}
