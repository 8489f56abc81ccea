package cohorts

import (
	"context"
	"fmt"
	"strings"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store"
)

// GenomicsImport streams one genomic import into the store in batches:
// call Add for each batch (repeatedly for the same patient if a file is
// large), then Finish, which writes the indexes. Within one import, the
// first batch for a patient replaces that patient's variants of the
// origin; later batches append. Tested genes accumulate; PGx calls replace
// the calls of the same genes; CNVs and fusions (when given) replace the
// patient's CNVs and fusions. While an import is open, other writers
// wait. The whole import is one staged write (see write.go): Finish
// commits all of it, or nothing when any step failed.
type GenomicsImport struct {
	s        *Service
	w        *writer
	err      error // the first failure; Finish then aborts
	ctx      context.Context
	origin   genomics.Origin
	pending  []mutation
	replaced map[string]bool
	seenCNV  map[string]bool
	variants int
	res      ImportResult
	done     bool
	// Skipped counts variants without a gene symbol, which are not stored.
	Skipped int
}

// genomicsBatch is how many variants are buffered before they are written.
const genomicsBatch = 50000

// BeginGenomics opens a streaming genomic import of one origin.
func (s *Service) BeginGenomics(ctx context.Context, origin genomics.Origin) (*GenomicsImport, error) {
	o := genomics.Origin(strings.ToUpper(string(origin)))
	if o != genomics.Germline && o != genomics.Somatic {
		return nil, fmt.Errorf("origin: %q, want GERMLINE or SOMATIC: %w", origin, store.ErrInvalid)
	}
	s.imu.Lock()
	w, err := s.beginWrite(ctx, "cohorts genomic import")
	if err != nil {
		s.imu.Unlock()
		return nil, err
	}
	return &GenomicsImport{s: s, w: w, ctx: ctx, origin: o, replaced: map[string]bool{}, seenCNV: map[string]bool{}, res: ImportResult{Errors: []ImportError{}}}, nil
}

// Add queues one patient's batch. Variants without a gene symbol are not
// stored (no criterion can select them; a germline VCF has millions) and
// are counted in Skipped.
func (g *GenomicsImport) Add(patientID string, variants []genomics.Variant, testedGenes []string, pgx []genomics.PgxResult, cnvs []genomics.CNV, fusions []genomics.Fusion) error {
	if g.done {
		return fmt.Errorf("genomic import already finished: %w", store.ErrInvalid)
	}
	if g.err != nil {
		return g.err
	}
	var vs []Variant
	for i, v := range variants {
		if strings.TrimSpace(v.Gene) == "" {
			g.Skipped++
			continue
		}
		if strings.TrimSpace(v.Chrom) == "" && v.ProteinChange == "" {
			g.res.reject(fmt.Sprintf("variant %d (%s)", i, v.Gene), "neither a position nor a protein change")
			continue
		}
		v.Origin = g.origin
		vs = append(vs, Variant{Variant: v})
	}
	replace := !g.replaced[patientID]
	g.replaced[patientID] = true
	replaceCNV := cnvs != nil && !g.seenCNV[patientID+"|cnv"]
	replaceFusion := fusions != nil && !g.seenCNV[patientID+"|fusion"]
	if cnvs != nil {
		g.seenCNV[patientID+"|cnv"] = true
	}
	if fusions != nil {
		g.seenCNV[patientID+"|fusion"] = true
	}
	origin := g.origin
	records := len(vs) + len(pgx) + len(cnvs) + len(fusions)
	if records == 0 {
		records = 1
	}
	g.pending = append(g.pending, mutation{id: patientID, loc: fmt.Sprintf("patient batch %d", len(g.pending)), records: records, fn: func(p *Patient) error {
		if replace {
			kept := p.Variants[:0:0]
			for _, v := range p.Variants {
				if v.Origin != origin {
					kept = append(kept, v)
				}
			}
			p.Variants = kept
		}
		p.Variants = append(p.Variants, vs...)
		p.TestedGenes = append(p.TestedGenes, testedGenes...)
		if len(pgx) > 0 {
			genes := map[string]bool{}
			for _, r := range pgx {
				genes[normGene(r.Gene)] = true
			}
			kept := p.Pgx[:0:0]
			for _, r := range p.Pgx {
				if !genes[r.Gene] {
					kept = append(kept, r)
				}
			}
			p.Pgx = append(kept, pgx...)
		}
		if cnvs != nil {
			if replaceCNV {
				p.CNVs = nil
			}
			p.CNVs = append(p.CNVs, cnvs...)
		}
		if fusions != nil {
			if replaceFusion {
				p.Fusions = nil
			}
			p.Fusions = append(p.Fusions, fusions...)
		}
		return nil
	}})
	g.variants += len(vs) + 1
	if g.variants >= genomicsBatch {
		return g.write()
	}
	return nil
}

