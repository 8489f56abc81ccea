package response

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/descriptors"
)

func mustParse(t testing.TB, s string) *molecules.Mol {
	t.Helper()
	m, err := molecules.Parse(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return m
}

func TestSplits(t *testing.T) {
	check := func(t *testing.T, s Split, n int) {
		t.Helper()
		all := append(append(slices.Clone(s.Train), s.Val...), s.Test...)
		slices.Sort(all)
		if len(all) != n || len(slices.Compact(all)) != n {
			t.Fatalf("split does not partition %d rows", n)
		}
	}
	r1, r2, r3 := RandomSplit(1000, 7), RandomSplit(1000, 7), RandomSplit(1000, 8)
	check(t, r1, 1000)
	if len(r1.Test) != 100 || len(r1.Val) != 100 {
		t.Errorf("random split sizes %d/%d/%d", len(r1.Train), len(r1.Val), len(r1.Test))
	}
	if !slices.Equal(r1.Test, r2.Test) || slices.Equal(r1.Test, r3.Test) {
		t.Error("random split not fixed by seed")
	}
	f1 := FullSplit(1000, 7)
	check(t, f1, 1000)
	if len(f1.Test) != 0 || !slices.Equal(f1.Val, r1.Val) {
		t.Errorf("full split: %d test rows, validation rows equal to the random split's: %v", len(f1.Test), slices.Equal(f1.Val, r1.Val))
	}
	if tr := append(slices.Clone(r1.Train), r1.Test...); !slices.Equal(f1.Train, slices.Sorted(slices.Values(tr))) {
		t.Error("full split's training rows are not the random split's training and test rows")
	}
	tb, err := LoadDataset("esol")
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(tb.SMILES))
	for i, s := range tb.SMILES {
		keys[i] = descriptors.ScaffoldKey(mustParse(t, s))
	}
	s1, s2 := GroupSplit(keys, 1), GroupSplit(keys, 1)
	check(t, s1, len(keys))
	if !slices.Equal(s1.Val, s2.Val) {
		t.Error("scaffold split not fixed by seed")
	}
	part := map[string]int{}
	for p, idx := range [][]int{s1.Train, s1.Val, s1.Test} {
		for _, i := range idx {
			if q, ok := part[keys[i]]; ok && q != p {
				t.Fatalf("scaffold of row %d is in two parts", i)
			}
			part[keys[i]] = p
		}
	}
	if f := float64(len(s1.Test)) / float64(len(keys)); f < 0.08 || f > 0.12 {
		t.Errorf("scaffold test fraction %.3f", f)
	}
	groups := []int{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9}
	g := splitByGroupIDs(groups, 3)
	check(t, g, len(groups))
	for _, i := range g.Test {
		for _, j := range g.Train {
			if groups[i] == groups[j] {
				t.Fatal("group in train and test")
			}
		}
	}
}

func TestMetrics(t *testing.T) {
	m := RegressionMetrics([]float64{1, 2, 3, 4}, []float64{1, 2, 3, math.NaN()})
	if m["n"] != 3 || m["rmse"] != 0 || m["r2"] != 1 || math.Abs(m["pearson"]-1) > 1e-12 {
		t.Errorf("perfect: %v", m)
	}
	m = RegressionMetrics([]float64{2, 2, 2}, []float64{1, 2, 3})
	if math.Abs(m["rmse"]-math.Sqrt(2.0/3)) > 1e-12 || math.Abs(m["mae"]-2.0/3) > 1e-12 || m["r2"] != 0 || m["pearson"] != 0 {
		t.Errorf("constant: %v", m)
	}
	cases := []struct {
		s, y []float64
		auc  float64
	}{
		{[]float64{0.1, 0.4, 0.35, 0.8}, []float64{0, 0, 1, 1}, 0.75}, // sklearn's example
		{[]float64{1, 2, 3}, []float64{0, 1, 1}, 1},
		{[]float64{3, 2, 1}, []float64{0, 1, 1}, 0},
		{[]float64{1, 1, 1, 1}, []float64{0, 1, 0, 1}, 0.5},
		{[]float64{1, 2, 3}, []float64{1, 1, math.NaN()}, math.NaN()},
	}
	for _, c := range cases {
		got := ROCAUC(c.s, c.y)
		if !(got == c.auc || math.IsNaN(got) && math.IsNaN(c.auc)) {
			t.Errorf("ROCAUC(%v, %v) = %v, want %v", c.s, c.y, got, c.auc)
		}
	}
	r, n := meanPearsonByGroup([]float64{1, 2, 3, 5, 5, 5}, []float64{1, 2, 4, 1, 2, 3}, []int{0, 0, 0, 1, 1, 1})
	if n != 2 || math.Abs(r-(RegressionMetrics([]float64{1, 2, 3}, []float64{1, 2, 4})["pearson"]+0)/2) > 1e-12 {
		t.Errorf("per-group pearson %v over %d", r, n)
	}
}

