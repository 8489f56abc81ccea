package graphql

import (
	"context"
	"fmt"
	"strings"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/pgx"
	"github.com/rxlab/rxlab/graphql/auth"
)

// Genomics serves the stateless genomic operations (pgxCall). Patient
// imports of VCF and MAF are served by the Cohorts domain, which owns
// patient records.
type Genomics struct {
	PGx *pgx.Caller
}

// pgxView is what the PgxResult type resolves from.
func pgxView(r genomics.PgxResult) map[string]any {
	m := map[string]any{"gene": r.Gene, "missingPositions": nonNil(r.MissingPositions)}
	if r.Sample != "" {
		m["sample"] = r.Sample
	}
	if r.Diplotype != "" {
		m["diplotype"] = r.Diplotype
	}
	if r.Phenotype != "" {
		m["phenotype"] = r.Phenotype
	}
	if r.ActivityScore != "" {
		m["activityScore"] = r.ActivityScore
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// maxInlineVCF bounds the VCF text of pgxCall; larger files go through the
// streaming import endpoint.
const maxInlineVCF = 2 << 20

// Register adds the genomics resolvers.
func (d *Genomics) Register(r *Registry) error {
	return registerAll(r, []field{
		{"Query", "pgxCall", Resolver{Perm: auth.GenomicsCall, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			vcf := argString(p, "vcf")
			if len(vcf) > maxInlineVCF {
				return nil, fmt.Errorf("%w: vcf has %d bytes; the limit for pgxCall is %d", errInvalid, len(vcf), maxInlineVCF)
			}
			res, err := d.PGx.Call(ctx, strings.NewReader(vcf), argString(p, "sample"))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(res))
			for i, x := range res {
				out[i] = pgxView(x)
			}
			return out, nil
		}}},
	})
}
