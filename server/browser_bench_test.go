package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkWorkbench measures the workbench in headless Chromium against the
// real server on loopback with the demo world (2,000 patients):
//
//	first-render-ms  /cohorts from navigation start to the count and funnel drawn (goal ≤ 1000)
//	js-gzip-KB       JavaScript /cohorts loads, bytes on the wire (goal ≤ 500)
//	count-update-ms  from the last keystroke in the builder to the new count on screen (goal ≤ 150)
//	inr-5arm-draw-ms drawing 5 arms of a 90-day INR simulation, charts and layout (goal ≤ 100)
//
// Run: go test ./server -run '^$' -bench Workbench -benchtime 5x
func BenchmarkWorkbench(b *testing.B) {
	ctx := newBrowser(b)
	s := startBrowserServer(b)
	base := "http://" + s.addr
	var first, jsKB, update, draw float64
	for i := 0; i < b.N; i++ {
		var at string
		var kb float64
		brun(b, ctx, 30*time.Second, "first render",
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(base+"/cohorts#token="+s.admin),
			chromedp.WaitVisible(`.rx-count[data-state=done]`, chromedp.ByQuery),
			chromedp.AttributeValue(`.rx-count`, "data-at", &at, nil, chromedp.ByQuery),
			eval(`performance.getEntriesByType('resource').filter(e => e.name.endsWith('.js'))
				.reduce((s, e) => s + e.encodedBodySize, 0) / 1024`, &kb))
		ms, _ := strconv.ParseFloat(at, 64)
		first += ms
		if i == 0 {
			jsKB = kb // later loads come from the cache
		}
		var upd float64
		brun(b, ctx, 10*time.Second, "count update",
			eval(`(async () => {
				const box = document.querySelector('.rx-count'); const n = box.dataset.n;
				const inp = document.querySelector('.rx-builder input[type=number]');
				inp.value = String(41 + Math.floor(Math.random() * 30));
				const t0 = performance.now();
				inp.dispatchEvent(new Event('input', {bubbles: true}));
				while (box.dataset.n === n) await new Promise(r => requestAnimationFrame(r));
				return performance.now() - t0; })()`, &upd))
		update += upd
		var drawMS string
		brun(b, ctx, 30*time.Second, "5 arms",
			chromedp.Navigate(base+"/dosing"),
			chromedp.WaitVisible(`[data-chart=curve]`, chromedp.ByQuery),
			eval(`document.querySelectorAll('[aria-label=regimens] input[type=checkbox]').forEach(c => { if (!c.checked) c.click(); })`, nil),
			chromedp.Click(`//button[text()="Simulate"]`, chromedp.BySearch),
			chromedp.WaitVisible(`[data-chart=curve][data-arms="5"]`, chromedp.ByQuery),
			chromedp.AttributeValue(`[data-chart=curve]`, "data-draw-ms", &drawMS, nil, chromedp.ByQuery))
		d, _ := strconv.ParseFloat(drawMS, 64)
		draw += d
	}
	n := float64(b.N)
	b.ReportMetric(first/n, "first-render-ms")
	b.ReportMetric(jsKB, "js-gzip-KB")
	b.ReportMetric(update/n, "count-update-ms")
	b.ReportMetric(draw/n, "inr-5arm-draw-ms")
}
