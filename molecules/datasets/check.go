package datasets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/rxlab/rxlab/molecules"
)

// checked is the outcome of one row.
type checked struct {
	smiles  string
	targets []float64
	changed bool
	err     *ItemError
}

// check checks a batch of rows on up to GOMAXPROCS goroutines and then
// keeps or reports them in file order.
func (u *upload) check(ctx context.Context, batch []rawRow) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	out := make([]checked, len(batch))
	workers := min(runtime.GOMAXPROCS(0), 1+len(batch)/256)
	var wg sync.WaitGroup
	per := (len(batch) + workers - 1) / max(workers, 1)
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(batch))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var m *molecules.Mol
			for i := lo; i < hi; i++ {
				out[i], m = u.checkRow(ctx, &batch[i], m)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range out {
		if out[i].err != nil {
			u.reject(*out[i].err)
			continue
		}
		u.res.Accepted++
		if out[i].changed {
			u.res.Standardized++
		}
		if err := u.putRow(out[i].smiles, out[i].targets); err != nil {
			return err
		}
	}
	return nil
}

func (u *upload) reject(e ItemError) {
	u.res.Rejected++
	if len(u.res.Errors) < u.s.limits.MaxErrors {
		u.res.Errors = append(u.res.Errors, e)
	}
}

// checkRow validates one row; m is a molecule to parse into (reused).
func (u *upload) checkRow(ctx context.Context, r *rawRow, m *molecules.Mol) (checked, *molecules.Mol) {
	if r.err != nil {
		return checked{err: r.err}, m
	}
	fail := func(col int, field, format string, args ...any) (checked, *molecules.Mol) {
		return checked{err: &ItemError{Line: r.line, Column: col, Field: field, Message: fmt.Sprintf(format, args...)}}, m
	}
	field := u.in.SMILESColumn
	lead := len(r.smiles) - len(strings.TrimLeft(r.smiles, " \t"))
	smi := strings.TrimSpace(r.smiles)
	switch {
	case smi == "":
		return fail(r.smiCol, field, "empty SMILES")
	case len(smi) > u.s.limits.MaxSMILESBytes:
		return fail(r.smiCol, field, "SMILES longer than %d bytes (limit MaxSMILESBytes)", u.s.limits.MaxSMILESBytes)
	}
	var out checked
	var err error
	if u.in.Standardize {
		var res standardizeResult
		res, err = u.standardize(ctx, smi)
		out.smiles, out.changed = res.smiles, res.changed
	} else {
		m, err = u.s.parser.ParseInto(m, smi)
		if err == nil {
			out.smiles = m.CanonicalSMILES()
		}
	}
	if err != nil {
		var se *molecules.SMILESError
		col := r.smiCol
		if errors.As(err, &se) && se.Position >= 0 {
			col += lead + se.Position
		}
		return fail(col, field, "%v", err)
	}
	out.targets = make([]float64, len(r.targets))
	missing := 0
	for k, cell := range r.targets {
		v, msg := u.target(cell)
		if msg != "" {
			return fail(r.targetCols[k], u.in.Targets[k], "target %s", msg)
		}
		if math.IsNaN(v) {
			missing++
		}
		out.targets[k] = v
	}
	if missing == len(r.targets) {
		return fail(r.targetCols[0], u.in.Targets[0], "every target of the row is missing")
	}
	return out, m
}

// target reads one target cell: empty is missing (NaN); otherwise a
// finite number, and 0 or 1 for classification. msg says what is wrong.
func (u *upload) target(cell string) (float64, string) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return math.NaN(), ""
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "is not a finite number"
	}
	if u.in.Task == Classification && v != 0 && v != 1 {
		return 0, "must be 0 or 1 for a classification dataset"
	}
	return v, ""
}

type standardizeResult struct {
	smiles  string
	changed bool
}

func (u *upload) standardize(ctx context.Context, smi string) (standardizeResult, error) {
	res, err := u.s.std.Standardize(ctx, smi)
	if err != nil {
		return standardizeResult{}, err
	}
	return standardizeResult{smiles: res.SMILES, changed: len(res.Steps) > 0}, nil
}
