package dosing

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// within reports whether a count out of n is within 5 binomial standard
// errors (plus 1e-4) of probability p.
func within(count, n int, p float64) bool {
	got := float64(count) / float64(n)
	return math.Abs(got-p) <= 5*math.Sqrt(p*(1-p)/float64(n))+1e-4
}

// TestAncestryAlleleFrequencies draws 200,000 patients of each group
// (seeded) and checks every star allele's frequency, the simulated CYP2C9
// diplotypes and the VKORC1 genotypes against the table under
// Hardy–Weinberg, within 5 standard errors.
func TestAncestryAlleleFrequencies(t *testing.T) {
	tab, err := NewAncestryTable()
	if err != nil {
		t.Fatal(err)
	}
	const n = 200_000
	for gi, g := range tab.Groups() {
		t.Run(g.Name, func(t *testing.T) {
			rng := pkpd.NewRNG(uint64(1000 + gi))
			var stars [len(cyp2c9Stars)]int
			for range n {
				a, b, _ := drawAncestryAlleles(rng, &g)
				stars[a]++
				stars[b]++
			}
			for k, c := range stars {
				if !within(c, 2*n, g.CYP2C9[k]) {
					t.Errorf("CYP2C9%s: drawn %.5f, table %.5f", cyp2c9Stars[k], float64(c)/(2*n), g.CYP2C9[k])
				}
			}
			pats, err := tab.Population(context.Background(), n, uint64(7+gi), []AncestryShare{{Group: g.Name, Share: 1}})
			if err != nil {
				t.Fatal(err)
			}
			checkHardyWeinberg(t, g, pats)
		})
	}
}

func checkHardyWeinberg(t *testing.T, g AncestryGroup, pats []*Patient) {
	t.Helper()
	var wantC [6]float64
	for a, pa := range g.CYP2C9 {
		for b, pb := range g.CYP2C9 {
			wantC[modelledCYP2C9(a, b)] += pa * pb
		}
	}
	q := g.VKORC1A
	wantV := [3]float64{(1 - q) * (1 - q), 2 * q * (1 - q), q * q}
	var gotC [6]int
	var gotV [3]int
	for _, p := range pats {
		c, ok1 := p.CYP2C9()
		v, ok2 := p.VKORC1()
		if !ok1 || !ok2 || p.Race != g.Race {
			t.Fatalf("patient without genotype or with race %q", p.Race)
		}
		gotC[c]++
		gotV[v]++
	}
	for k, c := range gotC {
		if !within(c, len(pats), wantC[k]) {
			t.Errorf("CYP2C9 %s: drawn %.5f, Hardy–Weinberg %.5f", pkpd.CYP2C9(k), float64(c)/float64(len(pats)), wantC[k])
		}
	}
	for k, c := range gotV {
		if !within(c, len(pats), wantV[k]) {
			t.Errorf("VKORC1 %s: drawn %.5f, Hardy–Weinberg %.5f", pkpd.VKORC1(k), float64(c)/float64(len(pats)), wantV[k])
		}
	}
}

// TestAncestryMix checks group shares of a mix, that subgroups by ancestry
// get the drawn groups, and that the same seed gives the same population.
func TestAncestryMix(t *testing.T) {
	tab, err := NewAncestryTable()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mix := []AncestryShare{{Group: "european", Share: 2}, {Group: "AFRICAN", Share: 1}, {Group: "EAST_ASIAN", Share: 1}}
	const n = 40_000
	pats, err := tab.Population(ctx, n, 5, mix)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, p := range pats {
		counts[SubgroupValue(p, DimAncestry)]++
	}
	for _, c := range []struct {
		value string
		p     float64
	}{{"White", 0.5}, {"Black", 0.25}, {"Asian", 0.25}} {
		if !within(counts[c.value], n, c.p) {
			t.Errorf("ancestry %s: %d of %d, want share %.2f", c.value, counts[c.value], n, c.p)
		}
	}
	again, _ := tab.Population(ctx, n, 5, mix)
	if !reflect.DeepEqual(pats, again) {
		t.Error("same seed and mix gave a different population")
	}
}

// TestAncestryRejects checks the coded errors of bad mixes and tables.
func TestAncestryRejects(t *testing.T) {
	tab, err := NewAncestryTable()
	if err != nil {
		t.Fatal(err)
	}
	mixes := []struct {
		name string
		mix  []AncestryShare
		want string
	}{
		{"empty", nil, "1–8 groups"},
		{"unknown", []AncestryShare{{Group: "MARTIAN", Share: 1}}, "not one of AFRICAN"},
		{"twice", []AncestryShare{{Group: "LATINO", Share: 1}, {Group: "latino", Share: 1}}, "ancestry[1].group is listed twice"},
		{"zero", []AncestryShare{{Group: "LATINO", Share: 0}}, "ancestry[0].share"},
		{"nan", []AncestryShare{{Group: "LATINO", Share: math.NaN()}}, "ancestry[0].share"},
		{"inf", []AncestryShare{{Group: "LATINO", Share: math.Inf(1)}}, "ancestry[0].share"},
		{"many", make([]AncestryShare, 9), "1–8 groups"},
	}
	for _, c := range mixes {
		_, err := tab.Population(context.Background(), 10, 1, c.mix)
		if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrInvalid naming %q", c.name, err, c.want)
		}
	}
	head := "group,race,a,b,c,d,e,f,g\n"
	tables := []struct{ name, text, want string }{
		{"no rows", head, "1–32 groups"},
		{"over 1", head + "X,White,0.5,0.6,0,0,0,0,0.1\n", "line 2: CYP2C9 frequencies add up"},
		{"negative", head + "X,White,-0.1,0,0,0,0,0,0.1\n", "line 2: column 3"},
		{"text", head + "X,White,0,0,0,0,0,0,abc\n", "line 2: column 9"},
		{"no race", head + "X,,0,0,0,0,0,0,0\n", "line 2: group and race"},
		{"repeat", head + "X,W,0,0,0,0,0,0,0\nX,W,0,0,0,0,0,0,0\n", "line 3: group repeated"},
		{"columns", head + "X,W,0\n", "ancestry table"},
	}
	for _, c := range tables {
		_, err := ParseAncestryTable(strings.NewReader(c.text))
		if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrInvalid naming %q", c.name, err, c.want)
		}
	}
}

// FuzzParseAncestryTable checks that any input gives a table or a coded
// error, and that every parsed frequency is within 0–1.
func FuzzParseAncestryTable(f *testing.F) {
	f.Add(string(ancestryCSV))
	f.Add("group,race,a,b,c,d,e,f,g\nX,W,1,0,0,0,0,0,1\n")
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := ParseAncestryTable(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		for _, g := range tab.Groups() {
			sum := 0.0
			for _, p := range g.CYP2C9 {
				if p < 0 || p > 1 {
					t.Fatalf("frequency %v", p)
				}
				sum += p
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Fatalf("CYP2C9 frequencies sum to %v", sum)
			}
		}
	})
}
