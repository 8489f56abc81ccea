package response

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/store"
)

// A model is saved in pieces so that no transaction nears Badger's
// per-transaction budget (15 % of the 32 MB memtable, about 4.8 MB), however
// large its members are:
//
//  1. the model record (JSON) and every member's bytes are concatenated and
//     cut into chunks of chunkBytes, written under a fresh generation
//     number, mdl/c/<id>/<gen:016x>/<n:08x>, a few per transaction;
//  2. one last transaction writes the head mdl/m/<id> (ModelInfo and the
//     manifest: generation, sizes, SHA-256) and deletes the keys of the
//     model it replaces that are in the old single-record layout; this is
//     the commit point, so readers (one snapshot each) see the old model or
//     the new one, never a mixture;
//  3. the replaced generation's chunks are deleted afterwards.
//
// A save that fails or is killed before step 2 leaves only chunks no head
// names; New deletes them at the next start, and so does a failed save at
// once. Heads without a manifest are models in the layout before chunking
// (the whole record at mdl/m/<id>, members at mdl/w/ and mdl/g/) and load
// as before.
const (
	chunkBytes = 512 << 10
	// chunksPerTxn keeps a staging transaction near 3 MB.
	chunksPerTxn = 6
	// deletesPerTxn bounds the deletes of one clean-up transaction.
	deletesPerTxn = 1000
)

