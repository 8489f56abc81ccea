package response

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/store"
)

// PatientPrediction is one patient's predicted response: ln IC50 (µM) of the
// drug against a cell line with the patient's tumour alterations; lower
// means more sensitive.
type PatientPrediction struct {
	PatientID string  `json:"patientId"`
	Value     float64 `json:"value"`
	Low       float64 `json:"low"`
	High      float64 `json:"high"`
	// Features is how many of the model's genomic features the patient has.
	Features int `json:"features"`
}

// PatientResponse summarises a cohort's predictions as the API's
// PatientResponse type.
type PatientResponse struct {
	Patients int     `json:"patients"`
	Mean     float64 `json:"mean"`
	// Quantiles are the 10th, 25th, 50th, 75th and 90th percentiles.
	Quantiles []float64 `json:"quantiles"`
	// Top are the most sensitive patients (lowest predicted ln IC50).
	Top []PatientPrediction `json:"top"`
	// MeanHalfWidth is the mean half-width of the patients' 95 %
	// intervals (ln IC50).
	MeanHalfWidth float64 `json:"meanHalfWidth"`
	// Drug says how the molecule relates to the model's training drugs.
	Drug DrugDomain `json:"drug"`
	// Distinguishable says some patient's 95 % interval lies wholly below
	// another's, so the ranking orders at least one pair; when false,
	// Warning says the ranking is noise (every interval overlaps every
	// other). Fewer than two patients: false with no warning.
	Distinguishable bool   `json:"distinguishable"`
	Warning         string `json:"warning,omitempty"`
}

// rankingCheck says whether predictions with these intervals can be told
// apart: some patient's interval must end (high) below where another's
// begins (low), that is min(high) < max(low).
func rankingCheck(preds []PatientPrediction) (bool, string) {
	if len(preds) < 2 {
		return false, ""
	}
	minHigh, maxLow := preds[0].High, preds[0].Low
	lo, hi, half := preds[0].Value, preds[0].Value, 0.0
	for _, p := range preds {
		minHigh, maxLow = min(minHigh, p.High), max(maxLow, p.Low)
		lo, hi = min(lo, p.Value), max(hi, p.Value)
		half += (p.High - p.Low) / 2
	}
	if minHigh < maxLow {
		return true, ""
	}
	return false, fmt.Sprintf("the ranking is noise: the %d predictions span %.2f–%.2f ln IC50, but every patient's 95 %% interval (mean half-width ±%.2f) overlaps every other's, so no patient is distinguishably more sensitive than another", len(preds), lo, hi, half/float64(len(preds)))
}

// RankingSpreadCheck is the ranking check for a released summary without
// per-patient intervals: the 10th–90th percentile spread of the values
// must exceed the mean interval width (2 × meanHalfWidth), the
// separation two typical patients' intervals need.
func RankingSpreadCheck(q10, q90, meanHalfWidth float64) (bool, string) {
	if q90-q10 > 2*meanHalfWidth {
		return true, ""
	}
	return false, fmt.Sprintf("the ranking is noise: the middle 80 %% of predictions spans %.2f–%.2f ln IC50, less than a 95 %% interval's width (mean half-width ±%.2f), so patients cannot be told apart", q10, q90, meanHalfWidth)
}

// DrugDomain says how a molecule relates to a GDSC model's training drugs.
type DrugDomain struct {
	// CanonicalSMILES is the molecule's canonical SMILES.
	CanonicalSMILES string `json:"canonicalSmiles"`
	// NearestTrainingSimilarity is its largest Tanimoto similarity (ECFP4,
	// 2048 bits) to a training drug.
	NearestTrainingSimilarity float64 `json:"nearestTrainingSimilarity"`
	// InDomain is NearestTrainingSimilarity ≥ the model's threshold (the
	// 10th percentile of the validation drugs' similarities).
	InDomain bool `json:"inDomain"`
	// Known says the model has the molecule's own training mean (it was
	// measured in training and the split gives drug means): predictions
	// then start from it instead of from structure alone.
	Known bool `json:"known"`
}

