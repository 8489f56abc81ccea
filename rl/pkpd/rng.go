package pkpd

import (
	"math"
	"math/rand/v2"
)

// RNG is a seeded, deterministic random source (PCG) used for between-subject
// variability, residual error and virtual populations. It is not safe for
// concurrent use; give each goroutine its own.
type RNG struct {
	src *rand.PCG
	r   *rand.Rand
}

// NewRNG returns a generator whose stream is fully determined by seed.
func NewRNG(seed uint64) *RNG {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &RNG{src: src, r: rand.New(src)}
}

// Norm returns a standard normal draw.
func (g *RNG) Norm() float64 { return g.r.NormFloat64() }

// Float returns a uniform draw in [0, 1).
func (g *RNG) Float() float64 { return g.r.Float64() }

// IntN returns a uniform integer in [0, n).
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// Uint64 returns a uniform 64-bit value (used to derive child seeds).
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// LogNormal returns typical·exp(sd·z), the exponential (log-normal) random
// effect used by NONMEM-style population models; sd is the standard deviation
// of η on the log scale.
func (g *RNG) LogNormal(typical, sd float64) float64 {
	if sd == 0 {
		return typical
	}
	return typical * math.Exp(sd*g.r.NormFloat64())
}

// TruncNorm returns a normal draw with mean mu and standard deviation sd,
// redrawn until it lies in [lo, hi] (falls back to clamping after 100 tries).
func (g *RNG) TruncNorm(mu, sd, lo, hi float64) float64 {
	for range 100 {
		x := mu + sd*g.r.NormFloat64()
		if x >= lo && x <= hi {
			return x
		}
	}
	return math.Min(hi, math.Max(lo, mu))
}

// State returns the generator's serialized state, so a checkpoint can resume
// the exact stream.
func (g *RNG) State() ([]byte, error) { return g.src.MarshalBinary() }

// SetState restores a state produced by State.
func (g *RNG) SetState(b []byte) error { return g.src.UnmarshalBinary(b) }
