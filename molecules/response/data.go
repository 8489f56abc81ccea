package response

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/store"
)

//go:embed data/*.gz
var dataFS embed.FS

// Task kinds.
const (
	Regression     = "regression"
	Classification = "classification"
)

// DatasetInfo describes one built-in training set.
type DatasetInfo struct {
	// Name is the dataset key used in TrainInput.Dataset.
	Name string
	// File is the embedded file (data/<File>).
	File string
	// Task is Regression or Classification.
	Task string
	// Targets lists the label columns; the first is the default target.
	Targets []string
	// Columns are the file's header names of Targets, in the same order,
	// where they differ (nil: the same).
	Columns []string
	// Aliases maps deprecated target names to Targets entries; a request
	// naming one trains the target and the model says so (Warnings).
	Aliases map[string]string
	// Unit of the regression target, empty for classification.
	Unit string
	// Description says what the value means.
	Description string
	// recipe is how the set trains by default (recipe.go).
	recipe recipe
}

// datasets is the read-only registry of built-in property sets.
var datasets = []DatasetInfo{
	{Name: "esol", File: "delaney.csv.gz", Task: Regression, Targets: []string{"logS"}, Unit: "log10(mol/L)",
		Columns: []string{"logp"}, Aliases: map[string]string{"logp": "logS"},
		Description: "ESOL (Delaney) measured aqueous solubility logS; the upstream column is misnamed logp, which is kept as a deprecated alias",
		recipe: defaultRecipe().with(func(r *recipe) {
			r.net.LRFinal, r.desc, r.arch, r.refitGraph, r.graph = 0.01, DescEState, ArchHybrid, true, graphWide(100)
		})},
	{Name: "lipo", File: "lipo.csv.gz", Task: Regression, Targets: []string{"lipo"}, Unit: "logD",
		Description: "Lipophilicity: ChEMBL octanol/water logD at pH 7.4",
		recipe:      defaultRecipe().with(func(r *recipe) { r.net.InputDropout, r.net.LRFinal, r.graph = 0, 0.01, graphNarrow() })},
	{Name: "freesolv", File: "freesolv.csv.gz", Task: Regression, Targets: []string{"freesolv"}, Unit: "kcal/mol",
		Description: "FreeSolv experimental hydration free energy",
		recipe:      defaultRecipe().with(func(r *recipe) { r.arch, r.refitGraph = ArchHybrid, true })},
	{Name: "bbbp", File: "bbbp.csv.gz", Task: Classification, Targets: []string{"p_np"},
		Description: "blood–brain barrier penetration (1 = penetrates)",
		recipe:      defaultRecipe().with(func(r *recipe) { r.graph = graphNarrow() })},
	{Name: "tox21", File: "tox21.csv.gz", Task: Classification,
		Targets: []string{"NR-AR", "NR-AR-LBD", "NR-AhR", "NR-Aromatase", "NR-ER", "NR-ER-LBD",
			"NR-PPAR-gamma", "SR-ARE", "SR-ATAD5", "SR-HSE", "SR-MMP", "SR-p53"},
		Description: "Tox21 nuclear-receptor and stress-response assays (1 = active); missing labels are masked",
		recipe: defaultRecipe().with(func(r *recipe) {
			r.net.Batch, r.net.Epochs, r.net.Patience, r.graph = 64, 40, 8, graphNarrow()
		})},
}

// Datasets lists the built-in property datasets (GDSC is separate: GDSCName).
func Datasets() []DatasetInfo {
	out := make([]DatasetInfo, len(datasets))
	copy(out, datasets)
	return out
}

// columns returns the file's header names of targets (Targets entries).
func (d DatasetInfo) columns(targets []string) []string {
	if d.Columns == nil {
		return targets
	}
	out := make([]string, len(targets))
	for i, t := range targets {
		out[i] = t
		if j := slices.Index(d.Targets, t); j >= 0 {
			out[i] = d.Columns[j]
		}
	}
	return out
}

