package standardize

import (
	"context"

	"github.com/rxlab/rxlab/molecules"
)

// MaxMatches bounds the matches of one transform looked at per
// application; a molecule with more sites is changed over several
// applications.
const MaxMatches = 64

// Config configures a Standardizer.
type Config struct {
	// Parser reads the input and every intermediate molecule; nil means
	// molecules' default limits.
	Parser *molecules.Parser
}

// Standardizer runs the standardization steps. It is safe for concurrent
// use.
type Standardizer struct {
	parser     *molecules.Parser
	transforms []transform
	pairs      []acidBase
	ccs        []chargeCorrection
	uncharge   unchargePatterns
}

// New compiles the built-in transforms.
func New(cfg Config) (*Standardizer, error) {
	p := cfg.Parser
	if p == nil {
		var err error
		if p, err = molecules.NewParser(molecules.ParserConfig{}); err != nil {
			return nil, err
		}
	}
	s := &Standardizer{parser: p}
	var err error
	if s.transforms, err = compileTransforms(); err != nil {
		return nil, err
	}
	if s.pairs, err = compileAcidBase(); err != nil {
		return nil, err
	}
	if s.ccs, err = compileCorrections(); err != nil {
		return nil, err
	}
	if s.uncharge, err = compileUncharge(); err != nil {
		return nil, err
	}
	return s, nil
}

// Options selects steps to skip; the zero value runs all four.
type Options struct {
	SkipNormalize  bool
	SkipReionize   bool
	SkipFragment   bool
	SkipNeutralize bool
}

// Step is one change the standardizer made.
type Step struct {
	// Stage is "normalize", "reionize", "fragment" or "neutralize".
	Stage string
	// Rule names what was done, e.g. "Nitro to N+(O-)=O" or
	// "kept the largest of 2 fragments".
	Rule string
}

// String is "stage: rule".
func (s Step) String() string { return s.Stage + ": " + s.Rule }

// Result is a standardized molecule.
type Result struct {
	// SMILES is the canonical SMILES after standardization.
	SMILES string
	// Input is the canonical SMILES of the input as parsed.
	Input string
	// Steps lists the changes in the order they were made; empty when
	// the molecule was already standard.
	Steps []Step
	// Mol is the standardized molecule (parsed from SMILES).
	Mol *molecules.Mol
}

// Standardize runs all four steps on one SMILES string.
func (s *Standardizer) Standardize(ctx context.Context, smiles string) (Result, error) {
	return s.StandardizeWith(ctx, smiles, Options{})
}

// StandardizeWith runs the steps opts does not skip. A SMILES that does
// not parse answers its *molecules.SMILESError (with its position).
func (s *Standardizer) StandardizeWith(ctx context.Context, smiles string, opts Options) (Result, error) {
	m, err := s.parser.Parse(smiles)
	if err != nil {
		return Result{}, err
	}
	return s.StandardizeMol(ctx, m, opts)
}

// StandardizeMol standardizes a parsed molecule; m itself is not changed.
func (s *Standardizer) StandardizeMol(ctx context.Context, m *molecules.Mol, opts Options) (Result, error) {
	res := Result{Input: m.CanonicalSMILES()}
	cur := m
	type stage struct {
		skip bool
		run  func(context.Context, *molecules.Mol) (*molecules.Mol, []Step, error)
	}
	for _, st := range []stage{
		{opts.SkipNormalize, s.normalize},
		{opts.SkipReionize, s.reionize},
		{opts.SkipFragment, s.largestFragment},
		{opts.SkipNeutralize, s.neutralize},
	} {
		if st.skip {
			continue
		}
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		next, steps, err := st.run(ctx, cur)
		if err != nil {
			return Result{}, err
		}
		cur = next
		res.Steps = append(res.Steps, steps...)
	}
	res.SMILES, res.Mol = res.Input, cur
	if cur != m {
		res.SMILES = cur.CanonicalSMILES()
	}
	return res, nil
}

// reparse writes an edited molecule and parses it again, so the result is
// sanitized (aromaticity, hydrogens, valence checks) from scratch.
func (s *Standardizer) reparse(m *molecules.Mol) (*molecules.Mol, string, error) {
	smi := m.CanonicalSMILES()
	out, err := s.parser.Parse(smi)
	if err != nil {
		return nil, "", err
	}
	return out, out.CanonicalSMILES(), nil
}

// charged reports whether any atom carries a formal charge.
func charged(m *molecules.Mol) bool {
	for i := range m.Atoms {
		if m.Atoms[i].Charge != 0 {
			return true
		}
	}
	return false
}

// fragments counts the connected components of m.
func fragments(m *molecules.Mol) int {
	seen := make([]bool, len(m.Atoms))
	n := 0
	var stack []int
	for i := range m.Atoms {
		if seen[i] {
			continue
		}
		n++
		seen[i] = true
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			a := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, b := range m.AtomBonds(a) {
				if o := int(m.Bonds[b].Other(int32(a))); !seen[o] {
					seen[o] = true
					stack = append(stack, o)
				}
			}
		}
	}
	return n
}
