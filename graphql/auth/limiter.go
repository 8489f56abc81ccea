package auth

import (
	"container/list"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/rxlab/rxlab/store"
)

// LimiterConfig configures a FailureLimiter.
type LimiterConfig struct {
	// Free is how many failures a client may make before it must wait.
	Free int
	// Base is the first wait; every further failure doubles it, up to Max.
	Base, Max time.Duration
	// Capacity bounds the clients remembered; the least recently failed
	// one is forgotten first, so an attacker cannot grow the table.
	Capacity int
	// Forget is how long after its last failure a client starts afresh;
	// zero means twice Max.
	Forget time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// FailureLimiter counts failed authentications per client and tells how
// long a client must wait before it may try again (exponential backoff).
// It is safe for concurrent use.
type FailureLimiter struct {
	cfg     LimiterConfig
	mu      sync.Mutex
	clients map[string]*list.Element
	lru     *list.List // front: most recent failure
}

type failures struct {
	client string
	n      int
	last   time.Time
	until  time.Time
}

// NewFailureLimiter checks cfg and returns an empty limiter.
func NewFailureLimiter(cfg LimiterConfig) (*FailureLimiter, error) {
	if cfg.Free < 0 || cfg.Base <= 0 || cfg.Max < cfg.Base || cfg.Capacity <= 0 {
		return nil, fmt.Errorf("auth: limiter: %w: want Free ≥ 0, 0 < Base ≤ Max, Capacity > 0", store.ErrInvalid)
	}
	if cfg.Forget <= 0 {
		cfg.Forget = 2 * cfg.Max
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &FailureLimiter{cfg: cfg, clients: map[string]*list.Element{}, lru: list.New()}, nil
}

// Wait returns how long client must still wait before its next attempt;
// zero when it may try now.
func (l *FailureLimiter) Wait(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	e, ok := l.clients[client]
	if !ok {
		return 0
	}
	f := e.Value.(*failures)
	if now.Sub(f.last) > l.cfg.Forget {
		l.remove(e)
		return 0
	}
	if d := f.until.Sub(now); d > 0 {
		return d
	}
	return 0
}

// Fail records a failed attempt by client and returns its failures so far
// and how long it must now wait (zero while it has free attempts left).
func (l *FailureLimiter) Fail(client string) (int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	l.expire(now)
	e, ok := l.clients[client]
	if ok && now.Sub(e.Value.(*failures).last) > l.cfg.Forget {
		l.remove(e)
		ok = false
	}
	if !ok {
		for l.lru.Len() >= l.cfg.Capacity {
			l.remove(l.lru.Back())
		}
		e = l.lru.PushFront(&failures{client: client})
		l.clients[client] = e
	}
	l.lru.MoveToFront(e)
	f := e.Value.(*failures)
	f.n++
	f.last = now
	var wait time.Duration
	if over := f.n - l.cfg.Free; over > 0 {
		wait = l.cfg.Max
		if over <= 30 {
			wait = min(l.cfg.Max, l.cfg.Base<<(over-1))
		}
		f.until = now.Add(wait)
	}
	return f.n, wait
}

// Succeed forgets client's failures. The API does not call it on a
// successful request (an address may be shared by an attacker and a
// colleague); an administrator's tooling may, to unblock an address.
func (l *FailureLimiter) Succeed(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.clients[client]; ok {
		l.remove(e)
	}
}

// Len returns how many clients the limiter remembers.
func (l *FailureLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// expire drops a few forgotten clients from the old end, so the table
// shrinks back as attacks stop.
func (l *FailureLimiter) expire(now time.Time) {
	for i := 0; i < 4; i++ {
		e := l.lru.Back()
		if e == nil || now.Sub(e.Value.(*failures).last) <= l.cfg.Forget {
			return
		}
		l.remove(e)
	}
}

func (l *FailureLimiter) remove(e *list.Element) {
	delete(l.clients, e.Value.(*failures).client)
	l.lru.Remove(e)
}

// ClientKey turns a client address (host, or host:port) into the key
// failures are counted under: the IPv4 address, or the /64 network of an
// IPv6 address (one host usually holds a whole /64). Unparsable addresses
// are their own key.
func ClientKey(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		addr = ap.Addr().String()
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
