package cohorts

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rxlab/rxlab/store"
)

// FormatFHIRNDJSON is FHIR Bulk Data NDJSON: one resource per line
// (Patient, Condition, MedicationRequest/MedicationStatement, Observation;
// other resource types are skipped).
const FormatFHIRNDJSON = "fhir-ndjson"

// MaxStreamLine bounds one line of a streaming import (an NDJSON resource,
// a CSV line, a line of a JSON record).
const MaxStreamLine = 4 << 20

// streamBatch is how many mutations a streaming import applies at a time.
const streamBatch = 2000

// StreamOptions tunes a streaming import.
type StreamOptions struct {
	// Table names the Synthea table of a synthea-csv stream (patients,
	// conditions, medications or observations); empty means it is told by
	// the header line.
	Table string
	// CreatePatients lets a matchminer-genomic stream create patients for
	// sample ids no stored patient has; by default their records are held
	// as unlinked samples, as ImportOptions.CreatePatients says.
	CreatePatients bool
}

// A streaming import reads its input one record at a time, so its memory
// does not grow with the file (only the index grows, with the patients).
// Each record is converted by the same readers as ImportPatients. Within
// one streaming import the first record of a kind (conditions,
// medications, labs, genomic alterations) for a patient replaces the
// patient's records of that kind and later ones append, so a Bulk Data
// export, whose resources of one patient are spread over the file,
// replaces what it carries; a Patient resource or patients.csv row
// replaces the demographics.

// CheckPatients reads a streaming import without storing anything and
// reports each record that would be rejected, with its line, as
// ImportResult.Errors; Accepted counts the records that would be stored.
// An input that cannot be read on (a line over MaxStreamLine, broken
// JSON) is an error wrapping store.ErrInvalid.
func (s *Service) CheckPatients(ctx context.Context, format string, r io.Reader, opt StreamOptions) (ImportResult, error) {
	res := ImportResult{Errors: []ImportError{}}
	err := streamPatients(ctx, format, r, opt, &res, func(m mutation) error {
		p := Patient{ID: m.id, Sex: "UNKNOWN"}
		if err := validID(m.id); err != nil {
			res.reject(m.loc, "%s", err)
			return nil
		}
		if err := m.run(&p, true); err != nil {
			res.reject(m.loc, "%s", err)
			return nil
		}
		if err := p.normalize(); err != nil {
			res.reject(m.loc, "%s", err)
			return nil
		}
		res.Accepted += m.records
		return nil
	})
	return res, err
}

// ImportPatientStream stores a streaming import in one staged write: all
// accepted records become visible at once when it returns with
// ImportResult.Committed, or nothing is stored. Rejected records are
// reported with their lines, as in ImportPatients; callers that want no
// rejections run CheckPatients on the same input first.
func (s *Service) ImportPatientStream(ctx context.Context, format string, r io.Reader, opt StreamOptions) (ImportResult, error) {
	res, err := s.importStream(ctx, format, r, opt)
	if err == nil && res.Committed && format != FormatMatchMinerGenomic {
		if lerr := s.linkHeld(ctx, &res); lerr != nil {
			// The import itself is stored; say so, not an error.
			res.warn("held genomic samples were not linked by this import (they stay held; the next import retries)")
		}
	}
	return res, err
}

// importStream is ImportPatientStream under the import lock, before held
// samples are linked.
func (s *Service) importStream(ctx context.Context, format string, r io.Reader, opt StreamOptions) (ImportResult, error) {
	res := ImportResult{Errors: []ImportError{}}
	s.imu.Lock()
	defer s.imu.Unlock()
	w, err := s.beginWrite(ctx, "cohorts streaming import")
	if err != nil {
		return res, notStored(err)
	}
	var batch []mutation
	flush := func() error {
		err := w.apply(ctx, batch, &res)
		batch = batch[:0]
		return err
	}
	emit := func(m mutation) error {
		batch = append(batch, m)
		if len(batch) >= streamBatch {
			return flush()
		}
		return nil
	}
	var h *holder
	if format == FormatMatchMinerGenomic && !opt.CreatePatients {
		h = s.newHolder(w)
		linked := emit
		emit = func(m mutation) error { return h.route(m, &res, linked) }
	}
	var run *sampleRun
	if format == FormatMatchMinerGenomic {
		run = &sampleRun{emit: emit}
		emit = run.add
	}
	err = streamPatients(ctx, format, r, opt, &res, emit)
	if err == nil && run != nil {
		err = run.flush()
	}
	if err == nil {
		err = flush()
	}
	if err == nil && h != nil {
		h.report(&res)
	}
	if err != nil {
		w.abort()
		return res, notStored(err)
	}
	return res, notStored(w.commit(ctx, &res))
}

