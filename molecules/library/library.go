package library

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/internal/lru"
	"github.com/rxlab/rxlab/store"
)

// Default is the library used when a request names none.
const Default = "default"

// The fingerprint shape stored with every molecule.
const (
	storedRadius = 2
	storedBits   = 2048
)

// Config configures a Library.
type Config struct {
	DB *store.DB
	// IndexCacheBytes bounds the memory of the search indexes built for
	// fingerprint shapes other than the stored one (radius 2, 2048 bits),
	// kept in a least-recently-used cache; 0 means
	// DefaultIndexCacheBytes. The stored shape's index is the library
	// itself and is not counted.
	IndexCacheBytes int64
}

// DefaultIndexCacheBytes is the default budget of the index cache: every
// allowed shape of the demo's 5,300-molecule default library (28 indexes,
// about 40 MB) fits.
const DefaultIndexCacheBytes = 64 << 20

// Library is the set of stored molecule libraries and their search indexes.
type Library struct {
	db *store.DB

	mu      sync.RWMutex
	mols    map[string]map[string]record // library → id → record
	stored  map[string]*molecules.Index  // library → index of the stored shape
	version map[string]uint64            // library → changes so far, to drop stale builds
	// derived holds indexes of other shapes, built on demand; building
	// lists the builds under way so that concurrent requests for one shape
	// wait for one build.
	derived  *lru.Cache[indexKey, *molecules.Index]
	building map[indexKey]*build
}

// indexKey names an index: a library and a fingerprint shape.
type indexKey struct {
	lib           string
	radius, nBits int
}

// build is an index build under way; done is closed when idx or err is set.
type build struct {
	done chan struct{}
	idx  *molecules.Index
	err  error
}

// record is one stored molecule.
type record struct {
	ID        string   `json:"id"`
	Name      string   `json:"name,omitempty"`
	SMILES    string   `json:"smiles"`
	Canonical string   `json:"canonical"`
	FP        []uint64 `json:"fp"`
}

// Molecule is a stored molecule as callers see it.
type Molecule struct {
	ID        string
	Name      string
	SMILES    string
	Canonical string
}

// Hit is one similarity search result.
type Hit struct {
	Molecule
	Similarity float64
}

// ItemError says what was wrong with one input and where.
type ItemError struct {
	Location string
	Message  string
}

// Result summarizes an Add.
type Result struct {
	Accepted int
	Rejected int
	Errors   []ItemError
	// IDs holds the id of each input, "" where it was rejected.
	IDs []string
}

