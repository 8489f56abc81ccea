package nn

import (
	"fmt"
	"math"

	"github.com/rxlab/rxlab/rl/nn/kernels"
	"github.com/rxlab/rxlab/store/errs"
)

// Loss is a scalar training objective over a batch of network outputs.
// Implementations define custom losses for the core: the loss becomes one
// gorgonia op whose symbolic derivative is the gradient Eval writes.
type Loss interface {
	// Name identifies the loss in graph op names and errors.
	Name() string
	// AuxWidth returns how many auxiliary floats each sample carries
	// (targets, actions, advantages...) for a network with the given output
	// width, or an error if the loss cannot work with that width.
	AuxWidth(outWidth int) (int, error)
	// Eval returns the loss of pred (batch×width, row-major) given aux
	// (batch×AuxWidth). If grad is not nil it also writes ∂loss/∂pred into
	// it (batch×width). Eval must not allocate.
	Eval(pred, aux []float32, batch, width int, grad []float32) float32
}

// MSE is the mean squared error over all outputs: mean((pred − target)²),
// with the targets as aux (AuxWidth = output width).
type MSE struct{}

// Name implements Loss.
func (MSE) Name() string { return "mse" }

// AuxWidth implements Loss: one target per output.
func (MSE) AuxWidth(outWidth int) (int, error) { return outWidth, nil }

// Eval implements Loss.
func (MSE) Eval(pred, aux []float32, batch, width int, grad []float32) float32 {
	n := batch * width
	inv := 1 / float32(n)
	var s float64
	for i, p := range pred[:n] {
		d := p - aux[i]
		s += float64(d * d)
		if grad != nil {
			grad[i] = 2 * d * inv
		}
	}
	return float32(s / float64(n))
}

// PPO is the proximal-policy-optimisation objective over a network whose
// output row is Actions categorical logits followed by one state value:
//
//	loss = −mean(min(r·A, clip(r, 1−ε, 1+ε)·A)) + ValueCoef·mean((v − R)²) − EntropyCoef·mean(H)
//
// with r = exp(log π(a|s) − old log-prob) and H the policy entropy. Each
// aux row is {action index, old log-prob, advantage A, return R}.
type PPO struct {
	Actions     int
	Clip        float32
	ValueCoef   float32
	EntropyCoef float32
}

// maxStackActions bounds the logits PPO.Eval keeps on the stack.
const maxStackActions = 64

// PPOAuxWidth is the number of aux floats per sample of the PPO loss.
const PPOAuxWidth = 4

// Name implements Loss.
func (PPO) Name() string { return "ppo" }

// AuxWidth implements Loss; the output must be Actions logits plus a value.
func (p PPO) AuxWidth(outWidth int) (int, error) {
	if p.Actions < 1 || outWidth != p.Actions+1 {
		return 0, fmt.Errorf("nn: PPO with %d actions needs %d outputs (logits + value), network has %d: %w", p.Actions, p.Actions+1, outWidth, errs.Invalid)
	}
	if !(p.Clip > 0 && p.Clip < 1) {
		return 0, fmt.Errorf("nn: PPO clip %v outside (0,1): %w", p.Clip, errs.Invalid)
	}
	return PPOAuxWidth, nil
}

// Eval implements Loss. An action index outside [0, Actions) contributes no
// policy term (it is skipped), so malformed data cannot index out of range.
func (p PPO) Eval(pred, aux []float32, batch, width int, grad []float32) float32 {
	k := p.Actions
	invB := 1 / float32(batch)
	if grad != nil {
		// Exponentiate every row's shifted logits in one vectorised pass; the
		// gradient rows hold e^{z−max} until they are overwritten below.
		for i := 0; i < batch; i++ {
			z, g := pred[i*width:i*width+width], grad[i*width:i*width+width]
			mx := rowMax(z[:k])
			for j := 0; j < k; j++ {
				g[j] = z[j] - mx
			}
			clear(g[k:])
		}
		kernels.Exp(grad[:batch*width])
	}
	var pol, val, ent float64
	for i := 0; i < batch; i++ {
		z := pred[i*width : i*width+width]
		a := aux[i*PPOAuxWidth : i*PPOAuxWidth+PPOAuxWidth]
		mx := rowMax(z[:k])
		// probs holds e^{z−max}, then the probabilities: in the gradient row
		// when there is one, else on the stack (or recomputed for huge k).
		var pbuf [maxStackActions]float32
		var g, probs []float32
		switch {
		case grad != nil:
			g = grad[i*width : i*width+width]
			probs = g[:k]
		case k <= maxStackActions:
			probs = pbuf[:k]
			for j, v := range z[:k] {
				probs[j] = float32(math.Exp(float64(v - mx)))
			}
		}
		var se float32
		if probs != nil {
			for _, e := range probs {
				se += e
			}
		} else {
			for _, v := range z[:k] {
				se += float32(math.Exp(float64(v - mx)))
			}
		}
		lse := mx + float32(math.Log(float64(se)))
		invSe := 1 / se
		var h float32
		for j := 0; j < k; j++ {
			lp := z[j] - lse
			var pj float32
			if probs != nil {
				pj = probs[j] * invSe
				probs[j] = pj
			} else {
				pj = float32(math.Exp(float64(lp)))
			}
			h -= pj * lp
		}
		ent += float64(h)
		act := int(a[0])
		valid := act >= 0 && act < k && float32(act) == a[0]
		var dlogp float32
		if valid {
			lpa := z[act] - lse
			ratio := float32(math.Exp(float64(lpa - a[1])))
			adv := a[2]
			s1 := ratio * adv
			cr := min(max(ratio, 1-p.Clip), 1+p.Clip)
			s2 := cr * adv
			if s1 <= s2 {
				pol -= float64(s1)
				dlogp = -adv * ratio
			} else {
				pol -= float64(s2)
				if cr == ratio {
					dlogp = -adv * ratio
				}
			}
			dlogp *= invB
		}
		v := z[k]
		dv := v - a[3]
		val += float64(dv * dv)
		if g != nil {
			// ∂/∂z_j: policy −dlogp·p_j (+dlogp at the action), entropy
			// bonus EntropyCoef·p_j·(log p_j + H)/B, value 2·ValueCoef·(v−R)/B.
			for j := 0; j < k; j++ {
				pj := probs[j]
				g[j] = -dlogp*pj + p.EntropyCoef*invB*pj*(z[j]-lse+h)
			}
			if valid {
				g[act] += dlogp
			}
			g[k] = p.ValueCoef * 2 * dv * invB
		}
	}
	b := float64(batch)
	return float32(pol/b + float64(p.ValueCoef)*val/b - float64(p.EntropyCoef)*ent/b)
}

func rowMax(z []float32) float32 {
	mx := z[0]
	for _, v := range z[1:] {
		mx = max(mx, v)
	}
	return mx
}
