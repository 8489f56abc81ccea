package graphql

import (
	"context"
	"sort"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/library"
)

// Libraries serves the libraries query: the molecule libraries that
// similarMolecules and addMolecules name, with their sizes. Libraries are
// shared by every caller with molecules:read, so they have no owner (the
// field is null).
type Libraries struct {
	Library *library.Library
}

// Register adds Query.libraries.
func (d *Libraries) Register(r *Registry) error {
	return registerAll(r, []field{
		{"Query", "libraries", Resolver{Perm: auth.MoleculesRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			sizes := d.Library.Libraries()
			names := make([]string, 0, len(sizes))
			for n := range sizes {
				names = append(names, n)
			}
			sort.Strings(names)
			out := make([]any, len(names))
			for i, n := range names {
				out[i] = map[string]any{"name": n, "size": sizes[n], "owner": nil, "default": n == library.Default}
			}
			return out, nil
		}}},
	})
}
