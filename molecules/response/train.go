package response

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/descriptors"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/store"
)

// Training a property model runs in stages, each a function below:
//
//	load       the dataset's table (built-in file or uploaded rows)
//	featurize  parse each labelled SMILES into fingerprint counts,
//	           descriptors and (with message-passing members) a graph
//	split      the rows into training, validation and test parts
//	fit        the members on the training rows, early-stopped on the
//	           validation rows
//	calibrate  the interval scale and domain threshold on the validation
//	           rows, and score the test rows (evaluate.go)
//	refit      the members on training plus validation rows for the
//	           epochs each stopped at (recipe, split "full")
//
// With TrainInput.Folds, cross-validation (crossValidate) runs the split,
// fit, calibrate and refit stages once per fold before the model itself.

// Train trains a model on in, calling progress with fractions in 0..1.
// It returns the model with its weights (not yet stored). Uploaded
// datasets train through Service.Train, which reads their rows.
func Train(ctx context.Context, in TrainInput, progress func(frac float64, msg string)) (*Model, error) {
	return train(ctx, in, options{}, progress)
}

// train is Train with experiment options.
func train(ctx context.Context, in TrainInput, opt options, progress func(frac float64, msg string)) (*Model, error) {
	in, err := in.normalize()
	if err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(float64, string) {}
	}
	if in.Dataset == GDSCName {
		return trainGDSC(ctx, in, opt, progress)
	}
	d, _ := datasetInfo(in.Dataset)
	tb, err := d.readTable(targetsOf(in, d))
	if err != nil {
		return nil, err
	}
	return trainProperty(ctx, in, opt, d, tb, progress)
}

// targetsOf is the list of columns in trains on.
func targetsOf(in TrainInput, d DatasetInfo) []string {
	if in.Target == "all" {
		return d.Targets
	}
	return []string{in.Target}
}

// prepared is a featurized property table: the parsable, labelled rows.
type prepared struct {
	d       DatasetInfo
	targets []string
	hash    string
	feats   []molFeat
	smiles  []string
	ys      [][]float64
	keys    []string // scaffold keys (scaffold split only)
	dropped int
	descSet int
	graph   mpnn.Config
}

// trainProperty trains a property model on tb, a table of d (in resolved).
func trainProperty(ctx context.Context, in TrainInput, opt options, d DatasetInfo, tb *Table, progress func(float64, string)) (*Model, error) {
	start := time.Now()
	progress(0, "featurising")
	pr, err := featurizeTable(ctx, in, opt, d, tb)
	if err != nil {
		return nil, err
	}
	var cv *CrossValidation
	share := 0.0
	if in.Folds >= 2 {
		share = float64(in.Folds) / float64(in.Folds+1)
		if cv, err = crossValidate(ctx, in, opt, pr, func(f float64, msg string) { progress(f*share, msg) }); err != nil {
			return nil, err
		}
	}
	sp := splitRows(in, opt, pr)
	model, err := fitOnSplit(ctx, in, opt, pr, sp, func(f float64, msg string) { progress(share+f*(1-share), msg) })
	if err != nil {
		return nil, err
	}
	model.rec.CrossValidation = cv
	rows := model.rec.Rows.Train
	if model.rec.Refit {
		rows = append(slices.Clone(rows), model.rec.Rows.Val...)
	}
	descs := make([][]float64, len(rows))
	for k, i := range rows {
		descs[k] = pr.feats[i].desc
	}
	if model.rec.Monitor, err = monitorRefOf(ctx, model, descs); err != nil {
		return nil, err
	}
	model.rec.TrainedAt = time.Now().UTC()
	model.rec.TrainSeconds = time.Since(start).Seconds()
	model.rec.Metrics["dropped"] = float64(pr.dropped)
	return model, nil
}

