package standardize

import (
	"context"
	"fmt"
	"strings"

	"github.com/rxlab/rxlab/molecules"
)

// largestFragment is LargestFragmentChooser::choose with RDKit's defaults
// (atom count including hydrogens, then exact mass, then the canonical
// SMILES that sorts first; preferOrganic off). A disconnected molecule's
// canonical SMILES has one dot-separated part per fragment, each the
// fragment's own canonical SMILES.
func (s *Standardizer) largestFragment(ctx context.Context, m *molecules.Mol) (*molecules.Mol, []Step, error) {
	if fragments(m) < 2 {
		return m, nil, nil
	}
	parts := strings.Split(m.CanonicalSMILES(), ".")
	var best *molecules.Mol
	bestN, bestW, bestS := 0, 0.0, ""
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		f, err := s.parser.Parse(p)
		if err != nil {
			// The canonical SMILES of some molecules does not read back
			// (RDKit writes c1cc$c1 as C1$CC=C1): no place in the input.
			return nil, nil, &molecules.SMILESError{Position: -1, Msg: "a fragment of the molecule does not parse on its own, so no largest fragment can be chosen"}
		}
		n := 0
		for i := range f.Atoms {
			n += 1 + f.Atoms[i].TotalHs()
		}
		w := molecules.ExactMolWt(f)
		if best != nil && (n < bestN || (n == bestN && (w < bestW || (w == bestW && p > bestS)))) {
			continue
		}
		best, bestN, bestW, bestS = f, n, w, p
	}
	step := Step{Stage: "fragment", Rule: fmt.Sprintf("kept the largest of %d fragments, dropped %s", len(parts), dropped(parts, bestS))}
	return best, []Step{step}, nil
}

// dropped lists the fragments left out (their canonical SMILES; the same
// fragment several times is listed once with its count).
func dropped(parts []string, kept string) string {
	count := map[string]int{}
	var order []string
	skip := true
	for _, p := range parts {
		if p == kept && skip {
			skip = false
			continue
		}
		if count[p] == 0 {
			order = append(order, p)
		}
		count[p]++
	}
	out := make([]string, len(order))
	for i, p := range order {
		out[i] = p
		if count[p] > 1 {
			out[i] = fmt.Sprintf("%d×%s", count[p], p)
		}
	}
	return strings.Join(out, ", ")
}
