package dosing

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

//go:embed ancestrydata/frequencies.csv
var ancestryCSV []byte

// Star alleles of CYP2C9 in an ancestry table, in column order; index 0 is
// *1 (the remainder).
var cyp2c9Stars = [...]string{"*1", "*2", "*3", "*5", "*6", "*8", "*11"}

// cyp2c9Modelled maps each star allele to the allele the Hamberg model
// simulates (1, 2 or 3): *5, *6 and *11 as *3, *8 as *2.
var cyp2c9Modelled = [...]int{1, 2, 3, 3, 3, 2, 3}

// Limits of an ancestry table and of an ancestry mix.
const (
	MaxAncestryGroups = 32
	MaxAncestryMix    = 8
	maxAncestryBytes  = 64 << 10
)

// AncestryGroup is one row of an ancestry table: allele frequencies of the
// CYP2C9 star alleles (*1 first, the remainder) and of VKORC1 -1639A.
type AncestryGroup struct {
	Name, Race string
	CYP2C9     [len(cyp2c9Stars)]float64
	VKORC1A    float64
}

// AncestryTable holds the ancestry groups virtual populations can be drawn
// from (rl/dosing/ancestrydata/SOURCE.md names the published table).
type AncestryTable struct {
	groups []AncestryGroup
}

// AncestryShare is one group's share of an ancestry mix.
type AncestryShare struct {
	Group string  `json:"group"`
	Share float64 `json:"share"`
}

// NewAncestryTable parses the embedded published frequency table.
func NewAncestryTable() (*AncestryTable, error) {
	return ParseAncestryTable(bytes.NewReader(ancestryCSV))
}

// ParseAncestryTable reads a table with the header group, race, then the
// CYP2C9 *2 *3 *5 *6 *8 *11 and VKORC1-1639A frequencies (fractions).
func ParseAncestryTable(r io.Reader) (*AncestryTable, error) {
	cr := csv.NewReader(io.LimitReader(r, maxAncestryBytes+1))
	cr.FieldsPerRecord = 2 + len(cyp2c9Stars)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("ancestry table: %w: %v", errs.Invalid, err)
	}
	if len(rows) < 2 || len(rows)-1 > MaxAncestryGroups {
		return nil, fmt.Errorf("ancestry table must have 1–%d groups: %w", MaxAncestryGroups, errs.Invalid)
	}
	t := &AncestryTable{}
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		g, err := parseAncestryRow(row)
		if err != nil {
			return nil, fmt.Errorf("ancestry table line %d: %w", i+2, err)
		}
		if seen[g.Name] {
			return nil, fmt.Errorf("ancestry table line %d: group repeated: %w", i+2, errs.Invalid)
		}
		seen[g.Name] = true
		t.groups = append(t.groups, g)
	}
	return t, nil
}

func parseAncestryRow(row []string) (AncestryGroup, error) {
	g := AncestryGroup{Name: strings.TrimSpace(row[0]), Race: strings.TrimSpace(row[1])}
	if g.Name == "" || g.Race == "" {
		return g, fmt.Errorf("group and race must be given: %w", errs.Invalid)
	}
	f := make([]float64, len(row)-2)
	for j, s := range row[2:] {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
			return g, fmt.Errorf("column %d must be a frequency within 0–1: %w", j+3, errs.Invalid)
		}
		f[j] = v
	}
	rest := 1.0
	for j := 1; j < len(cyp2c9Stars); j++ {
		g.CYP2C9[j] = f[j-1]
		rest -= f[j-1]
	}
	if rest < 0 {
		return g, fmt.Errorf("CYP2C9 frequencies add up to more than 1: %w", errs.Invalid)
	}
	g.CYP2C9[0], g.VKORC1A = rest, f[len(f)-1]
	return g, nil
}

// Groups returns the table's groups in file order.
func (t *AncestryTable) Groups() []AncestryGroup {
	return append([]AncestryGroup(nil), t.groups...)
}

