package mpnn_test

import (
	"context"
	"testing"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/response"
	"github.com/rxlab/rxlab/molecules/response/mpnn"
)

// BenchmarkPredictEnsemble5 measures molecules/s of a 5-member ensemble of
// the evaluated size (hidden 256, depth 3) from SMILES: parse, featurise,
// five forward passes. Compare with package response's
// BenchmarkPredictEnsemble5 (the MLP ensemble) in the same run:
//
//	go test ./molecules/response ./molecules/response/mpnn -run '^$' -bench PredictEnsemble5$ -benchtime 3x
func BenchmarkPredictEnsemble5(b *testing.B) {
	tb, err := response.LoadDataset("esol")
	if err != nil {
		b.Fatal(err)
	}
	smiles := tb.SMILES
	gs, ys := esolSubset(b, 60)
	var models []*mpnn.Model
	for k := 0; k < 5; k++ {
		m, err := mpnn.Train(context.Background(), mpnn.Config{Hidden: 256, Depth: 3, Epochs: 1, Seed: uint64(k)}, gs, nil, ys, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		models = append(models, m)
	}
	p, err := molecules.NewParser(molecules.ParserConfig{})
	if err != nil {
		b.Fatal(err)
	}
	out := make([][]float64, len(smiles))
	for i := range out {
		out[i] = make([]float64, 1)
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		batch := make([]mpnn.Graph, 0, len(smiles))
		for _, s := range smiles {
			m, err := p.Parse(s)
			if err != nil || m.NumAtoms() == 0 {
				continue
			}
			batch = append(batch, mpnn.GraphOf(m, nil))
		}
		for _, m := range models {
			if err := m.Predict(batch, out[:len(batch)]); err != nil {
				b.Fatal(err)
			}
		}
		n += len(batch)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "molecules/s")
}

// BenchmarkTrainEpoch measures one training epoch over 500 ESOL molecules
// at hidden 256, depth 3, batch 50.
func BenchmarkTrainEpoch(b *testing.B) {
	gs, ys := esolSubset(b, 500)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := mpnn.Train(context.Background(), mpnn.Config{Hidden: 256, Depth: 3, Epochs: 1, Seed: 1}, gs, nil, ys, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "molecules/s")
}

// BenchmarkGraphOf measures featurisation of parsed molecules alone.
func BenchmarkGraphOf(b *testing.B) {
	tb, err := response.LoadDataset("esol")
	if err != nil {
		b.Fatal(err)
	}
	var mols []*molecules.Mol
	for _, s := range tb.SMILES {
		if m, err := molecules.Parse(s); err == nil && m.NumAtoms() > 0 {
			mols = append(mols, m)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range mols {
			_ = mpnn.GraphOf(m, nil)
		}
	}
	b.ReportMetric(float64(len(mols)*b.N)/b.Elapsed().Seconds(), "molecules/s")
}
