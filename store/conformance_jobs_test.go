package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store/jobs"
)

func TestConformanceJobs(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := mustOpen(t, b.fresh(t))
		r, err := jobs.New(jobs.Config{DB: db, Concurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Register(jobs.Kind{Name: "sum", Run: func(ctx context.Context, h *jobs.Handle) error {
			var p []int
			if err := json.Unmarshal(h.Job().Params, &p); err != nil {
				return err
			}
			s := 0
			for _, x := range p {
				s += x
			}
			h.Progress(ctx, 0.5, "half")
			return h.SetResult(ctx, s)
		}})
		if err != nil {
			t.Fatal(err)
		}
		j, err := r.Start(ctx, "sum", "tok", []int{1, 2, 3, 4})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := r.Get(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State.Final() {
				if got.State != jobs.Succeeded || string(got.Result) != "10" {
					t.Fatalf("job ended %s with %s", got.State, got.Result)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job still %s after 10 s", got.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := r.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
