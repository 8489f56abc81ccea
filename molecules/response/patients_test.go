package response

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store"
)

func variant(gene string, class genomics.VariantClass, origin genomics.Origin) cohorts.Variant {
	return cohorts.Variant{Variant: genomics.Variant{Gene: gene, Class: class, Origin: origin}}
}

func TestPatientFeatures(t *testing.T) {
	m := &Model{rec: modelRecord{CellFeatures: []string{
		"BRAF_mut", "TP53_mut", "KRAS_mut", "gain_cnaPANCAN1_(CCNE1)", "loss_cnaPANCAN2_(STK11)",
		"gain_cnaPANCAN27_(GATA3,KLF6)", "MSI_FACTOR", "tissue:skin", "tissue:lung_NSCLC", "tissue:lung_SCLC",
	}}}
	cases := []struct {
		name string
		p    cohorts.Patient
		on   []string
	}{
		{"somatic missense and amplification", cohorts.Patient{
			Variants: []cohorts.Variant{variant("BRAF", genomics.Missense, genomics.Somatic)},
			CNVs:     []genomics.CNV{{Gene: "CCNE1", Type: genomics.Amplification}},
		}, []string{"BRAF_mut", "gain_cnaPANCAN1_(CCNE1)"}},
		{"synonymous and germline ignored", cohorts.Patient{
			Variants: []cohorts.Variant{variant("TP53", genomics.Synonymous, genomics.Somatic), variant("KRAS", genomics.Missense, genomics.Germline)},
		}, nil},
		{"deletion and multi-gene gain", cohorts.Patient{
			CNVs: []genomics.CNV{{Gene: "STK11", Type: genomics.Deletion}, {Gene: "klf6", Type: genomics.Amplification}, {Gene: "CCNE1", Type: genomics.Deletion}},
		}, []string{"loss_cnaPANCAN2_(STK11)", "gain_cnaPANCAN27_(GATA3,KLF6)"}},
		{"MSI and ICD-10 melanoma", cohorts.Patient{
			Biomarkers: []cohorts.Biomarker{{Name: "MMR", Value: "DEFICIENT"}},
			Conditions: []cohorts.ClinicalCode{{System: cohorts.SysICD10, Code: "C43.9"}},
		}, []string{"MSI_FACTOR", "tissue:skin"}},
		{"SNOMED small-cell beats ICD-10 lung", cohorts.Patient{
			Conditions: []cohorts.ClinicalCode{{System: cohorts.SysICD10, Code: "C34.1"}, {System: cohorts.SysSNOMED, Code: "254632001"}},
		}, []string{"tissue:lung_SCLC"}},
		{"ICD-10 lung alone", cohorts.Patient{
			Conditions: []cohorts.ClinicalCode{{System: cohorts.SysICD10, Code: "C34.90"}, {System: cohorts.SysICD10, Code: "I10"}},
		}, []string{"tissue:lung_NSCLC"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, n := m.PatientFeatures(&c.p)
			var on []string
			for i, x := range v {
				if x == 1 {
					on = append(on, m.rec.CellFeatures[i])
				}
			}
			if !slices.Equal(on, c.on) || n != len(c.on) {
				t.Errorf("features %v (%d), want %v", on, n, c.on)
			}
		})
	}
}

