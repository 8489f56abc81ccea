package disclosure

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// Noise is the deterministic random stream of one release: HMAC-SHA256
// of a per-release seed over a block counter. The seed is derived from the
// server secret, the token, the budget period and the answer's key, so the
// same question in the same period draws the same noise, and nobody without
// the secret can predict or replay it.
type Noise struct {
	seed  []byte
	ctr   uint64
	block [sha256.Size]byte
	off   int
	// Sigma is the standard deviation of one count's Gaussian noise.
	Sigma float64
	spare float64
	has   bool
}

func newNoise(seed []byte, sigma float64) *Noise {
	return &Noise{seed: seed, off: sha256.Size, Sigma: sigma}
}

// uint64 returns the next 64 pseudo-random bits of the stream.
func (n *Noise) uint64() uint64 {
	if n.off+8 > len(n.block) {
		m := hmac.New(sha256.New, n.seed)
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], n.ctr)
		n.ctr++
		m.Write(c[:])
		copy(n.block[:], m.Sum(nil))
		n.off = 0
	}
	v := binary.BigEndian.Uint64(n.block[n.off:])
	n.off += 8
	return v
}

// Uniform returns a number in the open interval (0, 1).
func (n *Noise) Uniform() float64 {
	return (float64(n.uint64()>>11) + 0.5) / (1 << 53)
}

// Normal returns a standard normal draw (Box–Muller).
func (n *Noise) Normal() float64 {
	if n.has {
		n.has = false
		return n.spare
	}
	u1, u2 := n.Uniform(), n.Uniform()
	r := math.Sqrt(-2 * math.Log(u1))
	n.spare, n.has = r*math.Sin(2*math.Pi*u2), true
	return r * math.Cos(2*math.Pi*u2)
}

// Count returns a count with Gaussian noise of standard deviation Sigma
// (sensitivity 1), before rounding and thresholding.
func (n *Noise) Count(exact int) float64 { return float64(exact) + n.Sigma*n.Normal() }

// Gaussian returns x plus Gaussian noise of standard deviation Sigma·scale,
// for a sum whose sensitivity is scale.
func (n *Noise) Gaussian(x, scale float64) float64 { return x + n.Sigma*scale*n.Normal() }

// seedFor derives one release's seed from the secret and its parts.
func seedFor(secret []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(p)))
		m.Write(l[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}
