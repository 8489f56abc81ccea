// Package lru is a least-recently-used cache bounded by the bytes its
// entries keep alive rather than by their number, for the molecules
// packages' derived data (search indexes, loaded models) whose sizes differ
// by orders of magnitude.
package lru

import (
	"container/list"
	"sync"

	"github.com/rxlab/rxlab/molecules"
)

// Cache maps keys to values, each with a size in bytes; adding past the
// budget evicts the least recently used entries. It is safe for concurrent
// use.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	budget int64
	used   int64
	order  *list.List // front = most recently used; elements hold *entry
	items  map[K]*list.Element

	hits, misses, evictions uint64
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	size int64
}

// New returns an empty cache that keeps at most budget bytes (budget > 0).
func New[K comparable, V any](budget int64) *Cache[K, V] {
	return &Cache[K, V]{budget: max(budget, 1), order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value under k and marks it recently used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		c.misses++
		var zero V
		return zero, false
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*entry[K, V]).val, true
}

// Add stores v under k with its size in bytes, replacing an entry with the
// same key, and evicts the least recently used entries until the budget
// holds. An entry larger than the whole budget is not stored; Add reports
// whether v was kept.
func (c *Cache[K, V]) Add(k K, v V, size int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.removeElement(el)
	}
	if size > c.budget {
		return false
	}
	for c.used+size > c.budget {
		c.removeElement(c.order.Back())
		c.evictions++
	}
	c.items[k] = c.order.PushFront(&entry[K, V]{k, v, size})
	c.used += size
	return true
}

// RemoveIf drops every entry whose key satisfies drop (not counted as
// evictions: the caller invalidated them).
func (c *Cache[K, V]) RemoveIf(drop func(K) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.items {
		if drop(k) {
			c.removeElement(el)
		}
	}
}

func (c *Cache[K, V]) removeElement(el *list.Element) {
	e := el.Value.(*entry[K, V])
	c.order.Remove(el)
	delete(c.items, e.key)
	c.used -= e.size
}

// Stats reports the cache's contents and counters.
func (c *Cache[K, V]) Stats() molecules.CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return molecules.CacheStats{Entries: len(c.items), Bytes: c.used, Budget: c.budget,
		Hits: c.hits, Misses: c.misses, Evictions: c.evictions}
}