// New loads every stored library into memory.
func New(cfg Config) (*Library, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("library: %w: nil store", store.ErrInvalid)
	}
	if cfg.IndexCacheBytes < 0 {
		return nil, fmt.Errorf("library: %w: IndexCacheBytes must not be negative", store.ErrInvalid)
	}
	if cfg.IndexCacheBytes == 0 {
		cfg.IndexCacheBytes = DefaultIndexCacheBytes
	}
	l := &Library{db: cfg.DB, mols: map[string]map[string]record{}, stored: map[string]*molecules.Index{},
		version: map[string]uint64{}, derived: lru.New[indexKey, *molecules.Index](cfg.IndexCacheBytes),
		building: map[indexKey]*build{}}
	err := cfg.DB.View(context.Background(), func(tx *store.Txn) error {
		return tx.Scan([]byte("mol/m/"), nil, func(r store.Record) error {
			var rec record
			if err := r.Decode(&rec); err != nil {
				return err
			}
			lib := strings.SplitN(string(r.Key), "/", 4)[2]
			return l.addMemory(lib, rec)
		})
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Library) addMemory(lib string, rec record) error {
	if l.mols[lib] == nil {
		l.mols[lib] = map[string]record{}
	}
	l.mols[lib][rec.ID] = rec
	idx := l.stored[lib]
	if idx == nil {
		var err error
		if idx, err = molecules.NewIndex(storedBits); err != nil {
			return err
		}
		l.stored[lib] = idx
	}
	if err := idx.Add(rec.ID, molecules.Fingerprint{NBits: storedBits, Words: rec.FP}); err != nil {
		return err
	}
	// Indexes of other shapes are rebuilt on their next use; builds under
	// way see the version change and do not keep what they build.
	l.version[lib]++
	l.derived.RemoveIf(func(k indexKey) bool { return k.lib == lib })
	return nil
}

// CacheStats reports the cache of indexes of non-stored shapes.
func (l *Library) CacheStats() molecules.CacheStats { return l.derived.Stats() }

func checkLibrary(lib string) error {
	if err := store.CheckName("library", lib); err != nil {
		return err
	}
	if lib == "" || len(lib) > 64 || strings.ContainsAny(lib, "/ \t\n") {
		return fmt.Errorf("library: %w: library name %q must be 1-64 characters without '/' or spaces", store.ErrInvalid, lib)
	}
	return nil
}

// maxBatch bounds one Add; larger imports go in several calls.
const maxBatch = 10000

// Add parses, canonicalizes and stores molecules in lib. Bad SMILES and
// duplicates (same canonical SMILES as a stored molecule or an earlier
// input) are reported per item with their index; the rest are stored in
// small transactions.
func (l *Library) Add(ctx context.Context, lib string, smiles, names []string) (Result, error) {
	if err := checkLibrary(lib); err != nil {
		return Result{}, err
	}
	if len(names) > 0 && len(names) != len(smiles) {
		return Result{}, fmt.Errorf("library: %w: names has %d items but smiles has %d", store.ErrInvalid, len(names), len(smiles))
	}
	if len(smiles) > maxBatch {
		return Result{}, fmt.Errorf("library: %w: %d molecules in one call; the limit is %d", store.ErrInvalid, len(smiles), maxBatch)
	}
	res := Result{IDs: make([]string, len(smiles))}
	type pending struct {
		i   int
		rec record
	}
	var batch []pending
	seen := map[string]int{}
	l.mu.RLock()
	existing := map[string]string{}
	for id, rec := range l.mols[lib] {
		existing[rec.Canonical] = id
	}
	l.mu.RUnlock()
	// One molecule is rewritten for every SMILES: only its canonical SMILES
	// and fingerprint are kept.
	p, err := molecules.NewParser(molecules.ParserConfig{})
	if err != nil {
		return res, err
	}
	var reuse *molecules.Mol
	for i, s := range smiles {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		m, err := p.ParseInto(reuse, s)
		if err != nil {
			res.Rejected++
			res.Errors = append(res.Errors, ItemError{Location: fmt.Sprintf("smiles[%d]", i), Message: err.Error()})
			continue
		}
		reuse = m
		can := m.CanonicalSMILES()
		if id, dup := existing[can]; dup {
			res.Rejected++
			res.Errors = append(res.Errors, ItemError{Location: fmt.Sprintf("smiles[%d]", i), Message: fmt.Sprintf("duplicate: same canonical SMILES as stored molecule %s", id)})
			continue
		}
		if j, dup := seen[can]; dup {
			res.Rejected++
			res.Errors = append(res.Errors, ItemError{Location: fmt.Sprintf("smiles[%d]", i), Message: fmt.Sprintf("duplicate: same canonical SMILES as smiles[%d]", j)})
			continue
		}
		seen[can] = i
		rec := record{SMILES: s, Canonical: can, FP: molecules.Morgan(m, storedRadius, storedBits).Words}
		if len(names) > 0 {
			rec.Name = names[i]
		}
		batch = append(batch, pending{i, rec})
	}
	// Store in transactions of 500 molecules.
	for start := 0; start < len(batch); start += 500 {
		end := min(start+500, len(batch))
		part := batch[start:end]
		err := l.db.Update(ctx, func(tx *store.Txn) error {
			for k := range part {
				ck := []byte("mol/c/" + lib + "/" + part[k].rec.Canonical)
				var id string
				if err := tx.Get(ck, &id); err == nil {
					return fmt.Errorf("library: %w: molecule %s was added concurrently", store.ErrConflict, id)
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				n, err := tx.NextID("molecule")
				if err != nil {
					return err
				}
				part[k].rec.ID = fmt.Sprintf("M%d", n)
				if err := tx.Put([]byte("mol/m/"+lib+"/"+part[k].rec.ID), part[k].rec); err != nil {
					return err
				}
				if err := tx.Put(ck, part[k].rec.ID); err != nil {
					return err
				}
			}
			tx.Touch(fmt.Sprintf("library:%s (%d molecules)", lib, len(part)))
			return nil
		})
		if err != nil {
			return res, err
		}
		l.mu.Lock()
		for _, p := range part {
			if err := l.addMemory(lib, p.rec); err != nil {
				l.mu.Unlock()
				return res, err
			}
			res.IDs[p.i] = p.rec.ID
			res.Accepted++
		}
		l.mu.Unlock()
	}
	return res, nil
}

// Similar returns the molecules of lib whose Tanimoto similarity to smiles
// (Morgan fingerprints of the given radius and length) is at least minSim,
// most similar first (ties by id), at most first of them.
func (l *Library) Similar(ctx context.Context, lib, smiles string, minSim float64, first, radius, nBits int) ([]Hit, error) {
	if err := checkLibrary(lib); err != nil {
		return nil, err
	}
	if err := molecules.CheckFingerprintShape(radius, nBits); err != nil {
		return nil, err
	}
	switch {
	case minSim < 0 || minSim > 1:
		return nil, fmt.Errorf("library: %w: minSimilarity %v out of range 0..1", store.ErrInvalid, minSim)
	case first < 0:
		return nil, fmt.Errorf("library: %w: first must not be negative", store.ErrInvalid)
	}
	m, err := molecules.Parse(smiles)
	if err != nil {
		return nil, err
	}
	idx, err := l.index(ctx, lib, radius, nBits)
	if err != nil {
		return nil, err
	}
	hits, err := idx.Search(ctx, molecules.Morgan(m, radius, nBits), minSim, first)
	if err != nil {
		return nil, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]Hit, 0, len(hits))
	for _, h := range hits {
		rec := l.mols[lib][h.ID]
		out = append(out, Hit{Molecule: Molecule{ID: rec.ID, Name: rec.Name, SMILES: rec.SMILES, Canonical: rec.Canonical}, Similarity: h.Similarity})
	}
	return out, nil
}

// index returns the search index of lib for a fingerprint shape: the
// stored one, or one from the cache, built from the stored molecules when
// missing (one build per shape at a time; others wait for it).
func (l *Library) index(ctx context.Context, lib string, radius, nBits int) (*molecules.Index, error) {
	for {
		idx, err := l.indexOnce(ctx, lib, radius, nBits)
		// A build stopped by its own caller's context is redone for a
		// caller whose context is still live.
		if (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) && ctx.Err() == nil {
			continue
		}
		return idx, err
	}
}

func (l *Library) indexOnce(ctx context.Context, lib string, radius, nBits int) (*molecules.Index, error) {
	k := indexKey{lib, radius, nBits}
	l.mu.Lock()
	if _, ok := l.mols[lib]; !ok {
		l.mu.Unlock()
		return nil, fmt.Errorf("library: %q: %w", lib, store.ErrNotFound)
	}
	if radius == storedRadius && nBits == storedBits {
		idx := l.stored[lib]
		l.mu.Unlock()
		return idx, nil
	}
	if idx, ok := l.derived.Get(k); ok {
		l.mu.Unlock()
		return idx, nil
	}
	if b, ok := l.building[k]; ok {
		l.mu.Unlock()
		select {
		case <-b.done:
			return b.idx, b.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b := &build{done: make(chan struct{})}
	l.building[k] = b
	ver := l.version[lib]
	list := make([]record, 0, len(l.mols[lib]))
	for _, r := range l.mols[lib] {
		list = append(list, r)
	}
	l.mu.Unlock()
	// The stored index holds molecules in key order; ties in a search go
	// by insertion, so every index inserts in that order.
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })

	b.idx, b.err = buildIndex(ctx, list, radius, nBits)
	l.mu.Lock()
	delete(l.building, k)
	if b.err == nil && l.version[lib] == ver {
		l.derived.Add(k, b.idx, b.idx.Bytes())
	}
	l.mu.Unlock()
	close(b.done)
	return b.idx, b.err
}

// buildIndex fingerprints every record in one shape.
func buildIndex(ctx context.Context, list []record, radius, nBits int) (*molecules.Index, error) {
	idx, err := molecules.NewIndex(nBits)
	if err != nil {
		return nil, err
	}
	p, err := molecules.NewParser(molecules.ParserConfig{})
	if err != nil {
		return nil, err
	}
	var reuse *molecules.Mol
	for i, r := range list {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		m, err := p.ParseInto(reuse, r.Canonical)
		if err != nil {
			return nil, fmt.Errorf("library: stored molecule %s does not parse: %w", r.ID, err)
		}
		reuse = m
		if err := idx.Add(r.ID, molecules.Morgan(m, radius, nBits)); err != nil {
			return nil, err
		}
	}
	return idx, nil
}

// Count returns the number of stored molecules over all libraries.
func (l *Library) Count() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := 0
	for _, m := range l.mols {
		n += len(m)
	}
	return n
}

