package molecules

import (
	"slices"
	"sync"
	"testing"
)

// TestPooledScratchConcurrent parses and describes the same molecules on
// several goroutines at once: pooled scratch (sanitize, SSSR finder, SMARTS
// matcher, Morgan) must never leak state between molecules, so every
// goroutine must see exactly the single-threaded answers. Run it with -race
// after touching the pools.
func TestPooledScratchConcurrent(t *testing.T) {
	smis := goldenSMILES(t)
	if len(smis) > 800 {
		smis = smis[:800]
	}
	type answer struct {
		canon string
		logp  float64
		rings int
		fp    []int
	}
	want := make([]*answer, len(smis))
	for i, s := range smis {
		if m, err := Parse(s); err == nil {
			lp, _ := Crippen(m)
			want[i] = &answer{m.CanonicalSMILES(), lp, len(m.Rings()), Morgan(m, 2, 2048).OnBits()}
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range smis {
				i := (k + g*len(smis)/4) % len(smis)
				m, err := Parse(smis[i])
				if (err == nil) != (want[i] != nil) {
					t.Errorf("%s: error %v", smis[i], err)
					continue
				}
				if err != nil {
					continue
				}
				lp, _ := Crippen(m)
				got := answer{m.CanonicalSMILES(), lp, len(m.Rings()), Morgan(m, 2, 2048).OnBits()}
				w := want[i]
				if got.canon != w.canon || got.logp != w.logp || got.rings != w.rings || !slices.Equal(got.fp, w.fp) {
					t.Errorf("%s: concurrent answer %+v, alone %+v", smis[i], got, *w)
				}
			}
		}(g)
	}
	wg.Wait()
}
