package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rxlab/rxlab/store"
)

// Role is what a token may do.
type Role string

// The roles.
const (
	Admin          Role = "admin"
	Designer       Role = "designer"
	Pharmacologist Role = "pharmacologist"
	Chemist        Role = "chemist"
	Clinician      Role = "clinician"
)

// Roles lists every role.
var Roles = []Role{Admin, Designer, Pharmacologist, Chemist, Clinician}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("auth: %w: unknown role %q (want one of admin, designer, pharmacologist, chemist, clinician)", store.ErrInvalid, s)
}

// Permission names one capability of the API.
type Permission string

// The permissions.
const (
	PatientsRead  Permission = "patients:read"  // patient-level records and ids
	PatientsWrite Permission = "patients:write" // patient, FHIR and VCF imports
	CohortsCount  Permission = "cohorts:count"  // aggregate counts, attrition, breakdown
	CohortsWrite  Permission = "cohorts:write"  // saved cohorts, trial import
	GenomicsCall  Permission = "genomics:call"  // stateless PGx calls on caller-supplied VCF
	MoleculesRead Permission = "molecules:read"
	MoleculesEdit Permission = "molecules:write"
	ModelsRead    Permission = "models:read" // list models, predict
	ModelsTrain   Permission = "models:train"
	DosingRead    Permission = "dosing:read" // drug models, simulate, recommend
	Training      Permission = "dosing:train"
	JobsRead      Permission = "jobs:read"
	AuditRead     Permission = "audit:read"
	TokensManage  Permission = "tokens:manage"
)

// table is the one permission table: which roles hold each permission.
// Admin holds every permission.
var table = map[Permission][]Role{
	PatientsRead:  {Clinician},
	PatientsWrite: {Clinician},
	CohortsCount:  {Designer, Clinician, Pharmacologist},
	CohortsWrite:  {Designer},
	GenomicsCall:  {Clinician, Pharmacologist},
	MoleculesRead: {Chemist, Pharmacologist, Designer},
	MoleculesEdit: {Chemist, Pharmacologist},
	ModelsRead:    {Chemist, Pharmacologist, Designer},
	ModelsTrain:   {Chemist, Pharmacologist},
	DosingRead:    {Pharmacologist, Clinician},
	Training:      {Pharmacologist},
	JobsRead:      {Designer, Pharmacologist, Chemist, Clinician},
	AuditRead:     {},
	TokensManage:  {},
}

// Allowed reports whether role holds perm.
func Allowed(role Role, perm Permission) bool {
	if role == Admin {
		return true
	}
	for _, r := range table[perm] {
		if r == role {
			return true
		}
	}
	return false
}

// Table returns the permission table as permission → roles (admin included), sorted.
func Table() map[Permission][]Role {
	out := map[Permission][]Role{}
	for p, rs := range table {
		out[p] = append([]Role{Admin}, rs...)
		sort.Slice(out[p], func(a, b int) bool { return out[p][a] < out[p][b] })
	}
	return out
}

// Principal is the authenticated caller of one request.
type Principal struct {
	TokenID string
	Role    Role
}

// Can reports whether the principal holds perm.
func (p Principal) Can(perm Permission) bool { return Allowed(p.Role, perm) }

type ctxKey struct{}

// WithPrincipal attaches the caller to ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the caller attached by WithPrincipal.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// ErrUnauthenticated means no valid token was presented (HTTP 401).
var ErrUnauthenticated = errors.New("unauthenticated")

