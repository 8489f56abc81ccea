#!/usr/bin/env python3
"""Regenerate crippen_atoms_rdkit2022.09.tsv: RDKit 2022.09 Wildman-Crippen
atom types for molecules drawn from the other golden files of this directory.

RDKit's Python wrapper of _CalcCrippenContribs does not hand back the type
labels, so this script types every atom of Chem.AddHs(mol) the way
Crippen.cpp does (parameter rows in order, first matching row wins, SMARTS
matched with RDKit itself) and asserts that the per-atom (logP, MR) pairs it
implies equal rdMolDescriptors._CalcCrippenContribs on the same molecule.

Output columns: smiles, then one token per atom of the parsed molecule
(before AddHs): LABEL for an atom without hydrogens, LABEL/HLABEL*n for an
atom carrying n hydrogens (implicit or explicit count), "-" when no row
matches.

usage (from molecules/): /usr/bin/python3 testdata/make_crippen_golden.py > testdata/crippen_atoms_rdkit2022.09.tsv
   or: make_crippen_golden.py golden.tsv... > out.tsv   (every molecule of the
       named golden-format files; check with CRIPPEN_GOLDEN=out.tsv go test)
"""
import sys

from rdkit import Chem, RDLogger
from rdkit.Chem import rdMolDescriptors

RDLogger.DisableLog("rdApp.*")

SOURCES = [
    ("testdata/edge_cases_rdkit2022.09.tsv", 1),
    ("testdata/edge_extra_rdkit2022.09.tsv", 1),
    ("testdata/nci5k_rdkit2022.09.tsv", 10),
    ("testdata/chembl_rdkit2022.09.tsv", 10),
    ("testdata/moleculenet_rdkit2022.09.tsv", 10),
    ("testdata/random_rdkit2022.09.tsv", 25),
]
RARE = 15  # keep any molecule holding a label seen fewer times than this


def rows():
    out = []
    for line in open("crippen_params.txt"):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        lp = float(f[2])
        mr = float(f[3]) if len(f) > 3 and f[3] else 0.0
        out.append((f[0], Chem.MolFromSmarts(f[1]), lp, mr))
    return out


def types(mh, table):
    lab = [None] * mh.GetNumAtoms()
    val = [None] * mh.GetNumAtoms()
    for label, patt, lp, mr in table:
        for match in mh.GetSubstructMatches(patt, uniquify=False, maxMatches=100000):
            i = match[0]
            if lab[i] is None:
                lab[i], val[i] = label, (lp, mr)
    return lab, val


def main():
    global SOURCES
    if len(sys.argv) > 1:
        SOURCES = [(p, 1) for p in sys.argv[1:]]
    table = rows()
    seen = {}
    print("# RDKit 2022.09.3 Wildman-Crippen atom types (Chem.AddHs + Crippen.cpp parameter order), checked against _CalcCrippenContribs; made by make_crippen_golden.py")
    print("smiles\tatoms")
    done = set()
    for path, every in SOURCES:
        k = 0
        for line in open(path):
            if line.startswith("#") or line.startswith("smiles\t"):
                continue
            smi = line.split("\t")[0]
            if smi in done:
                continue
            m = Chem.MolFromSmiles(smi)
            if m is None:
                continue
            k += 1
            mh = Chem.AddHs(m)
            lab, val = types(mh, table)
            want = rdMolDescriptors._CalcCrippenContribs(mh, force=True)
            for i, (w, g) in enumerate(zip(want, val)):
                g = g or (0.0, 0.0)
                assert abs(w[0] - g[0]) < 1e-9 and abs(w[1] - g[1]) < 1e-9, (smi, i, w, g, lab[i])
            toks = []
            for a in m.GetAtoms():
                i = a.GetIdx()
                t = lab[i] or "-"
                hl = set()
                nh = 0
                for nb in mh.GetAtomWithIdx(i).GetNeighbors():
                    if nb.GetIdx() >= m.GetNumAtoms():
                        hl.add(lab[nb.GetIdx()] or "-")
                        nh += 1
                assert len(hl) <= 1, (smi, i, hl)
                assert nh == a.GetTotalNumHs(), (smi, i)
                if nh:
                    t += "/%s*%d" % (hl.pop(), nh)
                toks.append(t)
            rare = any(seen.get(x, 0) < RARE for x in toks)
            if k % every == 0 or rare:
                for x in toks:
                    seen[x] = seen.get(x, 0) + 1
                done.add(smi)
                print("%s\t%s" % (smi, " ".join(toks)))


if __name__ == "__main__":
    main()
