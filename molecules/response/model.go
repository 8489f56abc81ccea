package response

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/rl/nn/kernels"
	"github.com/rxlab/rxlab/store"
)

// Interval and domain constants (see the package documentation).
const (
	// IntervalZ is the normal quantile of the central 95 % interval.
	IntervalZ = 1.96
	// DomainPercentile is the percentile of the validation molecules'
	// nearest-training similarity used as the inDomain threshold.
	DomainPercentile = 10
)

// ModelInfo is a trained model's public description.
type ModelInfo struct {
	ID      string `json:"id"`
	Dataset string `json:"dataset"`
	// Target is the predicted column ("all" for a multi-task Tox21 model).
	Target string `json:"target"`
	// Tasks lists the output columns in output order.
	Tasks []string `json:"tasks"`
	// Task is Regression or Classification.
	Task     string `json:"task"`
	Unit     string `json:"unit,omitempty"`
	Split    string `json:"split"`
	Seed     uint64 `json:"seed"`
	Ensemble int    `json:"ensemble"`
	// Arch is the member architecture: ArchMLP (also when empty: records
	// from before graph members), ArchMPNN, or ArchHybrid (Ensemble members
	// of each, averaged together).
	Arch string `json:"arch,omitempty"`
	// Metrics are the ensemble's held-out test metrics; Baseline the naive
	// predictor's on the same rows (mean of the training targets; per-drug
	// training mean for GDSC).
	Metrics  Metrics `json:"metrics"`
	Baseline Metrics `json:"baseline"`
	// Validation are the ensemble's metrics on the validation split.
	Validation   Metrics   `json:"validation"`
	TrainedAt    time.Time `json:"trainedAt"`
	TrainSeconds float64   `json:"trainSeconds"`
	// DatasetHash is the SHA-256 of the training file(s).
	DatasetHash string `json:"datasetHash"`
	// InDomainThreshold is the nearest-training Tanimoto below which a
	// molecule is flagged out of domain.
	InDomainThreshold float64 `json:"inDomainThreshold"`
	// IntervalScale is the calibration factor k of mean ± 1.96·k·sd.
	IntervalScale float64   `json:"intervalScale"`
	Net           netConfig `json:"net"`
	// Bits is the fold width of the count fingerprint; Vocabulary the
	// folded bits (set in ≥ 2 training molecules) that are input columns.
	Bits       int     `json:"bits"`
	Vocabulary []int32 `json:"vocabulary"`
	// History is the training curve per member architecture and epoch
	// (history.go); empty for records from before it.
	History []EpochLoss `json:"history,omitempty"`
	// CrossValidation holds the k-fold scores when TrainInput.Folds asked
	// for them (crossval.go).
	CrossValidation *CrossValidation `json:"crossValidation,omitempty"`
}

