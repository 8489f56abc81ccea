#!/usr/bin/python3
"""Writes physchem_rdkit2022.09.tsv: RDKit's Kier-Hall connectivity indices
(Chi0, Chi1, Chi0v; Chi2-Chi4 and Chi1v-Chi4v summed here over RDKit's
paths with RDKit's atom weights), Kier's shape indices without the
Hall-Kier alpha correction (from RDKit's paths: RDKit's own Kappa1-3
include alpha; ours do not), the number of ring systems (rings sharing an
atom, from RDKit's ring info) and the Bemis-Murcko scaffold (RDKit's
MurckoScaffold.GetScaffoldForMol: its atom count, how many of those are
terminal atoms double-bonded to it, which RDKit keeps and ScaffoldAtoms
drops, and its canonical SMILES without stereo) for the molecules of vsa_rdkit2022.09.tsv.

Run by hand from this directory with Debian's python3-rdkit:
    /usr/bin/python3 make_physchem_golden.py
"""
from rdkit import Chem, rdBase
from rdkit.Chem import GraphDescriptors as gd
from rdkit.Chem import rdMolDescriptors as rd
from rdkit.Chem.Scaffolds import MurckoScaffold

rdBase.DisableLog("rdApp.*")


def paths(m, n):
    """Kier's paths of n bonds: RDKit's bond paths (each bond sequence once)
    that visit n+1 distinct atoms, as atom lists. RDKit's own atom-path mode
    merges paths over the same atoms (X-a-b-c and X-a-c-b in a 3-ring), and
    its bond paths include a 3-ring closed on itself; Kier counts neither
    way."""
    out = []
    for bp in Chem.FindAllPathsOfLengthN(m, n, useBonds=True):
        if n == 1:
            b = m.GetBondWithIdx(bp[0])
            out.append([b.GetBeginAtomIdx(), b.GetEndAtomIdx()])
            continue
        b0, b1 = m.GetBondWithIdx(bp[0]), m.GetBondWithIdx(bp[1])
        shared = {b0.GetBeginAtomIdx(), b0.GetEndAtomIdx()} & {b1.GetBeginAtomIdx(), b1.GetEndAtomIdx()}
        atoms = [b0.GetOtherAtomIdx(shared.pop())]
        for bi in bp:
            atoms.append(m.GetBondWithIdx(bi).GetOtherAtomIdx(atoms[-1]))
        if len(set(atoms)) == n + 1:
            out.append(atoms)
    return out


def kappas(m):
    a = m.GetNumHeavyAtoms()
    p = [len(paths(m, n)) for n in (1, 2, 3)]
    k = lambda num, d: num / (d * d) if d else 0.0
    k3 = (a - 1) * (a - 3) ** 2 if a % 2 else (a - 3) * (a - 2) ** 2
    return [k(a * (a - 1) ** 2, p[0]), k((a - 1) * (a - 2) ** 2, p[1]), k(k3, p[2])]


def valence_chi(m, n):
    """Kier-Hall valence chi of order n with RDKit's delta-v
    (GraphDescriptors._hkDeltas, what its Chi0v-Chi4v use) over Kier's
    paths; RDKit's own Chi3v/Chi4v merge paths over the same atoms in small
    rings."""
    if n == 0:
        return rd.CalcChi0v(m)
    dv = gd._hkDeltas(m, skipHs=0)
    tot = 0.0
    for p in paths(m, n):
        prod = 1.0
        for a in p:
            prod *= dv[a]
        if prod:
            tot += prod ** -0.5
    return tot


def simple_chi(m, n):
    """Kier-Hall simple chi of order n: over Kier's paths of n bonds, the
    product of 1/sqrt(heavy degree); RDKit has it for orders 0 and 1 only
    (its Chi2n-Chi4n weigh atoms by valence electrons less hydrogens)."""
    deg = [a.GetDegree() for a in m.GetAtoms()]
    tot = 0.0
    for p in paths(m, n):
        prod = 1.0
        for a in p:
            prod *= deg[a]
        tot += prod ** -0.5
    return tot


def ring_systems(m):
    systems = []
    for r in m.GetRingInfo().AtomRings():
        s = set(r)
        merged = [x for x in systems if x & s]
        for x in merged:
            s |= x
            systems.remove(x)
        systems.append(s)
    return len(systems), max((len(x) for x in systems), default=0)


def scaffold(m):
    sc = MurckoScaffold.GetScaffoldForMol(m)
    exo = sum(1 for a in sc.GetAtoms() if a.GetDegree() == 1 and not a.IsInRing()
              and a.GetBonds()[0].GetBondType() == Chem.BondType.DOUBLE)
    return sc.GetNumAtoms(), exo, Chem.MolToSmiles(sc, isomericSmiles=False) if sc.GetNumAtoms() else ""


def main():
    smiles = [l.split("\t")[0] for l in open("vsa_rdkit2022.09.tsv")
              if not l.startswith("#") and not l.startswith("smiles\t")]
    cols = (["Chi0", "Chi1", "Chi2", "Chi3", "Chi4", "Chi0v", "Chi1v", "Chi2v", "Chi3v", "Chi4v",
             "Kappa1", "Kappa2", "Kappa3", "RingSystems", "LargestRingSystem",
             "ScaffoldAtoms", "ScaffoldExo", "ScaffoldSMILES"])
    with open("physchem_rdkit2022.09.tsv", "w") as f:
        f.write("# RDKit %s (make_physchem_golden.py); Kappa without alpha from RDKit path counts\n" % rdBase.rdkitVersion)
        f.write("smiles\t" + "\t".join(cols) + "\n")
        for s in smiles:
            m = Chem.MolFromSmiles(s)
            if m is None or m.GetNumAtoms() == 0:
                continue
            v = [gd.Chi0(m), gd.Chi1(m), simple_chi(m, 2), simple_chi(m, 3), simple_chi(m, 4),
                 ] + [valence_chi(m, n) for n in range(5)]
            v += kappas(m)
            rs = ring_systems(m)
            n, exo, smi = scaffold(m)
            f.write(s + "\t" + "\t".join("%.4f" % x for x in v) + "\t%d\t%d\t%d\t%d\t%s\n" % (rs[0], rs[1], n, exo, smi))


main()
