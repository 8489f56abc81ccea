package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	gql "github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
)

// Privacy serves the privacy budgets: an admin lists, sets and resets
// them; every caller reads their own.
type Privacy struct {
	Guard *disclosure.Guard
}

// noisyRoles are the roles whose aggregates pass through disclosure
// control (those without patients:read).
func noisyRoles() []string {
	var out []string
	for _, r := range auth.Roles {
		if !auth.Allowed(r, auth.PatientsRead) {
			out = append(out, string(r))
		}
	}
	return out
}

func budgetView(s disclosure.State) map[string]any {
	return map[string]any{
		"tokenId": nilIfEmpty(s.TokenID), "role": s.Role, "epsilon": s.Epsilon, "delta": s.Delta, "own": s.Own,
		"epsilonSpent": s.EpsilonSpent, "remainingCounts": s.RemainingCounts, "answers": s.Answers,
		"periodHours": s.Period.Hours(), "renewsAt": s.RenewsAt.Format(time.RFC3339),
	}
}

// Register adds the budget operations.
func (d *Privacy) Register(r *Registry) error {
	g := d.Guard
	if g == nil {
		return fmt.Errorf("graphql: Privacy needs a Guard: %w", store.ErrInvalid)
	}
	return registerAll(r, []field{
		{"Query", "privacyBudgets", Resolver{Perm: auth.TokensManage, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, err := g.Budgets(ctx, noisyRoles(), argString(p, "tokenId"))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, s := range list {
				out[i] = budgetView(s)
			}
			return out, nil
		}}},
		{"Query", "myPrivacyBudget", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			pr, _ := auth.FromContext(ctx)
			if pr.Can(auth.PatientsRead) {
				return nil, nil
			}
			s, err := g.TokenState(ctx, pr.TokenID, string(pr.Role))
			if err != nil {
				return nil, err
			}
			return budgetView(s), nil
		}}},
		{"Mutation", "setPrivacyBudget", Resolver{Perm: auth.TokensManage, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			eps, _ := p.Args["epsilon"].(float64)
			role, tok := argString(p, "role"), argString(p, "tokenId")
			switch {
			case (role == "") == (tok == ""):
				return nil, fmt.Errorf("setPrivacyBudget: %w: give exactly one of role and tokenId", store.ErrInvalid)
			case role != "":
				rr, err := auth.ParseRole(role)
				if err != nil {
					return nil, err
				}
				if auth.Allowed(rr, auth.PatientsRead) {
					return nil, fmt.Errorf("role: %w: %s sees exact numbers and has no budget", store.ErrInvalid, rr)
				}
				if err := g.SetRoleBudget(ctx, role, eps); err != nil {
					return nil, err
				}
				list, err := g.Budgets(ctx, []string{role}, "")
				if err != nil {
					return nil, err
				}
				return budgetView(list[0]), nil
			}
			if err := g.SetTokenBudget(ctx, tok, eps); err != nil {
				return nil, err
			}
			s, err := g.TokenState(ctx, tok, "")
			return budgetView(s), err
		}}},
		{"Mutation", "resetPrivacyBudget", Resolver{Perm: auth.TokensManage, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			tok := argString(p, "tokenId")
			if err := g.Reset(ctx, tok); err != nil {
				return nil, err
			}
			s, err := g.TokenState(ctx, tok, "")
			return budgetView(s), err
		}}},
	})
}

// guardFor returns g, or a guard over the registry's store with threshold
// k when none was wired (tests that build one domain).
func guardFor(r *Registry, g *disclosure.Guard, k int) (*disclosure.Guard, error) {
	if g != nil {
		return g, nil
	}
	return disclosure.New(disclosure.Config{DB: r.DB(), K: k})
}

// callerOf is the disclosure caller of a request; op is a root query's
// name ("cohortCount" → "query cohortCount") or a field's ("Cohort.count").
func callerOf(ctx context.Context, op string) disclosure.Caller {
	pr, _ := auth.FromContext(ctx)
	if !strings.ContainsAny(op, " .") {
		op = "query " + op
	}
	return disclosure.Caller{TokenID: pr.TokenID, Role: string(pr.Role), Operation: op}
}

