package disclosure

import (
	"encoding/binary"
	"testing"

	"github.com/rxlab/rxlab/cohorts"
)

// FuzzReleaseCount feeds arbitrary exact answers (any step and cell
// counts, even inconsistent ones) to the release: it must not panic, and
// its answer must be consistent and show nothing below K.
func FuzzReleaseCount(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 5, 0, 0, 0, 200, 0, 0, 0}, uint8(3))
	f.Add([]byte{255, 255, 255, 127, 0, 0, 0, 0}, uint8(1))
	g := &Guard{k: DefaultK, sigma: DefaultSigma}
	f.Fuzz(func(t *testing.T, raw []byte, steps uint8) {
		var nums []int
		for len(raw) >= 4 && len(nums) < 64 {
			nums = append(nums, int(binary.LittleEndian.Uint32(raw)%1_000_000))
			raw = raw[4:]
		}
		if len(nums) == 0 {
			return
		}
		at := func(i int) *int { v := nums[i%len(nums)]; return &v }
		exact := cohorts.CohortCount{Count: at(0)}
		for i := 0; i < int(steps%8)+1; i++ {
			exact.Attrition = append(exact.Attrition, cohorts.AttritionStep{Rule: "r", Remaining: at(2 * i), Alone: at(2*i + 1)})
		}
		for i, dim := range []string{"sex", "sex", "ageBand", "race", "race", "race"} {
			exact.Breakdown = append(exact.Breakdown, cohorts.BreakdownCell{Dimension: dim, Value: dim + string(rune('a'+i)), Count: at(i + 3)})
		}
		out := g.ReleaseCount(exact, Parts{Count: true, Attrition: true, Breakdown: true}, newNoise(raw, g.sigma))
		prev := int(^uint(0) >> 1)
		for _, s := range out.Attrition {
			if s.Remaining != nil {
				if *s.Remaining < g.k || *s.Remaining > prev {
					t.Fatalf("attrition %+v", out.Attrition)
				}
				prev = *s.Remaining
			}
		}
		sums := map[string]int{}
		for _, c := range out.Breakdown {
			if c.Count != nil {
				if *c.Count < g.k {
					t.Fatalf("cell %+v", c)
				}
				sums[c.Dimension] += *c.Count
			}
		}
		for d, s := range sums {
			if out.Count == nil || s > *out.Count {
				t.Fatalf("%s cells add up to %d, total %v", d, s, out.Count)
			}
		}
	})
}