func (g *GenomicsImport) write() error {
	if len(g.pending) == 0 {
		return nil
	}
	err := g.w.apply(g.ctx, g.pending, &g.res)
	g.pending, g.variants = nil, 0
	if err != nil && g.err == nil {
		g.err = err
	}
	return err
}

// Finish writes what is queued and the indexes and commits the import
// (ImportResult.Committed). It must be called once, also after an error:
// then it stores nothing and returns the first error.
func (g *GenomicsImport) Finish() (ImportResult, error) {
	if g.done {
		return g.res, g.err
	}
	g.done = true
	defer g.s.imu.Unlock()
	if g.err == nil {
		g.write()
	}
	if g.err != nil {
		g.w.abort()
		g.err = notStored(g.err)
		return g.res, g.err
	}
	if err := g.w.commit(g.ctx, &g.res); err != nil {
		g.err = notStored(err)
		return g.res, g.err
	}
	return g.res, nil
}

// Fail ends the import without storing anything (after its caller's own
// error); Finish then returns err.
func (g *GenomicsImport) Fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

// ImportGenomics imports one patient's genomic data in one call (see
// GenomicsImport for the replacement rules).
func (s *Service) ImportGenomics(ctx context.Context, patientID string, origin genomics.Origin, variants []genomics.Variant, testedGenes []string, pgx []genomics.PgxResult, cnvs []genomics.CNV, fusions []genomics.Fusion) (ImportResult, error) {
	g, err := s.BeginGenomics(ctx, origin)
	if err != nil {
		return ImportResult{}, err
	}
	if err := g.Add(patientID, variants, testedGenes, pgx, cnvs, fusions); err != nil {
		g.Finish()
		return ImportResult{}, err
	}
	return g.Finish()
}

// ImportOptions tunes ImportPatientsWith.
type ImportOptions struct {
	// CreatePatients lets genomic records (MatchMiner genomic files) whose
	// sample id no patient has create that patient (no clinical record,
	// sex UNKNOWN). By default such records are held as unlinked samples
	// under pat/unlinked/<id>: stored, reported in
	// ImportResult.UnlinkedSamples, never counted as patients.
	CreatePatients bool
}

// UnlinkedSample is a genomic sample held without a patient: the genomic
// parts of a record, as the import read them.
type UnlinkedSample struct {
	ID      string  `json:"id"`
	Records int     `json:"records"`
	Genomic Patient `json:"genomic"`
	HeldAt  string  `json:"heldAt"`
}

func unlinkedKey(id string) []byte { return []byte("pat/unlinked/" + id) }

