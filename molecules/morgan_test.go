package molecules

import (
	"fmt"
	"slices"
	"testing"
)

func TestMorganInfoConsistent(t *testing.T) {
	for _, s := range []string{"CC(=O)Oc1ccccc1C(=O)O", "c1ccc2c(c1)[nH]c1ccccc12", "[NH4+].[Cl-]", "C", "F/C=C/F"} {
		m, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []int{1, 2, 3} {
			for _, nBits := range []int{64, 1024, 2048} {
				fp, info := MorganWithInfo(m, r, nBits)
				plain := Morgan(m, r, nBits)
				if fp.Hex() != plain.Hex() {
					t.Fatalf("%s r%d: info fingerprint differs", s, r)
				}
				envs := 0
				for bit, list := range info {
					if !fp.Has(bit) {
						t.Fatalf("%s: info bit %d not set", s, bit)
					}
					for _, e := range list {
						if e.Radius > r || e.Atom < 0 || e.Atom >= m.NumAtoms() {
							t.Fatalf("%s: bad env %+v", s, e)
						}
						if got := len(EnvironmentAtoms(m, e.Atom, e.Radius)); got < 1 {
							t.Fatalf("%s: empty environment", s)
						}
					}
					envs += len(list)
				}
				total := 0
				for _, c := range MorganCounts(m, r) {
					total += c
				}
				if envs != total {
					t.Fatalf("%s r%d: %d envs in info, %d in counts", s, r, envs, total)
				}
				if len(fp.OnBits()) != fp.Count() {
					t.Fatal("OnBits and Count disagree")
				}
			}
		}
	}
}

func TestEnvironmentAtoms(t *testing.T) {
	m, _ := Parse("CCOC")
	if got := fmt.Sprint(EnvironmentAtoms(m, 1, 1)); got != "[0 1 2]" {
		t.Errorf("radius 1 around atom 1 = %s", got)
	}
	if got := fmt.Sprint(EnvironmentAtoms(m, 0, 0)); got != "[0]" {
		t.Errorf("radius 0 = %s", got)
	}
}

// The bit info equals RDKit's bitInfo for the same molecule.
func ExampleMorganWithInfo() {
	m, _ := Parse("c1ccccc1O")
	fp, info := MorganWithInfo(m, 1, 2048)
	for _, b := range fp.OnBits()[:3] {
		fmt.Println(b, info[b])
	}
	// Output:
	// 745 [{5 1}]
	// 807 [{6 0}]
	// 1088 [{1 1} {2 1} {3 1}]
}

func ExampleMol_CanonicalSMILES() {
	for _, s := range []string{"OC(=O)c1ccccc1OC(C)=O", "C1=CC=CC=C1", "N[C@@H](C)C(=O)O", "[Na+].[Cl-]"} {
		m, _ := Parse(s)
		fmt.Println(m.CanonicalSMILES())
	}
	// Output:
	// CC(=O)Oc1ccccc1C(=O)O
	// c1ccccc1
	// C[C@H](N)C(=O)O
	// [Cl-].[Na+]
}

func TestFingerprintHexRoundTrip(t *testing.T) {
	m, _ := Parse("CC(=O)Oc1ccccc1C(=O)O")
	for _, n := range []int{2048, 1024, 100, 7} {
		fp := Morgan(m, 2, n)
		back, err := ParseFingerprintHex(n, fp.Hex())
		if err != nil || back.Hex() != fp.Hex() || fmt.Sprint(back.OnBits()) != fmt.Sprint(fp.OnBits()) {
			t.Fatalf("n=%d: round trip failed: %v", n, err)
		}
	}
	for _, bad := range []string{"zz", "00", ""} {
		if _, err := ParseFingerprintHex(2048, bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := ParseFingerprintHex(4, "ff"); err == nil {
		t.Error("accepted bits beyond size")
	}
}

// TestMorganEnvironmentsInto: the reusing variant gives MorganEnvironments'
// result, reuses dst's storage when it is large enough, and allocates
// nothing per molecule then.
func TestMorganEnvironmentsInto(t *testing.T) {
	var dst []MorganEnv
	for _, s := range []string{"CCO", "c1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "[Na+].[Cl-]", "C"} {
		m, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []int{0, 1, 2, 3} {
			want := MorganEnvironments(m, r)
			dst = MorganEnvironmentsInto(dst, m, r)
			if !slices.Equal(dst, want) {
				t.Errorf("%s r=%d: Into %v, want %v", s, r, dst, want)
			}
		}
	}
	m, _ := Parse("CN1C=NC2=C1C(=O)N(C(=O)N2C)C")
	dst = MorganEnvironmentsInto(make([]MorganEnv, 0, 64), m, 2)
	p := &dst[:1][0]
	if allocs := testing.AllocsPerRun(20, func() { dst = MorganEnvironmentsInto(dst, m, 2) }); allocs > 0 {
		t.Errorf("MorganEnvironmentsInto with room allocates %v times per call", allocs)
	}
	if &dst[0] != p {
		t.Error("MorganEnvironmentsInto did not reuse dst")
	}
}

func ExampleMorganEnvironmentsInto() {
	var envs []MorganEnv // reused for every molecule
	for _, s := range []string{"CCO", "c1ccccc1"} {
		m, err := Parse(s)
		if err != nil {
			panic(err)
		}
		envs = MorganEnvironmentsInto(envs, m, 1)
		fmt.Println(s, len(envs))
	}
	// Output:
	// CCO 6
	// c1ccccc1 12
}
