package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/rxlab/rxlab/graphql"
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
// the one place that knows which capabilities exist.
func wire(ctx context.Context, c *config, db *store.DB, runner *jobs.Runner, log *slog.Logger) (*wired, error) {
	w := &wired{}
	return w, nil
}
