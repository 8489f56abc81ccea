package response

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/rl/nn"
)

// A GDSC model trains in the stages of a property model, on drug–cell
// pairs: load (and subsample) the pairs, split them, featurize the drugs,
// set up the record (vocabulary, scaling), derive each pair's offset (the
// drug's training mean, its drug-by-tissue offset and genomic effect, or
// for unseen drugs the cell line's offset), fit the members on the
// residuals, then calibrate the intervals with the drugs' residual spreads
// and score the held-out pairs (evaluateGDSC).

// gdscRun is one GDSC training's state, shared by its stages.
type gdscRun struct {
	in    TrainInput
	g     *GDSC
	sp    Split
	rec   modelRecord
	feats []molFeat // per drug, remapped onto the vocabulary
	canon []string  // per drug: canonical SMILES
	// screenKey is each drug's screen (its GDSC drug id): GDSC screened 15
	// compounds under two drug ids each, and the two screens' values
	// differ (other concentration ranges), so training and evaluation take
	// each pair's own id's mean, while the record keeps the structure's
	// pooled mean for a molecule asked by SMILES.
	screenKey   []string
	screenMeans map[string]float64
	drugExtra   [][2]float32
	// rowOff[i] is pair i's offset (standardised, by its screen) that the
	// network's target is taken from; training pairs get it without their
	// own cell line (leave one out). rowGen[i] is its drug's genomic
	// effect; canonOff is rowOff by structure (the record's offsets).
	rowOff, rowGen, canonOff []float64
}

func trainGDSC(ctx context.Context, in TrainInput, opt options, progress func(float64, string)) (*Model, error) {
	start := time.Now()
	progress(0, "loading GDSC")
	g, err := loadGDSCPairs(in)
	if err != nil {
		return nil, err
	}
	r := &gdscRun{in: in, g: g, sp: splitGDSC(in, opt, g)}
	if err := r.featurizeDrugs(); err != nil {
		return nil, err
	}
	r.newRecord(opt)
	r.drugMeans()
	if useDrugMeans(in.Split) && useTissueOffsets(in.Split) {
		if err := r.tissueAndGenomicOffsets(); err != nil {
			return nil, err
		}
	}
	if useCellOffsets(in.Split) {
		if err := r.cellLineOffsets(); err != nil {
			return nil, err
		}
	}
	members, err := r.fitMembers(ctx, progress)
	if err != nil {
		return nil, err
	}
	progress(0.96, "evaluating")
	model, err := newModel(r.rec, members, nil)
	if err != nil {
		return nil, err
	}
	rowNoise := r.residualSpreads(model)
	model.evaluateGDSC(g, r.feats, r.sp, r.drugExtra, r.rowOff, r.rowGen, rowNoise)
	model.rec.TrainedAt = time.Now().UTC()
	model.rec.TrainSeconds = time.Since(start).Seconds()
	return model, nil
}

// loadGDSCPairs loads GDSC and keeps a seeded MaxRows of its pairs.
func loadGDSCPairs(in TrainInput) (*GDSC, error) {
	g, err := LoadGDSC()
	if err != nil {
		return nil, err
	}
	if in.MaxRows > 0 && in.MaxRows < len(g.LnIC50) {
		keep := newRand(in.Seed, 5).Perm(len(g.LnIC50))[:in.MaxRows]
		slices.Sort(keep)
		var d2, c2 []int
		var y2 []float64
		for _, i := range keep {
			d2, c2, y2 = append(d2, g.PairDrug[i]), append(c2, g.PairCell[i]), append(y2, g.LnIC50[i])
		}
		g.PairDrug, g.PairCell, g.LnIC50 = d2, c2, y2
	}
	return g, nil
}

// splitGDSC splits the pairs: random pairs, unseen cell lines or unseen
// drugs (nested one level in with the option).
func splitGDSC(in TrainInput, opt options, g *GDSC) Split {
	var sp Split
	switch in.Split {
	case SplitRandom:
		sp = RandomSplit(len(g.LnIC50), in.Seed)
	case SplitCell:
		sp = splitByGroupIDs(g.PairCell, in.Seed)
	default:
		sp = splitByGroupIDs(g.PairDrug, in.Seed)
	}
	if opt.nested {
		switch in.Split {
		case SplitCell:
			sp = nestGroupSplit(sp, g.PairCell, in.Seed)
		case SplitDrug:
			sp = nestGroupSplit(sp, g.PairDrug, in.Seed)
		default:
			sp = nestSplit(sp, in.Seed)
		}
	}
	return sp
}

