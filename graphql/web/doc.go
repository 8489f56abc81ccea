// Package web serves rxlab's browser front door: the workbench (a page app for
// cohorts, dosing, molecules, jobs and admin, charts by Observable Plot and
// depictions by openchemlib-js) and GraphiQL, built from the npm graphiql
// package, each with a bearer-token bar.
//
// The package owns graphql/web/: the front-end sources (src/), the build script
// and npm lock file that rebuild them (package.json, package-lock.json,
// build.mjs; see README.md), and the built assets in dist/, which are committed
// and embedded with go:embed so that the server binary needs no network and no
// CDN.
//
// A Site serves:
//
//	GET /                the workbench, index.html (no-cache, revalidated by ETag)
//	GET /index.html      the same; also /cohorts, /dosing, /molecules, /jobs, /admin
//	GET /graphiql        GraphiQL, graphiql.html
//	GET /workbench.json  the header's links to the workbench pages (no-cache)
//	GET /assets/NAME     content-hashed bundles (cached for a year, immutable),
//	                     gzip-encoded when the client accepts it
//
// Everything else answers 404, and methods other than GET and HEAD answer 405.
// The page itself talks to POST /graphql and links to /schema.graphql; those
// routes belong to the server, not to this package. Static assets carry no data
// and need no token.
package web
