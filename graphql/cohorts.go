package graphql

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/genomics/ingest"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
)

// Cohorts serves patients, cohorts, trials and patient imports.
type Cohorts struct {
	Service *cohorts.Service
	Ingest  *ingest.Extractor
	// Privacy releases every aggregate to roles without patients:read;
	// nil means a guard over the registry's store with threshold SmallCell.
	Privacy *disclosure.Guard
	// SmallCell is that guard's threshold (default 11).
	SmallCell int
}

// Count reports stored patients for health: exact for patients:read,
// otherwise a noisy count released through the guard (one count of budget
// per period; below the threshold it reads as 0).
func (d *Cohorts) Count(ctx context.Context, kind string) (int, bool, error) {
	if kind != "patients" {
		return 0, false, nil
	}
	if canSeeExact(ctx) {
		return d.Service.PatientCount(), true, nil
	}
	if d.Privacy == nil {
		return 0, true, fmt.Errorf("health.patients: %w: no disclosure control is wired", store.ErrNotImplemented)
	}
	var n int
	_, err := d.Privacy.Release(ctx, callerOf(ctx, "health"), disclosure.Request{Kind: "health.patients", Query: []byte("all"), Units: 1},
		func(nz *disclosure.Noise) (any, error) {
			v := int(math.Round(nz.Count(d.Service.PatientCount())))
			if v < d.Privacy.K() {
				v = 0
			}
			return v, nil
		}, &n)
	if err != nil {
		return 0, true, privacyError(err)
	}
	return n, true, nil
}

// criteriaArg converts a CriteriaInput argument and validates it; errors
// name the node's path.
func criteriaArg(v any) (cohorts.Criteria, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return cohorts.Criteria{}, fmt.Errorf("criteria: %w: %v", errInvalid, err)
	}
	return cohorts.ParseCriteria(b)
}

// canSeeExact says whether the caller may see exact small counts.
func canSeeExact(ctx context.Context) bool {
	p, _ := auth.FromContext(ctx)
	return p.Can(auth.PatientsRead)
}

func patientView(p *cohorts.Patient, svc *cohorts.Service) map[string]any {
	m := map[string]any{"id": p.ID, "sex": p.Sex}
	if len(p.BirthDate) >= 4 {
		var y int
		fmt.Sscanf(p.BirthDate[:4], "%d", &y)
		m["birthYear"] = y
		m["age"] = p.Age(svc.IndexDate())
	}
	if p.Race != "" {
		m["race"] = p.Race
	}
	codes := func(cs []cohorts.ClinicalCode) []any {
		out := make([]any, len(cs))
		for i, c := range cs {
			out[i] = map[string]any{"system": c.System, "code": c.Code, "display": nilIfEmpty(c.Display), "date": nilIfEmpty(c.Date)}
		}
		return out
	}
	m["conditions"] = codes(p.Conditions)
	m["medications"] = codes(p.Medications)
	labs := make([]any, len(p.Labs))
	for i, l := range p.Labs {
		labs[i] = map[string]any{"loinc": l.Loinc, "value": l.Value, "unit": nilIfEmpty(l.Unit), "date": nilIfEmpty(l.Date)}
	}
	m["labs"] = labs
	vs := make([]any, len(p.Variants))
	for i, v := range p.Variants {
		vs[i] = map[string]any{"gene": v.Gene, "chrom": v.Chrom, "pos": v.Pos, "ref": v.Ref, "alt": v.Alt,
			"proteinChange": nilIfEmpty(v.ProteinChange), "class": nilIfEmpty(string(v.Class)),
			"origin": string(v.Origin), "zygosity": nilIfEmpty(v.Zygosity)}
	}
	m["variants"] = vs
	px := make([]any, len(p.Pgx))
	for i, r := range p.Pgx {
		px[i] = pgxView(r)
	}
	m["pgx"] = px
	m["testedGenes"] = nonNil(p.TestedGenes)
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// jsonValue turns a Go value into plain JSON values for the JSON scalar.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

func trialView(t *cohorts.Trial) map[string]any {
	arms := make([]any, len(t.Arms))
	for i, a := range t.Arms {
		arms[i] = map[string]any{"code": a.Code, "description": nilIfEmpty(a.Description), "criteria": jsonValue(a.Criteria),
			"level": nilIfEmpty(a.Level), "suspended": a.Suspended, "label": a.Label(), "trialId": t.ID, "crit": a.Criteria}
	}
	return map[string]any{"id": t.ID, "nctId": nilIfEmpty(t.NctID), "title": t.Title, "arms": arms,
		"status": nilIfEmpty(t.Status), "phase": nilIfEmpty(t.Phase), "drugs": nonNil(t.Drugs),
		"version": max(t.Version, 1), "importedAt": nilIfEmpty(t.ImportedAt)}
}

func trialImportView(list []cohorts.TrialImport) map[string]any {
	out := make([]any, len(list))
	stored := false
	for i, r := range list {
		m := map[string]any{"index": r.Index, "protocolNo": nilIfEmpty(r.ProtocolNo), "stored": r.Stored}
		if r.Replaced > 0 {
			m["replacedVersion"] = r.Replaced
		}
		if r.Trial != nil && r.Stored {
			m["trial"] = trialView(r.Trial)
			stored = true
		}
		if r.Err != nil {
			m["error"] = map[string]any{"code": errorCode(r.Err), "message": r.Err.Error()}
		}
		out[i] = m
	}
	return map[string]any{"committed": stored, "trials": out}
}

func cohortView(c *cohorts.SavedCohort) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "version": c.Version, "criteria": jsonValue(c.Criteria), "createdAt": c.CreatedAt,
		"description": nilIfEmpty(c.Description)}
}

