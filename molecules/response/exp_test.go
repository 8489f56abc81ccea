package response

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"
)

var expDS = flag.String("exp", "", "dataset for the scratch experiment")
var expSplit = flag.String("expsplit", "random", "")
var expEns = flag.Int("expens", 1, "")

func TestExp(t *testing.T) {
	if *expDS == "" {
		t.Skip()
	}
	st := time.Now()
	m, err := Train(context.Background(), TrainInput{Dataset: *expDS, Split: *expSplit, Seed: 1, Ensemble: *expEns}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(time.Since(st), m.rec.Metrics, m.rec.Baseline, m.rec.Validation, m.rec.IntervalScale, m.rec.InDomainThreshold)
}
