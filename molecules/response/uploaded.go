package response

import (
	"context"
	"fmt"
	"slices"
	"strings"

	uploads "github.com/rxlab/rxlab/molecules/datasets"
	"github.com/rxlab/rxlab/store"
)

// Uploaded datasets (package datasets) train like the built-in property
// sets, with the default recipe (defaultRecipe: the MLP ensemble over the
// physchem descriptors) unless the input names an architecture; any split
// (random, scaffold, full), multi-task ("all") and cross-validation apply.
// A model of one records the dataset's id as its Dataset and the
// dataset's content hash as its DatasetHash.

// isUploadedID says whether name has the form of an uploaded dataset's
// id ("D" and 16 hex digits); the datasets store decides whether it exists.
func isUploadedID(name string) bool {
	return len(name) == 17 && name[0] == 'D' && strings.Trim(name[1:], "0123456789abcdef") == ""
}

// uploadedInfo describes a stored dataset as a training set.
func uploadedInfo(d uploads.Dataset) DatasetInfo {
	return DatasetInfo{Name: d.ID, Task: string(d.Task), Targets: slices.Clone(d.Targets),
		Description: "uploaded dataset " + d.Name, recipe: defaultRecipe()}
}

// resolve normalizes in against its dataset, looking an uploaded dataset
// up with the caller's rights (ctx): a dataset the caller may not read is
// not found.
func (s *Service) resolve(ctx context.Context, in TrainInput) (TrainInput, DatasetInfo, error) {
	if in.Dataset == GDSCName || !isUploadedID(in.Dataset) {
		n, err := in.normalize()
		d, _ := datasetInfo(n.Dataset)
		return n, d, err
	}
	if s.datasets == nil {
		return in, DatasetInfo{}, fmt.Errorf("response: input.dataset: uploaded datasets are not served here: %w", store.ErrNotImplemented)
	}
	ds, err := s.datasets.Get(ctx, in.Dataset)
	if err != nil {
		return in, DatasetInfo{}, fmt.Errorf("response: input.dataset: %w", err)
	}
	d := uploadedInfo(ds)
	n, err := in.normalizeFor(d)
	return n, d, err
}

// uploadedTable reads an uploaded dataset's rows for the targets of in.
func (s *Service) uploadedTable(ctx context.Context, in TrainInput, d DatasetInfo) (*Table, error) {
	smiles, ys, _, hash, err := s.datasets.Rows(ctx, in.Dataset)
	if err != nil {
		return nil, err
	}
	targets := targetsOf(in, d)
	cols := make([]int, len(targets))
	for i, t := range targets {
		cols[i] = slices.Index(d.Targets, t)
	}
	tb := &Table{Targets: targets, SMILES: smiles, Y: make([][]float64, len(ys)), Hash: hash}
	for i, row := range ys {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		y := make([]float64, len(cols))
		for j, c := range cols {
			y[j] = row[c]
		}
		tb.Y[i] = y
	}
	return tb, nil
}

// trainResolved trains a resolved input: a built-in or GDSC set through
// train, an uploaded dataset from its stored rows.
func (s *Service) trainResolved(ctx context.Context, in TrainInput, d DatasetInfo, progress func(float64, string)) (*Model, error) {
	if !isUploadedID(in.Dataset) {
		return Train(ctx, in, progress)
	}
	progress(0, "reading the dataset")
	tb, err := s.uploadedTable(ctx, in, d)
	if err != nil {
		return nil, err
	}
	return trainProperty(ctx, in, options{}, d, tb, progress)
}
