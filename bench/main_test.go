package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStats(t *testing.T) {
	cases := []struct {
		in       []float64
		med, max float64
	}{
		{[]float64{3}, 3, 3},
		{[]float64{5, 1, 3}, 3, 5},
		{[]float64{4, 1, 3, 2}, 2.5, 4},
	}
	for _, c := range cases {
		if m := median(c.in); m != c.med {
			t.Errorf("median(%v) = %v, want %v", c.in, m, c.med)
		}
		if m := maxOf(c.in); m != c.max {
			t.Errorf("maxOf(%v) = %v, want %v", c.in, m, c.max)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) should be NaN")
	}
}

func TestFlopsPerStep(t *testing.T) {
	// 2-layer 2-3-1 at batch 1: forward 2·(6+3), weight grads 2·(6+3),
	// input grad of the second layer 2·3.
	if got, want := flopsPerStep([]int{2, 3, 1}, 1), 2.0*(6+3)*2+2*3; got != want {
		t.Fatalf("flopsPerStep = %v, want %v", got, want)
	}
}

// TestRunSmoke runs the whole harness briefly without the peer and checks
// the table and the JSON rows.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every workload")
	}
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "r.json")
	if err := run(context.Background(), &out, clock{cpu: true, t0: time.Now()}, false, path, 1, 20*time.Millisecond, "/usr/bin/python3", 1); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ppo-update 16-64-64-8 b64", "act b1 16-64-64-8", "env-steps warfarin-hamberg", "ppo end-to-end docetaxel-friberg", "response-model training"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Fatalf("%d JSON rows, want 10", len(rows))
	}
	for _, r := range rows {
		if v, ok := r["ours_per_s"].(float64); !ok || v <= 0 {
			t.Errorf("row %v has no measured rate: %v", r["workload"], r["ours_per_s"])
		}
	}
	for _, r := range rows {
		for _, k := range []string{"workload", "ours_per_s", "peer_per_s", "ratio", "allocs_per_op"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row %v lacks %q", r["workload"], k)
			}
		}
		// The harness counts the process's mallocs over the whole window, so
		// the runtime's own background allocations show up as a small
		// fraction per op (seen: 0.017); an update that allocates shows ≥ 1.
		if r["workload"] == "ppo-update 16-64-64-8 b64" && r["allocs_per_op"].(float64) >= 0.5 {
			t.Errorf("core PPO update allocates: %v", r["allocs_per_op"])
		}
	}
}