// DrugDomain parses smiles and says how it relates to the model's
// training drugs (GDSC models only).
func (m *Model) DrugDomain(smiles string) (DrugDomain, error) {
	if m.rec.Dataset != GDSCName {
		return DrugDomain{}, fmt.Errorf("response: model %s is not a drug-response (gdsc) model: %w", m.rec.ID, store.ErrInvalid)
	}
	mol, err := m.parser.Parse(smiles)
	if err != nil {
		return DrugDomain{}, fmt.Errorf("response: smiles: %w", err)
	}
	d := DrugDomain{CanonicalSMILES: mol.CanonicalSMILES()}
	d.NearestTrainingSimilarity, _ = m.index.max(molecules.Morgan(mol, FPRadius, PropertyBits), nil)
	d.InDomain = d.NearestTrainingSimilarity >= m.rec.InDomainThreshold
	_, d.Known = m.rec.DrugMeans[d.CanonicalSMILES]
	return d, nil
}

// summaryQuantiles are the percentiles reported by Summarize.
var summaryQuantiles = [...]float64{10, 25, 50, 75, 90}

// PatientFeatures maps a patient's stored somatic alterations onto the GDSC
// model's cell-line features: <GENE>_mut is 1 when the patient has a somatic
// variant in GENE that changes the protein (any class but SYNONYMOUS);
// gain_cna…_(GENES) is 1 with an AMPLIFICATION call on any listed gene,
// loss_cna…_(GENES) with a DELETION call; MSI_FACTOR is 1 with the biomarker
// MMR=DEFICIENT or MSI=HIGH; tissue:<T> is 1 for the GDSC tissue of the
// patient's cancer diagnosis (patientTissue: OncoTree, SNOMED lung histology
// or the ICD-10-CM category). It returns the vector and the number of ones.
func (m *Model) PatientFeatures(p *cohorts.Patient) ([]float32, int) {
	v := make([]float32, len(m.rec.CellFeatures))
	mut := map[string]bool{}
	for _, x := range p.Variants {
		if x.Origin == genomics.Somatic && x.Class != genomics.Synonymous && x.Gene != "" {
			mut[strings.ToUpper(x.Gene)] = true
		}
	}
	amp, del := map[string]bool{}, map[string]bool{}
	for _, c := range p.CNVs {
		switch c.Type {
		case genomics.Amplification:
			amp[strings.ToUpper(c.Gene)] = true
		case genomics.Deletion:
			del[strings.ToUpper(c.Gene)] = true
		}
	}
	msi := false
	for _, b := range p.Biomarkers {
		n, val := strings.ToUpper(b.Name), strings.ToUpper(b.Value)
		if (n == "MMR" && val == "DEFICIENT") || (n == "MSI" && (val == "HIGH" || val == "MSI-H")) {
			msi = true
		}
	}
	tissue := patientTissue(p)
	ones := 0
	for i, f := range m.rec.CellFeatures {
		on := false
		switch {
		case strings.HasPrefix(f, tissuePrefix):
			on = tissue != "" && f[len(tissuePrefix):] == tissue
		case f == "MSI_FACTOR":
			on = msi
		case strings.HasSuffix(f, "_mut"):
			on = mut[strings.ToUpper(strings.TrimSuffix(f, "_mut"))]
		case strings.HasPrefix(f, "gain_cna"):
			on = slices.ContainsFunc(cnaGenes(f), func(g string) bool { return amp[strings.ToUpper(g)] })
		case strings.HasPrefix(f, "loss_cna"):
			on = slices.ContainsFunc(cnaGenes(f), func(g string) bool { return del[strings.ToUpper(g)] })
		}
		if on {
			v[i] = 1
			ones++
		}
	}
	return v, ones
}

