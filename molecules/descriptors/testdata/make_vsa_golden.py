#!/usr/bin/python3
"""Writes vsa_rdkit2022.09.tsv: RDKit's LabuteASA, SlogP_VSA1-12,
SMR_VSA1-10, EState_VSA1-11 and VSA_EState1-10 for a sample of the
molecules package's golden SMILES, and prints RDKit's Rb0 radii (vsa.go)
and outer-electron counts (estate.go) of elements 1-118.

Run by hand from this directory with Debian's python3-rdkit:
    /usr/bin/python3 make_vsa_golden.py
"""
import random
import sys

from rdkit import Chem, rdBase
from rdkit.Chem import rdMolDescriptors as rd
from rdkit.Chem.EState import EState_VSA

rdBase.DisableLog("rdApp.*")
SRC = ["../../testdata/moleculenet_rdkit2022.09.tsv",
       "../../testdata/chembl_rdkit2022.09.tsv",
       "../../testdata/edge_extra_rdkit2022.09.tsv"]


def smiles_of(path):
    out = []
    for line in open(path):
        if line.startswith("#") or line.startswith("smiles\t"):
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) > 1 and f[1] == "1":
            out.append(f[0])
    return out


def main():
    rng = random.Random(7)
    picked = []
    for path, k in zip(SRC, [400, 150, 10**6]):
        s = smiles_of(path)
        picked += s if len(s) <= k else rng.sample(s, k)
    with open("vsa_rdkit2022.09.tsv", "w") as f:
        f.write("# RDKit %s LabuteASA, SlogP_VSA1-12, SMR_VSA1-10, EState_VSA1-11, VSA_EState1-10 (make_vsa_golden.py)\n" % rdBase.rdkitVersion)
        cols = (["LabuteASA"] + ["SlogP_VSA%d" % i for i in range(1, 13)] + ["SMR_VSA%d" % i for i in range(1, 11)] +
                ["EState_VSA%d" % i for i in range(1, 12)] + ["VSA_EState%d" % i for i in range(1, 11)])
        f.write("smiles\t" + "\t".join(cols) + "\n")
        for s in picked:
            m = Chem.MolFromSmiles(s)
            if m is None or m.GetNumAtoms() == 0:
                continue
            v = ([rd.CalcLabuteASA(m)] + list(rd.SlogP_VSA_(m)) + list(rd.SMR_VSA_(m)) +
                 list(EState_VSA.EState_VSA_(m)) + list(EState_VSA.VSA_EState_(m)))
            f.write(s + "\t" + "\t".join("%.4f" % x for x in v) + "\n")
    pt = Chem.GetPeriodicTable()
    sys.stdout.write("Rb0: " + ", ".join("%g" % pt.GetRb0(z) for z in range(1, 119)) + "\n")
    sys.stdout.write("outer electrons: " + ", ".join("%d" % pt.GetNOuterElecs(z) for z in range(1, 119)) + "\n")


main()