// featurizeTable parses and featurizes every labelled row of tb (rows
// that do not parse or have no label are dropped and counted), then
// subsamples MaxRows of them.
func featurizeTable(ctx context.Context, in TrainInput, opt options, d DatasetInfo, tb *Table) (*prepared, error) {
	pr := &prepared{d: d, targets: tb.Targets, hash: tb.Hash, descSet: d.recipe.desc, graph: d.recipe.graph}
	if opt.descSet != 0 {
		pr.descSet = opt.descSet
	}
	if opt.graph != nil {
		pr.graph = *opt.graph
	}
	if pr.graph.AtomExtras != 0 {
		return nil, fmt.Errorf("response: message-passing members read no per-atom descriptors: %w", store.ErrInvalid)
	}
	p, err := molecules.NewParser(molecules.ParserConfig{})
	if err != nil {
		return nil, err
	}
	var reuse *molecules.Mol // the features, graph and scaffold key copy what they keep
	for i, s := range tb.SMILES {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		mol, err := p.ParseInto(reuse, s)
		if err == nil {
			reuse = mol
		}
		if err != nil || mol.NumAtoms() == 0 || !anyLabel(tb.Y[i]) {
			pr.dropped++
			continue
		}
		f := featurize(mol, PropertyBits, nil, false, pr.descSet)
		if hasGraph(in.Arch) {
			g := mpnn.GraphOf(mol, nil)
			f.graph = &g
		}
		pr.feats, pr.smiles, pr.ys = append(pr.feats, f), append(pr.smiles, s), append(pr.ys, tb.Y[i])
		if in.Split == SplitScaffold {
			pr.keys = append(pr.keys, descriptors.ScaffoldKey(mol))
		}
	}
	if len(pr.feats) < 10 {
		return nil, fmt.Errorf("response: %s has %d usable rows (parsable SMILES with a label); training needs at least 10: %w", d.Name, len(pr.feats), store.ErrInvalid)
	}
	if in.MaxRows > 0 && in.MaxRows < len(pr.feats) {
		pr.subsample(newRand(in.Seed, 5).Perm(len(pr.feats))[:in.MaxRows])
	}
	return pr, nil
}

func anyLabel(y []float64) bool {
	for _, v := range y {
		if !math.IsNaN(v) {
			return true
		}
	}
	return false
}

// subsample keeps the rows keep (in file order).
func (pr *prepared) subsample(keep []int) {
	slices.Sort(keep)
	var f2 []molFeat
	var s2 []string
	var y2 [][]float64
	var k2 []string
	for _, i := range keep {
		f2, s2, y2 = append(f2, pr.feats[i]), append(s2, pr.smiles[i]), append(y2, pr.ys[i])
		if pr.keys != nil {
			k2 = append(k2, pr.keys[i])
		}
	}
	pr.feats, pr.smiles, pr.ys, pr.keys = f2, s2, y2, k2
}

// splitRows cuts the prepared rows as in.Split says (or as the options
// replace it).
func splitRows(in TrainInput, opt options, pr *prepared) Split {
	var sp Split
	switch in.Split {
	case SplitScaffold:
		sp = GroupSplit(pr.keys, in.Seed)
	case SplitFull:
		sp = FullSplit(len(pr.feats), in.Seed)
	default:
		sp = RandomSplit(len(pr.feats), in.Seed)
	}
	if opt.nested {
		sp = nestSplit(sp, in.Seed)
	}
	if opt.rows != nil {
		sp = *opt.rows
	}
	return sp
}

// fitOnSplit runs the fit, calibrate and refit stages on one split.
func fitOnSplit(ctx context.Context, in TrainInput, opt options, pr *prepared, sp Split, progress func(float64, string)) (*Model, error) {
	rec, feats := newPropertyRecord(in, opt, pr, sp)
	refit := pr.d.recipe.refit(in.Arch)
	if opt.refit != nil {
		refit = *opt.refit
	}
	// A model of every row refits whatever its architecture: otherwise
	// its validation tenth would never train.
	refit = refit || in.Split == SplitFull
	f := &fitter{in: in, rec: &rec, feats: feats, ys: pr.ys, task: pr.d.Task, progress: progress}
	f.slots = 0
	if hasMLP(in.Arch) {
		f.slots += in.Ensemble
	}
	if hasGraph(in.Arch) {
		f.slots += in.Ensemble
	}
	if refit {
		f.slots *= 2
	}
	members, fits, err := f.fitMLPs(ctx, sp.Train, sp.Val)
	if err != nil {
		return nil, err
	}
	var graphs []*mpnn.Model
	if hasGraph(in.Arch) {
		rec.Graph = f.graphConfig(pr.graph, pr.descSet, pr.d.recipe.graphDesc)
		if graphs, err = f.fitGraphs(ctx, sp); err != nil {
			return nil, err
		}
	}
	rec.History = trainingHistory(fits, graphs)
	progress(0.96, "evaluating")
	model, err := newModel(rec, members, graphs)
	if err != nil {
		return nil, err
	}
	model.evaluate(feats, pr.ys, sp, true)
	if !refit {
		return model, nil
	}
	return f.refit(ctx, model, members, fits, graphs, sp, pr.smiles)
}

