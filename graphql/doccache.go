package graphql

import (
	"container/list"
	"crypto/sha256"
	"sync"

	"github.com/graphql-go/graphql/language/ast"

	"github.com/rxlab/rxlab/molecules"
)

// docCacheBytes is the budget of the validated-document cache. A parsed
// document is counted as docCostPerByte times its query text.
const (
	docCacheBytes  = 32 << 20
	docCostPerByte = 24
)

// docCache keeps parsed documents that passed validation, keyed by the
// SHA-256 of their query text, least recently used first out. Under the
// load harness's mix graphql-go's ValidateDocument took 37–39 % of the
// server's CPU although clients send the same few documents with new
// variables; a hit skips the pre-scan, the parse and the validation (the
// schema never changes while the server runs). Limits that depend on
// variables are still checked on every request. Documents are shared by
// concurrent executions, which only read them.
type docCache struct {
	mu      sync.Mutex
	budget  int64
	bytes   int64
	order   *list.List // front: most recently used
	byKey   map[[sha256.Size]byte]*list.Element
	hits    uint64
	misses  uint64
	evicted uint64
}

type docEntry struct {
	key  [sha256.Size]byte
	doc  *ast.Document
	cost int64
}

func newDocCache(budget int64) *docCache {
	return &docCache{budget: budget, order: list.New(), byKey: map[[sha256.Size]byte]*list.Element{}}
}

// get returns the validated document of key, if cached.
func (c *docCache) get(key [sha256.Size]byte) (*ast.Document, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.order.MoveToFront(e)
	return e.Value.(*docEntry).doc, true
}

// put keeps a validated document of a query of n bytes; one larger than
// the whole budget is not kept.
func (c *docCache) put(key [sha256.Size]byte, doc *ast.Document, n int) {
	cost := int64(n)*docCostPerByte + 512
	c.mu.Lock()
	defer c.mu.Unlock()
	if cost > c.budget {
		return
	}
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&docEntry{key: key, doc: doc, cost: cost})
	c.bytes += cost
	for c.bytes > c.budget {
		last := c.order.Back()
		ent := last.Value.(*docEntry)
		c.order.Remove(last)
		delete(c.byKey, ent.key)
		c.bytes -= ent.cost
		c.evicted++
	}
}

// stats reports the cache in the shape every rxlab cache uses.
func (c *docCache) stats() molecules.CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return molecules.CacheStats{Entries: c.order.Len(), Bytes: c.bytes, Budget: c.budget,
		Hits: c.hits, Misses: c.misses, Evictions: c.evicted}
}