// modelRecord is what mdl/m/<id> holds.
type modelRecord struct {
	ModelInfo
	Desc  scaler    `json:"desc"`
	YMean []float64 `json:"yMean"`
	YSD   []float64 `json:"ySD"`
	Rows  Split     `json:"rows"`
	// TrainSMILES are the training molecules (for the similarity index).
	TrainSMILES []string `json:"trainSMILES"`
	// GDSC models: cell-line feature names (binary) in input order.
	CellFeatures []string `json:"cellFeatures,omitempty"`
	// DrugMeans maps a training drug's canonical SMILES to its standardised
	// training mean ln IC50 (GDSC models).
	DrugMeans map[string]float64 `json:"drugMeans,omitempty"`
	// TissueOffsets maps a training drug's canonical SMILES and a tissue
	// (a "tissue:" cell feature without its prefix) to the shrunk mean
	// standardised residual of that drug's training cell lines of that
	// tissue from the drug's mean (gdscTissueShrink). GDSC models add it
	// to the drug's mean, so the network learns the residual from the
	// drug-by-tissue mean; absent (older records, unseen drugs): 0.
	TissueOffsets map[string]map[string]float64 `json:"tissueOffsets,omitempty"`
	// GenomicWeights maps a training drug's canonical SMILES to its ridge
	// weights over the cell-feature columns GenomicCols (gdsc_genomic.go):
	// the drug's linear effect (standardised) of the mutation and
	// copy-number features on the residual from its drug-by-tissue mean.
	// GDSC models add it with the offsets; absent (older records): 0.
	GenomicWeights map[string][]float64 `json:"genomicWeights,omitempty"`
	GenomicCols    []int                `json:"genomicCols,omitempty"`
	// DrugResidSD maps a training drug's canonical SMILES to the spread
	// (ln IC50, root mean square) of its training pairs' residuals from
	// the trained model. A GDSC model's sd adds it to the members'
	// disagreement: √(sd² + spread²). Absent (older records, new
	// molecules): the disagreement alone.
	DrugResidSD map[string]float64 `json:"drugResidSD,omitempty"`
	// ResidSD is a GDSC model's spread (ln IC50) for a molecule without a
	// DrugResidSD of its own (unseen-drug models, new molecules): the root
	// mean square of all training pairs' residuals from the trained model
	// combined with that of the training drugs' standardised means around
	// the global mean (√(a² + b²)), since the molecule's own mean is not
	// known. Absent (older records): the disagreement alone.
	ResidSD float64 `json:"residSD,omitempty"`
	// Monitor is the training distribution that monitoring compares
	// served predictions and inputs with (monitor.go); nil for GDSC
	// models and records from before it.
	Monitor *monitorRef `json:"monitor,omitempty"`
	// CellSensWeights (unseen-drug GDSC models) are ridge weights over the
	// cell-feature columns CellSensCols (tissue, mutations, copy number):
	// a cell's general sensitivity, its standardised residual from the
	// drugs' means, estimated from its features. The model adds it for a
	// patient, whose cell-line mean is unknown (gdsc_cells.go); absent: 0.
	CellSensWeights []float64 `json:"cellSensWeights,omitempty"`
	CellSensCols    []int     `json:"cellSensCols,omitempty"`
	// DescSet says which descriptor blocks the model reads (DescBasic,
	// DescCrippen, DescPhyschem); older records have none (DescBasic).
	DescSet int `json:"descSet,omitempty"`
	// Graph configures the message-passing members (ArchMPNN, ArchHybrid).
	Graph *mpnn.Config `json:"graph,omitempty"`
	// MLPWeight is a hybrid's weight of the MLP half (the message-passing
	// half gets 1 − MLPWeight); nil (every model trained now) weights
	// every member alike (blend.go).
	MLPWeight *float64 `json:"mlpWeight,omitempty"`
	// Refit says the members were retrained on the training and
	// validation rows after the early-stopped ensemble calibrated the
	// record on the validation rows (the recipe's refit, split "full");
	// TrainSMILES then
	// lists both parts.
	Refit bool `json:"refit,omitempty"`
}

// Member architectures.
const (
	// ArchMLP members are MLPs over fingerprint counts and descriptors.
	ArchMLP = "mlp"
	// ArchMPNN members are directed message-passing networks over the
	// molecular graph (package mpnn) with the descriptors after the readout.
	ArchMPNN = "mpnn"
	// ArchHybrid averages Ensemble MLP and Ensemble MPNN members, the two
	// halves weighted by the model's MLPWeight (blend.go).
	ArchHybrid = "mlp+mpnn"
)

// hasMLP and hasGraph say which member kinds an architecture has.
func hasMLP(arch string) bool   { return arch == "" || arch == ArchMLP || arch == ArchHybrid }
func hasGraph(arch string) bool { return arch == ArchMPNN || arch == ArchHybrid }

// Model is a loaded, ready-to-predict ensemble. It is safe for concurrent use.
type Model struct {
	rec     modelRecord
	members []*nn.MLP
	graphs  []*mpnn.Model // message-passing members (may be empty)
	eng     *engine       // MLP inference; without MLP members only its dense width is set
	index   *nearest
	parser  *molecules.Parser
	pool    enginePool
	// gdsc-only: index of a gene feature name.
	cellIdx map[string]int
	// gdsc-only: the tissue feature columns and their tissue names.
	tissueCols  []int
	tissueNames []string
	colOf       []int32
}

// Info returns the model's description.
func (m *Model) Info() ModelInfo { return m.rec.ModelInfo }

// parserConfig is the SMILES parser a model predicts with. Fingerprint
// and descriptor features never read stereo, so MLP-only property models
// skip its perception (a third of parsing on stereo-rich sets);
// message-passing members read chirality and bond stereo, and GDSC models
// look drugs up by their (stereo) canonical SMILES, so those parse fully.
func parserConfig(rec modelRecord, graphs bool) molecules.ParserConfig {
	return molecules.ParserConfig{SkipStereo: !graphs && rec.Dataset != GDSCName}
}

