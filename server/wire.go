package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/genomics/ingest"
	"github.com/rxlab/rxlab/genomics/pgx"
	"github.com/rxlab/rxlab/graphql"
	"github.com/rxlab/rxlab/graphql/web"
	"github.com/rxlab/rxlab/molecules/datasets"
	"github.com/rxlab/rxlab/molecules/library"
	"github.com/rxlab/rxlab/molecules/response"
	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// wired is everything the domains contribute: API resolvers, demo seeders
// and the web pages.
type wired struct {
	domains []graphql.Domain
	seeders []seeder
	web     http.Handler
}

// wire builds the domain services over the store and the job runner. It is
// the one place that knows which capabilities exist; each contributes its
// resolvers and its part of the demo world.
func wire(ctx context.Context, c *config, db *store.DB, runner *jobs.Runner, log *slog.Logger) (*wired, error) {
	// No workbench pages exist yet besides GraphiQL itself, so the header
	// lists none rather than links that lead nowhere.
	site, err := web.New(web.Config{Links: []web.Link{}})
	if err != nil {
		return nil, err
	}
	w := &wired{web: site}

	lib, err := library.New(library.Config{DB: db})
	if err != nil {
		return nil, err
	}
	w.domains = append(w.domains, &graphql.Molecules{Library: lib})
	// Chemists' own datasets (uploadDataset, POST /import/dataset) and the
	// libraries listing; dss is also what response models train from.
	dss, err := datasets.New(datasets.Config{DB: db})
	if err != nil {
		return nil, err
	}
	w.domains = append(w.domains, &graphql.Libraries{Library: lib}, &graphql.Datasets{Store: dss})
	w.seeders = append(w.seeders, seeder{"molecules", lib.Seed})

	caller, err := pgx.New()
	if err != nil {
		return nil, err
	}
	w.domains = append(w.domains, &graphql.Genomics{PGx: caller})

	extract, err := ingest.New(ingest.Config{PGx: caller})
	if err != nil {
		return nil, err
	}
	coh, err := cohorts.New(cohorts.Config{DB: db, SmallCell: c.smallCell})
	if err != nil {
		return nil, err
	}
	go coh.Follow(ctx, log) // a shared SQL store: count other nodes' imports (cohorts/follow.go)
	// One disclosure guard releases every aggregate about stored patients
	// to roles without patients:read (noise, budgets, threshold k).
	guard, err := disclosure.New(disclosure.Config{DB: db, K: c.smallCell})
	if err != nil {
		return nil, err
	}
	w.domains = append(w.domains, &graphql.Cohorts{Service: coh, Ingest: extract, Privacy: guard, SmallCell: c.smallCell})
	w.seeders = append(w.seeders, seeder{"patients", func(ctx context.Context) error {
		return coh.Seed(ctx, c.demoPatients, 1)
	}})
	// The RL service registers its job kinds now, before the runner's
	// Recover, so interrupted training resumes at start-up.
	// Populations drawn from stored patients need at least k of them, k the
	// small-cell threshold.
	tw, err := newTwins(coh, c.smallCell)
	if err != nil {
		return nil, err
	}
	rls, err := rl.New(rl.Config{DB: db, Jobs: runner, Logger: log, Twins: tw})
	if err != nil {
		return nil, err
	}
	w.domains = append(w.domains, &graphql.Dosing{Policies: rls.PolicyFor}, &graphql.RL{Service: rls, Jobs: runner, Privacy: guard})
	w.domains = append(w.domains, &graphql.MIPD{})

	// Response models register their job kind now too; the demo seed
	// starts training jobs for the fast property models.
	resp, err := response.New(response.Config{DB: db, Jobs: runner, Logger: log, Datasets: dss})
	if err != nil {
		return nil, err
	}
	w.domains = append(w.domains, &graphql.Response{Service: resp, Cohorts: coh, SmallCell: c.smallCell, Privacy: guard})
	w.seeders = append(w.seeders, seeder{"response-models", func(ctx context.Context) error {
		_, err := resp.Seed(ctx)
		return err
	}})
	return w, nil
}
