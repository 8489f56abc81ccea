package molecules

import (
	"errors"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

func TestCheckFingerprintShape(t *testing.T) {
	cases := []struct {
		radius, nBits int
		ok            bool
		mentions      string
	}{
		{2, 2048, true, ""},
		{0, 512, true, ""},
		{6, 4096, true, ""},
		{2, 1024, true, ""},
		{2, 2047, false, "512, 1024, 2048, 4096"},
		{2, 16384, false, "nBits 16384"},
		{2, 8, false, "allowed sizes"},
		{2, 0, false, "nBits 0"},
		{7, 2048, false, "radius 7"},
		{-1, 2048, false, "0..6"},
	}
	for _, tc := range cases {
		err := CheckFingerprintShape(tc.radius, tc.nBits)
		if (err == nil) != tc.ok {
			t.Errorf("(%d, %d): %v, want ok=%v", tc.radius, tc.nBits, err, tc.ok)
			continue
		}
		if err != nil && (!errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.mentions)) {
			t.Errorf("(%d, %d): %v, want ErrInvalid mentioning %q", tc.radius, tc.nBits, err, tc.mentions)
		}
	}
}