func newModel(rec modelRecord, members []*nn.MLP, graphs []*mpnn.Model) (*Model, error) {
	if len(members) == 0 && len(graphs) == 0 {
		return nil, fmt.Errorf("response: an ensemble needs at least one member: %w", store.ErrInvalid)
	}
	if rec.Graph != nil && rec.Graph.AtomExtras != 0 {
		return nil, fmt.Errorf("response: model %s reads per-atom descriptors, an experiment that is no longer served: %w", rec.ID, store.ErrInvalid)
	}
	var eng *engine
	if len(members) > 0 {
		var err error
		if eng, err = newEngine(members, len(rec.Vocabulary)); err != nil {
			return nil, err
		}
	} else {
		eng = &engine{dense: len(rec.Desc.Mean)}
	}
	p, err := molecules.NewParser(parserConfig(rec, len(graphs) > 0))
	if err != nil {
		return nil, err
	}
	m := &Model{rec: rec, members: members, graphs: graphs, eng: eng, parser: p}
	m.pool = newEnginePool(m.eng)
	m.colOf = colMap(rec.Vocabulary, rec.Bits)
	m.index = &nearest{}
	for _, s := range rec.TrainSMILES {
		mol, err := p.Parse(s)
		if err != nil {
			continue
		}
		m.index.add(molecules.Morgan(mol, FPRadius, PropertyBits))
	}
	m.index.build()
	if len(rec.CellFeatures) > 0 {
		m.cellIdx = make(map[string]int, len(rec.CellFeatures))
		for i, f := range rec.CellFeatures {
			m.cellIdx[f] = i
			if t, ok := strings.CutPrefix(f, tissuePrefix); ok {
				m.tissueCols, m.tissueNames = append(m.tissueCols, i), append(m.tissueNames, t)
			}
		}
	}
	return m, nil
}

// Prediction is one molecule's prediction, as the API's Prediction type.
type Prediction struct {
	SMILES string `json:"smiles"`
	// Value is the ensemble mean (classification: probability of class 1).
	Value *float64 `json:"value"`
	// Values holds every task's value for multi-task models.
	Values []float64 `json:"values,omitempty"`
	// Low and High bound the central interval mean ± 1.96·k·sd.
	Low                       *float64  `json:"low"`
	High                      *float64  `json:"high"`
	NearestTrainingSimilarity *float64  `json:"nearestTrainingSimilarity"`
	InDomain                  *bool     `json:"inDomain"`
	AtomContributions         []float64 `json:"atomContributions"`
	// Error says why this item could not be predicted (bad SMILES); the
	// other fields are then nil.
	Error string `json:"error,omitempty"`
}

// PredictOptions tunes Predict.
type PredictOptions struct {
	// NoAttributions skips atomContributions (they cost one forward pass
	// per fingerprint bit).
	NoAttributions bool
	// mon, when set, counts the predictions for monitoring.
	mon *monBatch
}

// Predict parses and predicts every SMILES; bad SMILES get an Error and
// the rest are still predicted. The batch is spread over GOMAXPROCS workers.
func (m *Model) Predict(ctx context.Context, smiles []string, opt PredictOptions) ([]Prediction, error) {
	if m.rec.Dataset == GDSCName {
		return nil, fmt.Errorf("response: model %s needs a cell line or patient; use PredictPatients: %w", m.rec.ID, store.ErrInvalid)
	}
	out := make([]Prediction, len(smiles))
	const chunk = 64
	workers := min(runtime.GOMAXPROCS(0), (len(smiles)+chunk-1)/chunk)
	if workers <= 1 {
		m.predictRange(smiles, out, 0, len(smiles), opt)
		return out, ctx.Err()
	}
	var next sync.Mutex
	pos := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				next.Lock()
				s := pos
				pos += chunk
				next.Unlock()
				if s >= len(smiles) {
					return
				}
				m.predictRange(smiles, out, s, min(s+chunk, len(smiles)), opt)
			}
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