// streamPatients reads the input record by record and hands each
// record's mutation to emit; rejections go to res.
func streamPatients(ctx context.Context, format string, r io.Reader, opt StreamOptions, res *ImportResult, emit func(mutation) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	switch format {
	case FormatFHIRNDJSON:
		return streamNDJSON(ctx, br, res, emit)
	case FormatSyntheaCSV:
		return streamSynthea(ctx, br, opt.Table, res, emit)
	case FormatMatchMinerClinical:
		return streamMM(ctx, br, "clinical", res, func(row map[string]string, loc string) error {
			if m, ok := mmClinicalRow(row, loc, res); ok {
				return emit(m)
			}
			return nil
		})
	case FormatMatchMinerGenomic:
		return streamMM(ctx, br, "genomic", res, func(row map[string]string, loc string) error {
			return mmGenomicRow(row, loc, res, emit)
		})
	}
	return fmt.Errorf("format: unknown streaming import format %q (want %s, %s, %s or %s): %w", format,
		FormatFHIRNDJSON, FormatSyntheaCSV, FormatMatchMinerClinical, FormatMatchMinerGenomic, store.ErrInvalid)
}

// readLine returns the next line without its end, or io.EOF; a line over
// MaxStreamLine is an error naming it.
func readLine(br *bufio.Reader, n int) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > MaxStreamLine {
			return nil, fmt.Errorf("line %d: longer than %d bytes: %w", n, MaxStreamLine, store.ErrInvalid)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || len(line) == 0) {
			return nil, err
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}

func streamNDJSON(ctx context.Context, br *bufio.Reader, res *ImportResult, emit func(mutation) error) error {
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := readLine(br, n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r fhirResource
		if err := json.Unmarshal(line, &r); err != nil {
			res.reject(fmt.Sprintf("line %d", n), "not a JSON FHIR resource: %v", err)
			continue
		}
		loc := fmt.Sprintf("line %d (%s)", n, r.ResourceType)
		subject := ""
		switch {
		case r.ResourceType == "Patient":
			if r.ID == "" {
				res.reject(loc+".id", "missing id")
				continue
			}
			subject = r.ID
		case r.Subject != nil:
			subject = refID(r.Subject.Reference)
		}
		pt, ok := fhirResourcePart(&r, subject, loc, res)
		if !ok {
			continue
		}
		if err := emit(fhirStreamMutation(pt, loc)); err != nil {
			return err
		}
	}
}

func fhirStreamMutation(pt fhirPart, loc string) mutation {
	if pt.kind == "Patient" {
		d := pt.demo
		return mutation{id: pt.id, loc: loc, records: 1, fn: func(p *Patient) error {
			p.Sex, p.BirthDate, p.DeathDate, p.Race = d.Sex, d.BirthDate, d.DeathDate, d.Race
			p.Deceased = d.Deceased
			return nil
		}}
	}
	return mutation{id: pt.id, loc: loc, records: 1, kind: "fhir " + pt.kind, fnFirst: func(p *Patient, first bool) error {
		switch pt.kind {
		case "Condition":
			p.Conditions = appendOrReplace(p.Conditions, pt.codes, first)
		case "Medication":
			p.Medications = appendOrReplace(p.Medications, pt.codes, first)
		case "Observation":
			p.Labs = appendOrReplace(p.Labs, pt.labs, first)
		}
		return nil
	}}
}

func appendOrReplace[T any](cur, add []T, replace bool) []T {
	if replace {
		cur = nil
	}
	return append(cur, add...)
}

// limitedLines fails a read once a line grows over MaxStreamLine, so a
// CSV or JSON reader never buffers an unbounded line.
type limitedLines struct {
	r    io.Reader
	cur  int
	line int
}

func (l *limitedLines) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		l.cur++
		if b == '\n' {
			l.cur = 0
			l.line++
		}
		if l.cur > MaxStreamLine {
			return 0, fmt.Errorf("line %d: longer than %d bytes: %w", l.line+1, MaxStreamLine, store.ErrInvalid)
		}
	}
	return n, err
}

