package ppo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/store/errs"
)

// policyMagic starts every serialized Policy; the digit is the format version.
var policyMagic = []byte("RXPPOPL1")

// PolicySpec is what a deployed policy needs to rebuild the environment's
// observation and shield outside the environment.
type PolicySpec struct {
	Model        string     `json:"model"`
	History      int        `json:"history"`
	EpisodeSteps int        `json:"episodeSteps"`
	Shield       env.Shield `json:"shield"`
	ObsDim       int        `json:"obsDim"`
	Actions      int        `json:"actions"`
	// Monitoring is the schedule the policy was trained under ("": daily).
	Monitoring string `json:"monitoring,omitempty"`
	// PosteriorDim is the number of trailing observation entries that hold
	// the posterior (η̂/ω, then SD/ω, env.Config.Posterior); 0 for a
	// policy trained without one.
	PosteriorDim int `json:"posteriorDim,omitempty"`
}

// Policy is a trained policy network ready to act: batch-1 (or batched)
// forward passes over the live weights, masked by the shield, greedy.
// It is not safe for concurrent use; Clone it per goroutine.
type Policy struct {
	Spec   PolicySpec
	net    *nn.MLP
	logits []float32
}

// Policy returns a snapshot of the current policy network.
func (t *Trainer) Policy() (*Policy, error) {
	spec := PolicySpec{Model: t.cfg.Model, History: t.cfg.History, EpisodeSteps: t.t,
		Shield: t.cfg.Shield, ObsDim: t.dim, Actions: t.nAct, Monitoring: string(t.cfg.Monitoring), PosteriorDim: t.postDim}
	if spec.History == 0 {
		var err error
		if spec.History, err = historyOf(t.cfg.Model, t.dim-t.postDim); err != nil {
			return nil, err
		}
	}
	return &Policy{Spec: spec, net: t.pol.Clone(), logits: make([]float32, t.nAct)}, nil
}

// historyOf recovers K from the documented observation widths.
func historyOf(model string, dim int) (int, error) {
	switch {
	case model == "docetaxel-friberg" && dim > 6 && (dim-6)%2 == 0:
		return (dim - 6) / 2, nil
	case model != "docetaxel-friberg" && dim > 12 && (dim-12)%2 == 0:
		return (dim - 12) / 2, nil
	}
	return 0, fmt.Errorf("ppo: observation width %d does not fit model %s: %w", dim, model, errs.Invalid)
}

// Parameters returns the number of trainable parameters.
func (p *Policy) Parameters() int { return countParams(p.net) }

// Clone returns an independent copy for another goroutine.
func (p *Policy) Clone() *Policy {
	return &Policy{Spec: p.Spec, net: p.net.Clone(), logits: make([]float32, p.Spec.Actions)}
}

// Probabilities writes the masked action probabilities for one observation
// into probs (length Actions) and returns the most probable action.
func (p *Policy) Probabilities(obs []float32, mask []bool, probs []float32) (int, error) {
	if len(obs) != p.Spec.ObsDim || len(mask) != p.Spec.Actions || len(probs) != p.Spec.Actions {
		return 0, fmt.Errorf("ppo: policy wants %d observations and %d mask entries: %w", p.Spec.ObsDim, p.Spec.Actions, errs.Invalid)
	}
	if err := p.net.Forward(obs, 1, p.logits); err != nil {
		return 0, err
	}
	var m [maxActions]float32
	for j, ok := range mask {
		m[j] = b2f(ok)
	}
	maskedStats(p.logits, m[:p.Spec.Actions], probs)
	best := 0
	for j, q := range probs {
		if q > probs[best] {
			best = j
		}
	}
	return best, nil
}

// Act returns the greedy (most probable allowed) action for one observation.
func (p *Policy) Act(obs []float32, mask []bool) (int, error) {
	var buf [maxActions]float32
	return p.Probabilities(obs, mask, buf[:p.Spec.Actions])
}

// MarshalBinary encodes the policy: its spec as JSON, then the network.
func (p *Policy) MarshalBinary() ([]byte, error) {
	spec, err := json.Marshal(p.Spec)
	if err != nil {
		return nil, err
	}
	net, err := p.net.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(policyMagic)
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(spec)))
	buf.Write(spec)
	buf.Write(net)
	return buf.Bytes(), nil
}

// LoadPolicy decodes a policy made by MarshalBinary. Corrupt input gives an
// error wrapping errs.Invalid.
func LoadPolicy(data []byte) (*Policy, error) {
	bad := func(what string) error { return fmt.Errorf("ppo: policy: %s: %w", what, errs.Invalid) }
	if !bytes.HasPrefix(data, policyMagic) || len(data) < len(policyMagic)+4 {
		return nil, bad("not a PPO policy (bad magic)")
	}
	rest := data[len(policyMagic):]
	n := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if int64(n) > int64(len(rest)) {
		return nil, bad("truncated spec")
	}
	var spec PolicySpec
	if err := json.Unmarshal(rest[:n], &spec); err != nil {
		return nil, bad("spec: " + err.Error())
	}
	net, err := nn.Load(rest[n:])
	if err != nil {
		return nil, bad("network: " + err.Error())
	}
	if spec.Actions < 1 || spec.Actions > maxActions || net.InputWidth() != spec.ObsDim || net.OutputWidth() != spec.Actions {
		return nil, bad("network shape does not match its spec")
	}
	return &Policy{Spec: spec, net: net, logits: make([]float32, spec.Actions)}, nil
}
