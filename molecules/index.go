package molecules

import (
	"context"
	"fmt"
	"math/bits"
	"sort"
	"sync"
	"unsafe"

	"github.com/rxlab/rxlab/store/errs"
)

// Index is an in-memory fingerprint library for exact Tanimoto search.
// Fingerprints are stored in buckets by popcount so a query only reads the
// buckets whose bit-count bound min(|a|,|b|)/max(|a|,|b|) can still reach
// the threshold. Scans count popcount(query AND row) a chunk of rows at a
// time with AVX-512 VPOPCNTDQ where the CPU has it (2048-bit rows: the
// query held in four registers), else AVX2 (VPSHUFB nibble counts), else
// unrolled math/bits counts; all give the same float64 similarities. The
// large buckets' words are advised as huge-page memory (appendWords), since
// a scan is a streaming read bound by memory bandwidth. It is safe for concurrent use.
type Index struct {
	mu      sync.RWMutex
	nBits   int
	nWords  int
	buckets []fpBucket // indexed by popcount
	n       int
	// kernel is kernelAuto except in tests and benchmarks, which compare
	// the kernels on one index.
	kernel scanKernel
}

type fpBucket struct {
	words []uint64 // len = nWords * len(ids)
	ids   []string
	seq   []int64 // insertion order, for deterministic tie-breaks
}

// Hit is one search result.
type Hit struct {
	ID         string
	Similarity float64
}

// NewIndex returns an empty index for fingerprints of nBits bits.
func NewIndex(nBits int) (*Index, error) {
	if nBits <= 0 || nBits > 1<<20 {
		return nil, fmt.Errorf("molecules: index size %d bits out of range 1..1048576: %w", nBits, errs.Invalid)
	}
	nw := (nBits + 63) / 64
	return &Index{nBits: nBits, nWords: nw, buckets: make([]fpBucket, nBits+1)}, nil
}

// Len is the number of fingerprints stored.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Add stores a fingerprint under id. Ids are not deduplicated here; the
// caller (the store) owns identity.
func (x *Index) Add(id string, fp Fingerprint) error {
	if fp.NBits != x.nBits || len(fp.Words) != x.nWords {
		return fmt.Errorf("molecules: fingerprint has %d bits, index holds %d: %w", fp.NBits, x.nBits, errs.Invalid)
	}
	c := 0
	for _, w := range fp.Words {
		c += bits.OnesCount64(w)
	}
	x.mu.Lock()
	b := &x.buckets[c]
	b.words = appendWords(b.words, fp.Words)
	b.ids = append(b.ids, id)
	b.seq = append(b.seq, int64(x.n))
	x.n++
	x.mu.Unlock()
	return nil
}

type scored struct {
	sim float64
	seq int64
	id  string
}

func better(a, b scored) bool {
	if a.sim != b.sim {
		return a.sim > b.sim
	}
	return a.seq < b.seq
}