// csvRows reads a CSV stream: the header, then each row keyed by the
// upper-cased column name, with its line. Unreadable rows are rejected.
func csvRows(ctx context.Context, r io.Reader, name string, res *ImportResult, header func(map[string]string) error, row func(map[string]string, string) error) error {
	cr := csv.NewReader(&limitedLines{r: r})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("%s: cannot read the header line: %v: %w", name, err, store.ErrInvalid)
	}
	cols := make([]string, len(head))
	hm := map[string]string{}
	for i, h := range head {
		cols[i] = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		hm[cols[i]] = ""
	}
	if err := header(hm); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, store.ErrInvalid) {
			res.reject(fmt.Sprintf("%s line %d", name, pe.Line), "%v", pe.Err)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		m := make(map[string]string, len(cols))
		for i, v := range rec {
			if i < len(cols) {
				m[cols[i]] = strings.TrimSpace(v)
			}
		}
		if err := row(m, fmt.Sprintf("%s line %d", name, line)); err != nil {
			return err
		}
	}
}

// syntheaKind tells a Synthea table by its header when it is not named.
func syntheaKind(table string, head map[string]string) (string, error) {
	if table != "" {
		k := strings.TrimSuffix(strings.ToLower(table), ".csv")
		if _, ok := syntheaColumns[k]; !ok {
			return "", fmt.Errorf("table: unknown Synthea table %q (want patients, conditions, medications, observations): %w", table, store.ErrInvalid)
		}
		return k, nil
	}
	has := func(c string) bool { _, ok := head[c]; return ok }
	switch {
	case has("BIRTHDATE"):
		return "patients", nil
	case has("VALUE") && has("DATE"):
		return "observations", nil
	case has("DISPENSES") || has("BASE_COST") || has("TOTALCOST"):
		return "medications", nil
	case has("START") && has("CODE"):
		return "conditions", nil
	}
	return "", fmt.Errorf("header: not a Synthea patients, conditions, medications or observations table; name it with table=: %w", store.ErrInvalid)
}

func streamSynthea(ctx context.Context, br *bufio.Reader, table string, res *ImportResult, emit func(mutation) error) error {
	kind := ""
	return csvRows(ctx, br, "csv", res, func(head map[string]string) error {
		k, err := syntheaKind(table, head)
		if err != nil {
			return err
		}
		kind = k
		return syntheaNeed(kind, head)
	}, func(row map[string]string, loc string) error {
		pt, ok := syntheaRow(kind, row, loc, res)
		if !ok {
			return nil
		}
		m := mutation{id: pt.id, loc: loc, records: 1, kind: "synthea " + kind, fnFirst: func(p *Patient, first bool) error {
			pt.apply(p, first)
			return nil
		}}
		if kind == "patients" {
			m.kind, m.fn = "", func(p *Patient) error { pt.apply(p, false); return nil }
		}
		return emit(m)
	})
}

// streamMM reads MatchMiner records: CSV with a header line, a JSON array
// of objects, or concatenated JSON objects (a MongoDB export).
func streamMM(ctx context.Context, br *bufio.Reader, name string, res *ImportResult, row func(map[string]string, string) error) error {
	first, err := firstByte(br)
	if err != nil {
		return nil // empty input
	}
	if first != '[' && first != '{' {
		return csvRows(ctx, br, name, res, func(map[string]string) error { return nil }, row)
	}
	dec := json.NewDecoder(&limitedLines{r: br})
	dec.UseNumber()
	if first == '[' {
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%s: not a JSON array of records: %v: %w", name, err, store.ErrInvalid)
		}
	}
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if first == '[' && !dec.More() {
			return nil
		}
		var o map[string]any
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) && first == '{' {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: record %d: %v: %w", name, i, err, store.ErrInvalid)
		}
		m := make(map[string]string, len(o))
		for k, v := range o {
			m[strings.ToUpper(k)] = mmString(v)
		}
		if err := row(m, fmt.Sprintf("record %d", i)); err != nil {
			return err
		}
	}
}

// firstByte returns the first byte after white space without consuming it.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' && b != 0xef && b != 0xbb && b != 0xbf {
			return b, br.UnreadByte()
		}
	}
}

