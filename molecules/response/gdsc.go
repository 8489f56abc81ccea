package response

import (
	"context"
	"fmt"

	"github.com/rxlab/rxlab/store"
)

// GDSCName is the dataset name of the GDSC drug-response model.
const GDSCName = "gdsc"

func trainGDSC(ctx context.Context, in TrainInput, progress func(float64, string)) (*Model, error) {
	return nil, fmt.Errorf("response: gdsc training: %w", store.ErrNotImplemented)
}
