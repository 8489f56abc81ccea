package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
)

// clock is a settable time for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestFailureLimiterBackoff(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	l, err := NewFailureLimiter(LimiterConfig{Free: 2, Base: time.Second, Max: 8 * time.Second, Capacity: 10, Forget: time.Minute, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	// Failures 1–2 are free; then 1 s, 2 s, 4 s, 8 s, 8 s.
	for i, want := range []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		n, wait := l.Fail("10.0.0.1")
		if n != i+1 || wait != want {
			t.Fatalf("failure %d: n=%d wait=%s, want %s", i+1, n, wait, want)
		}
	}
	if w := l.Wait("10.0.0.1"); w != 8*time.Second {
		t.Errorf("Wait = %s", w)
	}
	if w := l.Wait("10.0.0.2"); w != 0 {
		t.Errorf("another client waits %s", w)
	}
	c.t = c.t.Add(9 * time.Second)
	if w := l.Wait("10.0.0.1"); w != 0 {
		t.Errorf("after the wait: %s", w)
	}
	// Still remembered: the next failure waits the maximum again.
	if _, wait := l.Fail("10.0.0.1"); wait != 8*time.Second {
		t.Errorf("next failure waits %s", wait)
	}
	// Forgotten after Forget without failures.
	c.t = c.t.Add(2 * time.Minute)
	if n, wait := l.Fail("10.0.0.1"); n != 1 || wait != 0 {
		t.Errorf("after Forget: n=%d wait=%s", n, wait)
	}
	l.Succeed("10.0.0.1")
	if l.Len() != 0 {
		t.Errorf("Succeed left %d clients", l.Len())
	}
}

// TestFailureLimiterBounded: an attacker with many addresses cannot grow
// the table past Capacity.
func TestFailureLimiterBounded(t *testing.T) {
	l, _ := NewFailureLimiter(LimiterConfig{Free: 1, Base: time.Second, Max: time.Minute, Capacity: 100})
	for i := 0; i < 100_000; i++ {
		l.Fail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("%d clients remembered, capacity 100", n)
	}
	// The most recent ones are kept.
	if n, _ := l.Fail("10.1.134.159"); n != 2 {
		t.Errorf("most recent client: %d failures", n)
	}
}

func TestNewFailureLimiterChecks(t *testing.T) {
	for _, cfg := range []LimiterConfig{
		{Free: -1, Base: time.Second, Max: time.Second, Capacity: 1},
		{Base: 0, Max: time.Second, Capacity: 1},
		{Base: time.Minute, Max: time.Second, Capacity: 1},
		{Base: time.Second, Max: time.Second, Capacity: 0},
	} {
		if _, err := NewFailureLimiter(cfg); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

func TestClientKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"192.0.2.7:5555", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"not an address", "not an address"},
	}
	for _, c := range cases {
		if got := ClientKey(c.in); got != c.want {
			t.Errorf("ClientKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestVerifyOneAnswer: malformed, unknown and revoked tokens all fail with
// ErrUnauthenticated after the same lookup.
func TestVerifyOneAnswer(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks, _ := NewTokens(db)
	tok, info, _ := toks.Create(ctx, Designer, "x")
	toks.Revoke(ctx, info.ID)
	for _, c := range []struct{ tok, reason string }{
		{tok, "revoked"},
		{"rx_" + strings.Repeat("B", 43), "unknown"},
		{"rx_short", "malformed"},
	} {
		_, err := toks.Verify(ctx, c.tok)
		if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("Verify(%s) = %v", c.reason, err)
		}
	}
}

// BenchmarkVerify compares the time of an unknown and a revoked token
// (they should be within noise of each other).
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: b.TempDir(), GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	toks, _ := NewTokens(db)
	tok, info, _ := toks.Create(ctx, Designer, "x")
	toks.Revoke(ctx, info.ID)
	for name, tk := range map[string]string{"revoked": tok, "unknown": "rx_" + strings.Repeat("B", 43), "malformed": "rx_short"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				toks.Verify(ctx, tk)
			}
		})
	}
}
