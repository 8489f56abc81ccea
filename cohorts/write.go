package cohorts

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/rxlab/rxlab/store"
)

// The write path. Every import (ImportPatients, the streaming imports,
// genomic imports, the seed) and the index rebuild at start go through one
// writer: the patient records, the index rows and bitmaps and idx/meta are
// staged in one store.Stage and made visible by its Commit, all at once or
// not at all, whatever their size. The in-memory index is changed on a
// private copy (Service.begin) and published only after the commit, so
// queries never see an import that did not commit. Writers are serialized
// by s.imu.

// ImportResult is the contract's ImportResult.
type ImportResult struct {
	Accepted int           `json:"accepted"`
	Rejected int           `json:"rejected"`
	Errors   []ImportError `json:"errors"`
	// Committed says whether the accepted records were stored (all of
	// them); false means nothing of this import was stored.
	Committed bool `json:"committed"`
	// Skipped counts records read but not stored because rxlab does not
	// index them, by kind (FHIR resource type, Synthea table).
	Skipped map[string]int `json:"skipped,omitempty"`
	// UnlinkedSamples counts genomic samples held apart because no patient
	// has their id (not counted as patients; see ImportOptions).
	UnlinkedSamples int `json:"unlinkedSamples,omitempty"`
	// Warnings say what was read and not used; never patient data.
	Warnings []string `json:"warnings,omitempty"`
}

// skip counts n records of kind read but not stored.
func (r *ImportResult) skip(kind string, n int) {
	if r.Skipped == nil {
		r.Skipped = map[string]int{}
	}
	r.Skipped[kind] += n
}

// warn adds a warning (at most maxErrors are listed).
func (r *ImportResult) warn(format string, a ...any) {
	if len(r.Warnings) < maxErrors {
		r.Warnings = append(r.Warnings, fmt.Sprintf(format, a...))
	}
}

// ImportError says what was wrong with one rejected record, and where.
type ImportError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// maxErrors bounds the errors an ImportResult lists; Rejected still counts all.
const maxErrors = 1000

func (r *ImportResult) reject(loc, format string, a ...any) {
	r.Rejected++
	if len(r.Errors) < maxErrors {
		r.Errors = append(r.Errors, ImportError{Location: loc, Message: fmt.Sprintf(format, a...)})
	}
}

// mutation changes one patient's record; loc names the source record for
// error reports. fn receives the current record (zero with ID set when new).
type mutation struct {
	id      string
	loc     string
	records int // source records this mutation carries (counted as accepted)
	fn      func(p *Patient) error
	// kind, when set, replaces fn by fnFirst, told whether this is the
	// import's first accepted mutation of that kind for the patient (a
	// streaming import replaces a kind of record the first time it meets
	// it and appends afterwards).
	kind    string
	fnFirst func(p *Patient, first bool) error
}

// run applies the mutation to p; first is ignored unless m.kind is set.
func (m mutation) run(p *Patient, first bool) error {
	if m.kind != "" {
		return m.fnFirst(p, first)
	}
	return m.fn(p)
}

// maxIDLen bounds a patient id's length.
const maxIDLen = 256

func validID(id string) error {
	if err := store.CheckName("patient id", id); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("empty patient id")
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("patient id longer than %d bytes", maxIDLen)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("patient id contains a control character")
		}
	}
	return nil
}

// writer is one staged write; the caller holds s.imu from beginWrite until
// commit or abort.
type writer struct {
	s  *Service
	st *store.Stage
	ix *index // private copy, published by commit
	// touched holds, per mutation kind, the patients this write already
	// changed with that kind (see mutation.kind).
	touched map[string]*roaring.Bitmap
}

func (s *Service) beginWrite(ctx context.Context, label string) (*writer, error) {
	st, err := s.db.BeginStage(ctx, label)
	if err != nil {
		return nil, err
	}
	if err := s.beforeWrite(ctx, st); err != nil { // follow.go: a shared store
		st.Abort()
		return nil, err
	}
	return &writer{s: s, st: st, ix: s.begin()}, nil
}

// apply stages mutations and changes the private index; per-record
// rejections go to res. Only an error of the store or the context is
// returned (the write must then be aborted).
func (w *writer) apply(ctx context.Context, muts []mutation, res *ImportResult) error {
	for i, m := range muts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := w.one(m, res); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) one(m mutation, res *ImportResult) error {
	if err := validID(m.id); err != nil {
		res.reject(m.loc, "%s", err)
		return nil
	}
	var cur Patient
	var oldF *feat
	switch err := w.st.Get(patKey(m.id), &cur); {
	case err == nil:
		oldF = features(&cur)
	case errors.Is(err, store.ErrNotFound):
		cur = Patient{ID: m.id, Sex: "UNKNOWN"}
	default:
		return err
	}
	first := true
	if m.kind != "" {
		if p, ok := w.ix.pid(m.id, false); ok && w.touched[m.kind] != nil {
			first = !w.touched[m.kind].Contains(p)
		}
	}
	if err := m.run(&cur, first); err != nil {
		res.reject(m.loc, "%s", err)
		return nil
	}
	cur.ID = m.id
	if err := cur.normalize(); err != nil {
		res.reject(m.loc, "%s", err)
		return nil
	}
	if err := w.st.Put(patKey(m.id), &cur); err != nil {
		return err
	}
	w.st.Touch("patient:" + m.id)
	pid, _ := w.ix.pid(m.id, true)
	if oldF != nil {
		w.ix.remove(pid, oldF)
	}
	f := features(&cur)
	w.ix.add(pid, f)
	if err := w.st.PutRaw(rowKey(pid), encodeRow(f)); err != nil {
		return err
	}
	if m.kind != "" {
		if w.touched == nil {
			w.touched = map[string]*roaring.Bitmap{}
		}
		if w.touched[m.kind] == nil {
			w.touched[m.kind] = roaring.New()
		}
		w.touched[m.kind].Add(pid)
	}
	res.Accepted += m.records
	return nil
}

