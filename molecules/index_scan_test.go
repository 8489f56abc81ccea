package molecules

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// naiveAndCounts is the reference: one word at a time.
func naiveAndCounts(q, words []uint64) []uint32 {
	out := make([]uint32, len(words)/len(q))
	for j := range out {
		n := 0
		for i := range q {
			n += popcount(q[i] & words[j*len(q)+i])
		}
		out[j] = uint32(n)
	}
	return out
}

func popcount(w uint64) int {
	n := 0
	for ; w != 0; w &= w - 1 {
		n++
	}
	return n
}

func randomWords(r *rand.Rand, n int, density float64) []uint64 {
	w := make([]uint64, n)
	for i := range w {
		switch {
		case density >= 1:
			w[i] = ^uint64(0)
		case density > 0.5:
			w[i] = r.Uint64() | r.Uint64()
		default:
			for b := 0; b < 64; b++ {
				if r.Float64() < density {
					w[i] |= 1 << b
				}
			}
		}
	}
	return w
}

// kernels lists the scan kernels this CPU runs, by name.
func kernels() []struct {
	name string
	k    scanKernel
} {
	ks := []struct {
		name string
		k    scanKernel
	}{{"portable", kernelGo}}
	if hasAVX2 {
		ks = append(ks, struct {
			name string
			k    scanKernel
		}{"avx2", kernelAVX2})
	}
	if hasVPOPCNT {
		ks = append(ks, struct {
			name string
			k    scanKernel
		}{"vpopcntdq", kernelAuto})
	}
	return ks
}

// TestAndCountsKernelsAgree checks every kernel the CPU runs (AVX-512
// VPOPCNTDQ, AVX2, portable) against a bit-at-a-time reference on random
// rows of every width the API allows, odd widths the index accepts (which
// fall back to the next kernel that takes them), row counts around the
// chunk size, and densities from empty to full.
func TestAndCountsKernelsAgree(t *testing.T) {
	ks := kernels()
	t.Logf("kernels on this CPU: %v", ks)
	r := rand.New(rand.NewSource(7))
	for _, nw := range []int{1, 3, 4, 8, 12, 16, 24, 32, 40, 64} {
		for _, rows := range []int{0, 1, 7, scanChunk - 1, scanChunk, scanChunk + 3} {
			for _, density := range []float64{0, 0.02, 0.3, 0.8, 1} {
				name := fmt.Sprintf("nw%d/rows%d/d%.2f", nw, rows, density)
				q := randomWords(r, nw, density)
				words := randomWords(r, nw*rows, density)
				want := naiveAndCounts(q, words)
				for _, k := range ks {
					got := make([]uint32, rows)
					andCounts(q, words, got, k.k)
					if d := firstDiff(got, want); d >= 0 {
						t.Fatalf("%s %s: row %d = %d, want %d", name, k.name, d, got[d], want[d])
					}
				}
			}
		}
	}
}

