//go:build unix

package mipd

import (
	"syscall"
	"time"
)

// cpuTime is the process's user + system CPU time (benchmarks report it
// per call: on a shared machine it is the uncontended cost).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
