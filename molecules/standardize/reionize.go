package standardize

import (
	"context"
	"fmt"
	"slices"

	"github.com/rxlab/rxlab/molecules"
)

// acidBase is one acid–base pair: the protonated and the ionized form;
// the last atom of each pattern carries the proton or the charge.
type acidBase struct {
	name          string
	acid, base    *molecules.Pattern
	acidSrc, bSrc string
}

// acidBaseDefs are RDKit 2022.09's default pairs (acid_base_pairs.in),
// strongest acid first.
var acidBaseDefs = [][3]string{
	{"-OSO3H", "OS(=O)(=O)[OH]", "OS(=O)(=O)[O-]"},
	{"-SO3H", "[!O]S(=O)(=O)[OH]", "[!O]S(=O)(=O)[O-]"},
	{"-OSO2H", "O[SD3](=O)[OH]", "O[SD3](=O)[O-]"},
	{"-SO2H", "[!O][SD3](=O)[OH]", "[!O][SD3](=O)[O-]"},
	{"-OPO3H2", "OP(=O)([OH])[OH]", "OP(=O)([OH])[O-]"},
	{"-PO3H2", "[!O]P(=O)([OH])[OH]", "[!O]P(=O)([OH])[O-]"},
	{"-CO2H", "C(=O)[OH]", "C(=O)[O-]"},
	{"thiophenol", "c[SH]", "c[S-]"},
	{"(-OPO3H)-", "OP(=O)([O-])[OH]", "OP(=O)([O-])[O-]"},
	{"(-PO3H)-", "[!O]P(=O)([O-])[OH]", "[!O]P(=O)([O-])[O-]"},
	{"phthalimide", "O=C2c1ccccc1C(=O)[NH]2", "O=C2c1ccccc1C(=O)[N-]2"},
	{"CO3H (peracetyl)", "C(=O)O[OH]", "C(=O)O[O-]"},
	{"alpha-carbon-hydrogen-nitro group", "O=N(O)[CH]", "O=N(O)[C-]"},
	{"-SO2NH2", "S(=O)(=O)[NH2]", "S(=O)(=O)[NH-]"},
	{"-OBO2H2", "OB([OH])[OH]", "OB([OH])[O-]"},
	{"-BO2H2", "[!O]B([OH])[OH]", "[!O]B([OH])[O-]"},
	{"phenol", "c[OH]", "c[O-]"},
	{"SH (aliphatic)", "C[SH]", "C[S-]"},
	{"(-OBO2H)-", "OB([O-])[OH]", "OB([O-])[O-]"},
	{"(-BO2H)-", "[!O]B([O-])[OH]", "[!O]B([O-])[O-]"},
	{"cyclopentadiene", "C1=CC=C[CH2]1", "c1ccc[cH-]1"},
	{"-CONH2", "C(=O)[NH2]", "C(=O)[NH-]"},
	{"imidazole", "c1cnc[nH]1", "c1cnc[n-]1"},
	{"-OH (aliphatic alcohol)", "[CX4][OH]", "[CX4][O-]"},
	{"alpha-carbon-hydrogen-keto group", "O=C([!O])[C!H0+0]", "O=C([!O])[C-]"},
	{"alpha-carbon-hydrogen-acetyl ester group", "OC(=O)[C!H0+0]", "OC(=O)[C-]"},
	{"sp carbon hydrogen", "C#[CH]", "C#[C-]"},
	{"alpha-carbon-hydrogen-sulfone group", "CS(=O)(=O)[C!H0+0]", "CS(=O)(=O)[C-]"},
	{"alpha-carbon-hydrogen-sulfoxide group", "C[SD3](=O)[C!H0+0]", "C[SD3](=O)[C-]"},
	{"-NH2", "[CX4][NH2]", "[CX4][NH-]"},
	{"benzyl hydrogen", "c[CX4H2]", "c[CX3H-]"},
	{"sp2-carbon hydrogen", "[CX3]=[CX3!H0+0]", "[CX3]=[CX2-]"},
	{"sp3-carbon hydrogen", "[CX4!H0+0]", "[CX3-]"},
}

// chargeCorrection is RDKit's CHARGE_CORRECTIONS: free alkali, alkaline
// earth and chloride atoms get their usual ionic charge.
type chargeCorrection struct {
	pat    *molecules.Pattern
	charge int
}

var chargeCorrectionDefs = []struct {
	smarts string
	charge int
}{{"[Li,Na,K;X0+0]", 1}, {"[Mg,Ca;X0+0]", 2}, {"[Cl;X0+0]", -1}}

func compileAcidBase() ([]acidBase, error) {
	out := make([]acidBase, len(acidBaseDefs))
	for i, d := range acidBaseDefs {
		a, err := molecules.CompileSMARTS(d[1])
		if err != nil {
			return nil, fmt.Errorf("standardize: acid %q: %w", d[0], err)
		}
		b, err := molecules.CompileSMARTS(d[2])
		if err != nil {
			return nil, fmt.Errorf("standardize: base %q: %w", d[0], err)
		}
		out[i] = acidBase{name: d[0], acid: a, base: b, acidSrc: d[1], bSrc: d[2]}
	}
	return out, nil
}

// firstMatch returns the atom matched by p's last atom in its first match, or -1.
func firstMatch(m *molecules.Mol, p *molecules.Pattern) int {
	at := -1
	m.Match(p, func(mp []int32) bool { at = int(mp[len(mp)-1]); return false })
	return at
}

