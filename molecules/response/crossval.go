package response

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// CrossValidation is a model's k-fold cross-validation (TrainInput.Folds):
// every usable row is a test row once, scored by a model of the same
// input trained without its fold.
type CrossValidation struct {
	Folds int `json:"folds"`
	// PerFold are each fold's test metrics, in fold order.
	PerFold []Metrics `json:"perFold"`
	// Pooled are the metrics of all rows' out-of-fold predictions
	// together (task-averaged for multi-task models).
	Pooled Metrics `json:"pooled"`
	// Mean and SD are the headline metric's mean and standard deviation
	// over the folds (rmse for regression, rocAuc for classification).
	Metric string  `json:"metric"`
	Mean   float64 `json:"mean"`
	SD     float64 `json:"sd"`
}

// KFoldSplits cuts rows 0..n-1 into k seeded random folds; split i tests
// fold i and divides the other rows 8:1 into training and validation
// rows (seeded too), as RandomSplit divides its non-test rows.
func KFoldSplits(n, k int, seed uint64) []Split {
	perm := newRand(seed, 11).Perm(n)
	out := make([]Split, k)
	for f := range out {
		lo, hi := f*n/k, (f+1)*n/k
		rest := slices.Concat(perm[:lo], perm[hi:])
		newRand(seed, 12+uint64(f)).Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		nVal := len(rest) / 9
		out[f] = Split{Test: slices.Clone(perm[lo:hi]), Val: rest[:nVal:nVal], Train: rest[nVal:]}
		out[f].sort()
	}
	return out
}

// crossValidate trains one model per fold of the prepared rows (with the
// input's architecture, recipe and refit) and scores its held-out fold.
func crossValidate(ctx context.Context, in TrainInput, opt options, pr *prepared, progress func(float64, string)) (*CrossValidation, error) {
	k := in.Folds
	cv := &CrossValidation{Folds: k}
	T := len(pr.targets)
	pred := make([][]float64, len(pr.feats)) // out-of-fold predictions by row
	for f, sp := range KFoldSplits(len(pr.feats), k, in.Seed) {
		msg := fmt.Sprintf("cross-validation fold %d of %d: ", f+1, k)
		fin := in
		if fin.Split == SplitFull || fin.Split == SplitScaffold {
			fin.Split = SplitRandom // the fold gives the split; full's refit is kept below
		}
		fopt := opt
		refit := pr.d.recipe.refit(in.Arch) || in.Split == SplitFull
		if opt.refit != nil {
			refit = *opt.refit
		}
		fopt.refit = &refit
		m, err := fitOnSplit(ctx, fin, fopt, pr, sp, func(x float64, s string) { progress((float64(f)+x)/float64(k), msg+s) })
		if err != nil {
			return nil, err
		}
		cv.PerFold = append(cv.PerFold, m.rec.Metrics)
		smiles := make([]string, len(sp.Test))
		for j, i := range sp.Test {
			smiles[j] = pr.smiles[i]
		}
		ps, err := m.Predict(ctx, smiles, PredictOptions{NoAttributions: true})
		if err != nil {
			return nil, err
		}
		for j, i := range sp.Test {
			pred[i] = predictionValues(ps[j], T)
		}
	}
	cv.Pooled = pooledMetrics(pr, pred, T)
	cv.Metric = "rmse"
	if pr.d.Task == Classification {
		cv.Metric = "rocAuc"
	}
	cv.Mean, cv.SD = foldSpread(cv.PerFold, cv.Metric)
	return cv, nil
}

// predictionValues are a prediction's T task values (NaN when it failed).
func predictionValues(p Prediction, T int) []float64 {
	out := make([]float64, T)
	for t := range out {
		out[t] = math.NaN()
	}
	switch {
	case len(p.Values) == T:
		copy(out, p.Values)
	case p.Value != nil:
		out[0] = *p.Value
	}
	return out
}

// pooledMetrics scores every row's out-of-fold prediction, task by task,
// averaged over the tasks.
func pooledMetrics(pr *prepared, pred [][]float64, T int) Metrics {
	parts := make([]Metrics, T)
	for t := 0; t < T; t++ {
		var p, y []float64
		for i, v := range pred {
			if v == nil {
				continue
			}
			p, y = append(p, v[t]), append(y, pr.ys[i][t])
		}
		if pr.d.Task == Classification {
			parts[t] = Metrics{"rocAuc": ROCAUC(p, y), "n": float64(countLabelled(y))}
		} else {
			parts[t] = RegressionMetrics(p, y)
		}
	}
	out := averageMetrics(parts)
	for k, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(out, k)
		}
	}
	return out
}

// foldSpread is the mean and sample standard deviation of metric over
// the folds that have it.
func foldSpread(folds []Metrics, metric string) (mean, sd float64) {
	var v []float64
	for _, f := range folds {
		if x, ok := f[metric]; ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}
