package disclosure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/rxlab/rxlab/store"
)

// Defaults (see doc.go for why).
const (
	// DefaultK is the threshold below which a noisy number reads "<k", and
	// the minimum size of a population drawn from stored patients.
	DefaultK = 11
	// DefaultSigma is the Gaussian noise of one count.
	DefaultSigma = 2.6
	// DefaultEpsilon is the budget per token per period of a role without
	// patients:read, at DefaultDelta.
	DefaultEpsilon = 45.0
	// DefaultDelta is the δ of every budget.
	DefaultDelta = 1e-6
	// DefaultPeriod is the budget period.
	DefaultPeriod = 24 * time.Hour
)

// Config configures a Guard.
type Config struct {
	// DB is the open store; required.
	DB *store.DB
	// K is the threshold and minimum size; zero means DefaultK.
	K int
	// Sigma is the noise of one count; zero means DefaultSigma.
	Sigma float64
	// Period is the budget period (periods start at multiples of it since
	// the Unix epoch, UTC); zero means DefaultPeriod.
	Period time.Duration
	// Epsilon is the default budget of every role without a stored one;
	// zero means DefaultEpsilon.
	Epsilon float64
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Guard is rxlab's disclosure control: it adds calibrated noise to
// aggregates about stored patients, remembers what it released, and spends
// each token's privacy budget atomically with the answer.
type Guard struct {
	db     *store.DB
	k      int
	sigma  float64
	period time.Duration
	eps    float64
	now    func() time.Time
	secret []byte
}

// New opens the guard, creating the server secret on first use.
func New(cfg Config) (*Guard, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("disclosure: %w: Config.DB is nil", store.ErrInvalid)
	}
	g := &Guard{db: cfg.DB, k: cfg.K, sigma: cfg.Sigma, period: cfg.Period, eps: cfg.Epsilon, now: cfg.Now}
	if g.k == 0 {
		g.k = DefaultK
	}
	if g.sigma == 0 {
		g.sigma = DefaultSigma
	}
	if g.period == 0 {
		g.period = DefaultPeriod
	}
	if g.eps == 0 {
		g.eps = DefaultEpsilon
	}
	if g.now == nil {
		g.now = time.Now
	}
	switch {
	case g.k < 1:
		return nil, fmt.Errorf("disclosure: %w: K must be at least 1, got %d", store.ErrInvalid, g.k)
	case !(g.sigma > 0) || math.IsInf(g.sigma, 0):
		return nil, fmt.Errorf("disclosure: %w: Sigma must be positive", store.ErrInvalid)
	case g.period < time.Minute:
		return nil, fmt.Errorf("disclosure: %w: Period must be at least a minute", store.ErrInvalid)
	case !(g.eps > 0) || math.IsInf(g.eps, 0):
		return nil, fmt.Errorf("disclosure: %w: Epsilon must be positive", store.ErrInvalid)
	}
	sec, err := loadSecret(context.Background(), cfg.DB)
	if err != nil {
		return nil, err
	}
	g.secret = sec
	return g, nil
}

// K returns the threshold and minimum size.
func (g *Guard) K() int { return g.k }

// Sigma returns the noise of one count.
func (g *Guard) Sigma() float64 { return g.sigma }

// UnitRho is the zCDP cost of one count: 1/(2σ²).
func (g *Guard) UnitRho() float64 { return 1 / (2 * g.sigma * g.sigma) }

// Caller is who asks.
type Caller struct {
	// TokenID is the asking token's id (never the token).
	TokenID string
	// Role is its role.
	Role string
	// Operation names the API operation for the audit record.
	Operation string
}

// Request describes one answer to release.
type Request struct {
	// Kind names the kind of answer and what it releases, e.g.
	// "count:count+attrition".
	Kind string
	// Query is the canonical encoding of the question (normalized
	// criteria, model, canonical SMILES); with Kind it keys the ledger
	// and the noise.
	Query []byte
	// Units is the answer's cost in counts: the sum over its noisy parts
	// of (sensitivity/σ-multiple)², so ρ = Units/(2σ²).
	Units float64
}