// privacyError gives a spent budget its code and when it renews.
func privacyError(err error) error {
	var be *disclosure.BudgetExhaustedError
	if errors.As(err, &be) {
		return &apiError{msg: be.Error(), code: be.Code(), ext: map[string]any{"renewsAt": be.RenewsAt.Format(time.RFC3339)}}
	}
	return err
}

// disclosureView describes how an answer was released.
func disclosureView(g *disclosure.Guard, exact bool, rec disclosure.Receipt, bounds *disclosure.Bounds) map[string]any {
	m := map[string]any{"exact": exact, "threshold": g.K(), "repeated": rec.Repeated, "countsSpent": rec.Units}
	if !exact {
		m["noiseSigma"] = g.Sigma()
	}
	if bounds != nil {
		m["valueBounds"] = []any{bounds.Low, bounds.High}
	}
	return m
}

// countParts reads which parts of a CohortCount the query selects.
func countParts(p gql.ResolveParams) disclosure.Parts {
	sel := selectedFields(p)
	return disclosure.Parts{
		Count:     sel["count"] || sel["display"] || sel["suppressed"],
		Attrition: sel["attrition"],
		Breakdown: sel["breakdown"],
	}
}

// selectedFields returns the names of the fields selected directly under
// the current field, fragments expanded.
func selectedFields(p gql.ResolveParams) map[string]bool {
	out := map[string]bool{}
	var walk func(ss *ast.SelectionSet, depth int)
	walk = func(ss *ast.SelectionSet, depth int) {
		if ss == nil || depth > 20 {
			return
		}
		for _, s := range ss.Selections {
			switch s := s.(type) {
			case *ast.Field:
				out[s.Name.Value] = true
			case *ast.InlineFragment:
				walk(s.SelectionSet, depth+1)
			case *ast.FragmentSpread:
				if f, ok := p.Info.Fragments[s.Name.Value].(*ast.FragmentDefinition); ok {
					walk(f.SelectionSet, depth+1)
				}
			}
		}
	}
	for _, f := range p.Info.FieldASTs {
		walk(f.SelectionSet, 0)
	}
	return out
}

// releaseCount answers a count over criteria: exactly (audited as today)
// for patients:read, otherwise through the guard, for the parts the query
// selects.
func releaseCount(ctx context.Context, g *disclosure.Guard, p gql.ResolveParams, op string, c cohorts.Criteria,
	exact func() (cohorts.CohortCount, error), qualifiers ...string) (any, error) {
	if canSeeExact(ctx) {
		cc, err := exact()
		if err != nil {
			return nil, err
		}
		out, _ := jsonValue(cc).(map[string]any)
		out["disclosure"] = disclosureView(g, true, disclosure.Receipt{}, nil)
		return out, nil
	}
	parts := countParts(p)
	if parts == (disclosure.Parts{}) {
		parts.Count = true // __typename or disclosure alone still answers a count
	}
	canon, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("criteria: %w: %v", errInvalid, err)
	}
	for _, q := range qualifiers { // e.g. the index date: another question
		canon = append(canon, '|')
		canon = append(canon, q...)
	}
	steps := 1
	if c.All != nil {
		steps = len(c.All)
	}
	var released cohorts.CohortCount
	rec, err := g.Release(ctx, callerOf(ctx, op), disclosure.CountRequest(canon, parts, steps), func(n *disclosure.Noise) (any, error) {
		cc, err := exact()
		if err != nil {
			return nil, err
		}
		return g.ReleaseCount(cc, parts, n), nil
	}, &released)
	if err != nil {
		return nil, privacyError(err)
	}
	out, _ := jsonValue(released).(map[string]any)
	out["disclosure"] = disclosureView(g, false, rec, nil)
	return out, nil
}
