package pkpd

import (
	"errors"
	"math"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

// docetaxelCourse gives a typical patient mg over a 1-h infusion at hour 0 and
// returns Cmax (mg/L), nadir ANC, nadir day and ANC on day 21, from hourly
// samples refined to 1/fine h around the nadir.
func docetaxelCourse(t testing.TB, mg float64, fine, coarse int) (cmax, nadir, nadirDay, d21 float64) {
	t.Helper()
	b, err := NewDocetaxelBatch(DocetaxelConfig{Patients: 1, FineStepsPerHour: fine, CoarseStepsPerHour: coarse})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Infuse(0, mg, 1); err != nil {
		t.Fatal(err)
	}
	nadir = math.Inf(1)
	for h := 1; h <= 21*24; h++ {
		b.AdvanceAll(1)
		cmax = math.Max(cmax, b.Conc(0))
		if a := b.ANC(0); a < nadir {
			nadir, nadirDay = a, float64(h)/24
		}
	}
	return cmax, nadir, nadirDay, b.ANC(0)
}

// TestFribergGoldens reproduces the dosing notes' docetaxel table (typical
// values, 1-h infusion) within 2 % for Cmax, nadir and day-21 ANC and within
// 0.1 day for the nadir day.
func TestFribergGoldens(t *testing.T) {
	cases := []struct{ mg, cmax, nadir, day, d21 float64 }{
		{50, 1.37, 2556, 6.8, 5501},
		{75, 2.05, 1958, 7.0, 5685},
		{100, 2.74, 1554, 7.1, 5850},
		{135, 3.70, 1175, 7.4, 6053},
		{180, 4.93, 870, 7.6, 6280},
	}
	for _, c := range cases {
		cmax, nadir, day, d21 := docetaxelCourse(t, c.mg, 0, 0)
		t.Logf("%3.0f mg: Cmax %.3f (%.2f), nadir %.0f (%.0f, %+.2f%%) on day %.2f (%.1f), day 21 %.0f (%.0f, %+.2f%%)",
			c.mg, cmax, c.cmax, nadir, c.nadir, 100*(nadir-c.nadir)/c.nadir, day, c.day, d21, c.d21, 100*(d21-c.d21)/c.d21)
		for _, chk := range []struct {
			name      string
			got, want float64
		}{{"Cmax", cmax, c.cmax}, {"nadir", nadir, c.nadir}, {"day-21 ANC", d21, c.d21}} {
			if math.Abs(chk.got-chk.want)/chk.want > 0.02 {
				t.Errorf("%g mg %s = %.3f, want %.3f ±2%%", c.mg, chk.name, chk.got, chk.want)
			}
		}
		if math.Abs(day-c.day) > 0.1 {
			t.Errorf("%g mg nadir day %.2f, want %.1f", c.mg, day, c.day)
		}
	}
}

// TestDocetaxelConvergence halves both steps and checks the nadir moves less
// than 0.05 %.
func TestDocetaxelConvergence(t *testing.T) {
	_, n1, _, _ := docetaxelCourse(t, 100, 16, 1)
	_, n2, _, _ := docetaxelCourse(t, 100, 32, 2)
	_, n3, _, _ := docetaxelCourse(t, 100, 64, 4)
	t.Logf("nadir 16/h %.3f, 32/h %.3f, 64/h %.3f", n1, n2, n3)
	if math.Abs(n1-n3)/n3 > 5e-4 || math.Abs(n2-n3) > math.Abs(n1-n3)+1e-9 {
		t.Errorf("nadir not converged: %.4f %.4f %.4f", n1, n2, n3)
	}
}

func TestDocetaxelValidation(t *testing.T) {
	if _, err := NewDocetaxelBatch(DocetaxelConfig{}); !errors.Is(err, errs.Invalid) {
		t.Error("zero patients accepted")
	}
	if _, err := NewDocetaxelBatch(DocetaxelConfig{Patients: 1, FineStepsPerHour: -1}); !errors.Is(err, errs.Invalid) {
		t.Error("negative steps accepted")
	}
	b, _ := NewDocetaxelBatch(DocetaxelConfig{Patients: 2})
	for _, c := range []struct {
		name    string
		i       int
		mg, dur float64
	}{{"index", 5, 10, 1}, {"negative dose", 0, -1, 1}, {"NaN dose", 0, math.NaN(), 1}, {"zero duration", 0, 10, 0}, {"odd duration", 0, 10, 0.01}} {
		if err := b.Infuse(c.i, c.mg, c.dur); !errors.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
	if err := b.Infuse(0, 10, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Infuse(0, 10, 1); !errors.Is(err, errs.Invalid) {
		t.Error("overlapping infusion accepted")
	}
	if err := b.SetPatient(0, DocetaxelParams{}); !errors.Is(err, errs.Invalid) {
		t.Error("zero params accepted")
	}
}

// TestDocetaxelVariability checks that sampled patients differ, are
// reproducible for a seed, and stay finite and positive.
func TestDocetaxelVariability(t *testing.T) {
	run := func(seed uint64) []float64 {
		b, _ := NewDocetaxelBatch(DocetaxelConfig{Patients: 50})
		rng := NewRNG(seed)
		for i := range 50 {
			if err := b.SetPatient(i, SampleDocetaxel(rng)); err != nil {
				t.Fatal(err)
			}
			if err := b.Infuse(i, 150, 1); err != nil {
				t.Fatal(err)
			}
		}
		b.AdvanceAll(7 * 24)
		out := make([]float64, 50)
		for i := range out {
			out[i] = b.ANC(i)
			if !(out[i] > 0) || math.IsInf(out[i], 0) {
				t.Fatalf("patient %d ANC %v", i, out[i])
			}
		}
		return out
	}
	a, a2, c := run(7), run(7), run(8)
	same, diff := true, false
	for i := range a {
		same = same && a[i] == a2[i]
		diff = diff || a[i] != c[i]
	}
	if !same || !diff {
		t.Errorf("seeded reproducibility broken: same=%v diff=%v", same, diff)
	}
}
