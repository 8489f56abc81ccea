//go:build !unix

package main

import "time"

// processCPU is unavailable here; the harness falls back to wall time.
func processCPU() (time.Duration, bool) { return 0, false }
