package response

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/store"
)

// Limits of TrainInput.
const (
	DefaultEnsemble = 5
	MaxEnsemble     = 20
	// MaxFolds bounds TrainInput.Folds (each fold trains a whole model).
	MaxFolds = 10
)

// TrainInput mirrors the API's TrainModelInput: everything a caller may
// ask of a training job, and nothing else. Experiment options (options)
// are separate, and the model id covers both.
type TrainInput struct {
	// Dataset is a built-in dataset name (Datasets), GDSCName, or the id of
	// an uploaded dataset (package datasets; trained through Service).
	Dataset string `json:"dataset"`
	// Target is a label column; empty takes the dataset's first. For tox21
	// (and uploaded sets with several targets), "all" trains one
	// multi-task model over every target.
	Target string `json:"target,omitempty"`
	// Split is random, scaffold or full (property sets), random, cell or
	// drug (GDSC). Empty means scaffold for property sets and cell for GDSC.
	Split string `json:"split,omitempty"`
	// Seed fixes the split, the initial weights and the batch order.
	Seed uint64 `json:"seed"`
	// Ensemble is the number of members; 0 means DefaultEnsemble.
	Ensemble int `json:"ensemble,omitempty"`
	// Epochs overrides the epoch budget per member (0 = the dataset default).
	Epochs int `json:"epochs,omitempty"`
	// Arch is the member architecture (ArchMLP, ArchMPNN, ArchHybrid);
	// empty takes the dataset's default (property sets only; GDSC is MLP).
	Arch string `json:"arch,omitempty"`
	// MaxRows, when > 0, trains on a seeded subsample of at most MaxRows
	// rows (molecules, or GDSC pairs) for quick runs; 0 uses everything.
	MaxRows int `json:"maxRows,omitempty"`
	// Folds, when ≥ 2, cross-validates before training the model (property
	// sets): the rows are cut into Folds seeded random folds, and a model
	// of the same input is trained with each fold held out as its test
	// rows (the rest split 8:1 into training and validation rows), so
	// every molecule is scored once by a model that did not see it. The
	// per-fold and pooled metrics are kept in ModelInfo.CrossValidation;
	// the model itself is then trained on Split as usual.
	Folds int `json:"folds,omitempty"`
}

// options are experiment and test settings a TrainInput cannot carry:
// they never come through the API, and any that is set changes the model
// id (ModelID), so an experiment's model never takes a default's id.
type options struct {
	// net, when set, replaces the recipe's MLP hyper-parameters.
	net *netConfig
	// descSet, when set, replaces the recipe's descriptor set.
	descSet int
	// graph, when set, replaces the message-passing members' configuration.
	graph *mpnn.Config
	// refit, when set, replaces the recipe's choice of refitting the
	// members on training plus validation rows (see trainProperty).
	refit *bool
	// nested moves the split one level in: a seeded part of the training
	// rows, as large as the validation split, becomes the validation split
	// and the validation split becomes the test split, so that a choice
	// can be scored on validation rows without reading the test split.
	nested bool
	// rows, when set, replaces the split: row indices into the dataset's
	// parsed, labelled molecules in file order (cross-validation folds).
	rows *Split
}

// zero reports whether no option is set.
func (o options) zero() bool {
	return o.net == nil && o.descSet == 0 && o.graph == nil && o.refit == nil && !o.nested && o.rows == nil
}

// hash is a short digest of every set option, for the model id.
func (o options) hash() string {
	b, _ := json.Marshal(struct {
		Net     *netConfig   `json:"net,omitempty"`
		DescSet int          `json:"descSet,omitempty"`
		Graph   *mpnn.Config `json:"graph,omitempty"`
		Refit   *bool        `json:"refit,omitempty"`
		Nested  bool         `json:"nested,omitempty"`
		Rows    *Split       `json:"rows,omitempty"`
	}{o.net, o.descSet, o.graph, o.refit, o.nested, o.rows})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:4])
}

var idUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// checkCommon validates the fields every dataset shares and fills their defaults.
func (in TrainInput) checkCommon() (TrainInput, error) {
	if in.Ensemble == 0 {
		in.Ensemble = DefaultEnsemble
	}
	if in.Ensemble < 1 || in.Ensemble > MaxEnsemble {
		return in, fmt.Errorf("response: input.ensemble must be within 1–%d: %w", MaxEnsemble, store.ErrInvalid)
	}
	if in.MaxRows < 0 {
		return in, fmt.Errorf("response: input.maxRows must be ≥ 0: %w", store.ErrInvalid)
	}
	if in.Epochs < 0 || in.Epochs > 1000 {
		return in, fmt.Errorf("response: input.epochs must be within 0–1000: %w", store.ErrInvalid)
	}
	if in.Folds < 0 || in.Folds == 1 || in.Folds > MaxFolds {
		return in, fmt.Errorf("response: input.folds must be 0 (none) or within 2–%d: %w", MaxFolds, store.ErrInvalid)
	}
	return in, nil
}

