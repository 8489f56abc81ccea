package disclosure

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rxlab/rxlab/store"
)

// Store keys (see doc.go).
var keySecret = []byte("dp/secret")

func keyRole(role string) []byte { return []byte("dp/role/" + role) }
func keyToken(tok string) []byte { return []byte("dp/tok/" + tok) }
func keySpent(tok string, p int64) []byte {
	return []byte("dp/spent/" + tok + "/" + store.Hex16(uint64(p)))
}
func keyAnswer(tok string, p int64, h string) []byte {
	return []byte("dp/ans/" + tok + "/" + store.Hex16(uint64(p)) + "/" + h)
}

// limit is a stored budget: ε per period at δ.
type limit struct {
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
}

// spent is one token's spending in one period.
type spent struct {
	Role    string  `json:"role"`
	Rho     float64 `json:"rho"`
	Answers int     `json:"answers"`
}

// answer is one released answer, remembered so asking again is free.
type answer struct {
	Kind     string          `json:"kind"`
	Rho      float64         `json:"rho"`
	Released json.RawMessage `json:"released"`
}

// rhoOf converts an (ε, δ) budget into the zCDP ρ that composition spends:
// the largest ρ with ρ + 2·sqrt(ρ·ln(1/δ)) ≤ ε (Bun and Steinke 2016).
func rhoOf(eps, delta float64) float64 {
	if eps <= 0 {
		return 0
	}
	l := math.Log(1 / delta)
	r := math.Sqrt(l+eps) - math.Sqrt(l)
	return r * r
}

// epsilonOf converts spent ρ into the ε it implies at δ.
func epsilonOf(rho, delta float64) float64 {
	if rho <= 0 {
		return 0
	}
	return rho + 2*math.Sqrt(rho*math.Log(1/delta))
}

// BudgetExhaustedError is returned when an answer would spend more than
// the token has left in its period. It carries PRIVACY_BUDGET_EXHAUSTED
// and when the budget renews.
type BudgetExhaustedError struct {
	// RenewsAt is the start of the next period.
	RenewsAt time.Time
	// Need and Left are the answer's cost and what is left, in counts.
	Need, Left float64
}

func (e *BudgetExhaustedError) Error() string {
	return fmt.Sprintf("privacy budget exhausted: this answer costs %.1f count(s) of budget and %.1f are left in this period; it renews at %s",
		e.Need, e.Left, e.RenewsAt.UTC().Format(time.RFC3339))
}

// Code implements store.Coder.
func (e *BudgetExhaustedError) Code() string { return CodeBudgetExhausted }

// Is makes errors.Is(err, store.ErrPermission) hold for callers that only
// know the kinds.
func (e *BudgetExhaustedError) Is(target error) bool { return target == store.ErrPermission }

// CodeBudgetExhausted is the GraphQL error code of a spent budget.
const CodeBudgetExhausted = "PRIVACY_BUDGET_EXHAUSTED"

// loadSecret reads the server secret, creating it on first use.
func loadSecret(ctx context.Context, db *store.DB) ([]byte, error) {
	var sec []byte
	err := db.Update(ctx, func(tx *store.Txn) error {
		b, err := tx.GetRaw(keySecret)
		if err == nil && len(b) == 32 {
			sec = b
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		b = make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("disclosure: secret: %w", err)
		}
		sec = b
		return tx.PutRaw(keySecret, b)
	})
	return sec, err
}

// answerHash names an answer in the ledger: SHA-256 of its kind and
// canonical query. It names no patient.
func answerHash(kind string, query []byte) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(query)
	return hex.EncodeToString(h.Sum(nil))
}
