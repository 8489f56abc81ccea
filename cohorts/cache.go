package cohorts

import (
	"container/list"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// DefaultCohortCacheBytes is the default of Config.CohortCacheBytes.
const DefaultCohortCacheBytes = 64 << 20

// cohortKey names one evaluation of a saved cohort: the version (its id),
// the index generation and the index date. A saved version never changes,
// so the bitmap stays right while the index and the date stay the same.
type cohortCacheKey struct {
	id  string
	gen uint64
	day int32
}

type cacheEntry struct {
	key  cohortCacheKey
	b    *roaring.Bitmap
	size int64
}

// bitmapCache is a least-recently-used cache of saved-cohort bitmaps,
// bounded by the bitmaps' in-memory size. Cached bitmaps are read-only.
type bitmapCache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	ll      *list.List // front = most recently used
	m       map[cohortCacheKey]*list.Element
	hits    uint64
	misses  uint64
	evicted uint64
}

func newBitmapCache(max int64) *bitmapCache {
	return &bitmapCache{max: max, ll: list.New(), m: map[cohortCacheKey]*list.Element{}}
}

// get returns the cached bitmap (read-only) or nil.
func (c *bitmapCache) get(k cohortCacheKey) *roaring.Bitmap {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		c.ll.MoveToFront(el)
		c.hits++
		return el.Value.(*cacheEntry).b
	}
	c.misses++
	return nil
}

// put stores b (which must not change afterwards), evicting the least
// recently used entries beyond the byte budget. A bitmap larger than the
// whole budget is not kept. Entries of older generations go first, since
// no new request can ask for them.
func (c *bitmapCache) put(k cohortCacheKey, b *roaring.Bitmap) {
	size := int64(b.GetSizeInBytes()) + int64(len(k.id)) + 64
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.max {
		return
	}
	if el, ok := c.m[k]; ok {
		c.ll.MoveToFront(el)
		return
	}
	for el := c.ll.Back(); el != nil; {
		prev := el.Prev()
		if e := el.Value.(*cacheEntry); e.key.gen < k.gen || e.key.day != k.day {
			c.remove(el)
		}
		el = prev
	}
	for c.size+size > c.max && c.ll.Len() > 0 {
		c.remove(c.ll.Back())
	}
	c.m[k] = c.ll.PushFront(&cacheEntry{key: k, b: b, size: size})
	c.size += size
}

func (c *bitmapCache) remove(el *list.Element) {
	e := c.ll.Remove(el).(*cacheEntry)
	delete(c.m, e.key)
	c.size -= e.size
	c.evicted++
}

// CacheStats describes the saved-cohort bitmap cache.
type CacheStats struct {
	Entries   int    `json:"entries"`
	Bytes     int64  `json:"bytes"`
	MaxBytes  int64  `json:"maxBytes"`
	Hits      uint64 `json:"hits"`
	Misses    uint64 `json:"misses"`
	Evictions uint64 `json:"evictions"`
}

func (c *bitmapCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: c.ll.Len(), Bytes: c.size, MaxBytes: c.max, Hits: c.hits, Misses: c.misses, Evictions: c.evicted}
}

// CohortCacheStats returns the size and hit counts of the saved-cohort
// bitmap cache.
func (s *Service) CohortCacheStats() CacheStats { return s.cohortCache.stats() }