// normalize fills defaults and validates a built-in or GDSC input; it
// returns the resolved input. Uploaded datasets go through normalizeFor.
func (in TrainInput) normalize() (TrainInput, error) {
	in, err := in.checkCommon()
	if err != nil {
		return in, err
	}
	if in.Dataset == GDSCName {
		return in.normalizeGDSC()
	}
	d, ok := datasetInfo(in.Dataset)
	if !ok {
		names := []string{GDSCName}
		for _, d := range datasets {
			names = append(names, d.Name)
		}
		return in, fmt.Errorf("response: input.dataset %q is not one of %v nor an uploaded dataset's id: %w", in.Dataset, names, store.ErrInvalid)
	}
	return in.normalizeFor(d)
}

func (in TrainInput) normalizeGDSC() (TrainInput, error) {
	if in.Split == "" {
		in.Split = SplitCell
	}
	if in.Target == "" {
		in.Target = "ln_ic50"
	}
	if in.Target != "ln_ic50" {
		return in, fmt.Errorf("response: input.target: gdsc predicts ln_ic50: %w", store.ErrInvalid)
	}
	if err := checkSplit(in.Split, SplitRandom, SplitCell, SplitDrug); err != nil {
		return in, fmt.Errorf("input.split: %w", err)
	}
	if in.Arch != "" && in.Arch != ArchMLP {
		return in, fmt.Errorf("response: input.arch: gdsc models are %s: %w", ArchMLP, store.ErrInvalid)
	}
	if in.Folds != 0 {
		return in, fmt.Errorf("response: input.folds: gdsc models are not cross-validated (split cell and drug hold out whole groups): %w", store.ErrInvalid)
	}
	in.Arch = ArchMLP
	return in, nil
}

// normalizeFor resolves a property-set input against the dataset d.
func (in TrainInput) normalizeFor(d DatasetInfo) (TrainInput, error) {
	in, err := in.checkCommon()
	if err != nil {
		return in, err
	}
	if in.Target == "" {
		in.Target = d.Targets[0]
	}
	if to, ok := d.Aliases[in.Target]; ok {
		in.Target = to
	}
	if !slices.Contains(d.Targets, in.Target) && !(in.Target == "all" && len(d.Targets) > 1) {
		return in, fmt.Errorf("response: input.target %q is not a column of %s %v: %w", in.Target, d.Name, d.Targets, store.ErrInvalid)
	}
	if in.Split == "" {
		in.Split = SplitScaffold
	}
	if in.Arch == "" {
		in.Arch = d.recipe.arch
	}
	if in.Arch != ArchMLP && in.Arch != ArchMPNN && in.Arch != ArchHybrid {
		return in, fmt.Errorf("response: input.arch %q is not one of %s, %s, %s: %w", in.Arch, ArchMLP, ArchMPNN, ArchHybrid, store.ErrInvalid)
	}
	if err := checkSplit(in.Split, SplitRandom, SplitScaffold, SplitFull); err != nil {
		return in, fmt.Errorf("input.split: %w", err)
	}
	return in, nil
}

// ModelID is the id a training input produces (normalized when it is a
// built-in or GDSC input): <dataset>.<target>.<split>.s<seed>.e<ensemble>,
// then the architecture (.mpnn, .mlp-mpnn), .ep<epochs>, .n<maxRows> and
// .cv<folds> when set. It covers every field that changes the model.
func ModelID(in TrainInput) string {
	if n, err := in.normalize(); err == nil {
		in = n
	}
	return modelID(in, options{})
}

// modelID is ModelID of a resolved input with options: any option set
// adds .x<hash of the options>, so an experiment never overwrites the
// model of the same input without them.
func modelID(in TrainInput, opt options) string {
	t := idUnsafe.ReplaceAllString(in.Target, "_")
	id := fmt.Sprintf("%s.%s.%s.s%d.e%d", in.Dataset, t, in.Split, in.Seed, in.Ensemble)
	if in.Arch != "" && in.Arch != ArchMLP {
		id += "." + strings.ReplaceAll(in.Arch, "+", "-")
	}
	if in.Epochs > 0 {
		id += fmt.Sprintf(".ep%d", in.Epochs)
	}
	if in.MaxRows > 0 {
		id += fmt.Sprintf(".n%d", in.MaxRows)
	}
	if in.Folds > 0 {
		id += fmt.Sprintf(".cv%d", in.Folds)
	}
	if !opt.zero() {
		id += ".x" + opt.hash()
	}
	return id
}