// PredictPatients predicts the response of each patient to the molecule
// with a GDSC model and returns the patients ranked from most to least
// sensitive (ascending predicted ln IC50, ties by id).
func (m *Model) PredictPatients(ctx context.Context, smiles string, patients []*cohorts.Patient) ([]PatientPrediction, error) {
	if m.rec.Dataset != GDSCName {
		return nil, fmt.Errorf("response: model %s is not a drug-response (gdsc) model: %w", m.rec.ID, store.ErrInvalid)
	}
	mol, err := m.parser.Parse(smiles)
	if err != nil {
		return nil, fmt.Errorf("response: smiles: %w", err)
	}
	f := featurize(mol, m.rec.Bits, m.colOf, false, DescBasic)
	canonical := mol.CanonicalSMILES()
	ex := m.drugExtra(canonical)
	eng := m.pool.get()
	defer m.pool.put(eng)
	drugs := make([]*molFeat, len(patients))
	cells := make([][]float32, len(patients))
	extra := make([][2]float32, len(patients))
	toff := make([]float32, len(patients))
	noise := make([]float64, len(patients))
	out := make([]PatientPrediction, len(patients))
	for i, p := range patients {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if p == nil {
			return nil, fmt.Errorf("response: patients[%d] is nil: %w", i, store.ErrInvalid)
		}
		drugs[i], extra[i] = &f, ex
		cells[i], out[i].Features = m.PatientFeatures(p)
		toff[i] = m.tissueOffset(canonical, cells[i]) + m.genomicOffset(canonical, cells[i]) + m.cellSensOffset(cells[i])
		noise[i] = m.residSD(canonical)
		out[i].PatientID = p.ID
	}
	mean, sd := m.pairPredict(eng, drugs, extra, cells, toff, noise)
	for i := range out {
		half := IntervalZ * m.rec.IntervalScale * sd[i]
		out[i].Value, out[i].Low, out[i].High = mean[i], mean[i]-half, mean[i]+half
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Value != out[j].Value {
			return out[i].Value < out[j].Value
		}
		return out[i].PatientID < out[j].PatientID
	})
	return out, nil
}

// Summarize aggregates ranked predictions: count, mean, the 10th, 25th, 50th,
// 75th and 90th percentiles and
// the first top entries (top ≤ 0 gives none).
func Summarize(preds []PatientPrediction, top int) PatientResponse {
	r := PatientResponse{Patients: len(preds), Quantiles: []float64{}}
	if len(preds) == 0 {
		return r
	}
	v := make([]float64, len(preds))
	for i, p := range preds {
		v[i] = p.Value
		r.Mean += p.Value
	}
	r.Mean /= float64(len(v))
	for _, p := range preds {
		r.MeanHalfWidth += (p.High - p.Low) / 2
	}
	r.MeanHalfWidth /= float64(len(preds))
	for _, q := range summaryQuantiles {
		r.Quantiles = append(r.Quantiles, percentile(v, q))
	}
	if top > 0 {
		r.Top = slices.Clone(preds[:min(top, len(preds))])
	}
	r.Distinguishable, r.Warning = rankingCheck(preds)
	return r
}

// PredictPatients predicts with a stored GDSC model (see Model.PredictPatients).
func (s *Service) PredictPatients(ctx context.Context, modelID, smiles string, patients []*cohorts.Patient) ([]PatientPrediction, error) {
	m, err := s.Model(ctx, modelID)
	if err != nil {
		return nil, err
	}
	return m.PredictPatients(ctx, smiles, patients)
}

// PredictCohort loads every patient meeting criteria from the cohort
// service, predicts their response and summarises it with the top most
// sensitive patients. The caller checks patients:read (for Top) and audits.
func (s *Service) PredictCohort(ctx context.Context, cs *cohorts.Service, modelID, smiles string, criteria cohorts.Criteria, top int) (PatientResponse, error) {
	if cs == nil {
		return PatientResponse{}, fmt.Errorf("response: PredictCohort needs the cohort service: %w", store.ErrInvalid)
	}
	m, err := s.Model(ctx, modelID)
	if err != nil {
		return PatientResponse{}, err
	}
	if m.rec.Dataset != GDSCName {
		return PatientResponse{}, fmt.Errorf("response: model %s is not a drug-response (gdsc) model: %w", modelID, store.ErrInvalid)
	}
	var patients []*cohorts.Patient
	after := ""
	for {
		page, err := cs.PatientIDs(ctx, criteria, 1000, after)
		if err != nil {
			return PatientResponse{}, err
		}
		for _, id := range page.IDs {
			p, err := cs.Patient(ctx, id)
			if err != nil {
				return PatientResponse{}, err
			}
			patients = append(patients, p)
		}
		if !page.HasNextPage || page.EndCursor == nil {
			break
		}
		after = *page.EndCursor
	}
	preds, err := m.PredictPatients(ctx, smiles, patients)
	if err != nil {
		return PatientResponse{}, err
	}
	r := Summarize(preds, top)
	if r.Drug, err = m.DrugDomain(smiles); err != nil {
		return PatientResponse{}, err
	}
	return r, nil
}
