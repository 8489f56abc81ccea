package graphql

import (
	"context"
	"math"
	"testing"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
)

// BenchmarkPrivacyUtility measures the utility goal of issue 21 over HTTP
// on 10,000 seeded patients: each iteration releases one distinct count of
// at least 100 patients to a designer and compares it with the exact
// count. It reports the share within ±5 % (goal ≥ 0.95) and how many
// distinct single counts one designer token gets on the default budget
// (goal ≥ 200 a day). Run: go test ./graphql -run '^$' -bench PrivacyUtility -benchtime 2000x
func BenchmarkPrivacyUtility(b *testing.B) {
	ts := newTestServerWith(b, func(ts *testServer) []Domain {
		svc, err := cohorts.New(cohorts.Config{DB: ts.db})
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.Seed(context.Background(), 10000, 7); err != nil {
			b.Fatal(err)
		}
		return []Domain{&Cohorts{Service: svc}}
	})
	// Distinct criteria with at least 100 patients, and their exact counts.
	type q struct {
		c     crit
		exact float64
	}
	var qs []q
	for i := 0; len(qs) < max(b.N, 1); i++ {
		lo := i % 70
		c := crit{"age": crit{"min": lo, "max": lo + 1 + (i/70)%4}}
		if i%3 == 1 {
			c = all(c, crit{"sex": []any{"FEMALE"}})
		} else if i%3 == 2 {
			c = all(c, crit{"sex": []any{"MALE"}})
		}
		r := ts.query(ts.admin, plainCount, map[string]any{"c": c})
		if n := r.Data["cohortCount"].(map[string]any)["count"].(float64); n >= 100 {
			qs = append(qs, q{c, n})
		}
		if i > 100*max(b.N, 1)+1000 {
			b.Fatalf("found only %d distinct criteria with ≥ 100 patients", len(qs))
		}
	}
	tok, used := ts.token(auth.Designer), 0
	perToken := 0
	within, near, nearWithin := 0, 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := ts.query(tok, plainCount, map[string]any{"c": qs[i].c})
		if r.code() == disclosure.CodeBudgetExhausted {
			if perToken == 0 {
				perToken = used
			}
			tok, used = ts.token(auth.Designer), 0
			r = ts.query(tok, plainCount, map[string]any{"c": qs[i].c})
		}
		if r.code() != "" {
			b.Fatalf("count: %v", r.Errors)
		}
		used++
		v, _ := r.Data["cohortCount"].(map[string]any)["count"].(float64)
		ok := math.Abs(v-qs[i].exact) <= 0.05*qs[i].exact
		if ok {
			within++
		}
		if qs[i].exact < 200 {
			near++
			if ok {
				nearWithin++
			}
		}
	}
	b.StopTimer()
	share := float64(within) / float64(b.N)
	b.ReportMetric(share, "within5%")
	if near > 0 {
		b.ReportMetric(float64(nearWithin)/float64(near), "within5%_100-199")
		b.ReportMetric(float64(near), "counts_100-199")
	}
	if perToken > 0 {
		b.ReportMetric(float64(perToken), "counts/token/day")
	}
	if b.N >= 1000 && share < 0.95 {
		b.Errorf("%.3f of counts ≥ 100 within ±5 %%, want ≥ 0.95", share)
	}
	if perToken > 0 && perToken < 200 {
		b.Errorf("one designer token got %d counts a day, want ≥ 200", perToken)
	}
}
