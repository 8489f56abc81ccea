package graphql

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// Counter is implemented by domains that report a count in health
// (patients, molecules).
type Counter interface {
	// Count returns the number of stored items of the named kind, and
	// whether the domain counts that kind at all.
	Count(ctx context.Context, kind string) (int, bool, error)
}

// registerCore registers the operations the spine owns: health, jobs, and
// the admin operations on tokens and the audit log.
func registerCore(a *API, r *Registry) error {
	count := func(ctx context.Context, kind string) (int, error) {
		for _, d := range a.cfg.Domains {
			if c, ok := d.(Counter); ok {
				n, ok, err := c.Count(ctx, kind)
				if err != nil || ok {
					return n, err
				}
			}
		}
		return 0, nil
	}
	fields := []field{
		{"Query", "health", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			out := map[string]any{"ok": true, "version": a.cfg.Version}
			// Counts are computed only when selected: for roles without
			// patients:read the patient count is a noisy release that
			// spends privacy budget, which "health { ok }" must not.
			sel := selectedFields(p)
			for _, kind := range []string{"patients", "molecules"} {
				if !sel[kind] {
					continue
				}
				n, err := count(ctx, kind)
				if err != nil {
					return nil, err
				}
				out[kind] = n
			}
			return out, nil
		}}},
		{"Query", "job", Resolver{Perm: auth.JobsRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			j, err := a.cfg.Jobs.Get(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			if !ownsJob(ctx, j) {
				return nil, fmt.Errorf("job %s: %w", j.ID, store.ErrNotFound)
			}
			return jobView(j), nil
		}}},
		{"Query", "jobs", Resolver{Perm: auth.JobsRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			owner := ""
			if pr, _ := auth.FromContext(ctx); pr.Role != auth.Admin {
				owner = pr.TokenID
			}
			list, err := a.cfg.Jobs.List(ctx, jobs.State(argString(p, "state")), owner, argInt(p, "first", 50))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, j := range list {
				out[i] = jobView(j)
			}
			return out, nil
		}}},
		{"Mutation", "cancelJob", Resolver{Perm: auth.JobsRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			id := argString(p, "id")
			j, err := a.cfg.Jobs.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			if !ownsJob(ctx, j) {
				return nil, fmt.Errorf("job %s: %w", id, store.ErrNotFound)
			}
			j, err = a.cfg.Jobs.Cancel(ctx, id)
			if err != nil {
				return nil, err
			}
			return jobView(j), nil
		}}},
		{"Query", "me", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			pr, _ := auth.FromContext(ctx)
			var perms []string
			for perm := range auth.Table() {
				if pr.Can(perm) {
					perms = append(perms, string(perm))
				}
			}
			sortStrings(perms)
			return map[string]any{"tokenId": pr.TokenID, "role": string(pr.Role), "permissions": perms}, nil
		}}},
		{"Query", "auditLog", Resolver{Perm: auth.AuditRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			recs, err := a.cfg.DB.AuditLog(ctx, uint64(argInt(p, "after", 0)), argInt(p, "first", 100))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(recs))
			for i, rec := range recs {
				out[i] = map[string]any{"seq": int(rec.Seq), "time": rec.Time, "actor": rec.Actor, "role": rec.Role,
					"operation": rec.Operation, "targets": rec.Targets, "outcome": rec.Outcome, "hash": rec.Hash}
			}
			return out, nil
		}}},
		{"Query", "verifyAudit", Resolver{Perm: auth.AuditRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			n, err := a.cfg.DB.VerifyAudit(ctx)
			out := map[string]any{"ok": err == nil, "records": n}
			if err != nil {
				out["error"] = err.Error()
			}
			return out, nil
		}}},
		{"Query", "tokens", Resolver{Perm: auth.TokensManage, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, err := a.cfg.Tokens.List(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, t := range list {
				out[i] = tokenView(t)
			}
			return out, nil
		}}},
		{"Mutation", "createToken", Resolver{Perm: auth.TokensManage, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			role, err := auth.ParseRole(argString(p, "role"))
			if err != nil {
				return nil, err
			}
			tok, info, err := a.cfg.Tokens.Create(ctx, role, argString(p, "name"))
			if err != nil {
				return nil, err
			}
			return map[string]any{"token": tok, "info": tokenView(info)}, nil
		}}},
		{"Mutation", "revokeToken", Resolver{Perm: auth.TokensManage, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			id := argString(p, "id")
			if err := a.cfg.Tokens.Revoke(ctx, id); err != nil {
				return nil, err
			}
			list, err := a.cfg.Tokens.List(ctx)
			if err != nil {
				return nil, err
			}
			for _, t := range list {
				if t.ID == id {
					return tokenView(t), nil
				}
			}
			return nil, fmt.Errorf("token %s: %w", id, store.ErrNotFound)
		}}},
	}
	return registerAll(r, fields)
}

func ownsJob(ctx context.Context, j jobs.Job) bool {
	pr, _ := auth.FromContext(ctx)
	return pr.Role == auth.Admin || j.Owner == pr.TokenID
}

func jobView(j jobs.Job) map[string]any {
	m := map[string]any{
		"id": j.ID, "kind": j.Kind, "state": string(j.State), "progress": j.Progress,
		"createdAt": j.CreatedAt.Format(time.RFC3339),
	}
	if j.Message != "" {
		m["message"] = j.Message
	}
	if j.Error != "" {
		m["error"] = j.Error
	}
	if j.FinishedAt != nil {
		m["finishedAt"] = j.FinishedAt.Format(time.RFC3339)
	}
	if j.ResultID != "" {
		m["result"] = j.ResultID
	}
	return m
}

func tokenView(t auth.TokenInfo) map[string]any {
	return map[string]any{"id": t.ID, "role": string(t.Role), "name": t.Name, "createdAt": t.CreatedAt.Format(time.RFC3339), "revoked": t.Revoked}
}

// argString returns a string argument ("" when absent).
func argString(p gql.ResolveParams, name string) string {
	s, _ := p.Args[name].(string)
	return s
}

// argInt returns an int argument, or def when absent.
func argInt(p gql.ResolveParams, name string, def int) int {
	if n, ok := p.Args[name].(int); ok {
		return n
	}
	return def
}

// DecodeArg converts a GraphQL argument (maps, lists, scalars) into a Go
// value through JSON, so domain input types only need json tags equal to the
// contract's field names. Unknown fields are rejected.
func DecodeArg(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// field is one resolver to register.
type field struct {
	typ, name string
	res       Resolver
}

// registerAll registers a list of resolvers.
func registerAll(r *Registry, fields []field) error {
	for _, f := range fields {
		if err := r.Field(f.typ, f.name, f.res); err != nil {
			return err
		}
	}
	return nil
}

// stringList converts a GraphQL list argument of strings.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// errInvalid is store.ErrInvalid, for resolvers that check arguments.
var errInvalid = store.ErrInvalid
