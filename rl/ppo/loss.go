package ppo

import (
	"fmt"
	"math"

	"github.com/rxlab/rxlab/store/errs"
)

// maxActions bounds the action count, so the loss can keep a row of
// probabilities on the stack.
const maxActions = 256

// policyLoss is the clipped PPO surrogate with an entropy bonus over a
// categorical distribution whose logits are masked (masked actions have
// probability zero). Each aux row is {action, old log-prob, advantage,
// mask_0 … mask_{A−1}} with mask values 1 (allowed) or 0.
//
//	loss = −mean(min(r·A, clip(r, 1−ε, 1+ε)·A)) − c_H·mean(H)
//
// It implements nn.Loss; the last Eval's statistics are kept in the fields
// below (Eval must not allocate, so they are plain numbers).
type policyLoss struct {
	actions     int
	clip        float32
	entropyCoef float32

	// statistics of the last Eval
	surrogate, entropy, approxKL, clipFrac float64
}

func (p *policyLoss) Name() string { return "masked-ppo-policy" }

func (p *policyLoss) AuxWidth(outWidth int) (int, error) {
	if outWidth != p.actions || p.actions < 1 || p.actions > maxActions {
		return 0, fmt.Errorf("ppo: policy network has %d outputs, want %d actions (1–%d): %w", outWidth, p.actions, maxActions, errs.Invalid)
	}
	return 3 + p.actions, nil
}

func (p *policyLoss) Eval(pred, aux []float32, batch, width int, grad []float32) float32 {
	k := p.actions
	aw := 3 + k
	invB := 1 / float32(batch)
	var pol, ent, kl, clipped float64
	var probs [maxActions]float32
	for i := 0; i < batch; i++ {
		z := pred[i*width : i*width+k]
		a := aux[i*aw : (i+1)*aw]
		mask := a[3:]
		lse, h := maskedStats(z, mask, probs[:k])
		ent += float64(h)
		act := int(a[0])
		var dlogp float32
		if act >= 0 && act < k && float32(act) == a[0] && mask[act] != 0 {
			lpa := z[act] - lse
			logRatio := lpa - a[1]
			ratio := float32(math.Exp(float64(logRatio)))
			kl += float64((ratio - 1) - logRatio)
			adv := a[2]
			s1 := ratio * adv
			cr := min(max(ratio, 1-p.clip), 1+p.clip)
			if cr != ratio {
				clipped++
			}
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
		if grad == nil {
			continue
		}
		g := grad[i*width : i*width+width]
		for j := 0; j < k; j++ {
			if mask[j] == 0 {
				g[j] = 0
				continue
			}
			pj := probs[j]
			lp := z[j] - lse
			// ∂(−c·H)/∂z_j = c·p_j·(log p_j + H); ∂log p_a/∂z_j = 1[j=a] − p_j
			g[j] = -dlogp*pj + p.entropyCoef*invB*pj*(lp+h)
		}
		if act >= 0 && act < k && float32(act) == a[0] && mask[act] != 0 {
			g[act] += dlogp
		}
		for j := k; j < width; j++ {
			g[j] = 0
		}
	}
	b := float64(batch)
	p.surrogate, p.entropy, p.approxKL, p.clipFrac = pol/b, ent/b, kl/b, clipped/b
	return float32(pol/b - float64(p.entropyCoef)*ent/b)
}

// maskedStats returns the log-sum-exp of the allowed logits and the entropy
// of the masked softmax, writing the probabilities (0 for masked actions)
// into probs. A row with no allowed action is treated as all allowed.
func maskedStats(z, mask, probs []float32) (lse, h float32) {
	allowed := func(j int) bool { return mask[j] != 0 }
	anyOK := false
	for j := range z {
		if allowed(j) {
			anyOK = true
			break
		}
	}
	mx := float32(math.Inf(-1))
	for j, v := range z {
		if !anyOK || allowed(j) {
			mx = max(mx, v)
		}
	}
	var se float32
	for j, v := range z {
		if anyOK && !allowed(j) {
			probs[j] = 0
			continue
		}
		e := float32(math.Exp(float64(v - mx)))
		probs[j] = e
		se += e
	}
	lse = mx + float32(math.Log(float64(se)))
	inv := 1 / se
	for j, v := range z {
		if probs[j] == 0 {
			continue
		}
		probs[j] *= inv
		h -= probs[j] * (v - lse)
	}
	return lse, h
}