// ImportPatientsWith is ImportPatients with options.
func (s *Service) ImportPatientsWith(ctx context.Context, format, data string, opt ImportOptions) (ImportResult, error) {
	if format != FormatMatchMinerGenomic || opt.CreatePatients {
		res, err := s.importPatients(ctx, format, data)
		if err == nil && res.Committed && format != FormatMatchMinerGenomic {
			if lerr := s.linkHeld(ctx, &res); lerr != nil {
				// The import itself is stored; say so, not an error.
				res.warn("held genomic samples were not linked by this import (they stay held; the next import retries)")
			}
		}
		return res, err
	}
	if len(data) > maxImportBytes {
		return ImportResult{}, fmt.Errorf("data: %d bytes, more than the %d allowed in one call: %w", len(data), maxImportBytes, store.ErrInvalid)
	}
	res := ImportResult{Errors: []ImportError{}}
	muts, err := matchminerGenomic(data, &res)
	if err != nil {
		return ImportResult{}, err
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	w, err := s.beginWrite(ctx, "cohorts import")
	if err != nil {
		return ImportResult{}, notStored(err)
	}
	known := s.snapshot()
	var linked []mutation
	held, heldRecords := 0, 0
	now := s.now().UTC().Format("2006-01-02T15:04:05Z")
	for _, m := range muts {
		if err := ctx.Err(); err != nil {
			w.abort()
			return ImportResult{}, notStored(err)
		}
		if _, ok := known.pid(m.id, false); ok {
			// A copy held by an earlier import is superseded.
			if err := w.st.Delete(unlinkedKey(m.id)); err != nil {
				w.abort()
				return ImportResult{}, notStored(err)
			}
			linked = append(linked, m)
			continue
		}
		if err := validID(m.id); err != nil {
			res.reject(m.loc, "%v", err)
			continue
		}
		var g Patient
		if err := m.run(&g, true); err != nil {
			res.reject(m.loc, "%v", err)
			continue
		}
		if err := w.st.Put(unlinkedKey(m.id), UnlinkedSample{ID: m.id, Records: m.records, Genomic: g, HeldAt: now}); err != nil {
			w.abort()
			return ImportResult{}, notStored(err)
		}
		held++
		heldRecords += m.records
	}
	if err := w.apply(ctx, linked, &res); err != nil {
		w.abort()
		return ImportResult{}, notStored(err)
	}
	if held > 0 {
		res.UnlinkedSamples = held
		res.skip("genomic records of unlinked samples", heldRecords)
		res.warn("%d genomic records of %d samples name no stored patient: held as unlinked samples, not counted as patients (import the clinical records first, or pass createPatients)", heldRecords, held)
	}
	if err := w.commit(ctx, &res); err != nil {
		return ImportResult{}, notStored(err)
	}
	return res, nil
}

// UnlinkedSamples counts the genomic samples held without a patient.
func (s *Service) UnlinkedSamples(ctx context.Context) (int, error) {
	n := 0
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.ScanKeys([]byte("pat/unlinked/"), func([]byte) error {
			n++
			return ctx.Err()
		})
	})
	return n, err
}

// linkHeld attaches held genomic samples whose id a patient now has (the
// clinical records arrived after the genomic ones) in one write of its
// own: the import before it is already stored whole; should this write
// fail, the samples stay held and the next import links them.
func (s *Service) linkHeld(ctx context.Context, res *ImportResult) error {
	var held []UnlinkedSample
	err := s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("pat/unlinked/"), nil, func(r store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var u UnlinkedSample
			if err := r.Decode(&u); err != nil {
				return err
			}
			held = append(held, u)
			return nil
		})
	})
	if err != nil || len(held) == 0 {
		return err
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	known := s.snapshot()
	var muts []mutation
	for _, u := range held {
		if _, ok := known.pid(u.ID, false); !ok {
			continue
		}
		g := u.Genomic
		muts = append(muts, mutation{id: u.ID, loc: "held sample", records: u.Records, fn: func(p *Patient) error {
			p.Variants, p.CNVs, p.Fusions, p.TestedGenes = g.Variants, g.CNVs, g.Fusions, g.TestedGenes
			p.Biomarkers = dedupMarkers(g.Biomarkers)
			return nil
		}})
	}
	if len(muts) == 0 {
		return nil
	}
	w, err := s.beginWrite(ctx, "cohorts link held samples")
	if err != nil {
		return err
	}
	for _, m := range muts {
		if err := w.st.Delete(unlinkedKey(m.id)); err != nil {
			w.abort()
			return err
		}
	}
	var lr ImportResult
	if err := w.apply(ctx, muts, &lr); err != nil {
		w.abort()
		return err
	}
	if err := w.commit(ctx, &lr); err != nil {
		return err
	}
	res.warn("%d held genomic samples now linked to their patients", len(muts))
	return nil
}
