package molecules

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allGoldenSMILES returns the SMILES column of every vendored golden TSV.
func allGoldenSMILES(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*_rdkit2022.09.tsv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var out []string
	for _, f := range files {
		out = append(out, loadSMILESFile(t, f)...)
	}
	return out
}

// moleculeNetSMILES returns the SMILES of every MoleculeNet CSV under
// ../../shared/data/moleculenet (the column named smiles or mol), or nil
// when the directory is absent.
func moleculeNetSMILES(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../../shared/data/moleculenet/*.csv")
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		col := -1
		for k, h := range rows[0] {
			if h = strings.ToLower(h); h == "smiles" || h == "mol" {
				col = k
			}
		}
		if col < 0 {
			continue
		}
		for _, r := range rows[1:] {
			out = append(out, strings.TrimSpace(r[col]))
		}
	}
	return out
}

// TestSkipStereoSameFeatures: with ParserConfig.SkipStereo every feature
// that does not depend on stereo (Morgan environments, Crippen atom types,
// logP and MR, TPSA, MolWt, every atom's TotalHs) equals the default
// parse's, and no stereo mark survives.
func TestSkipStereoSameFeatures(t *testing.T) {
	smis := allGoldenSMILES(t)
	if !testing.Short() {
		smis = append(smis, moleculeNetSMILES(t)...)
	}
	full, _ := NewParser(ParserConfig{})
	fast, err := NewParser(ParserConfig{SkipStereo: true})
	if err != nil {
		t.Fatal(err)
	}
	checked, stereo := 0, 0
	for _, s := range smis {
		a, errA := full.Parse(s)
		b, errB := fast.Parse(s)
		if (errA == nil) != (errB == nil) {
			t.Errorf("%s: default error %v, SkipStereo error %v", s, errA, errB)
			continue
		}
		if errA != nil {
			continue
		}
		checked++
		if strings.ContainsAny(s, "@/\\") {
			stereo++
		}
		if a.NumAtoms() != b.NumAtoms() || len(a.Bonds) != len(b.Bonds) {
			t.Errorf("%s: %d atoms %d bonds, SkipStereo %d atoms %d bonds", s, a.NumAtoms(), len(a.Bonds), b.NumAtoms(), len(b.Bonds))
			continue
		}
		for i := range a.Atoms {
			if a.Atoms[i].TotalHs() != b.Atoms[i].TotalHs() {
				t.Errorf("%s: atom %d has %d Hs, SkipStereo %d", s, i, a.Atoms[i].TotalHs(), b.Atoms[i].TotalHs())
			}
			if b.Atoms[i].Chiral != ChiralNone {
				t.Errorf("%s: atom %d keeps a tetrahedral mark with SkipStereo", s, i)
			}
		}
		for i := range b.Bonds {
			if b.Bonds[i].Stereo != stereoNone {
				t.Errorf("%s: bond %d keeps E/Z with SkipStereo", s, i)
			}
		}
		if ea, eb := MorganEnvironments(a, 3), MorganEnvironments(b, 3); !slices.Equal(ea, eb) {
			t.Errorf("%s: Morgan environments differ with SkipStereo", s)
		}
		ca, la, ma := CrippenAtoms(a, nil)
		cb, lb, mb := CrippenAtoms(b, nil)
		if !slices.Equal(ca, cb) || la != lb || ma != mb {
			t.Errorf("%s: Crippen differs with SkipStereo: logP %v/%v MR %v/%v", s, la, lb, ma, mb)
		}
		if x, y := TPSA(a), TPSA(b); x != y {
			t.Errorf("%s: TPSA %v, SkipStereo %v", s, x, y)
		}
		if x, y := MolWt(a), MolWt(b); x != y {
			t.Errorf("%s: MolWt %v, SkipStereo %v", s, x, y)
		}
		if cs := b.CanonicalSMILES(); strings.ContainsAny(cs, "@/\\") {
			t.Errorf("%s: SkipStereo canonical SMILES %s has stereo", s, cs)
		}
	}
	if stereo == 0 {
		t.Fatal("no SMILES with stereo marks checked")
	}
	t.Logf("%d molecules (%d with stereo marks) identical with SkipStereo", checked, stereo)
}

// TestSkipStereoHCount: H counts RDKit's stereo clean-up changes (an H
// written with a mark it drops, on an atom whose valence then needs no H)
// are kept exact by perceiving such molecules in full.
func TestSkipStereoHCount(t *testing.T) {
	full, _ := NewParser(ParserConfig{})
	fast, _ := NewParser(ParserConfig{SkipStereo: true})
	for _, tc := range []struct {
		smiles string
		atom   int
	}{
		{"[Fe@H](C)(C)C", 0},  // identical neighbours: mark and H dropped
		{"[Fe@H](C)(CC)O", 0}, // real centre: the H stays
		{"[P@H](C)(C)C", 0},
		{"C[C@H](F)Cl", 1}, // ordinary centre
		{"C[C@H](C)Cl", 1}, // dropped mark, H becomes implicit
		{"F/C=C/[C@@H](C)O", 3},
	} {
		a, err := full.Parse(tc.smiles)
		if err != nil {
			t.Fatalf("%s: %v", tc.smiles, err)
		}
		b, err := fast.Parse(tc.smiles)
		if err != nil {
			t.Fatalf("%s: %v", tc.smiles, err)
		}
		if x, y := a.Atoms[tc.atom].TotalHs(), b.Atoms[tc.atom].TotalHs(); x != y {
			t.Errorf("%s: atom %d has %d Hs, SkipStereo %d", tc.smiles, tc.atom, x, y)
		}
	}
	for s, want := range map[string]int{"[Fe@H](C)(C)C": 0, "[Fe@H](C)(CC)O": 1} {
		if m, _ := full.Parse(s); m.Atoms[0].TotalHs() != want {
			t.Errorf("%s: want %d Hs, got %d", s, want, m.Atoms[0].TotalHs())
		}
	}
}
