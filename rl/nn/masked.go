package nn

import "math"

// MaskedMSE is the mean squared error over the labelled outputs only: the
// aux row holds one target per output (AuxWidth = output width) and a NaN
// target marks an unlabelled output, which adds nothing to the loss and
// gets a zero gradient. The mean is over the labelled outputs of the batch
// (0, with a zero gradient, when there are none). Multi-task property
// models train with it, where most molecules carry a few of the tasks.
type MaskedMSE struct{}

// Name implements Loss.
func (MaskedMSE) Name() string { return "maskedMSE" }

// AuxWidth implements Loss: one target (or NaN) per output.
func (MaskedMSE) AuxWidth(outWidth int) (int, error) { return outWidth, nil }

// Eval implements Loss.
func (MaskedMSE) Eval(pred, aux []float32, batch, width int, grad []float32) float32 {
	return maskedEval(pred, aux, batch*width, grad, false)
}

// MaskedBCE is the binary cross-entropy of sigmoid(pred) against 0/1
// targets over the labelled outputs, laid out and averaged as MaskedMSE
// (NaN marks an unlabelled output); pred are logits, and the loss uses the
// stable form max(p,0) − t·p + log(1+e^−|p|).
type MaskedBCE struct{}

// Name implements Loss.
func (MaskedBCE) Name() string { return "maskedBCE" }

// AuxWidth implements Loss: one target (or NaN) per output.
func (MaskedBCE) AuxWidth(outWidth int) (int, error) { return outWidth, nil }

// Eval implements Loss.
func (MaskedBCE) Eval(pred, aux []float32, batch, width int, grad []float32) float32 {
	return maskedEval(pred, aux, batch*width, grad, true)
}

// maskedEval is the masked loss over the first n outputs, and its gradient
// when grad is not nil.
func maskedEval(pred, y []float32, n int, grad []float32, classify bool) float32 {
	cnt := 0
	for _, t := range y[:n] {
		if t == t {
			cnt++
		}
	}
	if cnt == 0 {
		if grad != nil {
			clear(grad[:n])
		}
		return 0
	}
	inv := 1 / float32(cnt)
	var s float64
	for i, p := range pred[:n] {
		t := y[i]
		if t != t {
			if grad != nil {
				grad[i] = 0
			}
			continue
		}
		var l, g float32
		if classify {
			ap := p
			if ap < 0 {
				ap = -ap
			}
			l = max(p, 0) - t*p + float32(math.Log1p(math.Exp(float64(-ap))))
			g = float32(1/(1+math.Exp(float64(-p)))) - t
		} else {
			d := p - t
			l, g = d*d, 2*d
		}
		s += float64(l)
		if grad != nil {
			grad[i] = g * inv
		}
	}
	return float32(s / float64(cnt))
}