func TestPredictPatients(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small GDSC model")
	}
	ctx := context.Background()
	m, err := Train(ctx, TrainInput{Dataset: GDSCName, Split: SplitCell, Seed: 2, Ensemble: 2, Epochs: 2, MaxRows: 6000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if info.Baseline["rmse"] == 0 || info.Metrics["rmse"] == 0 || info.Unit == "" {
		t.Fatalf("metrics missing: %+v", info)
	}
	for _, k := range []string{"rmse", "pearson", "meanPerDrugPearson"} {
		if lo, hi := info.Metrics[k+"Low95"], info.Metrics[k+"High95"]; !(lo < info.Metrics[k] && info.Metrics[k] < hi) {
			t.Errorf("test %s %.3f outside its bootstrap interval [%.3f, %.3f] (cell lines resampled)", k, info.Metrics[k], lo, hi)
		}
	}
	if d, lo, hi := info.Metrics["rmse"]-info.Baseline["rmse"], info.Metrics["rmseVsBaselineLow95"], info.Metrics["rmseVsBaselineHigh95"]; !(lo < d && d < hi) {
		t.Errorf("rmse − baseline %.3f outside its paired interval [%.3f, %.3f]", d, lo, hi)
	}
	patients := []*cohorts.Patient{
		{ID: "P3", Conditions: []cohorts.ClinicalCode{{System: cohorts.SysICD10, Code: "C91.0"}}},
		{ID: "P1", Variants: []cohorts.Variant{variant("BRAF", genomics.Missense, genomics.Somatic)},
			Conditions: []cohorts.ClinicalCode{{System: cohorts.SysICD10, Code: "C43.9"}}},
		{ID: "P2"},
		{ID: "P4", Variants: []cohorts.Variant{variant("TP53", genomics.Nonsense, genomics.Somatic)},
			CNVs: []genomics.CNV{{Gene: "CCNE1", Type: genomics.Amplification}}},
	}
	// Dabrafenib (a GDSC drug, so its training mean is used).
	dabrafenib := "CC(C)(C)c1nc(-c2cccc(NS(=O)(=O)c3c(F)cccc3F)c2F)c(-c2ccnc(N)n2)s1"
	preds, err := m.PredictPatients(ctx, dabrafenib, patients)
	if err != nil {
		t.Fatal(err)
	}
	if len(preds) != len(patients) {
		t.Fatalf("%d predictions for %d patients", len(preds), len(patients))
	}
	for i, p := range preds {
		if i > 0 && p.Value < preds[i-1].Value {
			t.Error("not ranked by predicted ln IC50")
		}
		if !(p.Low <= p.Value && p.Value <= p.High) {
			t.Errorf("%s: interval %v..%v misses %v", p.PatientID, p.Low, p.High, p.Value)
		}
	}
	sum := Summarize(preds, 2)
	if sum.Patients != 4 || len(sum.Top) != 2 || len(sum.Quantiles) != len(summaryQuantiles) || sum.Top[0] != preds[0] {
		t.Errorf("summary %+v", sum)
	}
	if !slices.IsSorted(sum.Quantiles) {
		t.Errorf("quantiles not ordered: %v", sum.Quantiles)
	}
	if _, err := m.PredictPatients(ctx, "C1CC", patients); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad SMILES: %v", err)
	}
	if _, err := quickModel(t).PredictPatients(ctx, dabrafenib, patients); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("property model used for patients: %v", err)
	}
	if _, err := m.Predict(ctx, []string{"CCO"}, PredictOptions{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("GDSC model used without a cell line: %v", err)
	}
	if s := Summarize(nil, 3); s.Patients != 0 || s.Top != nil {
		t.Errorf("empty summary %+v", s)
	}
	// The drug-by-tissue offset is added to the prediction: raising the
	// melanoma patient's (P1, C43.9: skin) offset for dabrafenib by 1 SD
	// moves P1 by exactly YSD and leaves the patient without a tissue (P2)
	// where it was.
	if _, ok := info.Metrics["drugTissueBaselineRmse"]; !ok || len(m.rec.TissueOffsets) == 0 {
		t.Fatalf("no drug-by-tissue offsets or baseline: %v", info.Metrics)
	}
	mol, err := m.parser.Parse(dabrafenib)
	if err != nil {
		t.Fatal(err)
	}
	offs := m.rec.TissueOffsets[mol.CanonicalSMILES()]
	if offs == nil {
		t.Fatal("dabrafenib has no drug-by-tissue offsets")
	}
	byID := func(ps []PatientPrediction) map[string]float64 {
		out := map[string]float64{}
		for _, p := range ps {
			out[p.PatientID] = p.Value
		}
		return out
	}
	before := byID(preds)
	was, had := offs["skin"]
	offs["skin"] = was + 1
	after, err := m.PredictPatients(ctx, dabrafenib, patients)
	if had {
		offs["skin"] = was
	} else {
		delete(offs, "skin")
	}
	if err != nil {
		t.Fatal(err)
	}
	got := byID(after)
	if d := got["P1"] - before["P1"]; math.Abs(d-m.rec.YSD[0]) > 1e-4 {
		t.Errorf("skin offset +1 SD moved P1 by %.5f, want %.5f", d, m.rec.YSD[0])
	}
	if got["P2"] != before["P2"] {
		t.Errorf("patient without a tissue moved: %v → %v", before["P2"], got["P2"])
	}
}

