package disclosure

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/store"
)

func openGuard(t testing.TB, cfg Config) (*Guard, *store.DB) {
	t.Helper()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.DB = db
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g, db
}

func TestNonIncreasing(t *testing.T) {
	for _, c := range []struct{ in, want []float64 }{
		{[]float64{5, 4, 3}, []float64{5, 4, 3}},
		{[]float64{3, 5}, []float64{4, 4}},
		{[]float64{10, 2, 4, 1}, []float64{10, 3, 3, 1}},
		{[]float64{}, []float64{}},
	} {
		got := nonIncreasing(c.in)
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-9 {
				t.Errorf("nonIncreasing(%v) = %v, want %v", c.in, got, c.want)
				break
			}
		}
	}
}

func TestProjectAndRound(t *testing.T) {
	for _, c := range []struct {
		in    []float64
		total int
	}{
		{[]float64{50.3, 49.9, -2, 0.4}, 100},
		{[]float64{-3, -1}, 0},
		{[]float64{10, 10, 10}, 7},
		{[]float64{1000, 3, 2}, 12},
	} {
		p := projectSimplex(c.in, float64(c.total))
		r := roundToSum(p, c.total)
		sum := 0
		for i, v := range r {
			if v < 0 || p[i] < 0 {
				t.Errorf("%v → %v %v: negative cell", c.in, p, r)
			}
			sum += v
		}
		if sum != c.total {
			t.Errorf("%v: cells %v add up to %d, want %d", c.in, r, sum, c.total)
		}
	}
}

func ip(v int) *int { return &v }

// TestReleaseCountConsistent checks one answer agrees with itself for
// many noise draws: attrition non-increasing, alone ≥ remaining, the total
// the last step, breakdown cells adding up to the total, nothing below K
// shown.
func TestReleaseCountConsistent(t *testing.T) {
	g, _ := openGuard(t, Config{})
	exact := cohorts.CohortCount{Count: ip(40),
		Attrition: []cohorts.AttritionStep{{Rule: "a", Remaining: ip(900), Alone: ip(900)}, {Rule: "b", Remaining: ip(41), Alone: ip(60)}, {Rule: "c", Remaining: ip(40), Alone: ip(5000)}},
		Breakdown: []cohorts.BreakdownCell{{Dimension: "sex", Value: "FEMALE", Count: ip(22)}, {Dimension: "sex", Value: "MALE", Count: ip(18)},
			{Dimension: "race", Value: "a", Count: ip(39)}, {Dimension: "race", Value: "b", Count: ip(1)}}}
	for i := 0; i < 300; i++ {
		n := newNoise(seedFor([]byte("k"), "t", string(rune(i))), g.sigma)
		out := g.ReleaseCount(exact, Parts{Count: true, Attrition: true, Breakdown: true}, n)
		prev := math.MaxInt
		for _, s := range out.Attrition {
			r := valueOr(s.Remaining, s.Display, g.k)
			if r > prev {
				t.Fatalf("attrition increases: %+v", out.Attrition)
			}
			if s.Alone != nil && s.Remaining != nil && *s.Alone < *s.Remaining {
				t.Fatalf("alone below remaining: %+v", s)
			}
			prev = r
		}
		last := out.Attrition[len(out.Attrition)-1]
		if (out.Count == nil) != (last.Remaining == nil) || (out.Count != nil && *out.Count != *last.Remaining) {
			t.Fatalf("total %v is not the last step %v", out.Count, last.Remaining)
		}
		sums := map[string]int{}
		for _, c := range out.Breakdown {
			if c.Count != nil {
				if *c.Count < g.k {
					t.Fatalf("cell below K shown: %+v", c)
				}
				sums[c.Dimension] += *c.Count
			}
		}
		if out.Count != nil {
			for d, s := range sums {
				if s > *out.Count {
					t.Fatalf("%s cells add up to %d > total %d", d, s, *out.Count)
				}
			}
		}
	}
}

func valueOr(p *int, display string, k int) int {
	if p == nil {
		return k - 1
	}
	return *p
}