func importView(r cohorts.ImportResult) map[string]any {
	errs := make([]any, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = map[string]any{"location": e.Location, "message": e.Message}
	}
	kinds := make([]string, 0, len(r.Skipped))
	for k := range r.Skipped {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	skipped := make([]any, len(kinds))
	for i, k := range kinds {
		skipped[i] = map[string]any{"kind": k, "count": r.Skipped[k]}
	}
	return map[string]any{"accepted": r.Accepted, "rejected": r.Rejected, "errors": errs, "committed": r.Committed,
		"skipped": skipped, "unlinkedSamples": r.UnlinkedSamples, "warnings": nonNil(r.Warnings)}
}

// Register adds the cohort resolvers and the streaming import endpoints.
func (d *Cohorts) Register(r *Registry) error {
	s := d.Service
	g, err := guardFor(r, d.Privacy, d.SmallCell)
	if err != nil {
		return err
	}
	d.Privacy = g
	// The budgets' admin operations come with the data they protect.
	if err := (&Privacy{Guard: g}).Register(r); err != nil {
		return err
	}
	// Concept search releases its records through the same guard (concepts.go).
	if err := (&Concepts{Service: s, Guard: g}).Register(r); err != nil {
		return err
	}
	r.Handle("/import/vcf", d.vcfHandler(r))
	r.Handle("/import/maf", d.mafHandler(r))
	r.Handle("/import/patients", d.patientsHandler(r))
	return registerAll(r, []field{
		{"Query", "patient", Resolver{Perm: auth.PatientsRead, PatientRead: true, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			id := argString(p, "id")
			AddTarget(ctx, "patient:"+id)
			pat, err := s.Patient(ctx, id)
			if err != nil {
				return nil, err
			}
			return patientView(pat, s), nil
		}}},
		{"Query", "cohortCount", Resolver{Perm: auth.CohortsCount, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			c, err := criteriaArg(p.Args["criteria"])
			if err != nil {
				return nil, err
			}
			asOf, err := cohorts.ParseAsOf(argString(p, "asOf"))
			if err != nil {
				return nil, err
			}
			var q []string
			if asOf != nil {
				q = append(q, "asOf="+asOf.Format("2006-01-02"))
			}
			return releaseCount(ctx, g, p, "cohortCount", c, func() (cohorts.CohortCount, error) { return s.CountAsOf(ctx, c, true, asOf) }, q...)
		}}},
		{"Query", "cohortPatients", Resolver{Perm: auth.PatientsRead, PatientRead: true, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			c, err := criteriaArg(p.Args["criteria"])
			if err != nil {
				return nil, err
			}
			page, err := s.PatientIDs(ctx, c, argInt(p, "first", 100), argString(p, "after"))
			if err != nil {
				return nil, err
			}
			for _, id := range page.IDs {
				AddTarget(ctx, "patient:"+id)
			}
			return map[string]any{"ids": nonNil(page.IDs), "total": page.Total, "endCursor": page.EndCursor, "hasNextPage": page.HasNextPage}, nil
		}}},
		{"Query", "explainMatch", Resolver{Perm: auth.PatientsRead, PatientRead: true, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			c, err := criteriaArg(p.Args["criteria"])
			if err != nil {
				return nil, err
			}
			id := argString(p, "patientId")
			AddTarget(ctx, "patient:"+id)
			return s.Explain(ctx, id, c)
		}}},
		{"Query", "cohorts", Resolver{Perm: auth.CohortsCount, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, err := s.Cohorts(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, c := range list {
				out[i] = cohortView(c)
			}
			return out, nil
		}}},
		{"Cohort", "count", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			src, _ := p.Source.(map[string]any)
			id, _ := src["id"].(string)
			sc, err := s.Cohort(ctx, id)
			if err != nil {
				return nil, err
			}
			return releaseCount(ctx, g, p, "Cohort.count", sc.Criteria, func() (cohorts.CohortCount, error) { return s.CohortCount(ctx, id, true) })
		}}},
		{"Query", "trials", Resolver{Perm: auth.CohortsCount, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, err := s.Trials(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, t := range list {
				out[i] = trialView(t)
			}
			return out, nil
		}}},
		{"Query", "trialMatchCount", Resolver{Perm: auth.CohortsCount, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			t, err := s.Trial(ctx, argString(p, "trialId"))
			if err != nil {
				return nil, err
			}
			return releaseCount(ctx, g, p, "trialMatchCount", t.TrialCriteria(), func() (cohorts.CohortCount, error) { return s.TrialMatchCount(ctx, t.ID, true) })
		}}},
		{"Query", "patientTrials", Resolver{Perm: auth.PatientsRead, PatientRead: true, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			id := argString(p, "patientId")
			AddTarget(ctx, "patient:"+id)
			list, err := s.PatientTrials(ctx, id)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, m := range list {
				out[i] = map[string]any{"trial": trialView(m.Trial), "arm": m.Arm, "reasons": nonNil(m.Reasons)}
			}
			return out, nil
		}}},
		{"Mutation", "importFHIR", Resolver{Perm: auth.PatientsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			b, err := json.Marshal(p.Args["bundle"])
			if err != nil {
				return nil, fmt.Errorf("bundle: %w: %v", errInvalid, err)
			}
			res, err := s.ImportFHIR(ctx, b)
			if err != nil {
				return nil, err
			}
			return importView(res), nil
		}}},
		{"Mutation", "importPatients", Resolver{Perm: auth.PatientsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			res, err := s.ImportPatientsWith(ctx, argString(p, "format"), argString(p, "data"), cohorts.ImportOptions{CreatePatients: argBool(p, "createPatients")})
			if err != nil {
				return nil, err
			}
			return importView(res), nil
		}}},
		{"Mutation", "importVCF", Resolver{Perm: auth.PatientsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			res, err := d.importVCF(ctx, argString(p, "patientId"), argString(p, "origin"), argString(p, "sample"), stringSource(argString(p, "vcf")))
			if err != nil {
				return nil, err
			}
			return importView(res), nil
		}}},
		{"Mutation", "saveCohort", Resolver{Perm: auth.CohortsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			c, err := criteriaArg(p.Args["criteria"])
			if err != nil {
				return nil, err
			}
			sc, err := s.SaveCohort(ctx, argString(p, "name"), c)
			if err != nil {
				return nil, err
			}
			return cohortView(sc), nil
		}}},
		{"Mutation", "importTrial", Resolver{Perm: auth.CohortsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			t, err := s.ImportTrial(ctx, argString(p, "ctml"), argBool(p, "replace"))
			if err != nil {
				return nil, err
			}
			return trialView(t), nil
		}}},
		{"Query", "cohort", Resolver{Perm: auth.CohortsCount, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			id := argString(p, "id")
			sc, err := s.Cohort(ctx, id)
			if err != nil {
				return nil, err
			}
			if sc.ID != id {
				return nil, fmt.Errorf("cohort %q: %w (cohort takes an id; names resolve only inside criteria)", id, store.ErrNotFound)
			}
			return cohortView(sc), nil
		}}},
		{"Cohort", "versions", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			src, _ := p.Source.(map[string]any)
			id, _ := src["id"].(string)
			list, err := s.CohortVersions(ctx, id)
			if err != nil {
				return nil, err
			}
			return views(list, cohortView), nil
		}}},
		{"Mutation", "updateCohort", Resolver{Perm: auth.CohortsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			var c *cohorts.Criteria
			if v, ok := p.Args["criteria"]; ok && v != nil {
				x, err := criteriaArg(v)
				if err != nil {
					return nil, err
				}
				c = &x
			}
			var desc *string
			if v, ok := p.Args["description"].(string); ok {
				desc = &v
			}
			AddTarget(ctx, "cohort:"+argString(p, "id"))
			sc, err := s.UpdateCohort(ctx, argString(p, "id"), c, desc)
			if err != nil {
				return nil, err
			}
			return cohortView(sc), nil
		}}},
		{"Mutation", "deleteCohort", Resolver{Perm: auth.CohortsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			AddTarget(ctx, "cohort:"+argString(p, "id"))
			ids, err := s.DeleteCohort(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			return ids, nil
		}}},
		// Every ImportResult (molecules build their own) answers the
		// rxlab extensions, empty when the import had none.
		{"ImportResult", "skipped", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return importExt(p, "skipped", []any{}), nil
		}}},
		{"ImportResult", "unlinkedSamples", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return importExt(p, "unlinkedSamples", 0), nil
		}}},
		{"ImportResult", "warnings", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return importExt(p, "warnings", []string{}), nil
		}}},
		{"CohortCount", "warnings", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			return countWarnings(p.Source), nil
		}}},
		{"Mutation", "importTrials", Resolver{Perm: auth.CohortsWrite, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, err := s.ImportTrials(ctx, argString(p, "ctml"), argBool(p, "replace"))
			if err != nil {
				return nil, err
			}
			return trialImportView(list), nil
		}}},
		{"Query", "trial", Resolver{Perm: auth.CohortsCount, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			t, err := s.Trial(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			return trialView(t), nil
		}}},
		{"Trial", "versions", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			src, _ := p.Source.(map[string]any)
			id, _ := src["id"].(string)
			list, err := s.TrialVersions(ctx, id)
			if err != nil {
				return nil, err
			}
			return views(list, trialView), nil
		}}},
		{"TrialArm", "count", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			src, _ := p.Source.(map[string]any)
			c, ok := src["crit"].(cohorts.Criteria)
			if !ok {
				return nil, fmt.Errorf("TrialArm.count: %w: arm without criteria", errInvalid)
			}
			return releaseCount(ctx, g, p, "TrialArm.count", c, func() (cohorts.CohortCount, error) { return s.Count(ctx, c, true) })
		}}},
	})
}

