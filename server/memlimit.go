package main

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// defaultMemoryLimit is the soft limit when none is configured: a million
// patients' index and Badger's tables live in about 0.6 GB.
const defaultMemoryLimit = 2 << 30

// applyMemoryLimit sets the Go runtime's soft memory limit for serve. An
// explicit GOMEMLIMIT in the environment wins. Otherwise limit > 0 is used
// as given, and limit == 0 means 2 GiB or half of the machine's memory
// (as /proc/meminfo reports it), whichever is less. The limit is
// soft: the collector works harder near it instead of letting garbage
// double the heap, which is what kept a million-patient import at 1.8 GB
// instead of 4.3 GB. It returns the limit in force (0: none).
func applyMemoryLimit(limit int64) int64 {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return debug.SetMemoryLimit(-1)
	}
	if limit == 0 {
		limit = defaultMemoryLimit
		if half := memTotal() / 2; half > 0 && half < limit {
			limit = half
		}
	}
	if limit <= 0 {
		return 0
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// memTotal reads MemTotal from /proc/meminfo, or 0.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