// TestBudget spends a small budget: a repeat is free and identical, the
// answer that does not fit is refused with when it renews and leaves no
// trace, a reset restores it, and each spend is audited in its transaction.
func TestBudget(t *testing.T) {
	now := time.Date(2026, 12, 6, 13, 0, 0, 0, time.UTC)
	g, db := openGuard(t, Config{Epsilon: 5, Now: func() time.Time { return now }})
	ctx := context.Background()
	c := Caller{TokenID: "T9", Role: "designer", Operation: "query cohortCount"}
	units := rhoOf(5, DefaultDelta) / g.UnitRho()
	build := func(v int) func(*Noise) (any, error) {
		return func(n *Noise) (any, error) { return roundCount(n.Count(v)), nil }
	}
	var first, again int
	r1, err := g.Release(ctx, c, Request{Kind: "count:c", Query: []byte("q1"), Units: 1}, build(500), &first)
	if err != nil || r1.Repeated {
		t.Fatalf("first release: %v %+v", err, r1)
	}
	r2, err := g.Release(ctx, c, Request{Kind: "count:c", Query: []byte("q1"), Units: 1}, build(9999), &again)
	if err != nil || !r2.Repeated || again != first {
		t.Fatalf("repeat: %v %+v %d vs %d", err, r2, again, first)
	}
	var x int
	_, err = g.Release(ctx, c, Request{Kind: "count:c", Query: []byte("q2"), Units: units}, build(500), &x)
	var be *BudgetExhaustedError
	if !errors.As(err, &be) || be.Code() != CodeBudgetExhausted || !be.RenewsAt.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("over budget: %v", err)
	}
	st, err := g.TokenState(ctx, "T9", "designer")
	if err != nil || st.Answers != 1 || st.RemainingCounts != int(math.Floor(units-1)) {
		t.Fatalf("state after a refusal: %+v %v", st, err)
	}
	if err := g.Reset(ctx, "T9"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Release(ctx, c, Request{Kind: "count:c", Query: []byte("q2"), Units: units - 0.001}, build(500), &x); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	recs, _ := db.AuditLog(ctx, 0, 100)
	spends, denied := 0, 0
	for _, r := range recs {
		switch {
		case r.Operation == "query cohortCount (privacy: spend)" && r.Outcome == "ok":
			spends++
		case r.Outcome == "denied: "+CodeBudgetExhausted:
			denied++
		}
	}
	if spends != 2 || denied != 1 {
		t.Errorf("audit has %d spends and %d denials, want 2 and 1", spends, denied)
	}
	// The next period starts afresh with fresh noise, and forgets the
	// earlier period's ledger.
	now = now.Add(24 * time.Hour)
	var next int
	if r, err := g.Release(ctx, c, Request{Kind: "count:c", Query: []byte("q1"), Units: 1}, build(500), &next); err != nil || r.Repeated {
		t.Fatalf("next period: %v %+v", err, r)
	}
	keys := 0
	db.View(ctx, func(tx *store.Txn) error {
		return tx.ScanKeys([]byte("dp/"), func(k []byte) error {
			if strings.HasPrefix(string(k), "dp/ans/T9/") || strings.HasPrefix(string(k), "dp/spent/T9/") {
				keys++
			}
			return nil
		})
	})
	if keys != 2 {
		t.Errorf("the ledger holds %d records of T9 after a new period, want 2 (one answer, one spend)", keys)
	}
}

// TestConcurrentSpends races many distinct answers against a budget for
// ten: exactly ten are released.
func TestConcurrentSpends(t *testing.T) {
	g, _ := openGuard(t, Config{})
	ctx := context.Background()
	if err := g.SetTokenBudget(ctx, "T5", epsilonOf(10*g.UnitRho(), DefaultDelta)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var v int
			_, err := g.Release(ctx, Caller{TokenID: "T5", Role: "designer", Operation: "query cohortCount"},
				Request{Kind: "count:c", Query: []byte{byte(i)}, Units: 1}, func(n *Noise) (any, error) { return 1, nil }, &v)
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if ok != 10 {
		t.Errorf("%d answers released on a budget of 10 counts", ok)
	}
}

func TestCheckMinimum(t *testing.T) {
	for _, c := range []struct{ n, k int }{{0, 11}, {10, 11}, {11, 11}, {3, 0}, {11, 0}} {
		err := CheckMinimum(c.n, c.k)
		k := c.k
		if k <= 0 {
			k = DefaultK
		}
		var me *MinimumError
		if (c.n < k) != errors.As(err, &me) || (err != nil && (me.Code() != CodeTooSmall || !errors.Is(err, store.ErrInvalid))) {
			t.Errorf("CheckMinimum(%d, %d) = %v", c.n, c.k, err)
		}
	}
}

func TestConversions(t *testing.T) {
	rho := rhoOf(DefaultEpsilon, DefaultDelta)
	if math.Abs(epsilonOf(rho, DefaultDelta)-DefaultEpsilon) > 1e-9 {
		t.Errorf("ε %v → ρ %v → ε %v", DefaultEpsilon, rho, epsilonOf(rho, DefaultDelta))
	}
	counts := rho * 2 * DefaultSigma * DefaultSigma
	if counts < 200 {
		t.Errorf("the default budget holds %.1f counts a day, want at least 200", counts)
	}
	t.Logf("default: σ %.2f, ε %.0f at δ %g per day = ρ %.3f = %.1f counts", DefaultSigma, DefaultEpsilon, DefaultDelta, rho, counts)
}