// Libraries returns the library names with their sizes, by name.
func (l *Library) Libraries() map[string]int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := map[string]int{}
	for lib, m := range l.mols {
		out[lib] = len(m)
	}
	return out
}

//go:embed seed/*.tsv seed/*.csv seed/*.smi
var seedFS embed.FS

// Seed loads the demo libraries: the GDSC drugs with their names into
// "default" and "gdsc", and the NCI 5K set into "default".
func (l *Library) Seed(ctx context.Context) error {
	names, err := gdscNames()
	if err != nil {
		return err
	}
	raw, _ := seedFS.ReadFile("seed/gdsc_drugs_pubchem_smiles.tsv")
	var smi, nm []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 2 {
			continue
		}
		name := names[f[0]]
		if name == "" {
			name = "PubChem CID " + f[0]
		}
		smi, nm = append(smi, f[1]), append(nm, name)
	}
	for _, lib := range []string{"gdsc", Default} {
		if _, err := l.Add(ctx, lib, smi, nm); err != nil {
			return err
		}
	}
	raw, _ = seedFS.ReadFile("seed/nci_first_5K.smi")
	smi, nm = smi[:0], nm[:0]
	sc = bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		smi, nm = append(smi, f[0]), append(nm, "NSC "+f[1])
	}
	_, err = l.Add(ctx, Default, smi, nm)
	return err
}

// gdscNames maps PubChem CID → GDSC drug name.
func gdscNames() (map[string]string, error) {
	raw, _ := seedFS.ReadFile("seed/gdsc_drug_list.csv")
	r := csv.NewReader(bytes.NewReader(raw))
	head, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	out := map[string]string{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("library: gdsc drug list: %w", err)
		}
		cid := rec[col["PubCHEM"]]
		if _, dup := out[cid]; !dup && cid != "" {
			out[cid] = rec[col["Name"]]
		}
	}
	return out, nil
}