// newPropertyRecord builds the record's data-derived parts from the
// training rows — vocabulary, descriptor scaling, target standardisation —
// and returns it with the features remapped onto the vocabulary.
func newPropertyRecord(in TrainInput, opt options, pr *prepared, sp Split) (modelRecord, []molFeat) {
	d := pr.d
	T := len(pr.targets)
	rec := modelRecord{ModelInfo: ModelInfo{
		ID: modelID(in, opt), Dataset: in.Dataset, Target: in.Target, Tasks: pr.targets, Task: d.Task, Unit: d.Unit,
		Split: in.Split, Seed: in.Seed, Ensemble: in.Ensemble, DatasetHash: pr.hash, Bits: PropertyBits,
		Net: d.recipe.net, Arch: in.Arch,
	}, Rows: sp, DescSet: pr.descSet}
	rec.Net.Hidden = slices.Clone(rec.Net.Hidden)
	if opt.net != nil {
		rec.Net = *opt.net
	}
	if in.Epochs > 0 {
		rec.Net.Epochs = in.Epochs
	}
	var colOf []int32
	rec.Vocabulary, colOf = vocabulary(pr.feats, sp.Train, PropertyBits, 2)
	feats := make([]molFeat, len(pr.feats))
	for i := range pr.feats {
		feats[i] = remap(pr.feats[i], colOf)
	}
	descRows := make([][]float64, len(sp.Train))
	for k, i := range sp.Train {
		descRows[k] = feats[i].desc
		rec.TrainSMILES = append(rec.TrainSMILES, pr.smiles[i])
	}
	rec.Desc = fitScaler(descRows)
	rec.YMean, rec.YSD = make([]float64, T), make([]float64, T)
	for j := 0; j < T; j++ {
		rec.YSD[j] = 1
		if d.Task != Regression {
			continue
		}
		var col [][]float64
		for _, i := range sp.Train {
			if !math.IsNaN(pr.ys[i][j]) {
				col = append(col, []float64{pr.ys[i][j]})
			}
		}
		s := fitScaler(col)
		rec.YMean[j], rec.YSD[j] = s.Mean[0], s.SD[0]
	}
	return rec, feats
}

// trainingHistory is the model's curve from its members' fits.
func trainingHistory(fits []memberFit, graphs []*mpnn.Model) []EpochLoss {
	var out []EpochLoss
	if len(fits) > 0 {
		h := make([][]epochLoss, len(fits))
		for k, f := range fits {
			h[k] = f.history
		}
		out = historyOf(ArchMLP, h)
	}
	if len(graphs) > 0 {
		h := make([][]epochLoss, len(graphs))
		for k, g := range graphs {
			h[k] = graphHistory(g.Info().ValLoss)
		}
		out = append(out, historyOf(ArchMPNN, h)...)
	}
	return out
}

// fitter trains one model's members, reporting progress over its slots
// (one per member and stage).
type fitter struct {
	in       TrainInput
	rec      *modelRecord
	feats    []molFeat
	ys       [][]float64
	task     string
	progress func(float64, string)
	slots    int
	slot     int
}

func (f *fitter) report(msg string) func(float64) {
	slot := f.slot
	return func(x float64) { f.progress((float64(slot)+x)/float64(f.slots)*0.95, msg) }
}

// rowsOf is the trainer's view of the rows idx: vocabulary counts and
// standardised descriptors in, standardised targets out.
func (f *fitter) rowsOf(idx []int) rows {
	rec, feats, ys := f.rec, f.feats, f.ys
	nv := len(rec.Vocabulary)
	width := nv + len(rec.Desc.Mean)
	T := len(rec.Tasks)
	regression := f.task == Regression
	return rows{n: len(idx), width: width, out: T, counts: nv,
		fill: func(r int, dst []float32) {
			clear(dst)
			ft := &feats[idx[r]]
			for _, c := range ft.counts {
				dst[c.Bit] = c.Count
			}
			rec.Desc.apply(ft.desc, dst[nv:])
		},
		y: func(r int, dst []float64) {
			for j, v := range ys[idx[r]] {
				if regression {
					dst[j] = (v - rec.YMean[j]) / rec.YSD[j]
				} else {
					dst[j] = v
				}
			}
		}}
}

// fitMLPs trains the MLP members (none for ArchMPNN).
func (f *fitter) fitMLPs(ctx context.Context, train, val []int) ([]*nn.MLP, []memberFit, error) {
	if !hasMLP(f.in.Arch) {
		return nil, nil, nil
	}
	tr, va := f.rowsOf(train), f.rowsOf(val)
	var members []*nn.MLP
	var fits []memberFit
	for k := 0; k < f.in.Ensemble; k++ {
		msg := fmt.Sprintf("training MLP member %d of %d", k+1, f.in.Ensemble)
		m, fit, err := trainMember(ctx, tr, va, f.rec.Net, f.task, f.in.Seed*1000+uint64(k), 0, f.report(msg))
		if err != nil {
			return nil, nil, err
		}
		members, fits = append(members, m), append(fits, fit)
		f.slot++
	}
	return members, fits, nil
}

