package standardize

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
)

// goldenFile is RDKit 2022.09.3's output, made by testdata/make_golden.py.
const goldenFile = "testdata/standardize_rdkit2022.09.tsv"

// knownDifferences are golden rows (input → column) where this package
// answers differently from RDKit on purpose; each says why. Every other
// row must agree.
var knownDifferences = map[string]map[string]string{}

type goldenRow struct {
	input string
	want  map[string]string
}

var goldenColumns = []string{"normalize", "reionize", "fragment", "neutralize", "all"}

func readGolden(t *testing.T) []goldenRow {
	t.Helper()
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []goldenRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "input\t") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 1+len(goldenColumns) {
			t.Fatalf("golden line %q: %d columns", line, len(cols))
		}
		r := goldenRow{input: cols[0], want: map[string]string{}}
		for i, c := range goldenColumns {
			r.want[c] = cols[i+1]
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// optionsFor runs one step alone, or all of them.
func optionsFor(col string) Options {
	all := Options{SkipNormalize: true, SkipReionize: true, SkipFragment: true, SkipNeutralize: true}
	switch col {
	case "normalize":
		all.SkipNormalize = false
	case "reionize":
		all.SkipReionize = false
	case "fragment":
		all.SkipFragment = false
	case "neutralize":
		all.SkipNeutralize = false
	case "all":
		return Options{}
	}
	return all
}

// TestGoldenRDKit compares every step alone and the whole pipeline with
// RDKit's canonical SMILES and reports the agreement per column.
func TestGoldenRDKit(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readGolden(t)
	if len(rows) < 300 {
		t.Fatalf("only %d golden rows", len(rows))
	}
	ctx := context.Background()
	for _, col := range goldenColumns {
		agree, total, known := 0, 0, 0
		for _, r := range rows {
			want := r.want[col]
			if want == "!" {
				continue
			}
			total++
			res, err := s.StandardizeWith(ctx, r.input, optionsFor(col))
			got := res.SMILES
			if err != nil {
				got = "error: " + err.Error()
			}
			if got == want {
				agree++
				continue
			}
			if why, ok := knownDifferences[r.input][col]; ok {
				known++
				t.Logf("%s %s: known difference (%s): got %s, RDKit %s", col, r.input, why, got, want)
				continue
			}
			t.Errorf("%s %s: got %s, RDKit %s", col, r.input, got, want)
		}
		t.Logf("%-10s agrees with RDKit on %d of %d rows (%.1f %%); %d known differences", col, agree, total, 100*float64(agree)/float64(total), known)
	}
}