func TestLossGradients(t *testing.T) {
	pred := []float32{0.3, -1.2, 2.0, 0.5}
	aux := []float32{1, 0, 0, 0, 0.5, 1, 1, 0} // 2 rows × (2 targets, 2 masks)
	for _, l := range []interface {
		Eval(pred, aux []float32, batch, width int, grad []float32) float32
	}{maskedMSE{}, maskedBCE{}} {
		grad := make([]float32, 4)
		l.Eval(pred, aux, 2, 2, grad)
		for i := range pred {
			const h = 1e-2
			p := slices.Clone(pred)
			p[i] += h
			up := l.Eval(p, aux, 2, 2, nil)
			p[i] -= 2 * h
			dn := l.Eval(p, aux, 2, 2, nil)
			fd := (up - dn) / (2 * h)
			if math.Abs(float64(fd-grad[i])) > 2e-3 {
				t.Errorf("%T grad[%d] = %v, finite difference %v", l, i, grad[i], fd)
			}
		}
		if grad[1] != 0 || grad[3] != 0 {
			t.Errorf("%T: masked outputs got gradient %v", l, grad)
		}
	}
}

func TestNearestExact(t *testing.T) {
	tb, err := LoadDataset("freesolv")
	if err != nil {
		t.Fatal(err)
	}
	var fps []molecules.Fingerprint
	for _, s := range tb.SMILES {
		if m, err := molecules.Parse(s); err == nil {
			fps = append(fps, molecules.Morgan(m, 2, PropertyBits))
		}
	}
	x := &nearest{}
	for _, fp := range fps[:400] {
		x.add(fp)
	}
	x.build()
	hot := 0
	for _, h := range x.hot {
		if h >= 0 {
			hot++
		}
	}
	if hot == 0 {
		t.Fatal("no frequent bits: the mask path is not exercised")
	}
	for _, q := range fps[380:] {
		want := 0.0
		for _, fp := range fps[:400] {
			want = math.Max(want, molecules.Tanimoto(q, fp))
		}
		if got, _ := x.max(q, nil); math.Abs(got-want) > 1e-12 {
			t.Fatalf("nearest %v, brute force %v", got, want)
		}
	}
	if s, _ := (&nearest{}).max(fps[0], nil); s != 0 {
		t.Error("empty index")
	}
}

func TestCrippenTypeWidth(t *testing.T) {
	if n := len(molecules.CrippenLabels()); n != NumCrippenTypes {
		t.Fatalf("molecules has %d Crippen labels, the descriptor block %d columns", n, NumCrippenTypes)
	}
}