// Receipt says what a release cost.
type Receipt struct {
	// Repeated is true when the answer was released before in this period
	// and cost nothing.
	Repeated bool
	// Rho is the zCDP ρ this answer spent (0 when repeated).
	Rho float64
	// Units is Rho in counts.
	Units float64
}

func (g *Guard) periodOf(t time.Time) int64 { return t.UnixNano() / int64(g.period) }

func (g *Guard) renews(p int64) time.Time { return time.Unix(0, (p+1)*int64(g.period)).UTC() }

// Release returns the answer to req for caller, into out (a pointer that
// build's result is JSON-encoded from and decoded into). If the caller got
// this answer in the current period, the remembered one is returned and
// nothing is spent. Otherwise build computes it with the release's noise,
// and one store transaction checks the budget, records the spend and the
// answer, and appends the audit record; a budget too small for it returns
// *BudgetExhaustedError and releases nothing.
func (g *Guard) Release(ctx context.Context, c Caller, req Request, build func(n *Noise) (any, error), out any) (Receipt, error) {
	if c.TokenID == "" {
		return Receipt{}, fmt.Errorf("disclosure: %w: no token", store.ErrPermission)
	}
	if !(req.Units > 0) {
		return Receipt{}, fmt.Errorf("disclosure: %w: an answer must cost something", store.ErrInvalid)
	}
	p := g.periodOf(g.now())
	h := answerHash(req.Kind, req.Query)
	var prior answer
	err := g.db.View(ctx, func(tx *store.Txn) error { return tx.Get(keyAnswer(c.TokenID, p, h), &prior) })
	if err == nil {
		return Receipt{Repeated: true}, json.Unmarshal(prior.Released, out)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return Receipt{}, err
	}
	seed := seedFor(g.secret, "v1", c.TokenID, fmt.Sprint(p), h)
	v, err := build(newNoise(seed, g.sigma))
	if err != nil {
		return Receipt{}, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return Receipt{}, fmt.Errorf("disclosure: encode: %w", err)
	}
	rho := req.Units * g.UnitRho()
	rec := Receipt{Rho: rho, Units: req.Units}
	info := store.AuditInfo{Actor: c.TokenID, Role: c.Role, Operation: c.Operation + " (privacy: spend)",
		Targets: []string{"privacy:answer:" + h[:16], fmt.Sprintf("privacy:counts:%.2f", req.Units)}}
	var exhausted *BudgetExhaustedError
	err = g.db.Update(store.WithAudit(ctx, info), func(tx *store.Txn) error {
		exhausted = nil
		if err := tx.Get(keyAnswer(c.TokenID, p, h), &prior); err == nil {
			raw, rec = prior.Released, Receipt{Repeated: true}
			return errRepeat
		}
		lim, err := g.limitTx(tx, c.TokenID, c.Role)
		if err != nil {
			return err
		}
		var sp spent
		if err := tx.Get(keySpent(c.TokenID, p), &sp); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		left := rhoOf(lim.Epsilon, lim.Delta) - sp.Rho
		if rho > left+1e-12 {
			exhausted = &BudgetExhaustedError{RenewsAt: g.renews(p), Need: req.Units, Left: math.Max(left, 0) / g.UnitRho()}
			return exhausted
		}
		if sp.Answers == 0 {
			// The token's first answer this period: forget earlier periods.
			if err := g.pruneTx(ctx, tx, c.TokenID, p); err != nil {
				return err
			}
		}
		sp.Role, sp.Rho, sp.Answers = c.Role, sp.Rho+rho, sp.Answers+1
		if err := tx.Put(keySpent(c.TokenID, p), sp); err != nil {
			return err
		}
		return tx.Put(keyAnswer(c.TokenID, p, h), answer{Kind: req.Kind, Rho: rho, Released: raw})
	})
	switch {
	case errors.Is(err, errRepeat):
		err = nil
	case exhausted != nil:
		if aerr := g.db.Audit(ctx, store.AuditInfo{Actor: c.TokenID, Role: c.Role, Operation: c.Operation}, "denied: "+CodeBudgetExhausted); aerr != nil {
			return Receipt{}, aerr
		}
		return Receipt{}, exhausted
	}
	if err != nil {
		return Receipt{}, err
	}
	return rec, json.Unmarshal(raw, out)
}

