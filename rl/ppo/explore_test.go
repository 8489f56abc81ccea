package ppo

import (
	"context"
	"flag"
	"testing"

	"github.com/rxlab/rxlab/rl/dosing"
)

var exploreIters = flag.Int("ppo.explore", 0, "run the exploratory training for this many iterations")

func TestExplore(t *testing.T) {
	if *exploreIters == 0 {
		t.Skip("exploration run: -ppo.explore N")
	}
	pop, err := dosing.RavvazPopulation(2000, 7)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{Model: dosing.WarfarinHamberg, Population: pop, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range *exploreIters {
		m, err := tr.Iterate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", m)
	}
}
