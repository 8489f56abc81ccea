package graphql

import (
	"context"
	"fmt"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/library"
)

// Molecules serves the chemistry operations: molecule, molecules,
// similarMolecules and addMolecules.
type Molecules struct {
	Library *library.Library
}

// Count reports stored molecules for health.
func (d *Molecules) Count(ctx context.Context, kind string) (int, bool, error) {
	if kind != "molecules" {
		return 0, false, nil
	}
	return d.Library.Count(), true, nil
}

// maxSMILESLen bounds one SMILES string; the parser caps atoms and rings too.
const maxSMILESLen = 4096

func parseSMILES(s string) (*molecules.Mol, error) {
	if len(s) > maxSMILESLen {
		return nil, &molecules.SMILESError{Position: maxSMILESLen, Msg: fmt.Sprintf("SMILES longer than %d characters", maxSMILESLen)}
	}
	return molecules.Parse(s)
}

// moleculeView is what the Molecule type resolves from. Canonical SMILES,
// descriptors and fingerprints are computed by their own field resolvers,
// only when a client selects them: a batch asking for formulas alone does
// not pay for canonicalization and descriptors.
func moleculeView(input string, m *molecules.Mol) map[string]any {
	return map[string]any{
		"smiles":     input,
		"formula":    m.Formula(),
		"heavyAtoms": m.HeavyAtoms(),
		"_mol":       m,
	}
}

// sourceMol returns the parsed molecule behind a Molecule value.
func sourceMol(p gql.ResolveParams) (*molecules.Mol, error) {
	src, _ := p.Source.(map[string]any)
	m, _ := src["_mol"].(*molecules.Mol)
	if m == nil {
		return nil, fmt.Errorf("molecule value without structure")
	}
	return m, nil
}

func descriptorsView(d molecules.Descriptors) map[string]any {
	return map[string]any{
		"molWt": d.MolWt, "exactMass": d.ExactMass, "logP": d.LogP, "molarRefractivity": d.MR,
		"tpsa": d.TPSA, "hbd": d.HBD, "hba": d.HBA, "rotatableBonds": d.RotatableBonds,
		"rings": d.Rings, "aromaticRings": d.AromaticRings, "fractionCSP3": d.FractionCSP3,
		"lipinskiViolations": d.LipinskiViolations,
	}
}

// Register adds the molecule resolvers and the library's index-cache
// metrics (cache="library_index").
func (d *Molecules) Register(r *Registry) error {
	r.Collect(newCacheCollector("library_index", d.Library.CacheStats))
	return registerAll(r, []field{
		{"Query", "molecule", Resolver{Perm: auth.MoleculesRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			s := argString(p, "smiles")
			m, err := parseSMILES(s)
			if err != nil {
				return nil, err
			}
			return moleculeView(s, m), nil
		}}},
		{"Query", "molecules", Resolver{Perm: auth.MoleculesRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, _ := p.Args["smiles"].([]any)
			out := make([]any, len(list))
			for i, v := range list {
				if i%256 == 0 && ctx.Err() != nil {
					return nil, ctx.Err()
				}
				s, _ := v.(string)
				m, err := parseSMILES(s)
				if err != nil {
					pe := publicError(ctx, r.Logger(), "molecules", err)
					out[i] = map[string]any{"error": pe.msg, "errorCode": pe.code}
					continue
				}
				out[i] = map[string]any{"molecule": moleculeView(s, m)}
			}
			return out, nil
		}}},
		{"Molecule", "canonicalSmiles", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			m, err := sourceMol(p)
			if err != nil {
				return nil, err
			}
			return m.CanonicalSMILES(), nil
		}}},
		{"Molecule", "descriptors", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			m, err := sourceMol(p)
			if err != nil {
				return nil, err
			}
			return descriptorsView(molecules.Describe(m)), nil
		}}},
		{"Molecule", "fingerprint", Resolver{Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			m, err := sourceMol(p)
			if err != nil {
				return nil, err
			}
			radius, nBits := argInt(p, "radius", 2), argInt(p, "nBits", 2048)
			if err := molecules.CheckFingerprintShape(radius, nBits); err != nil {
				return nil, err
			}
			fp := molecules.Morgan(m, radius, nBits)
			return map[string]any{"radius": radius, "nBits": nBits, "onBits": fp.OnBits(), "hex": fp.Hex()}, nil
		}}},
		{"Query", "similarMolecules", Resolver{Perm: auth.MoleculesRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			minSim, _ := p.Args["minSimilarity"].(float64)
			hits, err := d.Library.Similar(ctx, argString(p, "library"), argString(p, "smiles"), minSim,
				argInt(p, "first", 20), argInt(p, "radius", 2), argInt(p, "nBits", 2048))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(hits))
			for i, h := range hits {
				out[i] = map[string]any{"id": h.ID, "name": h.Name, "smiles": h.SMILES, "similarity": h.Similarity}
			}
			return out, nil
		}}},
		{"Mutation", "addMolecules", Resolver{Perm: auth.MoleculesEdit, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			smiles := stringList(p.Args["smiles"])
			names := stringList(p.Args["names"])
			lib := argString(p, "library")
			if lib == "" {
				lib = library.Default
			}
			res, err := d.Library.Add(ctx, lib, smiles, names)
			if err != nil {
				return nil, err
			}
			errs := make([]any, len(res.Errors))
			for i, e := range res.Errors {
				errs[i] = map[string]any{"location": e.Location, "message": e.Message}
			}
			return map[string]any{"accepted": res.Accepted, "rejected": res.Rejected, "errors": errs, "committed": true}, nil
		}}},
	})
}
