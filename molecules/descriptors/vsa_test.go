package descriptors

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/molecules"
)

// TestVSAAgainstRDKit compares LabuteASA, SlogP_VSA, SMR_VSA, EState_VSA
// and VSA_EState with RDKit 2022.09.3 on the molecules of
// testdata/vsa_rdkit2022.09.tsv (made by testdata/make_vsa_golden.py). A
// molecule agrees when every one of its 44 values is within 0.01 of RDKit's
// (the file holds 4 decimals).
func TestVSAAgainstRDKit(t *testing.T) {
	f, err := os.Open("testdata/vsa_rdkit2022.09.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, _ := molecules.NewParser(molecules.ParserConfig{})
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, agree, parsed := 0, 0, 0
	line := 0
	for sc.Scan() {
		line++
		if strings.HasPrefix(sc.Text(), "#") || strings.HasPrefix(sc.Text(), "smiles\t") {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 1+NumVSA+NumEState {
			t.Fatalf("line %d: %d columns, want %d", line, len(cols), 1+NumVSA+NumEState)
		}
		n++
		mol, err := p.Parse(cols[0])
		if err != nil {
			t.Logf("line %d: %s does not parse: %v", line, cols[0], err)
			continue
		}
		parsed++
		atoms, _, _ := molecules.CrippenAtoms(mol, nil)
		got := AppendEState(AppendVSA(nil, mol, atoms), mol)
		names := append(vsaNames[:], estateNames[:]...)
		ok := true
		for k, c := range cols[1:] {
			want, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatalf("line %d column %d: %v", line, k+2, err)
			}
			if math.Abs(got[k]-want) > 0.01 {
				if ok {
					t.Logf("line %d %s: %s %.4f, RDKit %.4f", line, cols[0], names[k], got[k], want)
				}
				ok = false
			}
		}
		if ok {
			agree++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d molecules agree with RDKit on all %d values (%d parsed)", agree, n, NumVSA+NumEState, parsed)
	if n < 500 || agree < n {
		t.Errorf("%d of %d molecules agree with RDKit, want all", agree, n)
	}
}

// TestVSAAllocations: the block costs at most the append that grows dst.
func TestVSAAllocations(t *testing.T) {
	mol, err := molecules.Parse("CC(=O)Nc1ccc(O)cc1")
	if err != nil {
		t.Fatal(err)
	}
	atoms, _, _ := molecules.CrippenAtoms(mol, nil)
	dst := make([]float64, 0, NumVSA+NumEState)
	allocs := testing.AllocsPerRun(100, func() { dst = AppendEState(AppendVSA(dst[:0], mol, atoms), mol) })
	if allocs > 0 {
		t.Errorf("AppendVSA and AppendEState allocate %.1f times with room in dst", allocs)
	}
}

func TestBinOf(t *testing.T) {
	tests := []struct {
		v    float64
		want int
	}{{-1, 0}, {-0.4, 1}, {-0.39, 1}, {0, 3}, {0.6, 11}, {5, 11}}
	for _, tc := range tests {
		if got := binOf(slogpBins[:], tc.v); got != tc.want {
			t.Errorf("binOf(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

// TestEStateIndicesMatchPairwise checks both search paths of
// EStateIndices (bit-parallel up to 64 atoms, queue-based above) against
// the definition summed pair by pair over all-pairs distances.
func TestEStateIndicesMatchPairwise(t *testing.T) {
	smiles := []string{"CCO", "c1ccccc1O", "C1CC2CCC1CC2N", "OCC(=O)N[C@@H](C)c1ccc(Cl)cc1",
		"C" + strings.Repeat("C", 70) + "O", "c1ccc2cc3cc4cc5cc6cc7cc8cc9ccccc9cc8cc7cc6cc5cc4cc3cc2c1" + strings.Repeat("CC", 20) + "N"}
	for _, smi := range smiles {
		m, err := molecules.Parse(smi)
		if err != nil {
			t.Fatal(err)
		}
		n := m.NumAtoms()
		got, intrinsic := make([]float64, n), make([]float64, n)
		EStateIndices(m, got, intrinsic, make([]int32, n), make([]int32, n))
		// Floyd–Warshall distances, then the pairwise sum.
		const inf = 1 << 20
		d := make([][]int, n)
		for i := range d {
			d[i] = make([]int, n)
			for j := range d[i] {
				if i != j {
					d[i][j] = inf
				}
			}
		}
		for _, b := range m.Bonds {
			d[b.Begin][b.End], d[b.End][b.Begin] = 1, 1
		}
		for k := 0; k < n; k++ {
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					d[i][j] = min(d[i][j], d[i][k]+d[k][j])
				}
			}
		}
		for i := 0; i < n; i++ {
			want := intrinsic[i]
			for j := 0; j < n; j++ {
				if j != i && d[i][j] < inf {
					p := float64(d[i][j] + 1)
					want += (intrinsic[i] - intrinsic[j]) / (p * p)
				}
			}
			if math.Abs(got[i]-want) > 1e-9 {
				t.Fatalf("%d atoms, atom %d: %v, pairwise %v", n, i, got[i], want)
			}
		}
	}
}
