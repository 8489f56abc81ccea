package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rxlab/rxlab/store"
)

// Input describes an upload: the dataset's name, which column holds the
// SMILES, which hold the targets, the task and whether to standardize.
type Input struct {
	Name         string
	SMILESColumn string
	Targets      []string
	Task         Task
	Standardize  bool
}

// ItemError says what was wrong with one row and where: the 1-based line
// and column (a byte offset in the line, pointing into the SMILES for a
// SMILES error) and the header name of the column ("" for a whole row).
type ItemError struct {
	Line    int
	Column  int
	Field   string
	Message string
}

// Location is "line L, column C" for the API's ImportError.location.
func (e ItemError) Location() string {
	return fmt.Sprintf("line %d, column %d", e.Line, e.Column)
}

// Result is the outcome of an upload.
type Result struct {
	// Dataset is the stored dataset (its zero value when nothing was stored).
	Dataset Dataset
	// Accepted rows were stored; Rejected rows were not.
	Accepted, Rejected int
	// Errors lists the first Limits.MaxErrors rejected rows.
	Errors []ItemError
	// Committed says whether the dataset was stored (it is stored whole or
	// not at all; a file with no good row stores nothing).
	Committed bool
	// Standardized counts the rows the standardizer changed.
	Standardized int
}

// chunkRows is the number of rows per stored chunk.
const chunkRows = 8192

// Upload validates and stores the CSV read from r as a new dataset of the
// caller. Bad rows are reported with their line and column and left out;
// a structural problem or a passed limit refuses the whole upload with an
// error and stores nothing. An existing name of the same owner answers
// store.ErrConflict.
func (s *Store) Upload(ctx context.Context, in Input, r io.Reader) (Result, error) {
	if err := s.checkInput(in); err != nil {
		return Result{}, err
	}
	owner, _ := caller(ctx)
	if err := s.checkName(ctx, owner, in.Name); err != nil {
		return Result{}, err
	}
	id, err := newID()
	if err != nil {
		return Result{}, err
	}
	u := &upload{s: s, in: in, id: id, sum: sha256.New()}
	u.hashHeader()
	br := &boundedReader{r: r, maxBytes: s.limits.MaxBytes, maxLine: s.limits.MaxLineBytes}
	st, err := s.db.BeginStage(ctx, "upload dataset")
	if err != nil {
		return Result{}, err
	}
	u.st = st
	if err := u.read(ctx, br); err != nil {
		st.Abort()
		return Result{}, err
	}
	if u.res.Accepted == 0 {
		st.Abort()
		return u.res, nil
	}
	if err := u.flush(); err != nil {
		st.Abort()
		return Result{}, err
	}
	d := Dataset{ID: id, Name: in.Name, Owner: owner, Task: in.Task, SMILESColumn: in.SMILESColumn,
		Targets: in.Targets, Rows: u.res.Accepted, Rejected: u.res.Rejected, Standardized: in.Standardize,
		Changed: u.res.Standardized, Hash: hex.EncodeToString(u.sum.Sum(nil)), Bytes: br.n, Chunks: u.chunks,
		CreatedAt: s.now().UTC().Format(time.RFC3339)}
	st.Touch("dataset:" + id)
	// The name is checked again in the commit's own transaction: an
	// upload of the same name that committed meanwhile wins.
	err = st.Commit(ctx, func(tx *store.Txn) error {
		if err := nameFree(tx, owner, in.Name); err != nil {
			return err
		}
		return tx.Put(metaKey(id), d)
	})
	if err != nil {
		return Result{}, err
	}
	u.res.Dataset, u.res.Committed = d, true
	return u.res, nil
}

func (s *Store) checkInput(in Input) error {
	if err := store.CheckName("input.name", in.Name); err != nil {
		return err
	}
	if in.Task != Regression && in.Task != Classification {
		return fmt.Errorf("input.task: %w: %q, want %q or %q", store.ErrInvalid, in.Task, Regression, Classification)
	}
	if strings.TrimSpace(in.SMILESColumn) == "" {
		return fmt.Errorf("input.smilesColumn: %w: empty", store.ErrInvalid)
	}
	if len(in.Targets) == 0 {
		return fmt.Errorf("input.targets: %w: name at least one target column", store.ErrInvalid)
	}
	if len(in.Targets) > s.limits.MaxTargets {
		return &LimitError{Limit: "MaxTargets", Max: int64(s.limits.MaxTargets), Unit: "targets"}
	}
	seen := map[string]bool{in.SMILESColumn: true}
	for i, t := range in.Targets {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("input.targets[%d]: %w: empty", i, store.ErrInvalid)
		}
		if seen[t] {
			return fmt.Errorf("input.targets[%d]: %w: column named twice (or the SMILES column)", i, store.ErrInvalid)
		}
		seen[t] = true
	}
	return nil
}

