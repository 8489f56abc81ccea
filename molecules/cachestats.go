package molecules

// CacheStats describes one byte-bounded cache (the library's search indexes
// of non-stored fingerprint shapes, the response service's loaded models):
// what it holds, its budget, and how often it hit, missed and evicted.
// Services expose it so the API can publish it as metrics.
type CacheStats struct {
	// Entries and Bytes are what the cache holds now; Bytes is an estimate
	// of the memory the entries keep alive.
	Entries int
	Bytes   int64
	// Budget is the most Bytes may reach; an entry larger than the whole
	// budget is used once and not kept.
	Budget int64
	// Hits, Misses and Evictions count lookups and removals for space since
	// the cache was built.
	Hits, Misses, Evictions uint64
}
