package standardize

import (
	"context"
	"fmt"

	"github.com/rxlab/rxlab/molecules"
)

// keep marks an atom whose charge a transform leaves as it is.
const keep = 99

// bondEdit sets the bond between pattern atoms a and b.
type bondEdit struct {
	a, b int
	t    molecules.BondType
}

// hEdit fixes the hydrogen count of pattern atom a (a product atom written
// with H in RDKit's reaction SMARTS).
type hEdit struct{ a, hs int }

// transformDef is one normalization: a SMARTS whose atoms are in the
// order of the reaction's atom maps, the charge each atom ends with (keep
// for unchanged) and the bonds and hydrogen counts it sets.
type transformDef struct {
	name    string
	smarts  string
	charges []int
	bonds   []bondEdit
	hs      []hEdit
}

type transform struct {
	transformDef
	pat *molecules.Pattern
}

const (
	single = molecules.BondSingle
	double = molecules.BondDouble
	triple = molecules.BondTriple
)

// The default normalizations of RDKit 2022.09 (normalizations.in), in its
// order. The reaction SMARTS there are rewritten as a pattern plus edits.
var transformDefs = []transformDef{
	{"Nitro to N+(O-)=O", "[N,P,As,Sb;X3](=[O,S,Se,Te])=[O,S,Se,Te]", []int{1, -1, keep}, []bondEdit{{0, 1, single}}, nil},
	{"Sulfone to S(=O)(=O)", "[S+2]([O-])[O-]", []int{0, 0, 0}, []bondEdit{{0, 1, double}, {0, 2, double}}, nil},
	{"Pyridine oxide to n+O-", "[nH0+0]=[OH0+0]", []int{1, -1}, []bondEdit{{0, 1, single}}, nil},
	{"Azide to N=N+=N-", "*N=N#N", []int{keep, keep, 1, -1}, []bondEdit{{2, 3, double}}, nil},
	{"Diazo/azo to =N+=N-", "*=N#N", []int{keep, 1, -1}, []bondEdit{{1, 2, double}}, nil},
	{"Sulfoxide to -S+(O-)-", "[!O][S+0;X3](=O)[!O]", []int{keep, 1, -1, keep}, []bondEdit{{1, 2, single}}, nil},
	{"Phosphate to P(O-)=O", "[O,S,Se,Te;-1][P+;D4][O,S,Se,Te;-1]", []int{0, 0, -1}, []bondEdit{{0, 1, double}}, nil},
	{"C/S+N to C/S=N+", "[C,S&!$([S+]-[O-]);X3+1]([NX3])[NX3!H0]", []int{0, keep, 1}, []bondEdit{{0, 2, double}}, nil},
	{"P+N to P=N+", "[P;X4+1]([NX3])[NX3!H0]", []int{0, keep, 1}, []bondEdit{{0, 2, double}}, nil},
	{"Normalize hydrazine-diazonium", "[CX4][NX3H]-[NX3H][CX4][NX2+]#[NX1]", []int{keep, keep, 1, keep, 0, keep},
		[]bondEdit{{1, 2, double}, {4, 5, double}}, []hEdit{{1, 0}, {2, 1}, {5, 1}}},
	{"Recombine 1,3-separated charges", "[N,P,As,Sb,O,S,Se,Te;-1]-[A+0]=[N,P,As,Sb,O,S,Se,Te;+1]", []int{0, keep, 0},
		[]bondEdit{{0, 1, double}, {1, 2, single}}, nil},
	{"Recombine 1,3-separated charges", "[n,o,p,s;-1]:[a]=[N,O,P,S;+1]", []int{0, keep, 0}, []bondEdit{{1, 2, single}}, nil},
	{"Recombine 1,3-separated charges", "[N,O,P,S;-1]-[a]:[n,o,p,s;+1]", []int{0, keep, 0}, []bondEdit{{0, 1, double}}, nil},
	{"Recombine 1,5-separated charges", "[N,P,As,Sb,O,S,Se,Te;-1]-[A+0]=[A]-[A]=[N,P,As,Sb,O,S,Se,Te;+1]", []int{0, keep, keep, keep, 0},
		[]bondEdit{{0, 1, double}, {1, 2, single}, {2, 3, double}, {3, 4, single}}, nil},
	{"Recombine 1,5-separated charges", "[n,o,p,s;-1]:[a]:[a]:[c]=[N,O,P,S;+1]", []int{0, keep, keep, keep, 0}, []bondEdit{{3, 4, single}}, nil},
	{"Recombine 1,5-separated charges", "[N,O,P,S;-1]-[c]:[a]:[a]:[n,o,p,s;+1]", []int{0, keep, keep, keep, 0}, []bondEdit{{0, 1, double}}, nil},
	{"Normalize 1,3 conjugated cation", "[N,O;+0!H0]-[A]=[N!$(*[O-]),O;+1H0]", []int{1, keep, 0}, []bondEdit{{0, 1, double}, {1, 2, single}}, nil},
	{"Normalize 1,3 conjugated cation", "[n;+0!H0]:[c]=[N!$(*[O-]),O;+1H0]", []int{1, keep, 0}, []bondEdit{{1, 2, single}}, nil},
	{"Normalize 1,5 conjugated cation", "[N,O;+0!H0]-[A]=[A]-[A]=[N!$(*[O-]),O;+1H0]", []int{1, keep, keep, keep, 0},
		[]bondEdit{{0, 1, double}, {1, 2, single}, {2, 3, double}, {3, 4, single}}, nil},
	{"Normalize 1,5 conjugated cation", "[n;+0!H0]:[a]:[a]:[c]=[N!$(*[O-]),O;+1H0]", []int{1, keep, keep, keep, 0}, []bondEdit{{3, 4, single}}, nil},
	{"Charge normalization", "[F,Cl,Br,I,At;-1]=O", []int{0, -1}, []bondEdit{{0, 1, single}}, nil},
	{"Charge recombination", "[N,P,As,Sb;-1]=[C+;v3]", []int{0, 0}, []bondEdit{{0, 1, triple}}, nil},
}