// featurizeDrugs parses every drug into raw features and its canonical SMILES.
func (r *gdscRun) featurizeDrugs() error {
	g := r.g
	p, err := molecules.NewParser(molecules.ParserConfig{})
	if err != nil {
		return err
	}
	r.feats, r.canon = make([]molFeat, len(g.DrugIDs)), make([]string, len(g.DrugIDs))
	r.screenKey = make([]string, len(g.DrugIDs))
	for d, s := range g.DrugSMILES {
		mol, err := p.Parse(s)
		if err != nil {
			return fmt.Errorf("response: GDSC drug %d: %w", g.DrugIDs[d], err)
		}
		r.feats[d] = featurize(mol, GDSCDrugBits, nil, false, DescBasic)
		r.canon[d] = mol.CanonicalSMILES()
		r.screenKey[d] = strconv.Itoa(g.DrugIDs[d])
	}
	return nil
}

// newRecord sets up the record from the training pairs' drugs: the
// vocabulary, the descriptor scaling and the target standardisation; the
// drugs' features are remapped onto the vocabulary.
func (r *gdscRun) newRecord(opt options) {
	in, g, sp := r.in, r.g, r.sp
	trainDrugs := map[int]bool{}
	for _, i := range sp.Train {
		trainDrugs[g.PairDrug[i]] = true
	}
	var drugIdx []int
	for d := range r.feats {
		if trainDrugs[d] {
			drugIdx = append(drugIdx, d)
		}
	}
	rec := modelRecord{ModelInfo: ModelInfo{
		ID: modelID(in, opt), Dataset: GDSCName, Target: in.Target, Tasks: []string{in.Target}, Task: Regression,
		Unit: "ln(IC50/µM)", Split: in.Split, Seed: in.Seed, Ensemble: in.Ensemble, DatasetHash: g.Hash,
		Bits: GDSCDrugBits, Net: gdscNet(in.Split),
	}, Rows: sp, CellFeatures: g.Features}
	if opt.net != nil {
		rec.Net = *opt.net
	}
	if in.Epochs > 0 {
		rec.Net.Epochs = in.Epochs
	}
	var colOf []int32
	rec.Vocabulary, colOf = vocabulary(r.feats, drugIdx, GDSCDrugBits, 1)
	descRows := make([][]float64, 0, len(drugIdx))
	for _, d := range drugIdx {
		descRows = append(descRows, r.feats[d].desc)
		rec.TrainSMILES = append(rec.TrainSMILES, g.DrugSMILES[d])
	}
	for d := range r.feats {
		r.feats[d] = remap(r.feats[d], colOf)
	}
	rec.Desc = fitScaler(descRows)
	var ys [][]float64
	for _, i := range sp.Train {
		ys = append(ys, []float64{g.LnIC50[i]})
	}
	ysc := fitScaler(ys)
	rec.YMean, rec.YSD = ysc.Mean, ysc.SD
	r.rec = rec
	n := len(g.LnIC50)
	r.rowOff, r.rowGen, r.canonOff = make([]float64, n), make([]float64, n), make([]float64, n)
}

// std is pair i's standardised ln IC50.
func (r *gdscRun) std(i int) float64 { return (r.g.LnIC50[i] - r.rec.YMean[0]) / r.rec.YSD[0] }

// meansBy is the training pairs' standardised mean by drug key.
func (r *gdscRun) meansBy(key []string) map[string]float64 {
	sum, cnt := map[string]float64{}, map[string]float64{}
	for _, i := range r.sp.Train {
		k := key[r.g.PairDrug[i]]
		sum[k] += r.std(i)
		cnt[k]++
	}
	for k := range sum {
		sum[k] /= cnt[k]
	}
	return sum
}

