#!/usr/bin/python3
"""Writes standardize_rdkit2022.09.tsv: RDKit 2022.09's rdMolStandardize
output for salts, charged species and functional groups, the goldens of
golden_test.go.

Run from this directory with the system Python (python3-rdkit 2022.09.3):

    /usr/bin/python3 make_golden.py ../../../../shared/data

Inputs: every SMILES with a '.', a charge or a group the normalizer
rewrites from the MoleculeNet CSVs under DATA/moleculenet and the ChEMBL
and edge-case goldens in molecules/testdata, capped per kind and sampled
with a fixed seed; a hand-written list covering every transform; and a
sample of plain molecules (which must come out unchanged or only
reionized/neutralized). Columns: input, then the canonical SMILES after
each step alone (normalize, reionize, fragment, neutralize) and after the
whole pipeline (normalize, reionize, largest fragment, uncharge — the
order of package standardize). Each output is written, parsed again and
written once more, so it is the canonical SMILES of a sanitized molecule.
"""
import csv
import os
import random
import sys

from rdkit import Chem, RDLogger, rdBase
from rdkit.Chem.MolStandardize import rdMolStandardize

RDLogger.DisableLog("rdApp.*")

HAND = """
CC(=O)[O-].[Na+]
C[NH3+].[Cl-]
CS(C)=O
CS(=O)c1ccccc1
C[S+](C)[O-]
CN=N#N
CN=[N+]=[N-]
C=N#N
CC(C)=N#N
CP(=O)=O
C[As](=O)=O
C[S+2]([O-])([O-])C
CO[P+]([O-])([O-])OC
CN(C)[C+](C)N
CN(C)[C+](N)N
C[P+](C)(N(C)C)N
[O-]C=[N+](C)C
C[N-]C=[N+](C)C
[O-]C=CC=[N+](C)C
[O-]c1cccc[n+]1C
NC=[N+](C)C
NC=CC=[N+](C)C
OC=[O+]C
[Na].CC(=O)O
[Na+].CC(=O)O
[Ca].OC(=O)CC(=O)O
[Cl].NCC
[K].Oc1ccccc1
[Li].OS(=O)(=O)c1ccccc1
[O-]c1ccccc1C(=O)O
OC(=O)c1ccccc1[O-]
[O-]S(=O)(=O)c1ccccc1.Oc1ccccc1
CC(=O)[O-].Oc1ccccc1
C[N+](C)(C)C.[Cl-]
[NH4+].[Cl-]
C[NH+](C)C.[Br-]
OC(=O)C[NH3+]
[O-]C(=O)C[NH3+]
C[N+](C)(C)CC(=O)[O-]
C[N+](C)(C)CC(=O)[O-].[Na+].[Cl-]
[O-][N+](=O)c1ccccc1
[O-][N+](=O)[O-]
[B-](F)(F)(F)F.CCCC[N+](CCCC)(CCCC)CCCC
c1nn[n-]n1
c1nc[n-]n1.[K+]
CC(=O)[O-].CC(=O)[O-].[Mg+2]
CC(=O)[O-].C[N+](C)(C)C
C[C@H](N)C(=O)[O-].[Na+]
C/C=C/C(=O)[O-].[K+]
[2H]C([2H])([2H])[NH3+].[Cl-]
C[C@@H]([NH3+])C(=O)O.[Cl-]
[O-]Cl(=O)(=O)=O.C[N+](C)(C)C
O=C([O-])c1ccccc1.O=C([O-])c1ccccc1.[Ca+2]
CCCCCCCCCCCCCCCC[N+](C)(C)C.[Br-]
OCC[N+](C)(C)C.[Cl-]
C[n+]1ccccc1.[I-]
c1cc[nH+]cc1.[Cl-]
NC(=[NH2+])c1ccccc1.[Cl-]
Oc1ccc(cc1)[O-].[Na+]
[O-]c1ccc([N+](=O)[O-])cc1.[Na+]
CS(=O)(=O)[O-].C[NH3+]
O.O.O.CC(=O)O
CCO.CC(=O)Nc1ccc(O)cc1
Cl.Cl.NCCN
OS(=O)(=O)O.CN
[Na+].[Na+].O=C([O-])CC(=O)[O-]
C[S-]
CC[O-].[Na+]
[CH2-]C
C#[C-].[Na+]
CC(=O)C[C-](C)C(C)=O
CC(=O)N[O-].[K+]
[O-][I+2]([O-])[O-]
[O-]P([O-])([O-])=O.[Na+].[Na+].[Na+]
OP(=O)([O-])[O-].[K+].[K+]
OB(O)[O-].[Na+]
[N-]=[N+]=NCC(=O)O
C[N+]#[C-]
[C-]#[O+]
[O-][Se+](C)C
C=[N+]=[N-]
CN1C=C[N+](C)=C1.[Cl-]
C[n+]1ccn(C)c1.[Cl-]
NC(N)=[NH2+].[Cl-]
"""


