package nn

import (
	"fmt"
	"strings"

	"github.com/rxlab/rxlab/store/errs"
)

// Activation is the element-wise function a dense layer applies after
// x·W + b.
type Activation uint8

// The supported activations.
const (
	// Identity leaves the affine output unchanged (typical for the last layer).
	Identity Activation = iota
	// Tanh is the hyperbolic tangent.
	Tanh
	// ReLU is max(x, 0).
	ReLU
)

// String returns the activation's name as ParseActivation accepts it.
func (a Activation) String() string {
	switch a {
	case Identity:
		return "identity"
	case Tanh:
		return "tanh"
	case ReLU:
		return "relu"
	}
	return fmt.Sprintf("Activation(%d)", uint8(a))
}

// ParseActivation maps "identity", "tanh" or "relu" (any case) to an Activation.
func ParseActivation(s string) (Activation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "identity", "linear", "":
		return Identity, nil
	case "tanh":
		return Tanh, nil
	case "relu":
		return ReLU, nil
	}
	return 0, fmt.Errorf("nn: unknown activation %q (want identity, tanh or relu): %w", s, errs.Invalid)
}

// AdamConfig holds Adam's hyper-parameters. Zero fields take the defaults
// of gorgonia's AdamSolver: LR 0.001, Beta1 0.9, Beta2 0.999, Eps 1e-8.
type AdamConfig struct {
	LR, Beta1, Beta2, Eps float64
}

func (a AdamConfig) withDefaults() AdamConfig {
	if a.LR == 0 {
		a.LR = 0.001
	}
	if a.Beta1 == 0 {
		a.Beta1 = 0.9
	}
	if a.Beta2 == 0 {
		a.Beta2 = 0.999
	}
	if a.Eps == 0 {
		a.Eps = 1e-8
	}
	return a
}

// Config describes a multi-layer perceptron.
type Config struct {
	// Sizes lists the layer widths, input first: {16, 64, 64, 8} is a
	// 16-input, two-hidden-layer, 8-output network.
	Sizes []int
	// Activations has one entry per layer (len(Sizes)-1).
	Activations []Activation
	// Seed makes the Glorot-uniform weight initialisation reproducible.
	Seed uint64
	// Adam configures the optimizer used by every Trainer of the network.
	Adam AdamConfig
}

// MaxWidth bounds each layer width, so a bad config cannot ask for
// gigabytes of weights.
const MaxWidth = 1 << 16

func (c Config) validate() error {
	if len(c.Sizes) < 2 {
		return fmt.Errorf("nn: config: Sizes needs at least 2 widths, got %d: %w", len(c.Sizes), errs.Invalid)
	}
	for i, s := range c.Sizes {
		if s < 1 || s > MaxWidth {
			return fmt.Errorf("nn: config: Sizes[%d] = %d, want 1..%d: %w", i, s, MaxWidth, errs.Invalid)
		}
	}
	if len(c.Activations) != len(c.Sizes)-1 {
		return fmt.Errorf("nn: config: %d activations for %d layers: %w", len(c.Activations), len(c.Sizes)-1, errs.Invalid)
	}
	for i, a := range c.Activations {
		if a > ReLU {
			return fmt.Errorf("nn: config: Activations[%d] = %v is unknown: %w", i, a, errs.Invalid)
		}
	}
	a := c.Adam.withDefaults()
	if !(a.LR > 0) || !(a.Beta1 >= 0 && a.Beta1 < 1) || !(a.Beta2 >= 0 && a.Beta2 < 1) || !(a.Eps > 0) {
		return fmt.Errorf("nn: config: Adam %+v out of range (LR>0, 0<=beta<1, eps>0): %w", c.Adam, errs.Invalid)
	}
	return nil
}