// predictRange predicts smiles[s:e] into out[s:e] with one pooled engine.
func (m *Model) predictRange(smiles []string, out []Prediction, s, e int, opt PredictOptions) {
	eng := m.pool.get()
	defer m.pool.put(eng)
	eng.feats.reset()
	var feats []molFeat
	var pos []int
	for i := s; i < e; i++ {
		out[i].SMILES = smiles[i]
		// The molecule is only read while it is featurised (the features
		// copy what they keep), so one per engine is rewritten each time.
		mol, err := m.parser.ParseInto(eng.mol, smiles[i])
		if err != nil {
			out[i].Error = err.Error()
			continue
		}
		eng.mol = mol
		if mol.NumAtoms() == 0 {
			out[i].Error = "empty molecule"
			continue
		}
		f := featurizeIn(&eng.feats, mol, m.rec.Bits, m.colOf, !opt.NoAttributions, m.rec.DescSet)
		if len(m.graphs) > 0 {
			g := mpnn.GraphOf(mol, nil)
			f.graph = &g
		}
		feats = append(feats, f)
		pos = append(pos, i)
	}
	if len(feats) == 0 {
		return
	}
	mean, sd := m.ensemble(eng, feats)
	T := len(m.rec.Tasks)
	var mon *monitorDay
	if opt.mon != nil {
		mon = opt.mon.local()
		defer opt.mon.merge(mon)
	}
	// The answers' scalars, one allocation for the batch.
	vals := make([]struct {
		mu, lo, hi, sim float64
		in              bool
	}, len(pos))
	for k, i := range pos {
		p := &out[i]
		v := &vals[k]
		mu, s := mean[k*T], sd[k*T]
		if math.IsNaN(mu) {
			// A member failed on a graph this model built itself (a bug,
			// not input): report it on the item instead of a NaN value.
			p.Error = "internal error: a member could not predict this molecule"
			continue
		}
		lo, hi := mu-IntervalZ*m.rec.IntervalScale*s, mu+IntervalZ*m.rec.IntervalScale*s
		if m.rec.Task == Classification {
			lo, hi = max(lo, 0), min(hi, 1)
		}
		v.mu, v.lo, v.hi = mu, lo, hi
		p.Value, p.Low, p.High = &v.mu, &v.lo, &v.hi
		if T > 1 {
			p.Values = slices.Clone(mean[k*T : (k+1)*T])
		}
		v.sim, eng.sims = m.index.max(feats[k].fp, eng.sims)
		v.in = v.sim >= m.rec.InDomainThreshold
		p.NearestTrainingSimilarity, p.InDomain = &v.sim, &v.in
		if opt.mon != nil {
			opt.mon.observe(mon, feats[k].desc, mu, v.in)
		}
		if !opt.NoAttributions {
			p.AtomContributions = m.attribute(eng, &feats[k], nil)
		}
	}
}

// inputs builds the sparse counts and the standardised dense block of feats.
func (m *Model) inputs(feats []molFeat, cell func(r int, dst []float32)) ([][]countFeat, []float32) {
	D := m.eng.dense
	counts := make([][]countFeat, len(feats))
	dense := make([]float32, len(feats)*D)
	nd := len(m.rec.Desc.Mean)
	for r := range feats {
		counts[r] = feats[r].counts
		m.rec.Desc.apply(feats[r].desc, dense[r*D:r*D+nd])
		if cell != nil {
			cell(r, dense[r*D+nd:(r+1)*D])
		}
	}
	return counts, dense
}

// ensemble returns the per-row, per-task ensemble mean and sd in target
// units over every member, MLP and message-passing alike, the two halves of
// a hybrid weighted by its MLP weight.
func (m *Model) ensemble(eng *engine, feats []molFeat) (mean, sd []float64) {
	return m.halfSums(eng, feats).combine(m.mlpWeight())
}

// ensembleInputs runs the MLP members on prepared inputs; offset (per row,
// in standardised output units, may be nil) is added to the raw outputs
// before they are mapped to target units.
func (m *Model) ensembleInputs(eng *engine, counts [][]countFeat, dense []float32, offset []float64) (mean, sd []float64) {
	B, T := len(counts), len(m.rec.Tasks)
	sum, sq := make([]float64, B*T), make([]float64, B*T)
	m.mlpAccumulate(eng, counts, dense, offset, sum, sq)
	return finishEnsemble(sum, sq, len(m.members))
}

// mlpAccumulate adds every MLP member's predictions (target units) and
// their squares to sum and sq.
func (m *Model) mlpAccumulate(eng *engine, counts [][]countFeat, dense []float32, offset []float64, sum, sq []float64) {
	if len(m.members) == 0 {
		return
	}
	B, T := len(counts), len(m.rec.Tasks)
	hcat := eng.firstLayer(counts, dense)
	o := make([]float32, B*T)
	for k := range eng.tails {
		h := eng.member(hcat, B, k)
		kernels.ReLU(h)
		_ = eng.tails[k].Forward(h, B, o)
		for i, v := range o {
			raw := float64(v)
			if offset != nil {
				raw += offset[i/T]
			}
			y := m.toTarget(i%T, raw)
			sum[i] += y
			sq[i] += y * y
		}
	}
}

