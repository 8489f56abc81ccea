package response

import (
	"fmt"
	"math"

	"github.com/rxlab/rxlab/store"
)

// priorColumns are the descriptors of Delaney's ESOL equation (Crippen logP,
// molecular weight, rotatable bonds, aromatic proportion), as columns of
// the descriptor block (descriptorNames order; every descriptor set starts
// with that block).
var priorColumns = []int{1, 0, 6, 11}

// linearPrior is a least-squares line of a regression model's standardised
// target on a few standardised descriptors, fitted on the training rows.
// With a prior the members learn the residual from it (Δ-learning), and
// predictions add it back: where the networks know little, out of their
// training domain, the prediction falls back on the line rather than on
// the training mean.
type linearPrior struct {
	Cols      []int     `json:"cols"`
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
}

// at is the prior of one standardised descriptor row.
func (p *linearPrior) at(desc []float32) float64 {
	v := p.Intercept
	for k, c := range p.Cols {
		v += p.Coef[k] * float64(desc[c])
	}
	return v
}

// fitPrior fits the line of y on the cols of the standardised descriptor
// rows by least squares (normal equations with a 1e-6 ridge on the slopes
// against collinear columns).
func fitPrior(desc [][]float32, y []float64, cols []int) (*linearPrior, error) {
	k := len(cols) + 1
	if len(desc) < 2*k {
		return nil, fmt.Errorf("response: %d rows are too few for a %d-term prior: %w", len(desc), k, store.ErrInvalid)
	}
	a := make([][]float64, k)
	for i := range a {
		a[i] = make([]float64, k+1)
	}
	x := make([]float64, k)
	for r, row := range desc {
		x[0] = 1
		for j, c := range cols {
			x[j+1] = float64(row[c])
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				a[i][j] += x[i] * x[j]
			}
			a[i][k] += x[i] * y[r]
		}
	}
	for i := 1; i < k; i++ {
		a[i][i] += 1e-6 * float64(len(desc))
	}
	// Gaussian elimination with partial pivoting.
	for c := 0; c < k; c++ {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		if math.Abs(a[c][c]) < 1e-12 {
			return nil, fmt.Errorf("response: the prior's descriptors are degenerate: %w", store.ErrInvalid)
		}
		for r := 0; r < k; r++ {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for j := c; j <= k; j++ {
				a[r][j] -= f * a[c][j]
			}
		}
	}
	p := &linearPrior{Cols: append([]int(nil), cols...), Coef: make([]float64, len(cols)), Intercept: a[0][k] / a[0][0]}
	for j := range cols {
		p.Coef[j] = a[j+1][k] / a[j+1][j+1]
	}
	return p, nil
}
