package response

import (
	"errors"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/store"
)

// TestModelIDCoversOptions: every TrainInput field and every experiment
// option that changes the model changes its id, so an experiment's model
// can never be saved over the default's; the same input and options give
// the same id.
func TestModelIDCoversOptions(t *testing.T) {
	base, err := TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 1}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	small := mpnn.Config{Hidden: 32, Depth: 2, Epochs: 3, Batch: 32}
	small2 := small
	small2.Hidden = 64
	on := true
	net := baseNet()
	net.LR = 3e-4
	with := func(f func(*TrainInput)) TrainInput { in := base; f(&in); return in }
	cases := []struct {
		name string
		in   TrainInput
		opt  options
	}{
		{"default", base, options{}},
		{"seed", with(func(in *TrainInput) { in.Seed = 2 }), options{}},
		{"ensemble", with(func(in *TrainInput) { in.Ensemble = 3 }), options{}},
		{"epochs", with(func(in *TrainInput) { in.Epochs = 3 }), options{}},
		{"rows", with(func(in *TrainInput) { in.MaxRows = 300 }), options{}},
		{"folds", with(func(in *TrainInput) { in.Folds = 5 }), options{}},
		{"arch", with(func(in *TrainInput) { in.Arch = ArchMLP }), options{}},
		{"split", with(func(in *TrainInput) { in.Split = SplitFull }), options{}},
		{"graph option", base, options{graph: &small}},
		{"another graph option", base, options{graph: &small2}},
		{"net option", base, options{net: &net}},
		{"descriptor option", base, options{descSet: DescPhyschem}},
		{"refit option", base, options{refit: &on}},
		{"nested option", base, options{nested: true}},
		{"rows option", base, options{rows: &Split{Train: []int{1, 2}, Val: []int{3}}}},
	}
	seen := map[string]string{}
	for _, c := range cases {
		id := modelID(c.in, c.opt)
		if prev, ok := seen[id]; ok {
			t.Errorf("%s and %s share the id %s", c.name, prev, id)
		}
		seen[id] = c.name
		if again := modelID(c.in, c.opt); again != id {
			t.Errorf("%s: id %s then %s", c.name, id, again)
		}
		if !c.opt.zero() && !strings.Contains(id, ".x") {
			t.Errorf("%s: id %s does not mark the options", c.name, id)
		}
	}
	if got := ModelID(TrainInput{Dataset: "esol", Split: SplitRandom, Seed: 1}); got != modelID(base, options{}) {
		t.Errorf("ModelID %s, modelID %s", got, modelID(base, options{}))
	}
	for _, bad := range []TrainInput{
		{Dataset: "esol", Folds: 1}, {Dataset: "esol", Folds: MaxFolds + 1}, {Dataset: "esol", Folds: -1},
		{Dataset: GDSCName, Folds: 5}, {Dataset: "mydata.csv"},
	} {
		if _, err := bad.normalize(); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
}
