// Package graphql is rxlab's API: GraphQL over HTTP, and the only package
// that knows about GraphQL or HTTP requests.
//
// It owns the served schema (schema.graphql: the public contract plus
// rxlab's additions, built into an executable graphql-go schema by sdl.go),
// the request path (handler.go: authentication, body and shape limits,
// validation, a per-request deadline, execution), the one mapping from error
// kinds to extensions.code (errors.go), and the resolvers. Domain packages
// plug in through the Domain interface: each registers the resolvers of the
// operations it owns; unregistered operations answer NOT_IMPLEMENTED.
//
// Every resolver is wrapped (api.go) with the permission check of its
// Resolver.Perm, and with auditing: a mutation is audited exactly once, in
// the same transaction as its write when it writes, and as its own record
// when it fails or writes nothing; a patient-level read is audited with the
// patients it touched.
package graphql
