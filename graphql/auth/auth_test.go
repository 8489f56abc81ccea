package auth

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks, _ := NewTokens(db)

	path, created, err := toks.EnsureAdmin(ctx, dir)
	if err != nil || !created {
		t.Fatalf("EnsureAdmin = %v, %v", created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("admin.token mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	admin := strings.TrimSpace(string(b))
	if p, err := toks.Verify(ctx, admin); err != nil || p.Role != Admin {
		t.Fatalf("Verify(admin) = %+v, %v", p, err)
	}
	if _, again, _ := toks.EnsureAdmin(ctx, dir); again {
		t.Error("EnsureAdmin made a second admin token")
	}

	tok, info, err := toks.Create(ctx, Designer, "trial team")
	if err != nil {
		t.Fatal(err)
	}
	p, err := toks.Verify(ctx, tok)
	if err != nil || p.Role != Designer || p.TokenID != info.ID {
		t.Fatalf("Verify(designer) = %+v, %v", p, err)
	}
	// The token never appears in the store: only its hash.
	err = db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan([]byte("tok"), nil, func(r store.Record) error {
			if strings.Contains(string(r.Key), tok[3:]) {
				t.Error("a token is stored in clear")
			}
			return nil
		})
	})
	if err := toks.Revoke(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := toks.Verify(ctx, tok); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Verify(revoked) = %v", err)
	}
	for _, bad := range []string{"", "rx_", "Bearer x", tok[:len(tok)-1] + "A"} {
		if _, err := toks.Verify(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Verify(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}
	if _, _, err := toks.Create(ctx, Role("root"), ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Create(root) = %v", err)
	}
	if err := toks.Revoke(ctx, "T999"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Revoke(missing) = %v", err)
	}
}

func TestPermissionTable(t *testing.T) {
	cases := []struct {
		role Role
		perm Permission
		want bool
	}{
		{Clinician, PatientsRead, true},
		{Admin, PatientsRead, true},
		{Designer, PatientsRead, false},
		{Designer, CohortsCount, true},
		{Chemist, CohortsCount, false},
		{Pharmacologist, Training, true},
		{Chemist, Training, false},
		{Chemist, MoleculesRead, true},
		{Pharmacologist, MoleculesRead, true},
		{Clinician, MoleculesRead, false},
		{Designer, AuditRead, false},
		{Admin, AuditRead, true},
	}
	for _, c := range cases {
		if got := Allowed(c.role, c.perm); got != c.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", c.role, c.perm, got, c.want)
		}
	}
}
