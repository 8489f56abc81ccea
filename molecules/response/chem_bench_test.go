//go:build linux

package response

import (
	"runtime"
	"syscall"
	"testing"
)

// threadCPUNanos is the CPU time of the calling OS thread (RUSAGE_THREAD):
// on a machine shared with other jobs it moves far less than wall time.
func threadCPUNanos() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkParseFeaturizeCPU is BenchmarkParseFeaturize on one goroutine
// locked to its thread, reporting that thread's CPU time per molecule
// (cpu-ns/mol) and the single-core rate it implies (mol/cpu-s). Garbage
// collection running on other threads is not counted, so allocation costs
// are understated; compare allocs/op alongside.
func BenchmarkParseFeaturizeCPU(b *testing.B) {
	m, smiles := benchSetup(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	t0 := threadCPUNanos()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, s := range smiles[:200] {
			if mol, err := m.parser.Parse(s); err == nil {
				_ = featurize(mol, m.rec.Bits, m.colOf, false, m.rec.DescSet)
			}
		}
		n += 200
	}
	cpu := float64(threadCPUNanos() - t0)
	b.ReportMetric(cpu/float64(n), "cpu-ns/mol")
	b.ReportMetric(float64(n)/cpu*1e9, "mol/cpu-s")
	b.ReportMetric(0, "ns/op")
}