// mmGenomicRow turns one MatchMiner genomic record into a mutation: the
// import's first genomic record of a patient replaces the patient's
// alterations, tested genes and tumour biomarkers; later ones append.
func mmGenomicRow(row map[string]string, loc string, res *ImportResult, emit func(mutation) error) error {
	id := mmID(row)
	if id == "" {
		res.reject(loc+" SAMPLE_ID", "missing sample id")
		return nil
	}
	g := &mmGenomic{}
	if !g.add(row, loc, res) {
		return nil
	}
	return emit(mutation{id: id, loc: loc, records: 1, kind: "matchminer genomic", fnFirst: func(p *Patient, first bool) error {
		p.Variants = appendOrReplace(p.Variants, g.variants, first)
		p.CNVs = appendOrReplace(p.CNVs, g.cnvs, first)
		p.Fusions = appendOrReplace(p.Fusions, g.fusions, first)
		p.TestedGenes = appendOrReplace(p.TestedGenes, g.tested, first)
		p.Biomarkers = dedupMarkers(appendOrReplace(p.Biomarkers, g.markers, first))
		return nil
	}})
}

// holder routes a genomic stream's records: those of stored patients go on
// to the import, those of unknown sample ids are merged into unlinked
// samples in the import's stage (the first record of a sample in this
// import replaces what an earlier import held, later ones append).
type holder struct {
	w       *writer
	known   *index
	now     string
	held    map[string]bool // sample ids held by this import
	linked  map[string]bool // stored patients whose held copy was dropped
	records int
}

func (s *Service) newHolder(w *writer) *holder {
	return &holder{w: w, known: s.snapshot(), now: s.now().UTC().Format("2006-01-02T15:04:05Z"),
		held: map[string]bool{}, linked: map[string]bool{}}
}

// route passes m on when its patient is stored, else holds it.
func (h *holder) route(m mutation, res *ImportResult, pass func(mutation) error) error {
	if _, ok := h.known.pid(m.id, false); ok {
		if !h.linked[m.id] { // a copy held by an earlier import is superseded
			h.linked[m.id] = true
			if err := h.w.st.Delete(unlinkedKey(m.id)); err != nil {
				return err
			}
		}
		return pass(m)
	}
	if err := validID(m.id); err != nil {
		res.reject(m.loc, "%v", err)
		return nil
	}
	first := !h.held[m.id]
	var u UnlinkedSample
	if !first {
		if err := h.w.st.Get(unlinkedKey(m.id), &u); err != nil {
			return err
		}
	}
	if err := m.run(&u.Genomic, first); err != nil {
		res.reject(m.loc, "%v", err)
		return nil
	}
	u.ID, u.HeldAt = m.id, h.now
	u.Records += m.records
	if err := h.w.st.Put(unlinkedKey(m.id), u); err != nil {
		return err
	}
	h.held[m.id] = true
	h.records += m.records
	return nil
}

// report says in res what was held.
func (h *holder) report(res *ImportResult) {
	if len(h.held) == 0 {
		return
	}
	res.UnlinkedSamples = len(h.held)
	res.skip("genomic records of unlinked samples", h.records)
	res.warn("%d genomic records of %d samples name no stored patient: held as unlinked samples, not counted as patients (import the clinical records first, or pass createPatients=true)", h.records, len(h.held))
}

// maxSampleRun bounds how many consecutive records of one sample a
// genomic stream merges into one mutation.
const maxSampleRun = 50_000

// sampleRun merges a genomic stream's consecutive records of one sample
// into one mutation, so a sample of n records is read, re-indexed and
// written once rather than n times (which made a 5,000-record sample take
// minutes). Genomic records are checked before they are emitted and their
// mutations cannot fail, so merging them changes no outcome.
type sampleRun struct {
	emit func(mutation) error
	cur  *mutation
	fns  []func(p *Patient, first bool) error
}

func (r *sampleRun) add(m mutation) error {
	if r.cur != nil && (r.cur.id != m.id || r.cur.kind != m.kind || len(r.fns) >= maxSampleRun) {
		if err := r.flush(); err != nil {
			return err
		}
	}
	if r.cur == nil {
		c := m
		r.cur, r.fns = &c, r.fns[:0]
	} else {
		r.cur.records += m.records
	}
	r.fns = append(r.fns, m.fnFirst)
	return nil
}

func (r *sampleRun) flush() error {
	if r.cur == nil {
		return nil
	}
	m, fns := *r.cur, append([]func(*Patient, bool) error(nil), r.fns...)
	r.cur = nil
	m.fnFirst = func(p *Patient, first bool) error {
		for i, fn := range fns {
			if err := fn(p, first && i == 0); err != nil {
				return err
			}
		}
		return nil
	}
	return r.emit(m)
}