// graphConfig completes the message-passing members' configuration: they
// read the descriptors of graphDesc (a prefix of descSet's), or all of
// descSet's when graphDesc is larger.
func (f *fitter) graphConfig(gc mpnn.Config, descSet, graphDesc int) *mpnn.Config {
	gc.Extras, gc.Tasks, gc.Classification = len(f.rec.Desc.Mean), len(f.rec.Tasks), f.task == Classification
	if graphDesc > 0 && graphDesc <= descSet {
		gc.Extras = descWidth(graphDesc)
	}
	if f.in.Epochs > 0 {
		gc.Epochs = f.in.Epochs
	}
	return &gc
}

// graphsOf builds the message-passing members' inputs for rows idx: each
// graph with its standardised descriptors (the first Extras) attached.
func (f *fitter) graphsOf(idx []int) ([]mpnn.Graph, [][]float64) {
	gs, y := make([]mpnn.Graph, len(idx)), make([][]float64, len(idx))
	for k, i := range idx {
		gs[k] = *f.feats[i].graph
		extra := make([]float32, len(f.rec.Desc.Mean))
		f.rec.Desc.apply(f.feats[i].desc, extra)
		gs[k].Extra = extra[:f.rec.Graph.Extras]
		y[k] = f.ys[i]
	}
	return gs, y
}

// fitGraphs trains the message-passing members.
func (f *fitter) fitGraphs(ctx context.Context, sp Split) ([]*mpnn.Model, error) {
	trG, trY := f.graphsOf(sp.Train)
	vaG, vaY := f.graphsOf(sp.Val)
	var graphs []*mpnn.Model
	for k := 0; k < f.in.Ensemble; k++ {
		msg := fmt.Sprintf("training message-passing member %d of %d", k+1, f.in.Ensemble)
		c := *f.rec.Graph
		c.Seed = f.in.Seed*1000 + 500 + uint64(k)
		g, err := mpnn.Train(ctx, c, trG, vaG, trY, vaY, f.report(msg))
		if err != nil {
			return nil, err
		}
		graphs = append(graphs, g)
		f.slot++
	}
	return graphs, nil
}

// refit is the refit stage. The early-stopped ensemble has calibrated the
// interval, the domain threshold and reported its validation metrics.
// Each member is now trained again from the same seed on training plus
// validation rows for the epochs early stopping chose for it (epochs, not
// steps: each epoch has the rows of both parts). The refitted model keeps
// that calibration and is scored on the test rows, which neither stage
// read. The vocabulary, descriptor scaling and target standardisation
// stay those of the training rows.
func (f *fitter) refit(ctx context.Context, model *Model, members []*nn.MLP, fits []memberFit, graphs []*mpnn.Model, sp Split, smiles []string) (*Model, error) {
	all := append(slices.Clone(sp.Train), sp.Val...)
	allRows := f.rowsOf(all)
	var members2 []*nn.MLP
	for k, fit := range fits {
		msg := fmt.Sprintf("refitting MLP member %d of %d on training and validation rows", k+1, len(fits))
		m := members[k]
		if fit.epochs > 0 {
			var err error
			if m, _, err = trainMember(ctx, allRows, rows{}, f.rec.Net, f.task, f.in.Seed*1000+uint64(k), fit.epochs, f.report(msg)); err != nil {
				return nil, err
			}
		}
		members2 = append(members2, m)
		f.slot++
	}
	var graphs2 []*mpnn.Model
	if len(graphs) > 0 {
		allG, allY := f.graphsOf(all)
		for k, g := range graphs {
			msg := fmt.Sprintf("refitting message-passing member %d of %d on training and validation rows", k+1, len(graphs))
			c := g.Config()
			c.Stop = g.Info().BestEpoch
			g2, err := mpnn.Train(ctx, c, allG, nil, allY, nil, f.report(msg))
			if err != nil {
				return nil, err
			}
			graphs2 = append(graphs2, g2)
			f.slot++
		}
	}
	rec2 := model.rec
	rec2.Refit = true
	rec2.TrainSMILES = slices.Clip(rec2.TrainSMILES)
	for _, i := range sp.Val {
		rec2.TrainSMILES = append(rec2.TrainSMILES, smiles[i])
	}
	before := model.rec.Metrics
	model, err := newModel(rec2, members2, graphs2)
	if err != nil {
		return nil, err
	}
	model.evaluate(f.feats, f.ys, sp, false)
	// The early-stopped ensemble's test scores, beside the refit's.
	for _, k := range []string{"rmse", "rocAuc", "rmseMLP", "rmseGraph"} {
		if v, ok := before[k]; ok {
			model.rec.Metrics[k+"BeforeRefit"] = v
		}
	}
	return model, nil
}