// strongestProtonated returns the first pair (strongest acid) whose acid
// form matches, and the atom holding its proton.
func (s *Standardizer) strongestProtonated(m *molecules.Mol) (int, int) {
	for i := range s.pairs {
		if at := firstMatch(m, s.pairs[i].acid); at >= 0 {
			return i, at
		}
	}
	return -1, -1
}

// weakestIonized returns the last pair (weakest acid) whose ionized form
// matches, and the charged atom.
func (s *Standardizer) weakestIonized(m *molecules.Mol) (int, int) {
	for i := len(s.pairs) - 1; i >= 0; i-- {
		if at := firstMatch(m, s.pairs[i].base); at >= 0 {
			return i, at
		}
	}
	return -1, -1
}

func formalCharge(m *molecules.Mol) int {
	q := 0
	for i := range m.Atoms {
		q += int(m.Atoms[i].Charge)
	}
	return q
}

// reionize is Reionizer::reionize.
func (s *Standardizer) reionize(ctx context.Context, m *molecules.Mol) (*molecules.Mol, []Step, error) {
	if !charged(m) && !hasFreeIon(m) {
		return m, nil, nil // no ionized base to move a proton to, nothing to correct
	}
	var steps []Step
	w := m.Clone()
	start := formalCharge(w)
	for _, cc := range s.ccs {
		var hits []int
		w.Match(cc.pat, func(mp []int32) bool { hits = append(hits, int(mp[0])); return true })
		for _, at := range hits {
			_ = w.SetCharge(at, cc.charge)
			steps = append(steps, Step{Stage: "reionize", Rule: fmt.Sprintf("charge correction of %s to %+d", w.Atoms[at].Symbol(), cc.charge)})
		}
	}
	cur := formalCharge(w)
	if diff := cur - start; cur != 0 {
		for ; diff > 0; diff-- {
			p, at := s.strongestProtonated(w)
			if p < 0 {
				break
			}
			a := &w.Atoms[at]
			_ = w.SetCharge(at, int(a.Charge)-1)
			if a.ExplicitHs > 0 {
				_ = w.SetExplicitHs(at, int(a.ExplicitHs)-1, a.NoImplicit)
			}
			steps = append(steps, Step{Stage: "reionize", Rule: "ionized " + s.pairs[p].name + " to balance the charge corrections"})
		}
	}
	moved := map[[2]int]bool{}
	for iter := 0; iter < 4*len(w.Atoms)+8; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		pp, pat := s.strongestProtonated(w)
		ip, iat := s.weakestIonized(w)
		if pp < 0 || ip < 0 || pp >= ip || pat == iat {
			break
		}
		key := [2]int{min(pat, iat), max(pat, iat)}
		if moved[key] {
			break
		}
		moved[key] = true
		s.moveProton(w, pat, iat)
		steps = append(steps, Step{Stage: "reionize", Rule: "moved a proton from " + s.pairs[pp].name + " to " + s.pairs[ip].name})
	}
	if len(steps) == 0 {
		return m, nil, nil
	}
	out, _, err := s.reparse(w)
	if err != nil {
		return m, nil, nil // RDKit would keep an unsanitizable result; here the input stays
	}
	return out, steps, nil
}

func compileCorrections() ([]chargeCorrection, error) {
	out := make([]chargeCorrection, len(chargeCorrectionDefs))
	for i, d := range chargeCorrectionDefs {
		p, err := molecules.CompileSMARTS(d.smarts)
		if err != nil {
			return nil, fmt.Errorf("standardize: charge correction %q: %w", d.smarts, err)
		}
		out[i] = chargeCorrection{pat: p, charge: d.charge}
	}
	return out, nil
}

// moveProton takes a proton from atom p and gives it to atom i, with
// RDKit's rules for which hydrogen counts become explicit.
func (s *Standardizer) moveProton(w *molecules.Mol, p, i int) {
	pa := &w.Atoms[p]
	pArom := (pa.Z == 7 || pa.Z == 15) && pa.Aromatic
	_ = w.SetCharge(p, int(pa.Charge)-1)
	if pa.ImplicitHs == 0 && pa.ExplicitHs > 0 {
		_ = w.SetExplicitHs(p, int(pa.ExplicitHs)-1, pa.NoImplicit)
	}
	ia := &w.Atoms[i]
	// RDKit compares the total valence before the charge change is
	// propagated (getTotalValence reads the cached values).
	found := slices.Contains(molecules.AllowedValences(ia.Z), w.TotalValence(i))
	noImp := ia.NoImplicit
	_ = w.SetCharge(i, int(ia.Charge)+1)
	if noImp || pArom || !found {
		_ = w.SetExplicitHs(i, int(ia.ExplicitHs)+1, noImp)
	}
}

// hasFreeIon reports an unbonded neutral Li, Na, K, Mg, Ca or Cl without
// hydrogens, the atoms the charge corrections match.
func hasFreeIon(m *molecules.Mol) bool {
	for i := range m.Atoms {
		a := &m.Atoms[i]
		switch a.Z {
		case 3, 11, 19, 12, 20, 17:
			if a.Degree() == 0 && a.TotalHs() == 0 && a.Charge == 0 {
				return true
			}
		}
	}
	return false
}