// TestSkipStereoFeaturesIdentical holds parserConfig's promise: the
// features of MLP property models (folded counts with their environments'
// atoms, the similarity fingerprint, every descriptor block) are the same
// whether or not stereo is perceived, on every embedded dataset molecule.
func TestSkipStereoFeaturesIdentical(t *testing.T) {
	full, err := molecules.NewParser(molecules.ParserConfig{})
	if err != nil {
		t.Fatal(err)
	}
	skip, err := molecules.NewParser(molecules.ParserConfig{SkipStereo: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range Datasets() {
		tb, err := LoadDataset(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		for line, s := range tb.SMILES {
			a, errA := full.Parse(s)
			b, errB := skip.Parse(s)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%s line %d: errors differ: %v / %v", d.Name, line, errA, errB)
			}
			if errA != nil {
				continue
			}
			fa := featurize(a, PropertyBits, nil, true, DescPhyschem)
			fb := featurize(b, PropertyBits, nil, true, DescPhyschem)
			if !slices.Equal(fa.counts, fb.counts) || !slices.Equal(fa.desc, fb.desc) ||
				!slices.Equal(fa.fp.Words, fb.fp.Words) || !slices.EqualFunc(fa.envAtoms, fb.envAtoms, slices.Equal) {
				t.Fatalf("%s line %d %s: features differ with SkipStereo", d.Name, line, s)
			}
			n++
		}
	}
	t.Logf("%d molecules identical", n)
}

// TestNestSplit checks the experiments' inner split: the outer validation
// rows become the test rows, a validation part of the same size comes from
// the training rows, and no outer test row is used.
func TestNestSplit(t *testing.T) {
	outer := RandomSplit(1000, 4)
	in := nestSplit(outer, 4)
	if !slices.Equal(in.Test, outer.Val) {
		t.Error("inner test rows are not the outer validation rows")
	}
	if len(in.Val) != len(outer.Val) || len(in.Train)+len(in.Val) != len(outer.Train) {
		t.Errorf("inner parts %d/%d from %d training rows", len(in.Train), len(in.Val), len(outer.Train))
	}
	got := append(slices.Clone(in.Train), in.Val...)
	slices.Sort(got)
	if !slices.Equal(got, outer.Train) {
		t.Error("inner training and validation rows are not the outer training rows")
	}
	if other := nestSplit(outer, 5); slices.Equal(other.Val, in.Val) {
		t.Error("the seed does not choose the inner validation rows")
	}
}

// TestNestGroupSplit checks that the group-wise nesting keeps groups whole:
// the inner validation rows are whole training groups, as many as the
// outer validation part has, and the outer validation rows become the
// inner test rows.
func TestNestGroupSplit(t *testing.T) {
	groupOf := make([]int, 3000)
	for i := range groupOf {
		groupOf[i] = (i * 7919) % 100
	}
	outer := splitByGroupIDs(groupOf, 3)
	in := nestGroupSplit(outer, groupOf, 3)
	if !slices.Equal(in.Test, outer.Val) {
		t.Error("inner test rows are not the outer validation rows")
	}
	got := append(slices.Clone(in.Train), in.Val...)
	slices.Sort(got)
	if !slices.Equal(got, outer.Train) {
		t.Error("inner training and validation rows are not the outer training rows")
	}
	groups := func(rows []int) map[int]bool {
		m := map[int]bool{}
		for _, i := range rows {
			m[groupOf[i]] = true
		}
		return m
	}
	tg, vg := groups(in.Train), groups(in.Val)
	for g := range vg {
		if tg[g] {
			t.Fatalf("group %d is in both inner parts", g)
		}
	}
	if len(vg) != len(groups(outer.Val)) {
		t.Errorf("inner validation has %d groups, outer %d", len(vg), len(groups(outer.Val)))
	}
	if other := nestGroupSplit(outer, groupOf, 4); slices.Equal(other.Val, in.Val) {
		t.Error("the seed does not choose the inner validation groups")
	}
}

// TestBootstrapCI checks the metric intervals: for normal residuals the
// RMSE interval holds the RMSE and is as wide as theory says (±1.96·σ/√(2n));
// resampling whole clusters widens it when rows of a cluster share an
// error; the seed fixes it; and a statistic that is never defined gives
// NaN bounds.
func TestBootstrapCI(t *testing.T) {
	const n = 400
	rng := rand.New(rand.NewPCG(3, 4))
	pred, y, group := make([]float64, n), make([]float64, n), make([]int, n)
	offset := make([]float64, 20)
	for c := range offset {
		offset[c] = rng.NormFloat64()
	}
	for i := range y {
		group[i] = i / 20
		y[i] = rng.NormFloat64()
	}
	rmse := func(rows []int) float64 {
		p, yy := make([]float64, len(rows)), make([]float64, len(rows))
		for k, i := range rows {
			p[k], yy[k] = pred[i], y[i]
		}
		return RegressionMetrics(p, yy)["rmse"]
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	lo, hi := bootstrapCI(n, nil, 1, rmse)
	point := rmse(all)
	if !(lo < point && point < hi) || hi-lo < 0.10 || hi-lo > 0.18 {
		t.Errorf("rmse %.3f, interval [%.3f, %.3f]: want it inside, width near 0.139", point, lo, hi)
	}
	if lo2, hi2 := bootstrapCI(n, nil, 1, rmse); lo2 != lo || hi2 != hi {
		t.Error("the same seed gave another interval")
	}
	if lo2, _ := bootstrapCI(n, nil, 2, rmse); lo2 == lo {
		t.Error("another seed gave the same interval")
	}
	// Rows of a cluster share an offset: the residuals are not independent.
	for i := range y {
		y[i] = 0.3*y[i] + offset[group[i]]
	}
	rlo, rhi := bootstrapCI(n, nil, 1, rmse)
	clo, chi := bootstrapCI(n, group, 1, rmse)
	t.Logf("independent rows: rmse %.3f in [%.3f, %.3f]; clustered: rows [%.3f, %.3f], clusters [%.3f, %.3f]", point, lo, hi, rlo, rhi, clo, chi)
	if chi-clo < 2*(rhi-rlo) {
		t.Errorf("clustered interval [%.3f, %.3f] is not much wider than the row interval [%.3f, %.3f]", clo, chi, rlo, rhi)
	}
	if lo, hi := bootstrapCI(n, nil, 1, func([]int) float64 { return math.NaN() }); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("undefined statistic gave [%v, %v]", lo, hi)
	}
	if lo, hi := bootstrapCI(0, nil, 1, rmse); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("no rows gave [%v, %v]", lo, hi)
	}
}
