package molecules

import (
	"fmt"
	"strings"

	"github.com/rxlab/rxlab/store/errs"
)

// The fingerprint shapes the API accepts. A search over a stored library
// in a shape other than the stored one (radius 2, 2048 bits) builds an
// index of the whole library, so the shapes are a small fixed set rather
// than a range: with 7 radii and 4 lengths a library has at most 28
// indexes, and the index cache (library.Config.IndexCacheBytes) bounds
// the memory they take together.
const (
	// MaxFingerprintRadius is the largest Morgan radius accepted (ECFP12).
	MaxFingerprintRadius = 6
)

// FingerprintSizes returns the fingerprint lengths (nBits) the API
// accepts, ascending.
func FingerprintSizes() []int { return []int{512, 1024, 2048, 4096} }

// CheckFingerprintShape returns an error wrapping errs.Invalid, naming
// the allowed values, unless radius is within 0..MaxFingerprintRadius and
// nBits is one of FingerprintSizes.
func CheckFingerprintShape(radius, nBits int) error {
	if radius < 0 || radius > MaxFingerprintRadius {
		return fmt.Errorf("molecules: radius %d is out of range 0..%d: %w", radius, MaxFingerprintRadius, errs.Invalid)
	}
	sizes := FingerprintSizes()
	names := make([]string, len(sizes))
	for i, n := range sizes {
		if n == nBits {
			return nil
		}
		names[i] = fmt.Sprint(n)
	}
	return fmt.Errorf("molecules: nBits %d is not one of the allowed sizes %s: %w", nBits, strings.Join(names, ", "), errs.Invalid)
}