// TokenInfo is what the store keeps about a token.
type TokenInfo struct {
	ID        string    `json:"id"`
	Role      Role      `json:"role"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	Revoked   bool      `json:"revoked"`
}

// Tokens issues, verifies and revokes tokens.
type Tokens struct {
	db *store.DB
}

// NewTokens returns the token manager over db.
func NewTokens(db *store.DB) (*Tokens, error) {
	if db == nil {
		return nil, fmt.Errorf("auth: %w: nil store", store.ErrInvalid)
	}
	return &Tokens{db: db}, nil
}

const tokenPrefix = "rx_"

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// Create issues a new token with role; the token itself is returned once and
// never stored.
func (t *Tokens) Create(ctx context.Context, role Role, name string) (string, TokenInfo, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", TokenInfo{}, err
	}
	if name != "" {
		if err := store.CheckName("name", name); err != nil {
			return "", TokenInfo{}, err
		}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", TokenInfo{}, fmt.Errorf("auth: random: %w", err)
	}
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	h := hashToken(tok)
	var info TokenInfo
	err := t.db.Update(ctx, func(tx *store.Txn) error {
		n, err := tx.NextID("token")
		if err != nil {
			return err
		}
		info = TokenInfo{ID: fmt.Sprintf("T%d", n), Role: role, Name: name, CreatedAt: time.Now().UTC()}
		tx.Touch("token:" + info.ID)
		if err := tx.Put([]byte("tok/"+h), info); err != nil {
			return err
		}
		return tx.Put([]byte("tokid/"+info.ID), h)
	})
	if err != nil {
		return "", TokenInfo{}, err
	}
	return tok, info, nil
}

// Verify returns the principal of a token, or an error wrapping
// ErrUnauthenticated for a malformed, unknown or revoked one. The three take
// the same path — hash, one store lookup — so their timing does not tell an
// unknown token from a revoked one; the error's text names the reason for
// the server's log, and callers answer all three alike.
func (t *Tokens) Verify(ctx context.Context, tok string) (Principal, error) {
	h := hashToken(tok)
	var info TokenInfo
	err := t.db.View(ctx, func(tx *store.Txn) error { return tx.Get([]byte("tok/"+h), &info) })
	if errors.Is(err, store.ErrNotFound) {
		// Decode a record of the same shape, as a found token costs.
		var dummy TokenInfo
		_ = json.Unmarshal([]byte(dummyTokenInfo), &dummy)
	}
	// Tokens are looked up by their SHA-256, so the lookup never compares
	// secret bytes with attacker-chosen ones.
	switch {
	case !strings.HasPrefix(tok, tokenPrefix) || len(tok) != len(tokenPrefix)+43:
		return Principal{}, fmt.Errorf("auth: %w: malformed token", ErrUnauthenticated)
	case errors.Is(err, store.ErrNotFound):
		return Principal{}, fmt.Errorf("auth: %w: unknown token", ErrUnauthenticated)
	case err != nil:
		return Principal{}, err
	case info.Revoked:
		return Principal{}, fmt.Errorf("auth: %w: revoked token", ErrUnauthenticated)
	}
	return Principal{TokenID: info.ID, Role: info.Role}, nil
}

// dummyTokenInfo is a token record as stored, decoded for unknown tokens
// so that they cost what a found one does.
const dummyTokenInfo = `{"id":"T100","role":"designer","name":"a token label of usual length","createdAt":"2026-01-01T00:00:00.000000000Z","revoked":true}`

// Revoke disables the token with id.
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	return t.db.Update(ctx, func(tx *store.Txn) error {
		var h string
		if err := tx.Get([]byte("tokid/"+id), &h); err != nil {
			return fmt.Errorf("auth: token %s: %w", id, store.ErrNotFound)
		}
		var info TokenInfo
		if err := tx.Get([]byte("tok/"+h), &info); err != nil {
			return err
		}
		info.Revoked = true
		tx.Touch("token:" + id)
		return tx.Put([]byte("tok/"+h), info)
	})
}

// List returns every token's info (never the tokens), oldest first.
func (t *Tokens) List(ctx context.Context) ([]TokenInfo, error) {
	var out []TokenInfo
	err := t.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("tok/"), nil, func(r store.Record) error {
			var info TokenInfo
			if err := r.Decode(&info); err != nil {
				return err
			}
			out = append(out, info)
			return nil
		})
	})
	sort.Slice(out, func(a, b int) bool { return out[a].CreatedAt.Before(out[b].CreatedAt) })
	return out, err
}

// EnsureAdmin creates the first admin token when the store has no token yet
// and writes it to dataDir/admin.token with mode 0600. It returns the file's
// path and whether a token was created; the token itself is never logged.
func (t *Tokens) EnsureAdmin(ctx context.Context, dataDir string) (string, bool, error) {
	path := filepath.Join(dataDir, "admin.token")
	var any bool
	err := t.db.View(ctx, func(tx *store.Txn) error {
		return tx.ScanKeys([]byte("tok/"), func([]byte) error { any = true; return store.ErrStop })
	})
	if err != nil || any {
		return path, false, err
	}
	tok, _, err := t.Create(store.WithAudit(ctx, store.AuditInfo{Actor: "system", Role: string(Admin), Operation: "first start: create admin token"}), Admin, "first admin")
	if err != nil {
		return "", false, err
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("auth: write %s: %w", path, err)
	}
	return path, true, nil
}
