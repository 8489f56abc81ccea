package response

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

func mustParse(t testing.TB, s string) *molecules.Mol {
	t.Helper()
	m, err := molecules.Parse(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return m
}

func TestScaffold(t *testing.T) {
	cases := []struct {
		a, b  string
		same  bool
		atoms int // scaffold atoms of a
	}{
		{"Cc1ccccc1", "CCc1ccccc1", true, 6},                        // side chains go
		{"c1ccccc1", "Oc1ccccc1", true, 6},                          // substituent goes
		{"c1ccc(cc1)-c1ccccc1", "c1ccc(cc1)Cc1ccccc1", false, 12},   // biphenyl vs diphenylmethane (linker kept)
		{"c1ccc(cc1)CCc1ccccc1", "CC(c1ccccc1)Cc1ccccc1", true, 14}, // the methyl branch on the linker goes
		{"CCCCO", "CCO", true, 0},                                   // acyclic share ""
		{"c1ccncc1", "c1ccccc1", false, 6},                          // element matters
		{"C1CCCCC1", "c1ccccc1", false, 6},                          // aromaticity matters
		{"OC(=O)c1ccc2ccccc2c1", "Nc1ccc2ccccc2c1", true, 10},       // naphthalene
		{"c1ccc2c(c1)CCN2", "c1ccc2c(c1)NCC2", true, 9},             // same indoline, other atom order
		{"CN1CCN(CC1)c1ccccc1", "c1ccc(cc1)N1CCNCC1", true, 12},     // phenylpiperazine
	}
	for _, c := range cases {
		ma, mb := mustParse(t, c.a), mustParse(t, c.b)
		if n := len(ScaffoldAtoms(ma)); n != c.atoms {
			t.Errorf("ScaffoldAtoms(%s) = %d atoms, want %d", c.a, n, c.atoms)
		}
		if got := ScaffoldKey(ma) == ScaffoldKey(mb); got != c.same {
			t.Errorf("ScaffoldKey(%s) == ScaffoldKey(%s) is %v, want %v", c.a, c.b, got, c.same)
		}
	}
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
		keys[i] = ScaffoldKey(mustParse(t, s))
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

func TestPhyschem(t *testing.T) {
	for _, tc := range []struct {
		smiles string
		want   map[string]float64
	}{
		// Benzene: six atoms of degree 2: Chi0 = 6/√2, Chi1 = 6·(1/2),
		// δv(aromatic CH) = 3; one symmetry class; one ring system.
		{"c1ccccc1", map[string]float64{"Chi0": 6 / math.Sqrt2, "Chi1": 3, "Chi1v": 2, "Kappa1": 6 * 25.0 / 36,
			"SymmetryClasses": 1, "SymmetryFraction": 1.0 / 6, "RingSystems": 1, "LargestRingSystem": 6, "FusedRings": 0}},
		// Isobutane: centre degree 3, three methyls: Chi1 = 3/√3; three
		// two-bond paths CH3–C–CH3 of product 3: Chi2 = 3/√3.
		{"CC(C)C", map[string]float64{"Chi0": 3 + 1/math.Sqrt(3), "Chi1": 3 / math.Sqrt(3), "Chi2": 3 / math.Sqrt(3), "SymmetryClasses": 2, "RingSystems": 0}},
		// Naphthalene: one system of ten atoms, two fused rings.
		{"c1ccc2ccccc2c1", map[string]float64{"RingSystems": 1, "LargestRingSystem": 10, "FusedRings": 2, "SymmetryClasses": 3}},
		// Chloromethane: δv(CH3) = 4 − 3 = 1, δv(Cl) = 7/(17 − 7 − 1).
		{"CCl", map[string]float64{"Chi1v": 1 / math.Sqrt(7.0/9)}},
	} {
		m, err := molecules.Parse(tc.smiles)
		if err != nil {
			t.Fatal(err)
		}
		got := appendPhyschem(nil, m)
		for name, want := range tc.want {
			k := slices.Index(physchemNames[:], name)
			if k < 0 {
				t.Fatalf("no descriptor %s", name)
			}
			if math.Abs(got[k]-want) > 1e-9 {
				t.Errorf("%s %s = %v, want %v", tc.smiles, name, got[k], want)
			}
		}
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

// enumeratePaths is the reference for pathSums: every simple path of 0–4
// bonds between heavy atoms walked from both ends (hence the halving).
func enumeratePaths(s *physScratch, m *molecules.Mol, w []float64) (p [5]float64) {
	on := make([]bool, m.NumAtoms())
	var walk func(a int32, l int, prod float64)
	walk = func(a int32, l int, prod float64) {
		if l > 0 {
			p[l] += 0.5 * prod
		}
		if l == 4 {
			return
		}
		for _, j := range s.adj[s.start[a]:s.start[a+1]] {
			if !on[j] {
				on[j] = true
				walk(j, l+1, prod*w[j])
				on[j] = false
			}
		}
	}
	for i := range m.Atoms {
		if m.Atoms[i].Z > 1 {
			p[0] += w[i]
			on[i] = true
			walk(int32(i), 0, w[i])
			on[i] = false
		}
	}
	return p
}

// TestPathSumsMatchEnumeration checks the centre-counted path sums (chi,
// valence chi, path counts) against brute-force enumeration on every
// embedded molecule and on small rings, cages and fused systems where arms
// run into each other.
func TestPathSumsMatchEnumeration(t *testing.T) {
	smiles := []string{"C1CC1", "C1CCC1", "C12C3C1C23", "C12C3C4C1C4C23", "C1CC2CC1C2", "c1ccc2ccccc2c1",
		"C12C3C4C1C5C2C3C45", "CC(C)(C)C", "C1=CC=CC=C1C1CC1", "O=C1C2C1C2", "[H]C([H])([H])C", "CCC"}
	for _, d := range Datasets() {
		tb, err := LoadDataset(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		smiles = append(smiles, tb.SMILES...)
	}
	s := new(physScratch)
	n := 0
	for _, smi := range smiles {
		m, err := molecules.Parse(smi)
		if err != nil {
			continue
		}
		s.build(m)
		chi, chiV, paths := s.pathSums(m)
		for k, w := range [][]float64{s.invSqrt, s.invSqV, s.ones} {
			got, want := [][5]float64{chi, chiV, paths}[k], enumeratePaths(s, m, w)
			for l := range got {
				if math.Abs(got[l]-want[l]) > 1e-9*math.Max(1, math.Abs(want[l])) {
					t.Fatalf("%s: weights %d, %d-bond paths: %v, enumeration %v", smi, k, l, got[l], want[l])
				}
			}
		}
		n++
	}
	t.Logf("%d molecules", n)
}

// TestSymmetryClassesMatchSortedRefinement: the multiset-sum labels of
// symmetryClasses split the heavy atoms into the same number of classes as
// the textbook refinement (a label is the atom's own with its neighbours'
// labels, sorted, as an exact tuple), on every embedded molecule.
func TestSymmetryClassesMatchSortedRefinement(t *testing.T) {
	s := new(physScratch)
	n := 0
	for _, d := range Datasets() {
		tb, err := LoadDataset(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, smi := range tb.SMILES {
			m, err := molecules.Parse(smi)
			if err != nil {
				continue
			}
			s.build(m)
			if got, want := s.symmetryClasses(m), sortedRefinementClasses(s, m); got != want {
				t.Fatalf("%s: %d classes, sorted-tuple refinement %d", smi, got, want)
			}
			n++
		}
	}
	t.Logf("%d molecules", n)
}

// sortedRefinementClasses is symmetryClasses with exact labels: strings of
// the atom's label and its neighbours' sorted labels, renumbered each round.
func sortedRefinementClasses(s *physScratch, m *molecules.Mol) int {
	n := m.NumAtoms()
	label := make([]int, n)
	ids := map[string]int{}
	intern := func(k string) int {
		if v, ok := ids[k]; ok {
			return v
		}
		ids[k] = len(ids)
		return ids[k]
	}
	for i := range m.Atoms {
		a := &m.Atoms[i]
		label[i] = intern(fmt.Sprint(a.Z, a.Charge, a.TotalHs(), a.Aromatic, s.start[i+1]-s.start[i]))
	}
	for round := 0; round < 3; round++ {
		next := make([]int, n)
		for i := range m.Atoms {
			var nb []int
			for _, j := range s.adj[s.start[i]:s.start[i+1]] {
				nb = append(nb, label[j])
			}
			slices.Sort(nb)
			next[i] = intern(fmt.Sprint(round, label[i], nb))
		}
		label = next
	}
	classes := map[int]bool{}
	for i := range m.Atoms {
		if m.Atoms[i].Z > 1 {
			classes[label[i]] = true
		}
	}
	return len(classes)
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