// mixWeights checks mix (known groups, each once, finite positive shares)
// and returns each table group's probability.
func (t *AncestryTable) mixWeights(mix []AncestryShare) ([]float64, error) {
	if len(mix) < 1 || len(mix) > MaxAncestryMix {
		return nil, fmt.Errorf("ancestry must list 1–%d groups: %w", MaxAncestryMix, errs.Invalid)
	}
	w := make([]float64, len(t.groups))
	total := 0.0
	for i, s := range mix {
		k := t.index(s.Group)
		if k < 0 {
			return nil, fmt.Errorf("ancestry[%d].group is not one of %s: %w", i, strings.Join(t.names(), ", "), errs.Invalid)
		}
		if w[k] > 0 {
			return nil, fmt.Errorf("ancestry[%d].group is listed twice: %w", i, errs.Invalid)
		}
		if !(s.Share > 0) || math.IsInf(s.Share, 0) {
			return nil, fmt.Errorf("ancestry[%d].share must be a positive number: %w", i, errs.Invalid)
		}
		w[k] = s.Share
		total += s.Share
	}
	for k := range w {
		w[k] /= total
	}
	return w, nil
}

func (t *AncestryTable) index(name string) int {
	for k, g := range t.groups {
		if strings.EqualFold(g.Name, strings.TrimSpace(name)) {
			return k
		}
	}
	return -1
}

func (t *AncestryTable) names() []string {
	out := make([]string, len(t.groups))
	for k, g := range t.groups {
		out[k] = g.Name
	}
	return out
}

// drawAncestryAlleles draws group g's two CYP2C9 star alleles (indices
// into cyp2c9Stars) and its count of VKORC1 -1639A alleles under
// Hardy–Weinberg equilibrium.
func drawAncestryAlleles(rng *pkpd.RNG, g *AncestryGroup) (a, b, vA int) {
	a, b = categorical(rng, g.CYP2C9[:]), categorical(rng, g.CYP2C9[:])
	for range 2 {
		if rng.Float() < g.VKORC1A {
			vA++
		}
	}
	return a, b, vA
}

// modelledCYP2C9 is the Hamberg diplotype simulating star alleles a and b.
func modelledCYP2C9(a, b int) pkpd.CYP2C9 {
	x, y := min(cyp2c9Modelled[a], cyp2c9Modelled[b]), max(cyp2c9Modelled[a], cyp2c9Modelled[b])
	switch {
	case x == 1:
		return pkpd.CYP2C9(y - 1) // *1/*1, *1/*2, *1/*3
	case x == 2 && y == 2:
		return pkpd.CYP2C9_22
	case x == 2:
		return pkpd.CYP2C9_23
	}
	return pkpd.CYP2C9_33
}

// Population draws n virtual warfarin patients whose ancestry group is
// drawn from mix (shares need not add up to 1) and whose CYP2C9 and VKORC1
// genotypes follow that group's allele frequencies under Hardy–Weinberg;
// age, weight, height, sex and amiodarone follow the Ravvaz 2017
// frequencies as in RavvazPopulation. Patient.Race is the group's race
// label. The same seed and mix give the same population.
func (t *AncestryTable) Population(ctx context.Context, n int, seed uint64, mix []AncestryShare) ([]*Patient, error) {
	if err := checkPopSize(n); err != nil {
		return nil, err
	}
	w, err := t.mixWeights(mix)
	if err != nil {
		return nil, err
	}
	rng := pkpd.NewRNG(seed)
	out := make([]*Patient, n)
	for i := range out {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("population drawing stopped: %w", err)
			}
		}
		p := ravvazBody(rng)
		p.Amiodarone = rng.Float() < ravvazAmiodarone
		g := &t.groups[categorical(rng, w)]
		a, b, vA := drawAncestryAlleles(rng, g)
		p.Race = g.Race
		p.Genotypes = map[string]string{
			"CYP2C9": modelledCYP2C9(a, b).String(),
			"VKORC1": pkpd.VKORC1(vA).String(),
		}
		out[i] = p
	}
	return out, nil
}

// CheckMix reports whether mix is a valid ancestry mix of t (known groups,
// each once, 1–MaxAncestryMix of them, finite positive shares) without
// drawing anyone.
func (t *AncestryTable) CheckMix(mix []AncestryShare) error {
	_, err := t.mixWeights(mix)
	return err
}