func compileTransforms() ([]transform, error) {
	out := make([]transform, len(transformDefs))
	for i, d := range transformDefs {
		p, err := molecules.CompileSMARTS(d.smarts)
		if err != nil {
			return nil, fmt.Errorf("standardize: transform %q: %w", d.name, err)
		}
		if p.Atoms() != len(d.charges) {
			return nil, fmt.Errorf("standardize: transform %q: %d atoms, %d charges", d.name, p.Atoms(), len(d.charges))
		}
		out[i] = transform{transformDef: d, pat: p}
	}
	return out, nil
}

// Work bounds of the normalizer. Every candidate product is written and
// parsed again (a rewrite, about linear in the atoms). While the rewrites
// times the atoms stay under ExactRewriteAtoms a molecule gets RDKit's
// rule exactly: of all matches, the product whose canonical SMILES sorts
// first. Past it a transform is applied at every site that shares no atom
// with another in one rewrite (the same result unless two sites of one
// rule overlap; if that product does not sanitize, the first site alone),
// and past MaxRewrites the molecule is refused, so a molecule with hundreds
// of sites costs milliseconds to a second, never minutes.
const (
	ExactRewriteAtoms = 20_000
	MaxRewrites       = 4096
)

// errTooComplex refuses a molecule over MaxRewrites.
var errTooComplex = &molecules.SMILESError{Position: -1, Msg: fmt.Sprintf("standardization needs more than %d rewrites (limit MaxRewrites)", MaxRewrites)}

// normalizer is one normalize call and its rewrite count.
type normalizer struct {
	s        *Standardizer
	rewrites int
}