// commit stages the changed bitmaps and the index meta, commits the stage
// and publishes the index. On an error nothing was stored or published.
func (w *writer) commit(ctx context.Context, res *ImportResult) error {
	defer w.clearDirty()
	ix := w.ix
	keys := make([]string, 0, len(ix.dirtyKeys))
	for k := range ix.dirtyKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				w.st.Abort()
				return err
			}
		}
		if err := w.stageBitmap(k); err != nil {
			w.st.Abort()
			return err
		}
	}
	if err := w.stageMeta(); err != nil {
		w.st.Abort()
		return err
	}
	if err := w.st.Commit(ctx, nil); err != nil {
		return err
	}
	w.s.publish(ix)
	if res != nil {
		res.Committed = true
	}
	return nil
}

func (w *writer) stageBitmap(k string) error {
	b := w.ix.bm[k]
	if b == nil || b.IsEmpty() {
		return w.st.Delete(bmKey(k))
	}
	// Dirty bitmaps are the private copy's own (index.wbm), not yet
	// published, so compacting them here races with no reader.
	b.RunOptimize()
	v, err := b.ToBytes()
	if err != nil {
		return fmt.Errorf("cohorts: encode bitmap: %w", err)
	}
	return w.st.PutRaw(bmKey(k), v)
}

// stageMeta writes idx/meta and removes the dirty marker an earlier
// version left while it wrote in several transactions.
func (w *writer) stageMeta() error {
	if err := w.st.Put(keyMeta, meta{Format: indexFormat, Patients: len(w.ix.ids)}); err != nil {
		return err
	}
	return w.st.Delete(keyDirty)
}

// abort drops the stage and the private index.
func (w *writer) abort() {
	w.clearDirty()
	// A failed Abort leaves only unreachable stage data, which the next
	// store.Open removes.
	_ = w.st.Abort()
}

// clearDirty empties the dirty sets, which every index version shares: a
// committed write stored all of them, an aborted one changed nothing.
func (w *writer) clearDirty() {
	clear(w.ix.dirtyKeys)
	clear(w.ix.dirtyPids)
}

// importMutations applies mutations in one staged write: the common tail
// of every import. res.Committed says whether they were stored.
func (s *Service) importMutations(ctx context.Context, muts []mutation, res *ImportResult) error {
	s.imu.Lock()
	defer s.imu.Unlock()
	w, err := s.beginWrite(ctx, "cohorts import")
	if err != nil {
		return notStored(err)
	}
	if err := w.apply(ctx, muts, res); err != nil {
		w.abort()
		return notStored(err)
	}
	return notStored(w.commit(ctx, res))
}

// notStored says, on a failed import, that nothing of it was stored; nil
// stays nil.
func notStored(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("nothing of this import was stored: %w", err)
}

// rebuild recomputes the whole index from the patient records and stores
// it in one staged write (any number of patients), replacing every
// persisted row and bitmap.
func (s *Service) rebuild(ctx context.Context) error {
	s.imu.Lock()
	defer s.imu.Unlock()
	st, err := s.db.BeginStage(ctx, "cohorts index rebuild")
	if err != nil {
		return err
	}
	w := &writer{s: s, st: st, ix: newIndex()}
	if err := w.restage(ctx); err != nil {
		w.abort()
		return err
	}
	for k := range w.ix.bm {
		w.ix.dirtyKeys[k] = true
	}
	return w.commit(ctx, nil)
}

// restage stages the removal of every persisted row and bitmap and the
// rows of every stored patient, building the private index.
func (w *writer) restage(ctx context.Context) error {
	for _, prefix := range []string{"idx/b/", "idx/r/"} {
		err := w.s.db.View(ctx, func(tx *store.Txn) error {
			return tx.ScanKeys([]byte(prefix), func(k []byte) error { return w.st.Delete(k) })
		})
		if err != nil {
			return err
		}
	}
	n := 0
	return w.s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("pat/r/"), nil, func(r store.Record) error {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var p Patient
			if err := r.Decode(&p); err != nil {
				return err
			}
			f := features(&p)
			pid, _ := w.ix.pid(p.ID, true)
			w.ix.add(pid, f)
			return w.st.PutRaw(rowKey(pid), encodeRow(f))
		})
	})
}
