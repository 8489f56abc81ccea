package molecules

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes the parser or the chemistry behind
// it panic or hang, and that accepted molecules survive every computation.
// Seeds: testdata/fuzz/FuzzParse (sampled from /work/shared/data) plus every
// SMILES in the vendored golden files.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/edge_cases_rdkit2022.09.tsv", "testdata/nci5k_rdkit2022.09.tsv"} {
		fh, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "smiles\t") {
				continue
			}
			f.Add(strings.SplitN(line, "\t", 2)[0])
		}
		fh.Close()
	}
	p, err := NewParser(ParserConfig{MaxLength: 2000, MaxAtoms: 300, MaxRings: 100})
	if err != nil {
		f.Fatal(err)
	}
	fast, err := NewParser(ParserConfig{MaxLength: 2000, MaxAtoms: 300, MaxRings: 100, SkipStereo: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := p.Parse(s)
		// ParseInto over a larger molecule must give the same answer.
		used, _ := p.Parse("C1CC2CC3CCC4CC5CCCC5C4C3C2C1C(=O)N[C@@H](C)c1ccc(Cl)cc1/C=C/C")
		reused, rerr := p.ParseInto(used, s)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("Parse error %v, ParseInto error %v", err, rerr)
		}
		if err != nil {
			if _, ok := err.(*SMILESError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if d := molDiff(m, reused); d != "" {
			t.Fatalf("ParseInto differs from Parse: %s", d)
		}
		_ = m.Formula()
		_ = Morgan(m, 3, 2048)
		d := Describe(m)
		atoms, lp, _ := CrippenAtoms(m, nil)
		if len(atoms) != m.NumAtoms() || lp != d.LogP {
			t.Fatalf("CrippenAtoms: %d atoms for %d, logP %v vs Describe %v", len(atoms), m.NumAtoms(), lp, d.LogP)
		}
		// the shortcuts agree with the full computations
		if ms, err := fast.Parse(s); err != nil {
			t.Fatalf("SkipStereo rejects what the default parse accepts: %v", err)
		} else {
			for i := range m.Atoms {
				if m.Atoms[i].TotalHs() != ms.Atoms[i].TotalHs() {
					t.Fatalf("atom %d: %d Hs, SkipStereo %d", i, m.Atoms[i].TotalHs(), ms.Atoms[i].TotalHs())
				}
			}
			if !slices.Equal(MorganEnvironments(m, 2), MorganEnvironments(ms, 2)) || TPSA(m) != TPSA(ms) {
				t.Fatal("SkipStereo changes Morgan environments or TPSA")
			}
			if a2, lp2, _ := CrippenAtoms(ms, nil); !slices.Equal(atoms, a2) || lp != lp2 {
				t.Fatal("SkipStereo changes Crippen types")
			}
		}
		slow := make([]CrippenAtom, m.NumAtoms())
		if lps, _ := crippenWith(m, slow, false); !slices.Equal(atoms, slow) || lps != lp {
			t.Fatalf("Crippen memo types %v, full typing %v", atoms, slow)
		}
		rings := slices.Clone(m.rings)
		full := m.Clone()
		full.rings, full.ringBonds = nil, nil // Clone shares them
		if full.perceiveRingsWith(false) == nil {
			if !slices.EqualFunc(rings, full.rings, slices.Equal[[]int32]) {
				t.Fatalf("ring shortcut %v, full search %v", rings, full.rings)
			}
		}
		c := m.CanonicalSMILES()
		if c != "" {
			m2, err := p.Parse(c)
			if err == nil {
				_ = m2.CanonicalSMILES()
			}
		}
	})
}