// normalize is Normalizer::normalize: transforms in order, each applied
// until it no longer matches; after a change the list starts again. A
// product seen before ends the rule (RDKit's guard against cycles).
func (s *Standardizer) normalize(ctx context.Context, m *molecules.Mol) (*molecules.Mol, []Step, error) {
	n := &normalizer{s: s}
	seen := map[string]bool{}
	var steps []Step
	for restart := 0; restart < 200; restart++ {
		applied := false
		for i := range s.transforms {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			out, smi, ok := n.applyTransform(ctx, m, &s.transforms[i])
			if n.rewrites > MaxRewrites {
				return nil, nil, errTooComplex
			}
			if ok && !seen[smi] {
				seen[smi] = true
				m = out
				steps = append(steps, Step{Stage: "normalize", Rule: s.transforms[i].name})
				applied = true
				break
			}
		}
		if !applied {
			break
		}
	}
	return m, steps, nil
}

// applyTransform is Normalizer::applyTransform: the transform applied up
// to 20 times in a row, each time taking the product whose canonical
// SMILES sorts first among the matches whose product sanitizes.
func (n *normalizer) applyTransform(ctx context.Context, m *molecules.Mol, t *transform) (*molecules.Mol, string, bool) {
	cur, smi, changed := m, "", false
	for i := 0; i < 20 && ctx.Err() == nil && n.rewrites <= MaxRewrites; i++ {
		next, nsmi, ok := n.applyOnce(cur, t)
		if !ok {
			break
		}
		cur, smi, changed = next, nsmi, true
	}
	return cur, smi, changed
}

func (n *normalizer) applyOnce(m *molecules.Mol, t *transform) (*molecules.Mol, string, bool) {
	var maps [][]int32
	m.Match(t.pat, func(mp []int32) bool {
		maps = append(maps, append([]int32(nil), mp...))
		return len(maps) < MaxMatches
	})
	if len(maps) == 0 {
		return nil, "", false
	}
	if n.rewrites*len(m.Atoms) > ExactRewriteAtoms {
		if out, smi, ok := n.applyAll(m, t, maps); ok {
			return out, smi, true
		}
	}
	var best *molecules.Mol
	bestSMI := ""
	for _, mp := range maps {
		c := m.Clone()
		if !t.edit(c, mp) {
			continue
		}
		n.rewrites++
		out, smi, err := n.s.reparse(c)
		if err != nil {
			continue
		}
		if best == nil || smi < bestSMI {
			best, bestSMI = out, smi
		}
		if n.rewrites*len(m.Atoms) > ExactRewriteAtoms {
			break // the first product that sanitizes
		}
	}
	return best, bestSMI, best != nil
}

// applyAll applies t at every match that shares no atom with an earlier
// one, in one rewrite.
func (n *normalizer) applyAll(m *molecules.Mol, t *transform, maps [][]int32) (*molecules.Mol, string, bool) {
	c := m.Clone()
	used := make([]bool, len(m.Atoms))
	edited := 0
	for _, mp := range maps {
		free := true
		for _, a := range mp {
			free = free && !used[a]
		}
		if !free {
			continue
		}
		if !t.edit(c, mp) {
			return nil, "", false
		}
		for _, a := range mp {
			used[a] = true
		}
		edited++
	}
	if edited < 2 {
		return nil, "", false
	}
	n.rewrites++
	out, smi, err := n.s.reparse(c)
	if err != nil {
		return nil, "", false
	}
	return out, smi, true
}

// edit applies the transform's product to the matched atoms of c.
func (t *transform) edit(c *molecules.Mol, mp []int32) bool {
	for _, e := range t.bonds {
		b := c.BondBetween(int(mp[e.a]), int(mp[e.b]))
		if b < 0 || c.SetBondType(b, e.t) != nil {
			return false
		}
	}
	for k, q := range t.charges {
		if q != keep && c.SetCharge(int(mp[k]), q) != nil {
			return false
		}
	}
	for _, h := range t.hs {
		if c.SetExplicitHs(int(mp[h.a]), h.hs, true) != nil {
			return false
		}
	}
	return true
}
