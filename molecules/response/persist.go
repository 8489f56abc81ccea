package response

import (
	"context"
	"errors"
	"fmt"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/store"
)

// A model is saved through a store.Stage: the record and every member's
// bytes are staged in batches well under Badger's per-transaction budget
// (raw values over 1 MB are chunked by the store), and Commit flips one
// small commit record, so a model of any size saves and readers see the
// old model or the new one, never a mixture. A save that fails, is
// canceled or is killed before the flip leaves nothing (the store drops
// the stage, at once or when it next opens); after the flip the store
// finishes the write even across a crash. Before stages, the whole model
// went into one transaction and the default ESOL and FreeSolv hybrids
// failed with "transaction too big".

// Save stores a trained model (record and member weights) and makes it
// available to Predict. It writes the model whole or not at all: an error
// means the model stored before (if any) is still the one served.
func (s *Service) Save(ctx context.Context, m *Model) error {
	blobs := make([][]byte, len(m.members))
	gblobs := make([][]byte, len(m.graphs))
	var size int64
	for k, mem := range m.members {
		b, err := mem.MarshalBinary()
		if err != nil {
			return err
		}
		blobs[k], size = b, size+int64(len(b))
	}
	for k, g := range m.graphs {
		b, err := g.MarshalBinary()
		if err != nil {
			return err
		}
		gblobs[k], size = b, size+int64(len(b))
	}
	id := m.rec.ID
	st, err := s.db.BeginStage(ctx, "response model")
	if err != nil {
		return err
	}
	if err := stageModel(ctx, st, m.rec, blobs, gblobs); err != nil {
		if aerr := st.Abort(); aerr != nil {
			s.log.Warn("response: dropping an unfinished model save failed; the store drops it when it next opens", "model", id, "err", aerr)
		}
		return err
	}
	if err := st.Commit(ctx, nil); err != nil {
		return err
	}
	s.models.Add(id, m, modelMemory(size))
	return nil
}

// stageModel stages the record, the members, and the removal of members a
// model saved before under the same id had beyond this one's (a smaller
// ensemble, another architecture). It checks ctx between members.
func stageModel(ctx context.Context, st *store.Stage, rec modelRecord, blobs, gblobs [][]byte) error {
	id := rec.ID
	st.Touch("model:" + id)
	if err := st.Put(modelKey(id), rec); err != nil {
		return err
	}
	for k := 0; k < MaxEnsemble; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := stageMember(st, weightKey(id, k), blobs, k); err != nil {
			return err
		}
		if err := stageMember(st, graphKey(id, k), gblobs, k); err != nil {
			return err
		}
	}
	return nil
}

// stageMember stages blobs[k] at key, or the key's removal past the end.
func stageMember(st *store.Stage, key []byte, blobs [][]byte, k int) error {
	if k < len(blobs) {
		return st.PutRaw(key, blobs[k])
	}
	return st.Delete(key)
}

// loadModel reads a stored model in one snapshot.
func (s *Service) loadModel(ctx context.Context, id string) (*Model, int64, error) {
	var rec modelRecord
	var members []*nn.MLP
	var graphs []*mpnn.Model
	var size int64
	err := s.db.View(ctx, func(tx *store.Txn) error {
		if err := tx.Get(modelKey(id), &rec); err != nil {
			return err
		}
		var err error
		members, graphs, size, err = loadMembers(ctx, tx, id, rec)
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

// loadMembers reads a model's members: one raw value per member at mdl/w/
// and mdl/g/ (chunked by the store when large).
func loadMembers(ctx context.Context, tx *store.Txn, id string, rec modelRecord) ([]*nn.MLP, []*mpnn.Model, int64, error) {
	var members []*nn.MLP
	var graphs []*mpnn.Model
	var size int64
	for k := 0; hasGraph(rec.Arch) && k < rec.Ensemble; k++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
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
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
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
