package response

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store"
)

func TestParseTable(t *testing.T) {
	cases := []struct {
		name, in string
		targets  []string
		rows     int
		nanAt    int // row with a NaN first target, -1 none
		wantErr  string
	}{
		{"ok", "smiles,y\nCCO,1.5\nc1ccccc1,-2\n", []string{"y"}, 2, -1, ""},
		{"missing label", "smiles,a,b\nCCO,,1\n", []string{"a", "b"}, 1, 0, ""},
		{"no target column", "smiles,y\nCCO,1\n", []string{"z"}, 0, -1, `lacks target column "z"`},
		{"bad number", "smiles,y\nCCO,1\nCCC,abc\n", []string{"y"}, 0, -1, "line 3 column 2 (y): not a number"},
		{"ragged", "smiles,y\nCCO,1,2\n", []string{"y"}, 0, -1, "line 2 has 3 fields"},
		{"empty", "smiles,y\n", []string{"y"}, 0, -1, "no data rows"},
		{"header only one column", "smiles\nCCO\n", []string{"y"}, 0, -1, "need a SMILES column"},
		{"inf", "smiles,y\nCCO,Inf\n", []string{"y"}, 0, -1, "not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb, err := ParseTable(strings.NewReader(c.in), c.targets)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("err = %v, want %q wrapping ErrInvalid", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tb.SMILES) != c.rows {
				t.Fatalf("rows = %d, want %d", len(tb.SMILES), c.rows)
			}
			if c.nanAt >= 0 && !math.IsNaN(tb.Y[c.nanAt][0]) {
				t.Fatalf("row %d target not NaN", c.nanAt)
			}
			if len(tb.Hash) != 64 {
				t.Fatalf("hash %q", tb.Hash)
			}
		})
	}
}

func TestLoadDatasets(t *testing.T) {
	want := map[string]struct {
		rows, targets int
	}{"esol": {1015, 1}, "lipo": {3780, 1}, "freesolv": {578, 1}, "bbbp": {1835, 1}, "tox21": {7831, 12}}
	for _, d := range Datasets() {
		tb, err := LoadDataset(d.Name)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		w := want[d.Name]
		if len(tb.SMILES) != w.rows || len(tb.Targets) != w.targets {
			t.Errorf("%s: %d rows × %d targets, want %d × %d", d.Name, len(tb.SMILES), len(tb.Targets), w.rows, w.targets)
		}
	}
	// ESOL's upstream column is misnamed "logp" but holds log solubility.
	tb, _ := LoadDataset("esol")
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, y := range tb.Y {
		lo, hi, sum = math.Min(lo, y[0]), math.Max(hi, y[0]), sum+y[0]
	}
	if lo > -9 || hi < 1 || math.Abs(sum/float64(len(tb.Y))+3.05) > 0.1 {
		t.Errorf("esol range %.2f..%.2f mean %.2f: not solubility?", lo, hi, sum/float64(len(tb.Y)))
	}
	if _, err := LoadDataset("delaney-processed"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown dataset: %v", err)
	}
}

func TestLoadGDSC(t *testing.T) {
	g, err := LoadGDSC()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.DrugIDs) < 200 || len(g.CellIDs) != 988 || len(g.LnIC50) < 150000 {
		t.Fatalf("drugs %d cells %d pairs %d", len(g.DrugIDs), len(g.CellIDs), len(g.LnIC50))
	}
	nMut, nCNA := 0, 0
	for _, f := range g.Features {
		switch {
		case strings.HasSuffix(f, "_mut"):
			nMut++
		case strings.Contains(f, "cna"):
			nCNA++
			if len(cnaGenes(f)) == 0 {
				t.Errorf("anonymous CNA feature %q kept", f)
			}
		}
	}
	if nMut != 270 || nCNA != 126 || len(g.Features) != 270+126+1+27 {
		t.Errorf("mut %d cna %d, want 270 and 126", nMut, nCNA)
	}
}