// drugMeans computes each screen's training mean and, where the split
// gives drugs their means, the drug-identity inputs and the record's
// means by structure.
func (r *gdscRun) drugMeans() {
	r.screenMeans = r.meansBy(r.screenKey)
	r.drugExtra = make([][2]float32, len(r.feats))
	if !useDrugMeans(r.in.Split) {
		return
	}
	r.rec.DrugMeans = r.meansBy(r.canon)
	for d := range r.feats {
		if v, ok := r.screenMeans[r.screenKey[d]]; ok {
			r.drugExtra[d] = [2]float32{float32(v), 1}
		}
	}
}

// tissueAndGenomicOffsets (seen drugs) gives every pair its drug-by-tissue
// offset, then per-drug genomic weights on the residuals from the
// drug-by-tissue means (the training pairs' leave-one-out ones), by screen
// for training and the metrics and by structure for the record; every
// pair's offset then includes its drug's genomic effect (in-sample for
// training pairs).
func (r *gdscRun) tissueAndGenomicOffsets() error {
	g, sp, rec := r.g, r.sp, &r.rec
	rec.TissueOffsets = tissueOffsets(g, sp.Train, r.canon, rec.DrugMeans, rec.YMean[0], rec.YSD[0], r.canonOff)
	byScreen := tissueOffsets(g, sp.Train, r.screenKey, r.screenMeans, rec.YMean[0], rec.YSD[0], r.rowOff)
	tissueOf := cellTissues(g)
	for _, i := range slices.Concat(sp.Val, sp.Test) {
		r.rowOff[i] = byScreen[r.screenKey[g.PairDrug[i]]][tissueOf[g.PairCell[i]]]
	}
	cols := genomicColumns(g, sp.Train)
	screenW, err := genomicWeights(g, sp.Train, r.screenKey, cols, gdscGenomicRidge, func(i int) float64 {
		return r.std(i) - r.screenMeans[r.screenKey[g.PairDrug[i]]] - r.rowOff[i]
	})
	if err != nil {
		return err
	}
	if rec.GenomicWeights, err = genomicWeights(g, sp.Train, r.canon, cols, gdscGenomicRidge, func(i int) float64 {
		return r.std(i) - rec.DrugMeans[r.canon[g.PairDrug[i]]] - r.canonOff[i]
	}); err != nil {
		return err
	}
	rec.GenomicCols = cols
	for i := range r.rowGen {
		r.rowGen[i] = genomicEffect(screenW[r.screenKey[g.PairDrug[i]]], cols, g.CellFeatures[g.PairCell[i]])
	}
	return nil
}

// cellLineOffsets (unseen drugs): every pair starts from its cell line's
// offset (training pairs leave themselves out), and the record keeps the
// features' estimate of it for patients (gdsc_cells.go).
func (r *gdscRun) cellLineOffsets() error {
	g, sp := r.g, r.sp
	resid := func(i int) float64 { return r.std(i) - r.screenMeans[r.screenKey[g.PairDrug[i]]] }
	offs := cellOffsets(g, sp.Train, resid, r.rowOff)
	for _, i := range slices.Concat(sp.Val, sp.Test) {
		r.rowOff[i] = offs[g.PairCell[i]]
	}
	cols := cellSensColumns(g, sp.Train)
	w, err := genomicWeights(g, sp.Train, make([]string, len(r.feats)), cols, gdscGenomicRidge, resid)
	if err != nil {
		return err
	}
	r.rec.CellSensWeights, r.rec.CellSensCols = w[""], cols
	return nil
}

