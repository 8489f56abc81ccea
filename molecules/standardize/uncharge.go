package standardize

import (
	"context"
	"fmt"
	"sort"

	"github.com/rxlab/rxlab/molecules"
)

// unchargePatterns are the Uncharger's queries (RDKit 2022.09), with h
// (implicit hydrogens) read as H: after parsing no hydrogen is a graph
// atom, so the two counts agree.
type unchargePatterns struct {
	posH, posNoH, neg, negAcid *molecules.Pattern
}

func compileUncharge() (unchargePatterns, error) {
	srcs := []string{
		"[+,+2,+3,+4;!H0;!$(*~[-]),$(*(~[-])~[-])]",
		"[+,+2,+3,+4;H0;!$(*~[-]),$(*(~[-])~[-])]",
		"[-!$(*~[+,+2,+3,+4])]",
		"[$([O,S;-][C,S;+0]=[O,S]),$([O,S;-][N,P;+](=[O,S])[O,S;-]),$([O-][Cl,Br,I;+,+2,+3][O-]),$([n-]1nnnc1),$([n-]1ncnn1)]",
	}
	var ps [4]*molecules.Pattern
	for i, src := range srcs {
		p, err := molecules.CompileSMARTS(src)
		if err != nil {
			return unchargePatterns{}, fmt.Errorf("standardize: uncharger pattern %d: %w", i, err)
		}
		ps[i] = p
	}
	return unchargePatterns{posH: ps[0], posNoH: ps[1], neg: ps[2], negAcid: ps[3]}, nil
}

// atomsMatching lists the atoms a one-atom pattern matches, in index order.
func atomsMatching(m *molecules.Mol, p *molecules.Pattern) []int {
	var out []int
	m.Match(p, func(mp []int32) bool { out = append(out, int(mp[0])); return true })
	return out
}

// neutralizeNeg adds hDelta hydrogens to a negative atom and raises its charge.
func neutralizeNeg(w *molecules.Mol, i, hDelta int) {
	a := &w.Atoms[i]
	_ = w.SetExplicitHs(i, a.TotalHs()+hDelta, true)
	_ = w.SetCharge(i, int(a.Charge)+1)
}

// neutralizeNegIfPossible skips an early atom (B, Al, …) without hydrogens.
func neutralizeNegIfPossible(w *molecules.Mol, i int) bool {
	a := &w.Atoms[i]
	early := molecules.IsEarlyAtom(a.Z)
	if early && a.TotalHs() == 0 {
		return false
	}
	d := 1
	if early {
		d = -1
	}
	neutralizeNeg(w, i, d)
	return true
}

// neutralize is Uncharger::uncharge with canonical ordering.
func (s *Standardizer) neutralize(ctx context.Context, m *molecules.Mol) (*molecules.Mol, []Step, error) {
	if !charged(m) {
		return m, nil, nil // every query below needs a charge
	}
	w := m.Clone()
	p := s.uncharge
	pAtoms := atomsMatching(w, p.posH)
	qMatched := 0
	for _, i := range atomsMatching(w, p.posNoH) {
		qMatched += int(w.Atoms[i].Charge)
	}
	nAtoms := atomsMatching(w, p.neg)
	aAtoms := atomsMatching(w, p.negAcid)
	nNeg := 0
	for i := range w.Atoms {
		if w.Atoms[i].Charge < 0 {
			nNeg++
		}
	}
	needs := qMatched > 0 && (len(nAtoms) > 0 || len(aAtoms) > 0)
	if needs {
		ranks := w.CanonicalRanks()
		byRank := func(l []int) {
			sort.Slice(l, func(x, y int) bool {
				if ranks[l[x]] != ranks[l[y]] {
					return ranks[l[x]] < ranks[l[y]]
				}
				return l[x] < l[y]
			})
		}
		byRank(nAtoms)
		byRank(aAtoms)
		neutralizeZwitterion(w, nAtoms, aAtoms, nNeg, qMatched)
	} else {
		for _, i := range nAtoms {
			neutralizeNegIfPossible(w, i)
		}
	}
	neutralizeCations(w, pAtoms)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	changed := 0
	for i := range w.Atoms {
		if w.Atoms[i].Charge != m.Atoms[i].Charge {
			changed++
		}
	}
	if changed == 0 {
		return m, nil, nil
	}
	out, _, err := s.reparse(w)
	if err != nil {
		return m, nil, nil // no neutral form that sanitizes: the input stays
	}
	return out, []Step{{Stage: "neutralize", Rule: fmt.Sprintf("changed the charge of %d atoms (net charge %+d → %+d)", changed, formalCharge(m), formalCharge(out))}}, nil
}

// neutralizeZwitterion handles molecules with quaternary cations: only the
// negative surplus over them is neutralized, non-acids first, then acids
// (an anion next to a cation, as in a nitro group, once per cation).
func neutralizeZwitterion(w *molecules.Mol, nAtoms, aAtoms []int, nNeg, qMatched int) {
	if surplus := nNeg - qMatched; surplus > 0 && len(nAtoms) > 0 {
		acid := map[int]bool{}
		for _, i := range aAtoms {
			acid[i] = true
		}
		for _, i := range nAtoms {
			if acid[i] {
				continue
			}
			if neutralizeNegIfPossible(w, i) {
				if surplus--; surplus == 0 {
					break
				}
			}
		}
	}
	surplus := len(aAtoms) - qMatched
	if surplus <= 0 {
		return
	}
	skip := make([]bool, len(w.Atoms))
	for _, i := range nAtoms {
		for _, b := range w.AtomBonds(i) {
			o := int(w.Bonds[b].Other(int32(i)))
			if w.Atoms[o].Charge > 0 {
				if !skip[o] {
					skip[o] = true
				} else {
					skip[i] = true
				}
				break
			}
		}
	}
	for _, i := range aAtoms {
		if w.Atoms[i].Charge >= 0 || skip[i] {
			continue
		}
		neutralizeNeg(w, i, 1)
		if surplus--; surplus == 0 {
			break
		}
	}
}

// neutralizeCations removes positive charges where hydrogens can be taken
// (or, for carbon and early atoms, added) until the net charge is zero.
func neutralizeCations(w *molecules.Mol, pAtoms []int) {
	net := formalCharge(w)
	if net <= 0 {
		return
	}
	for _, i := range pAtoms {
		a := &w.Atoms[i]
		_ = w.SetExplicitHs(i, a.TotalHs(), true)
		for a.Charge > 0 && net > 0 {
			_ = w.SetCharge(i, int(a.Charge)-1)
			net--
			if a.Z != 6 && !molecules.IsEarlyAtom(a.Z) {
				n := int(a.ExplicitHs)
				if n >= 1 {
					_ = w.SetExplicitHs(i, n-1, true)
				}
				if n == 1 {
					break
				}
			} else {
				_ = w.SetExplicitHs(i, int(a.ExplicitHs)+1, true)
			}
		}
		if net == 0 {
			break
		}
	}
}
