package molecules

import (
	"bufio"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const benchSMILES = "testdata/nci5k_rdkit2022.09.tsv"

func loadBenchSMILES(b *testing.B) []string { return loadSMILESFile(b, benchSMILES) }

// loadSMILESFile reads the SMILES column of a golden TSV file.
func loadSMILESFile(b testing.TB, path string) []string {
	b.Helper()
	fh, err := os.Open(path)
	if err != nil {
		b.Skip(err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "smiles\t") {
			continue
		}
		out = append(out, strings.SplitN(line, "\t", 2)[0])
	}
	return out
}

func loadBenchMols(b *testing.B) []*Mol {
	var ms []*Mol
	for _, s := range loadBenchSMILES(b) {
		if m, err := Parse(s); err == nil {
			ms = append(ms, m)
		}
	}
	return ms
}

// BenchmarkParse: SMILES → sanitized molecule over NCI 5K.
func BenchmarkParse(b *testing.B) {
	smis := loadBenchSMILES(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		_, _ = Parse(smis[i%len(smis)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mol/s")
}

// BenchmarkECFP4: folded Morgan radius 2 from a parsed molecule.
func BenchmarkECFP4(b *testing.B) {
	ms := loadBenchMols(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Morgan(ms[i%len(ms)], 2, 2048)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mol/s")
}

// BenchmarkCanonicalSMILES: canonical SMILES from a parsed molecule.
func BenchmarkCanonicalSMILES(b *testing.B) {
	ms := loadBenchMols(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = ms[i%len(ms)].CanonicalSMILES()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mol/s")
}

// BenchmarkDescribe: every descriptor.
func BenchmarkDescribe(b *testing.B) {
	ms := loadBenchMols(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Describe(ms[i%len(ms)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mol/s")
}

// BenchmarkEndToEnd: SMILES → canonical molecule (+ canonical SMILES) → ECFP4.
func BenchmarkEndToEnd(b *testing.B) {
	smis := loadBenchSMILES(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := Parse(smis[i%len(smis)])
		if err != nil {
			continue
		}
		_ = m.CanonicalSMILES()
		_ = Morgan(m, 2, 2048)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mol/s")
}

// buildLibrary makes n distinct 2048-bit fingerprints: NCI ECFP4 bits with
// a few random extra bits each, so no two entries share memory.
func buildLibrary(b *testing.B, n int) (*Index, []Fingerprint) {
	ms := loadBenchMols(b)
	base := make([]Fingerprint, len(ms))
	for i, m := range ms {
		base[i] = Morgan(m, 2, 2048)
	}
	idx, _ := NewIndex(2048)
	r := rand.New(rand.NewSource(3))
	for i := 0; i < n; i++ {
		src := base[i%len(base)]
		fp := NewFingerprint(2048)
		copy(fp.Words, src.Words)
		for k := 0; k < 3; k++ {
			fp.Set(r.Intn(2048))
		}
		_ = idx.Add(strings.Repeat("", 0)+string(rune('a'+i%26)), fp)
	}
	return idx, base
}

var libCache struct {
	idx  *Index
	base []Fingerprint
}

func library1M(b *testing.B) (*Index, []Fingerprint) {
	if libCache.idx == nil {
		libCache.idx, libCache.base = buildLibrary(b, 1_000_000)
	}
	return libCache.idx, libCache.base
}

// BenchmarkTanimotoScan1M: one query against 1,000,000 fingerprints, every
// similarity computed (BulkTanimotoSimilarity's job).
func BenchmarkTanimotoScan1M(b *testing.B) {
	idx, base := library1M(b)
	b.ResetTimer()
	var sims []float64
	for i := 0; i < b.N; i++ {
		sims, _ = idx.Similarities(base[i%len(base)], sims)
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "cmp/s")
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/query")
}

// BenchmarkSearch1M: k-NN and threshold search with bit-count pruning.
func BenchmarkSearch1M(b *testing.B) {
	idx, base := library1M(b)
	for _, c := range []struct {
		name   string
		minSim float64
		k      int
	}{{"k10", 0, 10}, {"t0.7", 0.7, 0}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_, _ = idx.Search(b.Context(), base[i%len(base)], c.minSim, c.k)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/query")
		})
	}
}

func rdkitPeer(b *testing.B, args ...string) map[string]float64 {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import rdkit").Run(); err != nil {
		b.Skip("python3-rdkit not importable; apt-get install -y python3-rdkit")
	}
	out, err := exec.Command(py, append([]string{"peer/rdkit_bench.py"}, args...)...).Output()
	if err != nil {
		b.Fatalf("peer: %v", err)
	}
	var res map[string]float64
	if err := json.Unmarshal(out, &res); err != nil {
		b.Fatalf("peer output %q: %v", out, err)
	}
	return res
}

// BenchmarkVsRDKit runs RDKit (python3-rdkit) and the Go code on the same
// work, one core each, and reports the speed ratios. Run with
// go test -run XXX -bench VsRDKit -benchtime 1x -cpu 1 ./molecules/
func BenchmarkVsRDKit(b *testing.B) {
	smis := loadBenchSMILES(b)
	peer := rdkitPeer(b, "e2e", benchSMILES, "2")
	e2e := func(canon bool) float64 {
		best := 0.0
		for rep := 0; rep < 3; rep++ {
			t := time.Now()
			n := 0
			for _, s := range smis {
				m, err := Parse(s)
				if err != nil {
					continue
				}
				if canon {
					_ = m.CanonicalSMILES()
				}
				_ = Morgan(m, 2, 2048)
				n++
			}
			if r := float64(n) / time.Since(t).Seconds(); r > best {
				best = r
			}
		}
		return best
	}
	goCanon, goFP := e2e(true), e2e(false)
	b.ReportMetric(goCanon, "go_e2e_canon_mol/s")
	b.ReportMetric(peer["e2e_canon_mol_per_s"], "rdkit_e2e_canon_mol/s")
	b.ReportMetric(goCanon/peer["e2e_canon_mol_per_s"], "ratio_e2e_canon")
	b.ReportMetric(goFP/peer["e2e_mol_per_s"], "ratio_e2e")
	b.Logf("end to end (parse+sanitize+canonical SMILES+ECFP4): Go %.0f mol/s, RDKit %.0f mol/s, ratio %.2fx",
		goCanon, peer["e2e_canon_mol_per_s"], goCanon/peer["e2e_canon_mol_per_s"])
	b.Logf("end to end (parse+sanitize+ECFP4): Go %.0f mol/s, RDKit %.0f mol/s, ratio %.2fx",
		goFP, peer["e2e_mol_per_s"], goFP/peer["e2e_mol_per_s"])

	scanPeer := rdkitPeer(b, "scan", benchSMILES, "1000000", "3")
	idx, base := library1M(b)
	best := 0.0
	var sims []float64
	for q := 0; q < 5; q++ {
		t := time.Now()
		sims, _ = idx.Similarities(base[q], sims)
		if r := 1e6 / time.Since(t).Seconds(); r > best {
			best = r
		}
	}
	b.ReportMetric(best, "go_scan_cmp/s")
	b.ReportMetric(scanPeer["scan_cmp_per_s"], "rdkit_scan_cmp/s")
	b.ReportMetric(best/scanPeer["scan_cmp_per_s"], "ratio_scan")
	b.Logf("Tanimoto scan, 1M x 2048 bits: Go %.1fM cmp/s, RDKit BulkTanimotoSimilarity %.1fM cmp/s, ratio %.1fx",
		best/1e6, scanPeer["scan_cmp_per_s"]/1e6, best/scanPeer["scan_cmp_per_s"])
}

// BenchmarkCrippen: Wildman–Crippen logP and MR from a parsed molecule.
func BenchmarkCrippen(b *testing.B) {
	ms := loadBenchMols(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = Crippen(ms[i%len(ms)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mol/s")
}