// Search returns up to k fingerprints with Tanimoto ≥ minSim to query, best
// first (ties by insertion order). k ≤ 0 means no limit. The result is exact:
// pruning only skips fingerprints whose bit-count bound is below the current
// cut-off.
func (x *Index) Search(ctx context.Context, query Fingerprint, minSim float64, k int) ([]Hit, error) {
	if query.NBits != x.nBits || len(query.Words) != x.nWords {
		return nil, fmt.Errorf("molecules: query has %d bits, index holds %d: %w", query.NBits, x.nBits, errs.Invalid)
	}
	if minSim < 0 || minSim > 1 {
		return nil, fmt.Errorf("molecules: minSim %v outside [0,1]: %w", minSim, errs.Invalid)
	}
	q := query.Words
	qc := 0
	for _, w := range q {
		qc += bits.OnesCount64(w)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	// visit buckets in order of decreasing bound
	order := make([]int, 0, x.nBits+1)
	for c := 0; c <= x.nBits; c++ {
		if len(x.buckets[c].ids) > 0 {
			order = append(order, c)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		bi, bj := countBound(qc, order[i]), countBound(qc, order[j])
		if bi != bj {
			return bi > bj
		}
		return order[i] < order[j]
	})
	var res []scored // a min-heap on "better" when k > 0
	var sims []float64
	cut := minSim
	nw := x.nWords
	for _, c := range order {
		bound := countBound(qc, c)
		if bound < cut || (k > 0 && len(res) == k && bound < res[0].sim) {
			break
		}
		b := &x.buckets[c]
		tot := qc + c
		for off := 0; off < len(b.ids); off += scanChunk {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			end := min(off+scanChunk, len(b.ids))
			sims = appendSims(sims[:0], q, b.words[off*nw:end*nw], tot, x.kernel)
			for i, sim := range sims {
				if sim < cut {
					continue
				}
				j := off + i
				res = keep(res, scored{sim, b.seq[j], b.ids[j]}, k)
			}
		}
	}
	sort.Slice(res, func(i, j int) bool { return better(res[i], res[j]) })
	out := make([]Hit, len(res))
	for i, s := range res {
		out[i] = Hit{ID: s.id, Similarity: s.sim}
	}
	return out, nil
}

// countBound is the largest Tanimoto two fingerprints with a and b bits can reach.
func countBound(a, b int) float64 {
	if a == 0 && b == 0 {
		return 1
	}
	if a < b {
		return float64(a) / float64(b)
	}
	return float64(b) / float64(a)
}

// keep adds s to the hits: appended when k ≤ 0, else kept in the k-heap
// (res[0] the worst) if it beats the worst.
func keep(res []scored, s scored, k int) []scored {
	switch {
	case k <= 0:
		return append(res, s)
	case len(res) < k:
		res = append(res, s)
		heapUp(res, len(res)-1)
	case better(s, res[0]):
		res[0] = s
		heapDown(res, 0)
	}
	return res
}

// heap where res[0] is the worst kept hit
func heapUp(h []scored, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(h[p], h[i]) {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func heapDown(h []scored, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		w := l
		if r := l + 1; r < len(h) && better(h[l], h[r]) {
			w = r
		}
		if !better(h[i], h[w]) {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// Similarities computes the Tanimoto similarity of query to every stored
// fingerprint into dst (grown as needed) in storage order, the order of
// ScanOrderIDs; it is the allocation-free form of ScanAll.
func (x *Index) Similarities(query Fingerprint, dst []float64) ([]float64, error) {
	if query.NBits != x.nBits || len(query.Words) != x.nWords {
		return nil, fmt.Errorf("molecules: query has %d bits, index holds %d: %w", query.NBits, x.nBits, errs.Invalid)
	}
	q := query.Words
	qc := 0
	for _, w := range q {
		qc += bits.OnesCount64(w)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	dst = dst[:0]
	for c := range x.buckets {
		dst = appendSims(dst, q, x.buckets[c].words, qc+c, x.kernel)
	}
	return dst, nil
}

// ScanOrderIDs lists the ids in the order Similarities reports them.
func (x *Index) ScanOrderIDs() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ids := make([]string, 0, x.n)
	for c := range x.buckets {
		ids = append(ids, x.buckets[c].ids...)
	}
	return ids
}

// ScanAll computes the Tanimoto similarity of query to every stored
// fingerprint (the analogue of RDKit's BulkTanimotoSimilarity), calling fn
// once per fingerprint in storage order (by popcount).
func (x *Index) ScanAll(query Fingerprint, fn func(id string, sim float64)) error {
	if query.NBits != x.nBits || len(query.Words) != x.nWords {
		return fmt.Errorf("molecules: query has %d bits, index holds %d: %w", query.NBits, x.nBits, errs.Invalid)
	}
	q := query.Words
	qc := 0
	for _, w := range q {
		qc += bits.OnesCount64(w)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	nw := x.nWords
	var sims []float64
	for c := range x.buckets {
		b := &x.buckets[c]
		for off := 0; off < len(b.ids); off += scanChunk {
			end := min(off+scanChunk, len(b.ids))
			sims = appendSims(sims[:0], q, b.words[off*nw:end*nw], qc+c, x.kernel)
			for i, sim := range sims {
				fn(b.ids[off+i], sim)
			}
		}
	}
	return nil
}

// Bytes estimates the memory the index keeps alive: the fingerprints, the
// ids and their insertion numbers, and the per-popcount buckets.
func (x *Index) Bytes() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := int64(len(x.buckets)) * int64(unsafe.Sizeof(fpBucket{}))
	for c := range x.buckets {
		b := &x.buckets[c]
		n += int64(cap(b.words))*8 + int64(cap(b.ids))*16 + int64(cap(b.seq))*8
		for _, id := range b.ids {
			n += int64(len(id))
		}
	}
	return n
}