// readTable reads the built-in set's file for targets (Targets entries),
// naming the table's columns by the targets.
func (d DatasetInfo) readTable(targets []string) (*Table, error) {
	raw, err := readEmbedded(d.File)
	if err != nil {
		return nil, err
	}
	tb, err := ParseTable(bytes.NewReader(raw), d.columns(targets))
	if err != nil {
		return nil, err
	}
	tb.Targets = slices.Clone(targets)
	return tb, nil
}

// deprecatedTarget says why target is deprecated on dataset ("" if not).
func deprecatedTarget(dataset, target string) string {
	d, ok := datasetInfo(dataset)
	if !ok {
		return ""
	}
	if to, ok := d.Aliases[target]; ok {
		return fmt.Sprintf("%s's target %q is deprecated: it is %s (%s); request target %q", dataset, target, to, d.Unit, to)
	}
	return ""
}

func datasetInfo(name string) (DatasetInfo, bool) {
	for _, d := range datasets {
		if d.Name == name {
			return d, true
		}
	}
	return DatasetInfo{}, false
}

// Table is a parsed labelled set: one SMILES per row and one value per
// target (NaN = not measured).
type Table struct {
	Targets []string
	SMILES  []string
	// Y holds len(SMILES) rows of len(Targets) values.
	Y [][]float64
	// Hash is the SHA-256 of the uncompressed file.
	Hash string
}

func readEmbedded(file string) ([]byte, error) {
	raw, err := dataFS.ReadFile("data/" + file)
	if err != nil {
		return nil, fmt.Errorf("response: embedded %s: %w", file, store.ErrNotFound)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("response: embedded %s: %v: %w", file, err, store.ErrInvalid)
	}
	return io.ReadAll(zr)
}

// LoadDataset reads a built-in property dataset.
func LoadDataset(name string) (*Table, error) {
	d, ok := datasetInfo(name)
	if !ok {
		return nil, fmt.Errorf("response: unknown dataset %q: %w", name, store.ErrInvalid)
	}
	return d.readTable(d.Targets)
}

// ParseTable reads a CSV with a header whose first column is the SMILES and
// which contains every column named in targets. Empty cells are missing
// labels (NaN). Errors name the line and column.
func ParseTable(r io.Reader, targets []string) (*Table, error) {
	h := sha256.New()
	cr := csv.NewReader(io.TeeReader(r, h))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("response: csv header: %v: %w", err, store.ErrInvalid)
	}
	if len(header) < 2 {
		return nil, fmt.Errorf("response: csv header has %d columns, need a SMILES column and a target: %w", len(header), store.ErrInvalid)
	}
	cols := make([]int, len(targets))
	for i, t := range targets {
		cols[i] = -1
		for j, hname := range header {
			if strings.TrimSpace(hname) == t {
				cols[i] = j
			}
		}
		if cols[i] < 0 {
			return nil, fmt.Errorf("response: csv header lacks target column %q: %w", t, store.ErrInvalid)
		}
	}
	tb := &Table{Targets: append([]string(nil), targets...)}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("response: csv line %d: %v: %w", line, err, store.ErrInvalid)
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("response: csv line %d has %d fields, header has %d: %w", line, len(rec), len(header), store.ErrInvalid)
		}
		y := make([]float64, len(targets))
		for i, c := range cols {
			s := strings.TrimSpace(rec[c])
			if s == "" {
				y[i] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("response: csv line %d column %d (%s): not a number: %w", line, c+1, targets[i], store.ErrInvalid)
			}
			y[i] = v
		}
		tb.SMILES = append(tb.SMILES, strings.TrimSpace(rec[0]))
		tb.Y = append(tb.Y, y)
	}
	if len(tb.SMILES) == 0 {
		return nil, fmt.Errorf("response: csv has no data rows: %w", store.ErrInvalid)
	}
	tb.Hash = hex.EncodeToString(h.Sum(nil))
	return tb, nil
}