// checkName refuses a name the owner already uses, before any row is read.
func (s *Store) checkName(ctx context.Context, owner, name string) error {
	return s.db.View(ctx, func(tx *store.Txn) error { return nameFree(tx, owner, name) })
}

// nameFree is the check of checkName inside tx.
func nameFree(tx *store.Txn, owner, name string) error {
	return tx.Scan([]byte("ds/m/"), nil, func(r store.Record) error {
		var d Dataset
		if err := r.Decode(&d); err != nil {
			return err
		}
		if d.Owner == owner && d.Name == name {
			return fmt.Errorf("input.name: %w: a dataset of this name exists (id %s); delete it or choose another name", store.ErrConflict, d.ID)
		}
		return nil
	})
}

// upload is the state of one Upload.
type upload struct {
	s      *Store
	in     Input
	id     string
	st     *store.Stage
	sum    hash.Hash
	res    Result
	buf    []byte // the chunk being filled
	hbuf   []byte // hashRow's line, reused
	nbuf   int    // rows in buf
	chunks int
}

func (u *upload) hashHeader() {
	fmt.Fprintf(u.sum, "rxlab-dataset-v1\n%s\n%d\n", u.in.Task, len(u.in.Targets))
	for _, t := range u.in.Targets {
		fmt.Fprintf(u.sum, "%d:%s\n", len(t), t)
	}
}

// columns maps the header to the SMILES and target column indexes.
func (u *upload) columns(header []string) (smi int, tgt []int, err error) {
	idx := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	find := func(field, name string) (int, error) {
		i, ok := idx[name]
		if !ok {
			return 0, fmt.Errorf("%s: %w: the header (line 1) has no column %q; its columns are %s", field, store.ErrInvalid, name, listColumns(header))
		}
		return i, nil
	}
	if smi, err = find("input.smilesColumn", u.in.SMILESColumn); err != nil {
		return 0, nil, err
	}
	for k, t := range u.in.Targets {
		i, err := find(fmt.Sprintf("input.targets[%d]", k), t)
		if err != nil {
			return 0, nil, err
		}
		tgt = append(tgt, i)
	}
	return smi, tgt, nil
}

func listColumns(h []string) string {
	const show = 20
	q := make([]string, 0, show)
	for i, c := range h {
		if i == show {
			q = append(q, fmt.Sprintf("… (%d in all)", len(h)))
			break
		}
		q = append(q, fmt.Sprintf("%q", c))
	}
	return strings.Join(q, ", ")
}

// rawRow is one data row as read: its cells and their positions.
type rawRow struct {
	line       int
	smiles     string
	smiCol     int
	targets    []string
	targetCols []int
	err        *ItemError // a row that failed before its cells were read
}

// batchRows is how many rows are read before they are checked in parallel.
const batchRows = 2048

// read reads the header and every row, checking rows in batches.
func (u *upload) read(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("csv: %w: empty file; want a header line naming the columns", store.ErrInvalid)
	}
	if err != nil {
		return positioned(err)
	}
	if len(header) > u.s.limits.MaxColumns {
		return &LimitError{Limit: "MaxColumns", Max: int64(u.s.limits.MaxColumns), Unit: "columns", Line: 1}
	}
	header = append([]string(nil), header...)
	smi, tgt, err := u.columns(header)
	if err != nil {
		return err
	}
	batch := make([]rawRow, 0, batchRows)
	rows := 0
	for {
		start := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return positioned(err)
		}
		if rows++; rows > u.s.limits.MaxRows {
			return &LimitError{Limit: "MaxRows", Max: int64(u.s.limits.MaxRows), Unit: "data rows"}
		}
		batch = append(batch, rowOf(cr, rec, pe, smi, tgt, len(header), start))
		if len(batch) == batchRows {
			if err := u.check(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return u.check(ctx, batch)
}

// positioned passes a reader error on: a limit as it is, a CSV syntax
// error in the header as an input error with its place.
func positioned(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("csv: %w: line %d, column %d: %v", store.ErrInvalid, pe.Line, pe.Column, pe.Err)
	}
	return err
}