// graphAccumulate adds every message-passing member's predictions and their
// squares to sum and sq. The members read the standardised descriptor block
// of dense (row width m.eng.dense), or its first graphExtras columns, after
// their readout.
func (m *Model) graphAccumulate(feats []molFeat, dense []float32, sum, sq []float64) {
	if len(m.graphs) == 0 {
		return
	}
	B, T, D := len(feats), len(m.rec.Tasks), m.eng.dense
	gs := make([]mpnn.Graph, B)
	out := make([][]float64, B)
	for r := range feats {
		gs[r] = *feats[r].graph
		gs[r].Extra = dense[r*D : r*D+m.graphExtras()]
		out[r] = make([]float64, T)
	}
	for _, g := range m.graphs {
		if err := g.Predict(gs, out); err != nil {
			// The graphs were built by GraphOf for this model's width: an
			// error here is a bug, not input; the NaN values become
			// per-item errors in Predict and drop out of metrics.
			for i := range sum {
				sum[i], sq[i] = math.NaN(), math.NaN()
			}
			return
		}
		for r := range out {
			for t, y := range out[r] {
				sum[r*T+t] += y
				sq[r*T+t] += y * y
			}
		}
	}
}

// finishEnsemble turns sums over n members into mean and sd (in place).
func finishEnsemble(sum, sq []float64, n int) (mean, sd []float64) {
	nf := float64(n)
	mean, sd = sum, sq
	for i := range sum {
		mu := sum[i] / nf
		v := sq[i]/nf - mu*mu
		mean[i] = mu
		sd[i] = math.Sqrt(max(v, 0))
	}
	return mean, sd
}

// toTarget maps raw output j to target units (probability for classification).
func (m *Model) toTarget(j int, v float64) float64 {
	if m.rec.Task == Classification {
		return sigmoid(v)
	}
	return v*m.rec.YSD[j] + m.rec.YMean[j]
}

// attribute computes occlusion attributions of the first task, averaged
// over all members with the weights of the mean (a hybrid's MLP half
// weighted by its MLP weight). An MLP member's share: per fingerprint bit, its
// prediction with the bit minus without it, split equally among the atoms of
// the bit's environments. A message-passing member's: per atom, its
// prediction minus the prediction with the atom removed from the graph.
// cellBlock (GDSC) is the cell-line block.
func (m *Model) attribute(eng *engine, f *molFeat, cellBlock []float32) []float64 {
	atoms := make([]float64, f.atoms)
	graphAtoms := make([]float64, f.atoms)
	failed := 0
	counts, dense := m.inputs([]molFeat{*f}, func(_ int, dst []float32) { copy(dst, cellBlock) })
	if K := len(f.counts); len(m.members) > 0 && K > 0 && f.envAtoms != nil {
		H, T := eng.hidden, len(m.rec.Tasks)
		hs := make([]float32, (K+1)*H)
		o := make([]float32, (K+1)*T)
		delta := make([]float64, K)
		hcat := eng.firstLayer(counts, dense)
		for k := range eng.tails {
			base := hcat[k*H : (k+1)*H]
			copy(hs[:H], base)
			for b, c := range f.counts {
				row := hs[(b+1)*H : (b+2)*H]
				wr := eng.w0Row(k, int(c.Bit))
				for j := range row {
					row[j] = base[j] - c.Count*wr[j]
				}
			}
			kernels.ReLU(hs)
			_ = eng.tails[k].Forward(hs, K+1, o)
			y0 := m.toTarget(0, float64(o[0]))
			for b := 0; b < K; b++ {
				delta[b] += y0 - m.toTarget(0, float64(o[(b+1)*T]))
			}
		}
		for b := 0; b < K; b++ {
			env := f.envAtoms[b]
			for _, a := range env {
				atoms[a] += delta[b] / float64(len(env))
			}
		}
	}
	if len(m.graphs) > 0 && f.graph != nil {
		g := *f.graph
		g.Extra = dense[:m.graphExtras()]
		T := len(m.rec.Tasks)
		for _, gm := range m.graphs {
			c, err := gm.AtomContributions(g)
			if err != nil {
				// A bug, not input (the graph is this model's own): leave
				// the member out of the average rather than count it as 0.
				failed++
				continue
			}
			for a := range graphAtoms {
				if a*T < len(c) {
					graphAtoms[a] += c[a*T]
				}
			}
		}
	}
	// Each half is its members' mean; the halves are weighted as in the
	// prediction (a half whose members all failed drops out).
	nM, nG := len(m.members), len(m.graphs)-failed
	w := blendWeight(m.rec.MLPWeight, nM, nG)
	if nM == 0 && nG == 0 {
		return atoms
	}
	for a := range atoms {
		var v float64
		if nM > 0 {
			v += w * atoms[a] / float64(nM)
		}
		if nG > 0 {
			v += (1 - w) * graphAtoms[a] / float64(nG)
		}
		atoms[a] = v
	}
	return atoms
}

// percentile returns the p-th percentile (0..100) of v by linear interpolation.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	x := p / 100 * float64(len(s)-1)
	i := int(x)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (x-float64(i))*(s[i+1]-s[i])
}