// TestTissueOffsets checks the drug-by-tissue offsets on a small table:
// each is the sum of the drug's residuals in the tissue over n + k, and a
// training pair's own offset leaves its residual out.
func TestTissueOffsets(t *testing.T) {
	g := &GDSC{
		Features:     []string{"TP53_mut", tissuePrefix + "skin", tissuePrefix + "lung"},
		CellFeatures: [][]float32{{0, 1, 0}, {1, 1, 0}, {0, 0, 1}, {0, 0, 0}},
		PairDrug:     []int{0, 0, 0, 0, 1, 1},
		PairCell:     []int{0, 1, 2, 3, 0, 2},
		LnIC50:       []float64{3, 5, 1, 7, 2, 4},
	}
	if got := cellTissues(g); !slices.Equal(got, []string{"skin", "skin", "lung", ""}) {
		t.Fatalf("tissues %q", got)
	}
	canon := []string{"A", "B"}
	// yMean 1, ySD 2; drug A's mean residual base 1, drug B's 0.
	means := map[string]float64{"A": 1, "B": 0}
	rowOff := make([]float64, len(g.LnIC50))
	offs := tissueOffsets(g, []int{0, 1, 2, 3, 4}, canon, means, 1, 2, rowOff)
	k := float64(gdscTissueShrink)
	// Standardised residuals: A: (3−1)/2−1 = 0, (5−1)/2−1 = 1, (1−1)/2−1 = −1; B: (2−1)/2 = 0.5.
	want := map[string]map[string]float64{"A": {"skin": 1 / (2 + k), "lung": -1 / (1 + k)}, "B": {"skin": 0.5 / (1 + k)}}
	for d, ts := range want {
		for tis, w := range ts {
			if math.Abs(offs[d][tis]-w) > 1e-12 {
				t.Errorf("offset %s/%s = %v, want %v", d, tis, offs[d][tis], w)
			}
		}
		if len(offs[d]) != len(ts) {
			t.Errorf("drug %s has offsets %v, want %v", d, offs[d], ts)
		}
	}
	// Leave-one-out: pair 0 (A, skin, residual 0) sees only pair 1's 1;
	// pair 2 is alone in lung; pair 3 has no tissue; pair 5 is not training.
	wantRow := []float64{1 / (1 + k), 0 / (1 + k), 0, 0, 0, 0}
	for i, w := range wantRow {
		if math.Abs(rowOff[i]-w) > 1e-12 {
			t.Errorf("row %d offset %v, want %v", i, rowOff[i], w)
		}
	}
}

func TestPredictCohort(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small GDSC model and seeds a demo cohort")
	}
	ctx := context.Background()
	s, r, db := openService(t, t.TempDir())
	defer db.Close()
	defer r.Shutdown(ctx)
	cs, err := cohorts.New(cohorts.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.Seed(ctx, 400, 1); err != nil {
		t.Fatal(err)
	}
	m, err := Train(ctx, TrainInput{Dataset: GDSCName, Split: SplitCell, Seed: 2, Ensemble: 2, Epochs: 1, MaxRows: 3000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, m); err != nil {
		t.Fatal(err)
	}
	crit := cohorts.Criteria{Age: &cohorts.Range{Min: ptr(18.0)}}
	page, err := cs.PatientIDs(ctx, crit, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	// Erlotinib.
	res, err := s.PredictCohort(ctx, cs, m.Info().ID, "COCCOc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCOC", crit, 5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Patients != page.Total || res.Patients == 0 || len(res.Top) != 5 || len(res.Quantiles) != 5 {
		t.Fatalf("cohort of %d: %+v", page.Total, res)
	}
	withFeatures := 0
	for _, p := range res.Top {
		if !strings.HasPrefix(p.PatientID, "DEMO-") {
			t.Errorf("unexpected id %q", p.PatientID)
		}
		withFeatures += p.Features
	}
	t.Logf("%d patients, mean ln IC50 %.2f, quantiles %.2f; top 5 carry %d mapped features", res.Patients, res.Mean, res.Quantiles, withFeatures)
	if _, err := s.PredictCohort(ctx, nil, m.Info().ID, "CCO", crit, 1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("nil cohort service: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