// rowOf copies what the checks need out of the reader's reused record.
// start is the reader's input offset before the row.
func rowOf(cr *csv.Reader, rec []string, pe *csv.ParseError, smi int, tgt []int, ncol int, start int64) rawRow {
	if pe != nil {
		return rawRow{line: pe.Line, err: &ItemError{Line: pe.Line, Column: pe.Column, Message: "CSV syntax: " + pe.Err.Error()}}
	}
	line, _ := cr.FieldPos(0)
	need := smi
	for _, t := range tgt {
		need = max(need, t)
	}
	if len(rec) <= need {
		l, c := cr.FieldPos(len(rec) - 1)
		return rawRow{line: line, err: &ItemError{Line: l, Column: c + len(rec[len(rec)-1]),
			Message: fmt.Sprintf("the row has %d columns, the header %d", len(rec), ncol)}}
	}
	row := rawRow{line: line, smiles: strings.Clone(rec[smi]), targets: make([]string, len(tgt)), targetCols: make([]int, len(tgt))}
	_, row.smiCol = cr.FieldPos(smi)
	if quoted(cr, rec, smi, start) {
		row.smiCol++ // FieldPos points at the opening quote
	}
	for k, t := range tgt {
		row.targets[k] = strings.Clone(rec[t])
		_, row.targetCols[k] = cr.FieldPos(t)
	}
	return row
}

// quoted says whether field i of the record just read (from input offset
// start) was quoted: its raw bytes, up to the next field or the record's
// end, are longer than its value. A last field that starts on a later line
// than the record counts as unquoted, and so does a quoted last field on
// the file's last line without a line end (indistinguishable from an
// unquoted one ending in CRLF).
func quoted(cr *csv.Reader, rec []string, i int, start int64) bool {
	l, c := cr.FieldPos(i)
	if i+1 < len(rec) {
		l2, c2 := cr.FieldPos(i + 1)
		return l2 != l || c2-c-1 != len(rec[i])
	}
	if first, _ := cr.FieldPos(0); l != first {
		return false
	}
	// The raw bytes from the field to the record's end: the value, then
	// at most "\r\n" when unquoted.
	return cr.InputOffset()-start-int64(c-1)-int64(len(rec[i])) > 2
}

// putRow encodes one row into the chunk being filled and stages the
// chunk when it is full.
func (u *upload) putRow(smiles string, targets []float64) error {
	u.buf = binary.AppendUvarint(u.buf, uint64(len(smiles)))
	u.buf = append(u.buf, smiles...)
	for _, v := range targets {
		u.buf = binary.LittleEndian.AppendUint64(u.buf, math.Float64bits(v))
	}
	u.nbuf++
	u.hashRow(smiles, targets)
	if u.nbuf == chunkRows {
		return u.flush()
	}
	return nil
}

func (u *upload) hashRow(smiles string, targets []float64) {
	b := append(u.hbuf[:0], smiles...)
	for _, v := range targets {
		b = append(b, '\t')
		if !math.IsNaN(v) {
			b = strconv.AppendFloat(b, v, 'g', -1, 64) // shortest exact form
		}
	}
	b = append(b, '\n')
	u.sum.Write(b)
	u.hbuf = b
}

func (u *upload) flush() error {
	if u.nbuf == 0 {
		return nil
	}
	if err := u.st.PutRaw(chunkKey(u.id, u.chunks), u.buf); err != nil {
		return err
	}
	u.chunks++
	u.buf, u.nbuf = nil, 0
	return nil
}

// decodeChunk appends a stored chunk's rows to smiles and flat (nt
// targets per row).
func decodeChunk(p []byte, nt int, smiles []string, flat []float64) ([]string, []float64, error) {
	for len(p) > 0 {
		n, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < n+uint64(8*nt) {
			return smiles, flat, fmt.Errorf("corrupt row chunk")
		}
		p = p[k:]
		smiles = append(smiles, string(p[:n]))
		p = p[n:]
		for j := 0; j < nt; j++ {
			flat = append(flat, math.Float64frombits(binary.LittleEndian.Uint64(p)))
			p = p[8:]
		}
	}
	return smiles, flat, nil
}