func firstDiff(a, b []uint32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestIndexPathsIdentical builds one index, then runs Similarities,
// ScanAll and Search through every kernel: every similarity must be the
// same float64, bit for bit, and equal Tanimoto's.
func TestIndexPathsIdentical(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for _, nBits := range []int{512, 2048, 4096, 2000} {
		idx, err := NewIndex(nBits)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1500; i++ {
			fp := randomFP(r, nBits, 0.01+0.1*r.Float64())
			if i%500 == 0 {
				fp = NewFingerprint(nBits) // empty: 0/0 reads 1
			}
			_ = idx.Add(fmt.Sprint(i), fp)
		}
		for _, k := range kernels() {
			port := viewWith(idx, k.k)
			comparePaths(t, r, idx, port, nBits)
		}
	}
}

// comparePaths runs ten queries through idx's default kernel and port's.
func comparePaths(t *testing.T, r *rand.Rand, idx, port *Index, nBits int) {
	t.Helper()
	for qi := 0; qi < 10; qi++ {
		q := randomFP(r, nBits, 0.01+0.1*r.Float64())
		if qi == 0 {
			q = NewFingerprint(nBits)
		}
		a, _ := idx.Similarities(q, nil)
		b, _ := port.Similarities(q, nil)
		for i := range a {
			if a[i] != b[i] || a[i] != Tanimoto(q, idx.fingerprintAt(i)) {
				t.Fatalf("nBits %d q%d row %d: default %v, kernel %d %v", nBits, qi, i, a[i], port.kernel, b[i])
			}
		}
		i := 0
		_ = port.ScanAll(q, func(_ string, sim float64) {
			if sim != a[i] {
				t.Fatalf("nBits %d q%d ScanAll row %d: %v vs %v", nBits, qi, i, sim, a[i])
			}
			i++
		})
		ha, _ := idx.Search(context.Background(), q, 0.05, 20)
		hb, _ := port.Search(context.Background(), q, 0.05, 20)
		if fmt.Sprint(ha) != fmt.Sprint(hb) {
			t.Fatalf("nBits %d q%d Search: %v vs %v", nBits, qi, ha, hb)
		}
	}
}

// viewWith is an index sharing x's buckets that scans with kernel k (tests
// only; x must not change meanwhile).
func viewWith(x *Index, k scanKernel) *Index {
	return &Index{nBits: x.nBits, nWords: x.nWords, buckets: x.buckets, n: x.n, kernel: k}
}

// fingerprintAt returns the i-th fingerprint in scan order (tests only).
func (x *Index) fingerprintAt(i int) Fingerprint {
	for c := range x.buckets {
		if n := len(x.buckets[c].ids); i >= n {
			i -= n
			continue
		}
		return Fingerprint{NBits: x.nBits, Words: x.buckets[c].words[i*x.nWords : (i+1)*x.nWords]}
	}
	return Fingerprint{}
}

// FuzzAndCounts feeds arbitrary bytes as a query and rows (8 or 32 words
// wide) to every kernel and the reference.
func FuzzAndCounts(f *testing.F) {
	f.Add(uint8(0), make([]byte, 64*3))
	f.Add(uint8(1), make([]byte, 256*2))
	f.Fuzz(func(t *testing.T, wide uint8, data []byte) {
		nw := 8
		if wide%2 == 1 {
			nw = 32
		}
		words := make([]uint64, len(data)/8)
		for i := range words {
			words[i] = binary.LittleEndian.Uint64(data[8*i:])
		}
		if len(words) < nw {
			return
		}
		q, rows := words[:nw], words[nw:len(words)-(len(words)-nw)%nw]
		want := naiveAndCounts(q, rows)
		for _, k := range kernels() {
			got := make([]uint32, len(want))
			andCounts(q, rows, got, k.k)
			if d := firstDiff(got, want); d >= 0 {
				t.Fatalf("%s row %d: %d, want %d", k.name, d, got[d], want[d])
			}
		}
	})
}

// streamRead XORs every word of ws together, eight words at a time: the
// plain streaming read that bounds any scan over the same memory.
func streamRead(ws []uint64) uint64 {
	var a0, a1, a2, a3 uint64
	i := 0
	for ; i+8 <= len(ws); i += 8 {
		a0 ^= ws[i] ^ ws[i+4]
		a1 ^= ws[i+1] ^ ws[i+5]
		a2 ^= ws[i+2] ^ ws[i+6]
		a3 ^= ws[i+3] ^ ws[i+7]
	}
	for ; i < len(ws); i++ {
		a0 ^= ws[i]
	}
	return a0 ^ a1 ^ a2 ^ a3
}

// smallPageCopy is a copy of x whose fingerprint words sit in plain heap
// arrays (4 KiB pages, no huge-page advice), for comparison.
func smallPageCopy(x *Index) *Index {
	c := &Index{nBits: x.nBits, nWords: x.nWords, n: x.n, buckets: make([]fpBucket, len(x.buckets))}
	for i, b := range x.buckets {
		c.buckets[i] = fpBucket{words: append([]uint64(nil), b.words...), ids: b.ids, seq: b.seq}
	}
	return c
}

// readAll streams through every fingerprint word of x.
func readAll(x *Index) uint64 {
	var s uint64
	for c := range x.buckets {
		s ^= streamRead(x.buckets[c].words)
	}
	return s
}

// scanRates measures, best of reps rounds, the 1M-fingerprint scan through
// each kernel the CPU runs and through the default kernel on a copy in
// 4 KiB pages (comparisons/s, by name), and a streaming read of each copy's
// fingerprint words (bytes/s, "huge" and "4k"). Each round times every
// entry once, so a load that comes and goes on a shared machine weighs on
// all of them alike.
func scanRates(b *testing.B, reps int) (rates, readBps map[string]float64) {
	idx, base := library1M(b)
	small := smallPageCopy(idx)
	type entry struct {
		name string
		x    *Index
	}
	var es []entry
	for _, k := range kernels() {
		es = append(es, entry{k.name, viewWith(idx, k.k)})
	}
	es = append(es, entry{kernels()[len(kernels())-1].name + " (4 KiB pages)", small})
	bytes := 0.0
	for c := range idx.buckets {
		bytes += 8 * float64(len(idx.buckets[c].words))
	}
	n := float64(idx.Len())
	rates, readBps = map[string]float64{}, map[string]float64{}
	var sims []float64
	var sink uint64
	for q := 0; q < reps; q++ {
		for _, e := range es {
			t := time.Now()
			sims, _ = e.x.Similarities(base[q], sims)
			rates[e.name] = max(rates[e.name], n/time.Since(t).Seconds())
		}
		for _, e := range []entry{{"huge", idx}, {"4k", small}} {
			t := time.Now()
			sink ^= readAll(e.x)
			readBps[e.name] = max(readBps[e.name], bytes/time.Since(t).Seconds())
		}
	}
	if sink == 1 {
		b.Log("unlikely")
	}
	return rates, readBps
}

// BenchmarkScanKernels: one query against 1,000,000 2048-bit fingerprints
// through each kernel the CPU runs, every similarity computed.
func BenchmarkScanKernels(b *testing.B) {
	idx, base := library1M(b)
	for _, k := range kernels() {
		x := viewWith(idx, k.k)
		b.Run(k.name, func(b *testing.B) {
			var sims []float64
			for i := 0; i < b.N; i++ {
				sims, _ = x.Similarities(base[i%len(base)], sims)
			}
			b.ReportMetric(float64(b.N)*float64(x.Len())/b.Elapsed().Seconds(), "cmp/s")
		})
	}
}

// BenchmarkScanVsRDKit puts side by side, in one run on one core: RDKit's
// BulkTanimotoSimilarity (python3-rdkit), the Go scan through each kernel
// the CPU runs (AVX-512 VPOPCNTDQ, AVX2, portable) and through the default
// kernel on a copy of the index in 4 KiB pages, and the memory-bandwidth
// bound: a streaming read of the same 256 MB (huge pages, and the 4 KiB
// copy), in fingerprints/s. Run with
// go test -run XXX -bench ScanVsRDKit -benchtime 1x -cpu 1 ./molecules/
func BenchmarkScanVsRDKit(b *testing.B) {
	peer := rdkitPeer(b, "scan", benchSMILES, "1000000", "3")
	rates, reads := scanRates(b, 7)
	bound := reads["huge"] / 256
	rd := peer["scan_cmp_per_s"]
	b.ReportMetric(rd, "rdkit_cmp/s")
	b.ReportMetric(bound, "bandwidth_bound_cmp/s")
	b.Logf("1M x 2048-bit Tanimoto scan, one core. RDKit BulkTanimotoSimilarity %.1fM cmp/s; streaming read %.1f GB/s = %.1fM fingerprints/s (the bound; %.1f GB/s on 4 KiB pages)",
		rd/1e6, reads["huge"]/1e9, bound/1e6, reads["4k"]/1e9)
	names := make([]string, 0, len(rates))
	for _, k := range kernels() {
		names = append(names, k.name)
	}
	names = append(names, kernels()[len(kernels())-1].name+" (4 KiB pages)")
	for _, name := range names {
		r := rates[name]
		if !strings.Contains(name, " ") {
			b.ReportMetric(r, name+"_cmp/s")
		}
		b.Logf("%-24s %6.1fM cmp/s = %3.0f%% of the bound, %4.1fx RDKit", name, r/1e6, 100*r/bound, r/rd)
	}
}

// TestAppendWords: appendWords keeps every word in order across growths,
// and arrays past two huge pages are sized in whole huge pages (the ones
// advised as huge-page memory on Linux).
func TestAppendWords(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, nw := range []int{8, 32, 64} {
		var got, want []uint64
		rounded := false
		for i := 0; i < 3*hugePage/(8*nw)+100; i++ {
			fp := randomWords(r, nw, 0.1)
			got = appendWords(got, fp)
			want = append(want, fp...)
			if c := cap(got) * 8; c >= 2*hugePage {
				if c%hugePage != 0 {
					t.Fatalf("nw %d: capacity %d bytes is not whole huge pages", nw, c)
				}
				rounded = true
			}
		}
		if !rounded {
			t.Fatalf("nw %d: never grew past two huge pages", nw)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("nw %d: word %d = %x, want %x", nw, i, got[i], want[i])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("nw %d: %d words, want %d", nw, len(got), len(want))
		}
	}
}