// pruneTx deletes a token's spending and remembered answers of periods
// before p, so the ledger holds at most one period per token (plus the
// current one).
func (g *Guard) pruneTx(ctx context.Context, tx *store.Txn, tok string, p int64) error {
	cur := store.Hex16(uint64(p))
	var old [][]byte
	for _, prefix := range []string{"dp/ans/" + tok + "/", "dp/spent/" + tok + "/"} {
		err := tx.ScanKeys([]byte(prefix), func(k []byte) error {
			if rest := strings.TrimPrefix(string(k), prefix); len(rest) >= 16 && rest[:16] < cur {
				old = append(old, append([]byte(nil), k...))
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
	}
	for _, k := range old {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// errRepeat ends a spend transaction that found the answer already
// released by a concurrent request; nothing is written.
var errRepeat = errors.New("disclosure: released concurrently")

// limitTx returns the token's budget: its own, else its role's, else the
// default.
func (g *Guard) limitTx(tx *store.Txn, tok, role string) (limit, error) {
	var l limit
	err := tx.Get(keyToken(tok), &l)
	if errors.Is(err, store.ErrNotFound) {
		err = tx.Get(keyRole(role), &l)
	}
	if errors.Is(err, store.ErrNotFound) {
		return limit{Epsilon: g.eps, Delta: DefaultDelta}, nil
	}
	if l.Delta == 0 {
		l.Delta = DefaultDelta
	}
	return l, err
}

// State is a budget as the admin query shows it.
type State struct {
	// TokenID is empty for a role's default.
	TokenID string
	Role    string
	// Epsilon and Delta are the budget per period; Own says it was set for
	// this token (else it is the role's).
	Epsilon, Delta float64
	Own            bool
	// EpsilonSpent is the ε the period's spending implies at Delta.
	EpsilonSpent float64
	// RemainingCounts is how many more single counts fit this period.
	RemainingCounts int
	// Answers released this period.
	Answers  int
	Period   time.Duration
	RenewsAt time.Time
}

// TokenState returns one token's budget in the current period.
func (g *Guard) TokenState(ctx context.Context, tok, role string) (State, error) {
	var st State
	err := g.db.View(ctx, func(tx *store.Txn) error {
		var err error
		st, err = g.stateTx(tx, tok, role)
		return err
	})
	return st, err
}

func (g *Guard) stateTx(tx *store.Txn, tok, role string) (State, error) {
	p := g.periodOf(g.now())
	var sp spent
	if err := tx.Get(keySpent(tok, p), &sp); err != nil && !errors.Is(err, store.ErrNotFound) {
		return State{}, err
	}
	if role == "" {
		role = sp.Role
	}
	lim, err := g.limitTx(tx, tok, role)
	if err != nil {
		return State{}, err
	}
	own, _ := tx.Has(keyToken(tok))
	left := math.Max(rhoOf(lim.Epsilon, lim.Delta)-sp.Rho, 0)
	return State{TokenID: tok, Role: role, Epsilon: lim.Epsilon, Delta: lim.Delta, Own: own,
		EpsilonSpent: epsilonOf(sp.Rho, lim.Delta), RemainingCounts: int(math.Floor(left/g.UnitRho() + 1e-9)),
		Answers: sp.Answers, Period: g.period, RenewsAt: g.renews(p)}, nil
}

// Budgets lists the role defaults (roles given) and every token that has a
// budget of its own or spent in the current period; tok, when set, limits
// the tokens to that one.
func (g *Guard) Budgets(ctx context.Context, roles []string, tok string) ([]State, error) {
	var out []State
	err := g.db.View(ctx, func(tx *store.Txn) error {
		p := g.periodOf(g.now())
		if tok == "" {
			for _, r := range roles {
				lim, err := g.limitTx(tx, "", r)
				if err != nil {
					return err
				}
				out = append(out, State{Role: r, Epsilon: lim.Epsilon, Delta: lim.Delta, Period: g.period, RenewsAt: g.renews(p),
					RemainingCounts: int(math.Floor(rhoOf(lim.Epsilon, lim.Delta)/g.UnitRho() + 1e-9))})
			}
		}
		toks := map[string]bool{}
		if tok != "" {
			toks[tok] = true
		} else {
			suffix := "/" + store.Hex16(uint64(p))
			if err := tx.ScanKeys([]byte("dp/spent/"), func(k []byte) error {
				if s := string(k); strings.HasSuffix(s, suffix) {
					toks[strings.TrimSuffix(strings.TrimPrefix(s, "dp/spent/"), suffix)] = true
				}
				return ctx.Err()
			}); err != nil {
				return err
			}
			if err := tx.ScanKeys([]byte("dp/tok/"), func(k []byte) error {
				toks[strings.TrimPrefix(string(k), "dp/tok/")] = true
				return ctx.Err()
			}); err != nil {
				return err
			}
		}
		ids := make([]string, 0, len(toks))
		for t := range toks {
			ids = append(ids, t)
		}
		sort.Strings(ids)
		for _, t := range ids {
			st, err := g.stateTx(tx, t, "")
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// checkEpsilon bounds an admin's ε.
func checkEpsilon(eps float64) error {
	if !(eps >= 0) || eps > 1e6 || math.IsInf(eps, 0) {
		return fmt.Errorf("epsilon: %w: must be between 0 and 1e6", store.ErrInvalid)
	}
	return nil
}

// SetRoleBudget sets the ε per period of every token of role without a
// budget of its own. The caller's context carries the audit record.
func (g *Guard) SetRoleBudget(ctx context.Context, role string, eps float64) error {
	if err := checkEpsilon(eps); err != nil {
		return err
	}
	if role == "" {
		return fmt.Errorf("role: %w: required", store.ErrInvalid)
	}
	return g.db.Update(ctx, func(tx *store.Txn) error {
		tx.Touch("privacy:role:" + role)
		return tx.Put(keyRole(role), limit{Epsilon: eps, Delta: DefaultDelta})
	})
}

// SetTokenBudget sets one token's ε per period (overriding its role's).
func (g *Guard) SetTokenBudget(ctx context.Context, tok string, eps float64) error {
	if err := checkEpsilon(eps); err != nil {
		return err
	}
	if tok == "" {
		return fmt.Errorf("tokenId: %w: required", store.ErrInvalid)
	}
	return g.db.Update(ctx, func(tx *store.Txn) error {
		tx.Touch("privacy:token:" + tok)
		return tx.Put(keyToken(tok), limit{Epsilon: eps, Delta: DefaultDelta})
	})
}

// Reset forgets what a token spent in the current period (its released
// answers stay remembered, so asking them again is still free and the same).
func (g *Guard) Reset(ctx context.Context, tok string) error {
	if tok == "" {
		return fmt.Errorf("tokenId: %w: required", store.ErrInvalid)
	}
	p := g.periodOf(g.now())
	return g.db.Update(ctx, func(tx *store.Txn) error {
		tx.Touch("privacy:token:" + tok)
		var sp spent
		if err := tx.Get(keySpent(tok, p), &sp); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		sp.Rho = 0
		return tx.Put(keySpent(tok, p), sp)
	})
}
