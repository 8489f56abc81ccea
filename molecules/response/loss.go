package response

import (
	"fmt"
	"math"

	"github.com/rxlab/rxlab/store"
)

// maskedMSE is the mean squared error over the labelled outputs only. Each
// aux row holds width targets followed by width masks (1 labelled, 0 not).
type maskedMSE struct{}

func (maskedMSE) Name() string { return "maskedMSE" }

func (maskedMSE) AuxWidth(out int) (int, error) {
	if out < 1 {
		return 0, fmt.Errorf("response: maskedMSE needs at least one output: %w", store.ErrInvalid)
	}
	return 2 * out, nil
}

func (maskedMSE) Eval(pred, aux []float32, batch, width int, grad []float32) float32 {
	var n float32
	for i := 0; i < batch; i++ {
		m := aux[i*2*width+width : i*2*width+2*width]
		for j := 0; j < width; j++ {
			n += m[j]
		}
	}
	if n == 0 {
		n = 1
	}
	var loss float32
	for i := 0; i < batch; i++ {
		t := aux[i*2*width : i*2*width+width]
		m := aux[i*2*width+width : i*2*width+2*width]
		for j := 0; j < width; j++ {
			d := (pred[i*width+j] - t[j]) * m[j]
			loss += d * d
			if grad != nil {
				grad[i*width+j] = 2 * d / n
			}
		}
	}
	return loss / n
}

// maskedBCE is the binary cross-entropy of sigmoid(logit) over labelled
// outputs; aux rows are laid out as for maskedMSE.
type maskedBCE struct{}

func (maskedBCE) Name() string { return "maskedBCE" }

func (maskedBCE) AuxWidth(out int) (int, error) { return maskedMSE{}.AuxWidth(out) }

func (maskedBCE) Eval(pred, aux []float32, batch, width int, grad []float32) float32 {
	var n float32
	for i := 0; i < batch; i++ {
		m := aux[i*2*width+width : i*2*width+2*width]
		for j := 0; j < width; j++ {
			n += m[j]
		}
	}
	if n == 0 {
		n = 1
	}
	var loss float64
	for i := 0; i < batch; i++ {
		t := aux[i*2*width : i*2*width+width]
		m := aux[i*2*width+width : i*2*width+2*width]
		for j := 0; j < width; j++ {
			z := float64(pred[i*width+j])
			// log(1+exp(-|z|)) + max(z,0) - z·t, the stable form.
			l := math.Log1p(math.Exp(-math.Abs(z))) + math.Max(z, 0) - z*float64(t[j])
			loss += l * float64(m[j])
			if grad != nil {
				grad[i*width+j] = float32((sigmoid(z)-float64(t[j]))*float64(m[j])) / n
			}
		}
	}
	return float32(loss) / n
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
