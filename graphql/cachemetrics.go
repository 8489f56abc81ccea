package graphql

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rxlab/rxlab/molecules"
)

// cacheCollector publishes one domain cache's CacheStats as Prometheus
// series labelled cache="<name>": rxlab_cache_bytes, rxlab_cache_entries,
// rxlab_cache_budget_bytes and the counters rxlab_cache_hits_total,
// rxlab_cache_misses_total and rxlab_cache_evictions_total.
type cacheCollector struct {
	stats                                    func() molecules.CacheStats
	bytes, entries, budget, hits, miss, evic *prometheus.Desc
}

func newCacheCollector(name string, stats func() molecules.CacheStats) *cacheCollector {
	l := prometheus.Labels{"cache": name}
	d := func(metric, help string) *prometheus.Desc {
		return prometheus.NewDesc(metric, help, nil, l)
	}
	return &cacheCollector{stats: stats,
		bytes:   d("rxlab_cache_bytes", "Estimated bytes a cache holds."),
		entries: d("rxlab_cache_entries", "Entries a cache holds."),
		budget:  d("rxlab_cache_budget_bytes", "The most bytes a cache may hold."),
		hits:    d("rxlab_cache_hits_total", "Cache lookups that found their entry."),
		miss:    d("rxlab_cache_misses_total", "Cache lookups that did not."),
		evic:    d("rxlab_cache_evictions_total", "Entries removed to stay within the budget."),
	}
}

// Describe implements prometheus.Collector.
func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.bytes, c.entries, c.budget, c.hits, c.miss, c.evic} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(s.Entries))
	ch <- prometheus.MustNewConstMetric(c.budget, prometheus.GaugeValue, float64(s.Budget))
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(c.miss, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(c.evic, prometheus.CounterValue, float64(s.Evictions))
}
