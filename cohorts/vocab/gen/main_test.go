package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVendoredTablesAreCurrent regenerates the tables from curated/ and
// the shared Synthea data into a temporary directory: they must equal the
// vendored copies byte for byte (skipped when the shared data is absent,
// since the Synthea codes come from it).
func TestVendoredTablesAreCurrent(t *testing.T) {
	synthea := "../../../../shared/data/synthea-patients"
	if _, err := os.Stat(synthea); err != nil {
		t.Skipf("shared Synthea data not available: %v", err)
	}
	out := t.TempDir()
	if err := run("../curated", synthea, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"icd10cm.tsv", "snomed.tsv", "loinc.tsv", "rxnorm.tsv", "oncotree.tsv"} {
		got, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("../data", f))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from what gen writes: run go run ./cohorts/vocab/gen", f)
		}
	}
}

// TestGenRefusesBadCurated: a curated row with too many columns is an
// error naming the file and line.
func TestGenRefusesBadCurated(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"icd10cm.tsv", "snomed.tsv", "loinc.tsv", "rxnorm_ingredients.tsv", "rxnorm_products.tsv", "oncotree_map.tsv"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("# empty\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "oncotree_upstream.tsv"), []byte("Code\tColor\tName\tMainType\tUMLS\tNCI\tTissue\tParent\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "icd10cm.tsv"), []byte("E11\ta\tb\tc\n"), 0o644)
	err := run(dir, filepath.Join(dir, "absent"), t.TempDir(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "icd10cm.tsv line 1") {
		t.Fatalf("err = %v", err)
	}
}
