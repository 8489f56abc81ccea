package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
)

// openForAdmin opens the store for a one-shot command, with a clear error
// when a running server holds it.
func openForAdmin(c *config) (*store.DB, error) {
	sc, err := c.storeConfig()
	if err != nil {
		return nil, err
	}
	sc.GCInterval = -1
	db, err := store.Open(sc)
	if err != nil && strings.Contains(err.Error(), "directory lock") {
		return nil, fmt.Errorf("the database in %s is in use by a running server: stop it first, or use the API (createToken, revokeToken, verifyAudit) as admin", c.data)
	}
	return db, err
}

func backup(ctx context.Context, args []string, stdout io.Writer) error {
	c := &config{}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	storeFlags(fs, c)
	out := fs.String("o", "", "backup file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("backup: -o FILE is required")
	}
	db, err := openForAdmin(c)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := db.Backup(ctx, f); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s\n", c.data, *out)
	return nil
}

func restore(ctx context.Context, args []string, stdout io.Writer) error {
	c := &config{}
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	storeFlags(fs, c)
	in := fs.String("i", "", "backup file to read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("restore: -i FILE is required")
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	sc, err := c.storeConfig()
	if err != nil {
		return err
	}
	if err := store.Restore(ctx, sc, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", *in, c.data)
	return nil
}

func tokenCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("token: say create, revoke or list")
	}
	sub, args := args[0], args[1:]
	c := &config{}
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	storeFlags(fs, c)
	role := fs.String("role", "", "role of the new token: admin, designer, pharmacologist, chemist, clinician")
	name := fs.String("name", "", "a name to recognise the token by")
	id := fs.String("id", "", "token id to revoke (see token list)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openForAdmin(c)
	if err != nil {
		return err
	}
	defer db.Close()
	toks, err := auth.NewTokens(db)
	if err != nil {
		return err
	}
	actx := store.WithAudit(ctx, store.AuditInfo{Actor: "cli", Role: string(auth.Admin), Operation: "cli token " + sub})
	switch sub {
	case "create":
		r, err := auth.ParseRole(*role)
		if err != nil {
			return err
		}
		tok, info, err := toks.Create(actx, r, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", tok)
		fmt.Fprintf(os.Stderr, "token %s (%s) created; it is shown only once\n", info.ID, info.Role)
		return nil
	case "revoke":
		if *id == "" {
			return fmt.Errorf("token revoke: -id is required")
		}
		if err := toks.Revoke(actx, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s revoked\n", *id)
		return nil
	case "list":
		list, err := toks.List(ctx)
		if err != nil {
			return err
		}
		for _, t := range list {
			state := "active"
			if t.Revoked {
				state = "revoked"
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, state, t.CreatedAt.Format("2006-01-02"), t.Name)
		}
		return nil
	}
	return fmt.Errorf("token: unknown subcommand %q (create, revoke, list)", sub)
}

func auditCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("audit: say verify")
	}
	c := &config{}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	storeFlags(fs, c)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, err := openForAdmin(c)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w (after %d good records)", err, n)
	}
	fmt.Fprintf(stdout, "audit chain intact: %d records\n", n)
	return nil
}