// rowsOf is the trainer's view of pairs idx. The network learns the
// residual from the drug's training mean plus its drug-by-tissue offset
// and genomic effect when the drug-identity inputs are present; without
// them (dropout: unseen drugs, whose identity inputs are zero) the
// residual from the cell line's offset.
func (r *gdscRun) rowsOf(idx []int, dropout bool) rows {
	g, rec, feats := r.g, &r.rec, r.feats
	nv, nd := len(rec.Vocabulary), NumDescriptors+drugExtraWidth
	return rows{n: len(idx), width: nv + nd + len(g.Features), out: 1,
		fill: func(k int, dst []float32) {
			clear(dst[:nv])
			i := idx[k]
			f := &feats[g.PairDrug[i]]
			for _, c := range f.counts {
				dst[c.Bit] = c.Count
			}
			rec.Desc.apply(f.desc, dst[nv:nv+NumDescriptors])
			ex := r.drugExtra[g.PairDrug[i]]
			if dropout {
				ex = [2]float32{}
			}
			dst[nv+NumDescriptors], dst[nv+NumDescriptors+1] = ex[0], ex[1]
			copy(dst[nv+nd:], g.CellFeatures[g.PairCell[i]])
		},
		y: func(k int, dst []float64) {
			i := idx[k]
			dst[0] = r.std(i) - r.rowOff[i] - r.rowGen[i]
			if !dropout {
				dst[0] -= float64(r.drugExtra[g.PairDrug[i]][0])
			}
		}}
}

// fitMembers trains the members; early stopping watches at most 20,000
// validation pairs (a seeded subset).
func (r *gdscRun) fitMembers(ctx context.Context, progress func(float64, string)) ([]*nn.MLP, error) {
	in := r.in
	val := r.sp.Val
	if len(val) > 20000 {
		val = slices.Clone(val)
		rng := newRand(in.Seed, 4)
		rng.Shuffle(len(val), func(i, j int) { val[i], val[j] = val[j], val[i] })
		val = val[:20000]
	}
	unseen := !useDrugMeans(in.Split)
	trRows, vaRows := r.rowsOf(r.sp.Train, unseen), r.rowsOf(val, unseen)
	members := make([]*nn.MLP, in.Ensemble)
	hist := make([][]epochLoss, in.Ensemble)
	for k := range members {
		msg := fmt.Sprintf("training member %d of %d", k+1, in.Ensemble)
		m, fit, err := trainMember(ctx, trRows, vaRows, r.rec.Net, Regression, in.Seed*1000+uint64(k), 0, func(f float64) {
			progress((float64(k)+f)/float64(in.Ensemble)*0.95, msg)
		})
		if err != nil {
			return nil, err
		}
		members[k], hist[k] = m, fit.history
	}
	r.rec.History = historyOf(ArchMLP, hist)
	return members, nil
}

// residualSpreads records the drugs' residual spreads around the trained
// model on the training pairs, which the intervals add to the members'
// disagreement: by screen for the metrics, by structure (pooled over its
// screens) for the record. Unseen drugs have no spread of their own: they
// take ResidSD, the spread of all training pairs' residuals combined with
// that of the training drugs' means (a molecule without a mean of its own
// is as uncertain about it as the means are spread). It returns each
// held-out pair's spread.
func (r *gdscRun) residualSpreads(model *Model) []float64 {
	g, sp, ySD := r.g, r.sp, r.rec.YSD[0]
	fit, _ := model.gdscPredict(g, r.feats, sp.Train, r.drugExtra, r.rowOff, r.rowGen, nil)
	resid := make([]float64, len(g.LnIC50))
	var sse float64
	for k, i := range sp.Train {
		resid[i] = (g.LnIC50[i] - fit[k]) / ySD
		sse += resid[i] * resid[i]
	}
	var between float64
	for _, mu := range r.screenMeans {
		between += mu * mu
	}
	between = math.Sqrt(between / float64(max(len(r.screenMeans), 1)))
	model.rec.ResidSD = math.Hypot(math.Sqrt(sse/float64(len(sp.Train))), between) * ySD
	res := func(i int) float64 { return resid[i] }
	var byScreen map[string]float64
	if useDrugMeans(r.in.Split) {
		model.rec.DrugResidSD = residualSpread(g, sp.Train, r.canon, res, ySD)
		byScreen = residualSpread(g, sp.Train, r.screenKey, res, ySD)
	}
	rowNoise := make([]float64, len(g.LnIC50))
	for _, i := range slices.Concat(sp.Val, sp.Test) {
		if v, ok := byScreen[r.screenKey[g.PairDrug[i]]]; ok {
			rowNoise[i] = v
		} else {
			rowNoise[i] = model.rec.ResidSD
		}
	}
	return rowNoise
}
