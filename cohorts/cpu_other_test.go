//go:build !linux

package cohorts

import "time"

// threadCPU is unavailable off Linux.
func threadCPU() time.Duration { return 0 }