func TestCNAGenes(t *testing.T) {
	cases := map[string][]string{
		"gain_cnaPANCAN27_(GATA3,KLF6,LARP4B,VIM)": {"GATA3", "KLF6", "LARP4B", "VIM"},
		"gain_cnaPANCAN346_(BCL11A\nREL\nXPO1)":    {"BCL11A", "REL", "XPO1"},
		"loss_cnaPANCAN4":                          nil,
	}
	for in, want := range cases {
		got := cnaGenes(in)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("cnaGenes(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseTable(f *testing.F) {
	for _, d := range []string{"delaney.csv.gz", "tox21.csv.gz"} {
		raw, err := readEmbedded(d)
		if err != nil {
			f.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 6)
		f.Add(strings.Join(lines[:5], "\n"), lines[0][strings.IndexByte(lines[0], ',')+1:])
	}
	f.Add("smiles,y\nCCO,\"1\n", "y")
	f.Fuzz(func(t *testing.T, in, targets string) {
		tb, err := ParseTable(strings.NewReader(in), strings.Split(targets, ","))
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		for i, y := range tb.Y {
			if len(y) != len(tb.Targets) {
				t.Fatalf("row %d has %d values", i, len(y))
			}
		}
	})
}

// FuzzPredict feeds arbitrary SMILES to a small trained model: every item
// must come back either predicted (finite value, one contribution per atom)
// or with an error, never a panic.
func FuzzPredict(f *testing.F) {
	tb, err := LoadDataset("bbbp")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range tb.SMILES[:40] {
		f.Add(s)
	}
	f.Add("C1CC")
	f.Add("[Cl].CC(C)NCC(O)COc1cccc2ccccc12")
	m, err := Train(context.Background(), TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 1, Ensemble: 1, Epochs: 1, MaxRows: 100}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := m.Predict(context.Background(), []string{s}, PredictOptions{})
		if err != nil || len(out) != 1 {
			t.Fatalf("Predict: %v", err)
		}
		p := out[0]
		if p.Error != "" {
			return
		}
		if p.Value == nil || math.IsNaN(*p.Value) || math.IsInf(*p.Value, 0) {
			t.Fatalf("%q: value %v", s, p.Value)
		}
	})
}

// TestTargetAlias: ESOL's target is logS; "logp" (the upstream column's
// name) trains the same model under the same id, and a model stored under
// the old name warns.
func TestTargetAlias(t *testing.T) {
	for _, c := range []struct {
		name, target, wantTarget, wantID string
	}{
		{"default", "", "logS", "esol.logS.random.s1.e5.mlp-mpnn"},
		{"new name", "logS", "logS", "esol.logS.random.s1.e5.mlp-mpnn"},
		{"deprecated alias", "logp", "logS", "esol.logS.random.s1.e5.mlp-mpnn"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := TrainInput{Dataset: "esol", Target: c.target, Split: SplitRandom, Seed: 1}.normalize()
			if err != nil || in.Target != c.wantTarget {
				t.Fatalf("normalize: target %q, %v", in.Target, err)
			}
			if id := ModelID(TrainInput{Dataset: "esol", Target: c.target, Split: SplitRandom, Seed: 1}); id != c.wantID {
				t.Errorf("id %s, want %s", id, c.wantID)
			}
		})
	}
	if w := (ModelInfo{Dataset: "esol", Target: "logp"}).Warnings(); len(w) != 1 || !strings.Contains(w[0], "logS") {
		t.Errorf("old esol model warnings %v", w)
	}
	if w := (ModelInfo{Dataset: "esol", Target: "logS"}).Warnings(); len(w) != 0 {
		t.Errorf("new esol model warnings %v", w)
	}
	tb, err := LoadDataset("esol")
	if err != nil || tb.Targets[0] != "logS" {
		t.Fatalf("esol table targets %v, %v", tb.Targets, err)
	}
}
