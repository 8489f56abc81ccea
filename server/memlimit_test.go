package main

import (
	"runtime/debug"
	"testing"
)

func TestApplyMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	if got := applyMemoryLimit(3 << 30); got != 3<<30 || debug.SetMemoryLimit(-1) != 3<<30 {
		t.Fatalf("explicit limit: got %d, runtime %d", got, debug.SetMemoryLimit(-1))
	}
	total := memTotal()
	got := applyMemoryLimit(0)
	want := int64(defaultMemoryLimit)
	if total > 0 && total/2 < want {
		want = total / 2
	}
	if got != want {
		t.Fatalf("default limit %d, want %d (machine %d)", got, want, total)
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	if got := applyMemoryLimit(5 << 30); got != 1<<30 {
		t.Fatalf("GOMEMLIMIT set: limit %d, want the environment's 1 GiB", got)
	}
}