// views maps a list of domain values to their GraphQL views.
func views[T any](list []T, view func(T) map[string]any) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = view(v)
	}
	return out
}

// argBool returns a Boolean argument (false when absent).
func argBool(p gql.ResolveParams, name string) bool {
	b, _ := p.Args[name].(bool)
	return b
}

// importExt reads an ImportResult field from the source map, or def.
func importExt(p gql.ResolveParams, key string, def any) any {
	if m, ok := p.Source.(map[string]any); ok {
		if v, ok := m[key]; ok && v != nil {
			return v
		}
	}
	return def
}

// countWarnings answers CohortCount.warnings. An exact answer carries the
// engine's warnings (rules no stored record can meet). A noisy answer
// never does: "no stored record carries code X" is an exact zero, a
// presence oracle for a rare code. It warns instead, by post-processing
// what was already released (free under differential privacy), about
// attrition rules that alone read below the threshold.
func countWarnings(src any) []string {
	m, _ := src.(map[string]any)
	out := []string{}
	d, _ := m["disclosure"].(map[string]any)
	if exact, _ := d["exact"].(bool); exact || d == nil {
		if ws, ok := m["warnings"].([]string); ok {
			return append(out, ws...)
		}
		if ws, ok := m["warnings"].([]any); ok {
			for _, w := range ws {
				if s, ok := w.(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	steps, _ := m["attrition"].([]any)
	for _, st := range steps {
		sm, _ := st.(map[string]any)
		if sm == nil || sm["alone"] != nil {
			continue
		}
		k, _ := d["threshold"].(int)
		out = append(out, fmt.Sprintf("%v: fewer than %d patients meet this rule alone (noisy answer), so it selects (or, negated, removes) almost nobody", sm["rule"], k))
	}
	return out
}