def canon(m):
    if m is None:
        return "!"
    s = Chem.MolToSmiles(m)
    m2 = Chem.MolFromSmiles(s)
    return "!" if m2 is None else Chem.MolToSmiles(m2)


def read_csv(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        col = None
        for name in ("smiles", "mol", "SMILES"):
            if name in head:
                col = head.index(name)
                break
        if col is None:
            return []
        return [row[col] for row in r if len(row) > col and row[col]]


def read_tsv(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or line.startswith("smiles\t"):
                continue
            out.append(line.split("\t")[0])
    return out


def kinds(smi):
    m = Chem.MolFromSmiles(smi)
    if m is None:
        return None
    k = set()
    if "." in smi:
        k.add("salt")
    if any(a.GetFormalCharge() != 0 for a in m.GetAtoms()):
        k.add("charged")
    if m.HasSubstructMatch(Chem.MolFromSmarts("[S+0;X3](=O)")):
        k.add("sulfoxide")
    if not k:
        k.add("plain")
    return k


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "../../../../shared/data"
    here = os.path.dirname(os.path.abspath(__file__))
    pool = []
    mn = os.path.join(data, "moleculenet")
    for name in sorted(os.listdir(mn)):
        if name.endswith(".csv") and name != "delaney-processed.csv":
            pool += read_csv(os.path.join(mn, name))
    td = os.path.join(here, "..", "..", "testdata")
    for name in ("chembl_rdkit2022.09.tsv", "edge_cases_rdkit2022.09.tsv", "moleculenet_rdkit2022.09.tsv"):
        p = os.path.join(td, name)
        if os.path.exists(p):
            pool += read_tsv(p)
    seen, byKind = set(), {}
    for smi in pool:
        smi = smi.strip()
        if not smi or smi in seen or len(smi) > 200:  # pool only; the hand list has longer ones
            continue
        seen.add(smi)
        k = kinds(smi)
        if k is None:
            continue
        for kind in k:
            byKind.setdefault(kind, []).append(smi)
    rng = random.Random(25)
    caps = {"salt": 300, "charged": 250, "sulfoxide": 60, "plain": 150}
    chosen = [s.strip() for s in HAND.strip().splitlines() if s.strip()]
    # Molecules with many sites of one rule, past the exact-rule budget of
    # package standardize (it then rewrites every free site at once).
    for n in (50, 150):
        chosen += ["C" + "S(=O)C" * n, "C" + "C(N)=[N+](C)C" * (n // 2), "[O-]C=CC=[N+](C)C." * (n // 5) + "C"]
    have = set(chosen)
    for kind in ("salt", "charged", "sulfoxide", "plain"):
        lst = byKind.get(kind, [])
        rng.shuffle(lst)
        for smi in lst[: caps[kind]]:
            if smi not in have:
                have.add(smi)
                chosen.append(smi)
    norm = rdMolStandardize.Normalizer()
    reion = rdMolStandardize.Reionizer()
    frag = rdMolStandardize.LargestFragmentChooser()
    unch = rdMolStandardize.Uncharger()
    out = os.path.join(here, "standardize_rdkit2022.09.tsv")
    n = 0
    with open(out, "w") as f:
        f.write("# RDKit %s rdMolStandardize (Normalizer, Reionizer, LargestFragmentChooser, Uncharger; defaults)\n" % rdBase.rdkitVersion)
        f.write("# made by make_golden.py; '!' = RDKit's output does not parse again\n")
        f.write("input\tnormalize\treionize\tfragment\tneutralize\tall\n")
        for smi in chosen:
            m = Chem.MolFromSmiles(smi)
            if m is None:
                continue
            try:
                cols = [canon(norm.normalize(m)), canon(reion.reionize(m)), canon(frag.choose(m)), canon(unch.uncharge(m))]
                cols.append(canon(unch.uncharge(frag.choose(reion.reionize(norm.normalize(m))))))
            except Exception:
                continue
            f.write("\t".join([smi] + cols) + "\n")
            n += 1
    print("wrote %d rows to %s" % (n, out))


if __name__ == "__main__":
    main()