// manifest says where a chunked model's bytes are.
type manifest struct {
	Gen    uint64 `json:"gen"`
	Chunks int    `json:"chunks"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Record, Members and Graphs are the byte lengths of the model record
	// (JSON) and of each MLP and message-passing member, in stream order.
	Record  int   `json:"record"`
	Members []int `json:"members"`
	Graphs  []int `json:"graphs,omitempty"`
}

// head is what mdl/m/<id> holds for a chunked model.
type head struct {
	ModelInfo
	Stored *manifest `json:"stored"`
}

// storedHead decodes either layout's mdl/m/<id>: a chunked head (Stored
// set, only ModelInfo filled) or an older whole record.
type storedHead struct {
	modelRecord
	Stored *manifest `json:"stored,omitempty"`
}

func chunkPrefix(id string) string { return "mdl/c/" + id + "/" }
func chunkKey(id string, gen uint64, n int) []byte {
	return fmt.Appendf(nil, "%s%s/%08x", chunkPrefix(id), store.Hex16(gen), n)
}

// encodeModel returns the model's byte stream and its manifest (without
// generation).
func encodeModel(m *Model) ([]byte, manifest, error) {
	rec, err := json.Marshal(m.rec)
	if err != nil {
		return nil, manifest{}, fmt.Errorf("response: encode model record: %w", err)
	}
	man := manifest{Record: len(rec)}
	var buf bytes.Buffer
	buf.Write(rec)
	for _, mem := range m.members {
		b, err := mem.MarshalBinary()
		if err != nil {
			return nil, manifest{}, err
		}
		man.Members = append(man.Members, len(b))
		buf.Write(b)
	}
	for _, g := range m.graphs {
		b, err := g.MarshalBinary()
		if err != nil {
			return nil, manifest{}, err
		}
		man.Graphs = append(man.Graphs, len(b))
		buf.Write(b)
	}
	p := buf.Bytes()
	sum := sha256.Sum256(p)
	man.Size, man.SHA256 = int64(len(p)), hex.EncodeToString(sum[:])
	man.Chunks = (len(p) + chunkBytes - 1) / chunkBytes
	return p, man, nil
}

// Save stores a trained model (record and member weights) and makes it
// available to Predict. It writes the model's bytes in transactions of a
// few chunks and then flips the head record in one small transaction: the
// model is stored whole or not at all, whatever its size, and a failed save
// leaves the model it would have replaced in place.
func (s *Service) Save(ctx context.Context, m *Model) error {
	p, man, err := encodeModel(m)
	if err != nil {
		return err
	}
	id := m.rec.ID
	if err := s.db.Update(ctx, func(tx *store.Txn) error {
		n, err := tx.NextID("model-generation")
		man.Gen = n
		return err
	}); err != nil {
		return err
	}
	if err := s.stage(ctx, id, man, p); err != nil {
		s.dropGeneration(context.WithoutCancel(ctx), id, man.Gen)
		return err
	}
	var old *manifest
	err = s.db.Update(ctx, func(tx *store.Txn) error {
		tx.Touch("model:" + id)
		var prev storedHead
		old = nil
		if err := tx.Get(modelKey(id), &prev); err == nil {
			old = prev.Stored
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.Put(modelKey(id), head{ModelInfo: m.rec.ModelInfo, Stored: &man}); err != nil {
			return err
		}
		// Keys of a model saved in the layout before chunking.
		for k := 0; k < MaxEnsemble; k++ {
			if err := tx.Delete(weightKey(id, k)); err != nil {
				return err
			}
			if err := tx.Delete(graphKey(id, k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.dropGeneration(context.WithoutCancel(ctx), id, man.Gen)
		return err
	}
	if old != nil && old.Gen != man.Gen {
		s.dropGeneration(context.WithoutCancel(ctx), id, old.Gen)
	}
	s.models.Add(id, m, modelMemory(man.Size))
	return nil
}

// stage writes p's chunks under man.Gen, chunksPerTxn per transaction.
func (s *Service) stage(ctx context.Context, id string, man manifest, p []byte) error {
	for first := 0; first < man.Chunks; first += chunksPerTxn {
		last := min(first+chunksPerTxn, man.Chunks)
		err := s.db.Update(ctx, func(tx *store.Txn) error {
			for n := first; n < last; n++ {
				part := p[n*chunkBytes : min((n+1)*chunkBytes, len(p))]
				if err := tx.PutRaw(chunkKey(id, man.Gen, n), part); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// dropGeneration deletes the chunks of one generation of a model, a few
// hundred per transaction. It only logs failures: chunks no head names are
// deleted again at the next start.
func (s *Service) dropGeneration(ctx context.Context, id string, gen uint64) {
	prefix := []byte(chunkPrefix(id) + store.Hex16(gen) + "/")
	if err := s.deletePrefix(ctx, prefix); err != nil {
		s.log.Warn("response: deleting a model generation's chunks failed; they go at the next start", "model", id, "err", err)
	}
}

// deletePrefix deletes every key with prefix in transactions of
// deletesPerTxn.
func (s *Service) deletePrefix(ctx context.Context, prefix []byte) error {
	for {
		var keys [][]byte
		err := s.db.View(ctx, func(tx *store.Txn) error {
			return tx.ScanKeys(prefix, func(k []byte) error {
				keys = append(keys, bytes.Clone(k))
				if len(keys) == deletesPerTxn {
					return store.ErrStop
				}
				return nil
			})
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		if err := s.db.Update(ctx, func(tx *store.Txn) error {
			for _, k := range keys {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if len(keys) < deletesPerTxn {
			return nil
		}
	}
}

// removeOrphans deletes chunk generations that no head names: saves that
// failed or were killed before their flip, and replaced generations whose
// clean-up did not finish. It runs in New, before any job can save.
func (s *Service) removeOrphans(ctx context.Context) error {
	type gen struct {
		id  string
		gen uint64
	}
	var found []gen
	err := s.db.View(ctx, func(tx *store.Txn) error {
		var last gen
		return tx.ScanKeys([]byte("mdl/c/"), func(k []byte) error {
			// mdl/c/<id>/<gen>/<n>; ids hold no '/'.
			parts := strings.Split(string(k), "/")
			if len(parts) != 5 {
				return nil
			}
			g, err := strconv.ParseUint(parts[3], 16, 64)
			if err != nil {
				return nil
			}
			if cur := (gen{parts[2], g}); cur != last {
				found, last = append(found, cur), cur
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, g := range found {
		var h storedHead
		err := s.db.View(ctx, func(tx *store.Txn) error { return tx.Get(modelKey(g.id), &h) })
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil && h.Stored != nil && h.Stored.Gen == g.gen {
			continue
		}
		s.log.Info("response: deleting the chunks of an unfinished model save", "model", g.id)
		if err := s.deletePrefix(ctx, []byte(chunkPrefix(g.id)+store.Hex16(g.gen)+"/")); err != nil {
			return err
		}
	}
	return nil
}

// loadModel reads a stored model in either layout, in one snapshot.
func (s *Service) loadModel(ctx context.Context, id string) (*Model, int64, error) {
	var rec modelRecord
	var members []*nn.MLP
	var graphs []*mpnn.Model
	var size int64
	err := s.db.View(ctx, func(tx *store.Txn) error {
		var h storedHead
		if err := tx.Get(modelKey(id), &h); err != nil {
			return err
		}
		if h.Stored == nil {
			rec = h.modelRecord
			var err error
			members, graphs, size, err = loadSeparate(tx, id, rec)
			return err
		}
		p, err := readChunks(ctx, tx, id, *h.Stored)
		if err != nil {
			return err
		}
		size = int64(len(p))
		rec, members, graphs, err = decodeModel(id, p, *h.Stored)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, fmt.Errorf("response: model %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, 0, err
	}
	m, err := newModel(rec, members, graphs)
	return m, size, err
}

// readChunks reads and checks a chunked model's byte stream.
func readChunks(ctx context.Context, tx *store.Txn, id string, man manifest) ([]byte, error) {
	if man.Size < 0 || man.Chunks != int((man.Size+chunkBytes-1)/chunkBytes) {
		return nil, fmt.Errorf("response: model %q: manifest of %d bytes in %d chunks is inconsistent: %w", id, man.Size, man.Chunks, store.ErrInvalid)
	}
	p := make([]byte, 0, man.Size)
	for n := 0; n < man.Chunks; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := tx.GetRaw(chunkKey(id, man.Gen, n))
		if err != nil {
			return nil, fmt.Errorf("response: model %q: chunk %d of %d: %w", id, n, man.Chunks, err)
		}
		p = append(p, b...)
	}
	sum := sha256.Sum256(p)
	if int64(len(p)) != man.Size || hex.EncodeToString(sum[:]) != man.SHA256 {
		return nil, fmt.Errorf("response: model %q: stored bytes do not match the manifest's size and SHA-256: %w", id, store.ErrInvalid)
	}
	return p, nil
}

// decodeModel splits a chunked model's byte stream into its record and
// members.
func decodeModel(id string, p []byte, man manifest) (modelRecord, []*nn.MLP, []*mpnn.Model, error) {
	var rec modelRecord
	total := int64(man.Record)
	for _, n := range append(append([]int(nil), man.Members...), man.Graphs...) {
		if n < 0 {
			return rec, nil, nil, fmt.Errorf("response: model %q: negative member size in the manifest: %w", id, store.ErrInvalid)
		}
		total += int64(n)
	}
	if man.Record < 0 || total != int64(len(p)) {
		return rec, nil, nil, fmt.Errorf("response: model %q: manifest sizes add up to %d bytes, stored %d: %w", id, total, len(p), store.ErrInvalid)
	}
	if err := json.Unmarshal(p[:man.Record], &rec); err != nil {
		return rec, nil, nil, fmt.Errorf("response: model %q: decode record: %v: %w", id, err, store.ErrInvalid)
	}
	off := man.Record
	var members []*nn.MLP
	for k, n := range man.Members {
		mem, err := nn.Load(p[off : off+n])
		if err != nil {
			return rec, nil, nil, fmt.Errorf("response: model %s member %d: %w", id, k, err)
		}
		members, off = append(members, mem), off+n
	}
	var graphs []*mpnn.Model
	for k, n := range man.Graphs {
		g, err := mpnn.Load(p[off : off+n])
		if err != nil {
			return rec, nil, nil, fmt.Errorf("response: model %s graph member %d: %w", id, k, err)
		}
		graphs, off = append(graphs, g), off+n
	}
	return rec, members, graphs, nil
}

// loadSeparate reads the members of a model saved before chunking: one
// record per member at mdl/w/ and mdl/g/.
func loadSeparate(tx *store.Txn, id string, rec modelRecord) ([]*nn.MLP, []*mpnn.Model, int64, error) {
	var members []*nn.MLP
	var graphs []*mpnn.Model
	var size int64
	for k := 0; hasGraph(rec.Arch) && k < rec.Ensemble; k++ {
		b, err := tx.GetRaw(graphKey(id, k))
		if err != nil {
			return nil, nil, 0, err
		}
		g, err := mpnn.Load(b)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("response: model %s graph member %d: %w", id, k, err)
		}
		graphs, size = append(graphs, g), size+int64(len(b))
	}
	for k := 0; hasMLP(rec.Arch) && k < rec.Ensemble; k++ {
		b, err := tx.GetRaw(weightKey(id, k))
		if err != nil {
			return nil, nil, 0, err
		}
		mem, err := nn.Load(b)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("response: model %s member %d: %w", id, k, err)
		}
		members, size = append(members, mem), size+int64(len(b))
	}
	return members, graphs, size, nil
}
