package response

import "math"

// EpochLoss is one epoch of a model's training curve: the mean over the
// members of one architecture that ran the epoch of their training and
// validation losses, in model units (the masked loss of standardised
// targets: mean squared error for regression, binary cross-entropy for
// classification). The refit stage, which has no validation rows, is not
// part of it.
type EpochLoss struct {
	// Arch is the members' architecture (ArchMLP or ArchMPNN).
	Arch string `json:"arch"`
	// Epoch counts from 1.
	Epoch int `json:"epoch"`
	// Train is the mean step loss over the epoch (with dropout, as
	// trained); nil where the members do not report it (message-passing
	// members report validation loss only).
	Train *float64 `json:"train,omitempty"`
	// Validation is the loss on the validation rows at the epoch's end.
	Validation *float64 `json:"validation,omitempty"`
	// Members is how many members ran the epoch (early stopping ends
	// members at different epochs).
	Members int `json:"members"`
}

// historyOf averages the members' per-epoch losses epoch by epoch.
func historyOf(arch string, members [][]epochLoss) []EpochLoss {
	var out []EpochLoss
	for e := 0; ; e++ {
		var tr, va []float64
		n := 0
		for _, h := range members {
			if e >= len(h) {
				continue
			}
			n++
			if !math.IsNaN(h[e].train) {
				tr = append(tr, h[e].train)
			}
			if !math.IsNaN(h[e].val) {
				va = append(va, h[e].val)
			}
		}
		if n == 0 {
			return out
		}
		out = append(out, EpochLoss{Arch: arch, Epoch: e + 1, Train: meanOrNil(tr), Validation: meanOrNil(va), Members: n})
	}
}

func meanOrNil(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	s /= float64(len(v))
	return &s
}

// graphHistory is a message-passing member's curve: validation loss only.
func graphHistory(val []float64) []epochLoss {
	out := make([]epochLoss, len(val))
	for i, v := range val {
		out[i] = epochLoss{train: math.NaN(), val: v}
	}
	return out
}

// Warnings are what a reader of the model should know before using it:
// a deprecated target name it was trained or stored under.
func (m ModelInfo) Warnings() []string {
	out := []string{}
	if w := deprecatedTarget(m.Dataset, m.Target); w != "" {
		out = append(out, w)
	}
	return out
}
